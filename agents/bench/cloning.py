"""Behaviour cloning measured: the numbers of docs/demonstrations.md.

    python -m pixelarena.agents.bench.cloning --out runs/cloning

On Chase (the quickstart preset: cnn on pixels) with the scripted policy's demonstrations of 10k, 50k and 200k
steps: behaviour cloning alone, cloning then PPO, and PPO from scratch, each run's policy evaluated on 100
held-out games (``pixelarena eval RUN --episodes 100``). On Target (target-unet), a stand-in for a person's play
(the scripted policy's actions fed through the viewer's human-play path, so the file is what a person's session
writes) then PPO, against PPO from scratch.

Every step is an ordinary command (``pixelarena demos``, ``train``, ``eval``) in a subprocess with one torch
thread; its CPU seconds (user + system, from the OS) are recorded. Cloning then PPO continues the cloning-alone
run (``train --resume RUN --steps N``: the clone is its step-0 checkpoint), which is the same computation as
``train --demos DIR --steps N`` without cloning twice. Results go to OUT/results.json as they come (running the
command again skips what is there) and to OUT/results.md.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

CHASE_SCRIPTED = 9.8
TARGET_SOLVED = 100.0
SAMPLE_UPDATES = 400_000
"""Cloning gets about the same compute at every demonstration size: epochs = this / steps (at least 3)."""


def epochs_for(steps: int) -> int:
    return max(3, round(SAMPLE_UPDATES / steps))


class Bench:
    """Runs the commands, keeps the results (OUT/results.json) and skips what is already measured."""

    def __init__(self, out: Path, threads: int) -> None:
        self.out, self.threads = out, threads
        self.file = out / "results.json"
        self.results: dict[str, Any] = json.loads(self.file.read_text()) if self.file.exists() else {}

    def command(self, *args: str) -> float:
        """Run ``pixelarena ARGS``; return its CPU seconds."""
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        line = [sys.executable, "-m", "pixelarena", *args]
        print("$ pixelarena " + " ".join(args), flush=True)
        subprocess.run(line, check=True, stdout=subprocess.DEVNULL)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

    def evaluate(self, run: Path) -> dict[str, Any]:
        done = subprocess.run([sys.executable, "-m", "pixelarena", "eval", str(run), "--episodes", "100", "--json"],
                              check=True, capture_output=True, text=True)  # fmt: skip
        data = json.loads(done.stdout.strip().splitlines()[-1])
        return {"mean": data["mean"], "ci": [data["ci_low"], data["ci_high"]]}

    def record(self, key: str, value: dict[str, Any]) -> None:
        self.results[key] = value
        self.out.mkdir(parents=True, exist_ok=True)
        self.file.write_text(json.dumps(self.results, indent=1))

    def train_args(self, seed: int) -> list[str]:
        return ["--seed", str(seed), "--threads", str(self.threads), "--device", "cpu"]


def curve(run: Path, rollout: int) -> list[tuple[int, float]]:
    """(env steps trained, greedy mean return on the selection games) of every evaluation in the run: the clone's
    at step 0 (cloning.json), then the PPO ones (metrics.jsonl rows; each evaluated the weights of the rollout
    boundary one rollout before the row)."""
    points = []
    cloning = run / "cloning.json"
    if cloning.exists() and json.loads(cloning.read_text()).get("greedy_return") is not None:
        points.append((0, json.loads(cloning.read_text())["greedy_return"]))
    metrics = run / "metrics.jsonl"
    rows = [json.loads(line) for line in metrics.read_text().splitlines()] if metrics.exists() else []
    points += [(row["step"] - rollout, row["charts/greedy_return"]) for row in rows if "charts/greedy_return" in row]
    best = run / "checkpoints" / "best.safetensors"
    if best.exists():  # the evaluation at the end has no metrics row after it; when it was the best, here it is
        from pixelarena.agents.run.checkpoint import load_checkpoint

        header = load_checkpoint(best).header
        if int(header["step"]) not in {step for step, _ in points}:
            points.append((int(header["step"]), float(header["greedy_return"])))
    return sorted(points)


def run_dir_of(out: Path, key: str) -> Path:
    """The run directory of a result: ``bcppo/50000/s1`` -> OUT/bcppo/50000-s1, ``ppo/s0`` -> OUT/ppo/s0,
    ``target/ppo/s0`` -> OUT/target/ppo-s0."""
    parts = key.split("/")
    if parts[0] == "target":
        return out / "target" / f"{parts[1]}-{parts[2]}"
    return out / parts[0] / ("-".join(parts[1:]) if len(parts) == 3 else parts[1])


def first_at(points: list[tuple[int, float]], threshold: float) -> int | None:
    return next((step for step, score in points if score >= threshold), None)


def run_chase(bench: Bench, sizes: list[int], seeds: int, ppo_steps: int, ppo_sizes: dict[int, int]) -> None:
    out, rollout = bench.out, 128 * 64  # the quickstart preset's rollout
    common = ["--preset", "quickstart", "--eval-every", "25k"]
    for size in sizes:
        demos = out / "demos" / f"chase-{size}"
        if f"demos/{size}" not in bench.results:
            shutil.rmtree(demos, ignore_errors=True)
            cpu = bench.command("demos", "--env", "Chase", "--steps", str(size), str(demos))
            bench.record(f"demos/{size}", {"cpu_seconds": cpu})
        for seed in range(seeds):
            key, run = f"bc/{size}/s{seed}", out / "bc" / f"{size}-s{seed}"
            if key not in bench.results:
                shutil.rmtree(run, ignore_errors=True)
                cpu = bench.command("train", *common, "--demos", str(demos), "--steps", "0", "--bc-epochs",
                                    str(epochs_for(size)), "--run-dir", str(run), *bench.train_args(seed))  # fmt: skip
                cloning = json.loads((run / "cloning.json").read_text())
                bench.record(key, {"cpu_seconds": cpu, "epochs": epochs_for(size), **bench.evaluate(run),
                                   "agreement": cloning["held_out_agreement"], "selection": cloning["greedy_return"],
                                   "cloning_cpu_seconds": cloning.get("cpu_seconds")})  # fmt: skip
            key, continued = f"bcppo/{size}/s{seed}", out / "bcppo" / f"{size}-s{seed}"
            if key not in bench.results and seed < ppo_sizes.get(size, 0):
                shutil.rmtree(continued, ignore_errors=True)
                shutil.copytree(run, continued)
                cpu = bench.command("train", "--resume", str(continued), "--steps", str(ppo_steps),
                                    "--threads", str(bench.threads))  # fmt: skip
                bench.record(key, {"cpu_seconds": cpu, "curve": curve(continued, rollout), **bench.evaluate(continued)})
    for seed in range(seeds):
        key, run = f"ppo/s{seed}", out / "ppo" / f"s{seed}"
        if key not in bench.results:
            shutil.rmtree(run, ignore_errors=True)
            cpu = bench.command("train", *common, "--steps", str(ppo_steps), "--run-dir", str(run),
                                *bench.train_args(seed))  # fmt: skip
            bench.record(key, {"cpu_seconds": cpu, "curve": curve(run, rollout), **bench.evaluate(run)})


def record_stand_in(env: str, steps: int, seed: int, out_dir: Path) -> Path:
    """A stand-in for a person: the scripted policy's actions played through the viewer's game session with its
    recorder in human mode, one game at a time, so the file is exactly what a person's session writes."""
    from pixelarena.agents.demos.record import SessionRecorder
    from pixelarena.agents.environments.env_spec import EnvSpec
    from pixelarena.agents.viewer.session import BuiltinSession

    session = BuiltinSession(EnvSpec(env, "pixels"), seed, scale=1)
    recorder = SessionRecorder(out_dir, env, {}, "human", seed)
    session.recorder, session.recording = recorder, True
    while recorder.recorder is None or recorder.recorder.steps < steps or not session.done:
        if session.done:
            session.new_episode()
        session.advance(session.game.expert_actions()[0])
    session.close()
    return recorder.path


def run_target(bench: Bench, steps: int, seeds: int, ppo_steps: int) -> None:
    out, rollout = bench.out, 64 * 32  # target-unet's rollout
    common = ["--preset", "target-unet", "--eval-every", "4096"]
    demos = out / "demos" / "target-person"
    if "target/demos" not in bench.results:
        shutil.rmtree(demos, ignore_errors=True)
        started = time.process_time()
        path = record_stand_in("Target", steps, 77, demos)
        header = json.loads(np.load(path, allow_pickle=False)["header"].tobytes())
        bench.record("target/demos", {"steps": header["steps"], "episodes": header["episodes"],
                                      "cpu_seconds": time.process_time() - started})  # fmt: skip
    for seed in range(seeds):
        for arm, extra in (("bcppo", ["--demos", str(demos), "--bc-epochs", "10"]), ("ppo", [])):
            key, run = f"target/{arm}/s{seed}", out / "target" / f"{arm}-s{seed}"
            if key not in bench.results:
                shutil.rmtree(run, ignore_errors=True)
                cpu = bench.command("train", *common, *extra, "--steps", str(ppo_steps), "--run-dir", str(run),
                                    *bench.train_args(seed))  # fmt: skip
                cloning = run / "cloning.json"
                bench.record(key, {"cpu_seconds": cpu, "curve": curve(run, rollout), **bench.evaluate(run),
                                   **({"agreement": json.loads(cloning.read_text())["held_out_agreement"]}
                                      if cloning.exists() else {})})  # fmt: skip


def _fmt(values: list[float], sign: bool = True) -> str:
    """The mean of ``values`` and each value: ``+5.21 (+4.90, +5.33, +5.40)``."""
    form = "{:+.2f}" if sign else "{:.1%}"
    each = ", ".join(form.format(v) for v in values)
    return form.format(float(np.mean(values))) + (f" ({each})" if len(values) > 1 else "")


def _to(entries: list[dict[str, Any]], threshold: float, total_steps: int, cloning_cpu: float) -> str:
    """Env steps (and CPU seconds: cloning plus PPO's share at that step) to the first selection evaluation at or
    above ``threshold``, per run; "-" for a run that did not get there."""
    cells = []
    for entry in entries:
        step = first_at([tuple(point) for point in entry["curve"]], threshold)  # type: ignore[misc]
        if step is None:
            cells.append("-")
            continue
        cpu = cloning_cpu + entry["cpu_seconds"] * step / total_steps
        cells.append(f"{step / 1000:.0f}k / {cpu:.0f}s")
    return ", ".join(cells)


def report(bench: Bench, ppo_steps: int, target_ppo_steps: int) -> str:
    """OUT/results.md: the tables of docs/demonstrations.md."""
    results = bench.results
    ppo_steps, target_ppo_steps = -(-ppo_steps // (128 * 64)) * 128 * 64, -(-target_ppo_steps // (64 * 32)) * 64 * 32
    for key, value in results.items():  # curves again from the run directories (the last evaluation included)
        if "curve" in value and run_dir_of(bench.out, key).exists():
            rollout = 64 * 32 if key.startswith("target/") else 128 * 64
            value["curve"] = curve(run_dir_of(bench.out, key), rollout)

    def runs(prefix: str) -> list[dict[str, Any]]:
        return [value for key, value in sorted(results.items()) if key.startswith(prefix)]

    sizes = sorted({int(key.split("/")[1]) for key in results if key.startswith("bc/")})
    lines = ["| demonstrations | epochs | held-out agreement | greedy return, 100 held-out games | CPU s |",
             "|---:|---:|---:|---:|---:|"]  # fmt: skip
    for size in sizes:
        bc = runs(f"bc/{size}/")
        lines.append(f"| {size // 1000}k | {bc[0]['epochs']} | {_fmt([r['agreement'] for r in bc], False)} | "
                     f"{_fmt([r['mean'] for r in bc])} | {np.mean([r['cpu_seconds'] for r in bc]):.0f} |")  # fmt: skip
    lines += ["", "| start | PPO steps | greedy return, 100 held-out games | to +5 (steps / CPU s) | to 9.8 (steps / "
              "CPU s) |", "|---|---:|---:|---|---|"]  # fmt: skip
    arms = [(f"clone of {size // 1000}k", runs(f"bcppo/{size}/"), runs(f"bc/{size}/")) for size in sizes]
    for name, entries, clones in [("scratch", runs("ppo/"), []), *arms]:
        if not entries:
            continue
        cloning = float(np.mean([c["cloning_cpu_seconds"] for c in clones])) if clones else 0.0
        reached = [_to(entries, threshold, ppo_steps, cloning) for threshold in (5.0, CHASE_SCRIPTED)]
        lines.append(f"| {name} | {ppo_steps:,} | {_fmt([e['mean'] for e in entries])} | {reached[0]} | "
                     f"{reached[1]} |")  # fmt: skip
    target = [(arm, runs(f"target/{arm}/")) for arm in ("ppo", "bcppo")]
    if any(entries for _, entries in target):
        demos = results.get("target/demos", {})
        lines += ["", f"Target, stand-in person: {demos.get('steps', 0):,} steps, {demos.get('episodes', 0)} episodes.",
                  "", "| start | PPO steps | greedy return, 100 held-out games | to 100 (steps / CPU s) |",
                  "|---|---:|---:|---|"]  # fmt: skip
        for arm, entries in target:
            if entries:
                name = "scratch" if arm == "ppo" else "clone of the stand-in"
                lines.append(f"| {name} | {target_ppo_steps:,} | {_fmt([e['mean'] for e in entries])} | "
                             f"{_to(entries, TARGET_SOLVED, target_ppo_steps, 0.0)} |")  # fmt: skip
    text = "\n".join(lines) + "\n"
    (bench.out / "results.md").write_text(text)
    return text


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("runs/cloning"))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 200_000])
    parser.add_argument("--ppo-steps", type=int, default=150_000)
    # Seeds of cloning then PPO for each demonstration size (the other seeds: cloning alone).
    parser.add_argument("--ppo-seeds-per-size", type=int, nargs="+", default=[1, 3, 1])
    parser.add_argument("--target-steps", type=int, default=2_000)
    parser.add_argument("--target-ppo-steps", type=int, default=30_000)
    parser.add_argument("--target-seeds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--skip-target", action="store_true")
    parser.add_argument("--report-only", action="store_true", help="write results.md from results.json and stop")
    args = parser.parse_args(argv)
    bench = Bench(args.out, args.threads)
    if args.report_only:
        print(report(bench, args.ppo_steps, args.target_ppo_steps))
        return
    run_chase(bench, args.sizes, args.seeds, args.ppo_steps, dict(zip(args.sizes, args.ppo_seeds_per_size)))
    if not args.skip_target:
        run_target(bench, args.target_steps, args.target_seeds, args.target_ppo_steps)
    print(report(bench, args.ppo_steps, args.target_ppo_steps))
    print(f"results: {bench.file}, {bench.out / 'results.md'}")


if __name__ == "__main__":
    main()
