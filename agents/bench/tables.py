"""Runs the benchmarks chosen on the command line and prints (and optionally writes) Markdown tables."""

from __future__ import annotations

import datetime
from typing import Any

from pixelarena.agents.bench.measure import (
    bench_env_speed,
    bench_view_speed,
    expert_policy,
    policy_scores,
    ppo_steps_per_second,
    random_policy,
)
from pixelarena.agents.reporting.machine import machine_description
from pixelarena.agents.reporting.markdown import table


def _table(header: list[str], rows: list[list[str]]) -> str:
    return table(header, rows, right=range(len(header)))


def env_speed_table(seconds: float) -> str:
    from pixelarena import envs

    rows = []
    for r in bench_env_speed(sorted(envs.GAMES), seconds=seconds):
        sync = "" if r.sync_sps is None else f"{r.sync_sps:,.0f}"
        speedup = "" if r.speedup is None else f"{r.speedup:,.0f}x"
        rows.append([r.game, str(r.num_envs), f"{r.batched_sps:,.0f}", sync, speedup])
    return _table(["game", "N", "batched steps/s", "SyncVectorEnv steps/s", "speed-up"], rows)


def view_speed_table(seconds: float) -> str:
    rows, base = [], 0.0
    for game, obs, view, speed in bench_view_speed(seconds=seconds):
        base = speed if view == "map" else base
        rows.append([game, obs, view, f"{speed:,.0f}", f"{speed / base:.0%}"])
    return _table(["game", "obs", "view", "steps/s", "of the map's frame"], rows)


def scores_table() -> str:
    from pixelarena import envs

    rows = []
    for name in sorted(envs.GAMES):
        random_mean, random_std = policy_scores(name, random_policy)
        expert_mean, expert_std = policy_scores(name, expert_policy)
        rows.append([name, f"{random_mean:+.2f} ± {random_std:.2f}", f"{expert_mean:+.2f} ± {expert_std:.2f}"])
    return _table(["game", "random policy", "scripted policy"], rows)


def nets_table(device: str) -> str:
    from pixelarena.nets.throughput import bench_encoders

    rows = bench_encoders(device=device)
    header = list(rows[0])
    return _table(header, [[f"{row[c]:,}" if isinstance(row[c], int) else str(row[c]) for c in header] for row in rows])


def ppo_table(threads: tuple[int, ...]) -> str:
    import torch

    rows = []
    for n in threads:
        torch.set_num_threads(n)
        for encoder in ("cnn", "mlp"):
            rows.append([encoder, str(n), f"{ppo_steps_per_second(encoder=encoder):,.0f}"])
    return _table(["encoder", "torch threads", "PPO env steps/s"], rows)


STEM_CASES = (
    ("rgb", 1, {}), ("mlp", 1, {}), ("palette", 1, {}), ("lookup", 1, {}), ("foreground", 1, {}),
    ("rgb", 3, {}), ("lookup", 3, {}), ("foreground", 3, {}), ("rgb", 3, {"cell_px": 1}),
)  # fmt: skip
"""(colour stem, cell_px of the frames, encoder arguments over the env's) measured by ``bench --stems``."""


def stems_table() -> str:
    """PPO env steps/s of the cnn on Chase pixels with each stem, and the ratio to raw RGB at cell_px=1."""
    rows, base = [], None
    for stem, cell_px, extra in STEM_CASES:
        sps = ppo_steps_per_second(map_size=12, cell_px=cell_px, encoder_kwargs={"stem": stem, **extra})
        base = base or sps
        cell_stem = "no (stride-1 convolutions on the frame)" if extra else "yes" if cell_px > 1 else "-"
        rows.append([stem, str(cell_px), cell_stem, f"{sps:,.0f}", f"{sps / base:.2f}"])
    return _table(["colour stem", "cell_px", "cell stem", "PPO env steps/s", "vs rgb at cell_px=1"], rows)


def baseline_table(threads: int, seconds: float, ours_minutes: float, reference_minutes: float,
                   preset: str = "chase-cnn", zoo_minutes: float = 0.0) -> str:  # fmt: skip
    """A pixelarena preset vs the rl-zoo3 way on Chase (SB3's defaults) and, with ``zoo_minutes``, the real rl-zoo3
    (its train entry point, its Atari PPO hyperparameters): PPO env steps/s, and training time to solved (each
    side only when its cap is above 0)."""
    from pixelarena.agents.bench import baseline, zoo

    config, ours = baseline.pixelarena_model(threads, preset=preset)
    reference = baseline.reference_model(threads)
    ours_sps = baseline.steps_per_second(ours, seconds)
    reference_sps = baseline.steps_per_second(reference, seconds)
    runs: list[Any] = [None, None, None]
    if ours_minutes > 0:
        print(f"time to solved, pixelarena ({preset}):")
        config, ours = baseline.pixelarena_model(threads, preset=preset)
        runs[0] = baseline.time_to_solved_ours(config, ours, ours_minutes * 60)
    if reference_minutes > 0:
        print("time to solved, rl-zoo3 way (SB3 defaults):")
        reference = baseline.reference_model(threads)
        runs[1] = baseline.time_to_solved(
            reference, lambda: baseline.greedy_score_reference(reference), reference_minutes * 60, every=16_384
        )
    if zoo_minutes > 0:
        print(f"time to solved, rl-zoo3 {zoo.zoo_version()} (python -m rl_zoo3.train, Atari PPO hyperparameters):")
        runs[2] = zoo.time_to_solved_zoo(zoo_minutes * 60, threads)
    # The real rl-zoo3 runs in its own process: its speed is that of its run to solved (evaluations excluded).
    zoo_sps = runs[2].steps / runs[2].seconds if runs[2] and runs[2].seconds else None
    rows = [["env steps/s, end to end", f"{ours_sps:,.0f}", f"{reference_sps:,.0f}",
             f"{zoo_sps:,.0f} (its run below)" if zoo_sps else "-", f"{ours_sps / reference_sps:.1f}x",
             f"{ours_sps / zoo_sps:.1f}x" if zoo_sps else "-"]]  # fmt: skip
    if any(runs):
        caps = (ours_minutes, reference_minutes, zoo_minutes)
        cells = [_solved_cell(run, minutes) for run, minutes in zip(runs, caps)]
        ratios = [f"{other.seconds / runs[0].seconds:.1f}x" if runs[0] and runs[0].solved and other and other.solved
                  else "-" for other in runs[1:]]  # fmt: skip
        rows.append([f"training time to greedy >= {_solved_score():+.1f} (solved)", *cells, *ratios])
    zoo_name = f"rl-zoo3 {zoo.zoo_version() or '(not installed)'} (its train, Atari PPO hyperparameters)"
    header = ["Chase", f"pixelarena {preset}", "rl-zoo3 way (CnnPolicy, SB3 defaults)", zoo_name,
              "ours vs SB3 defaults", "ours vs rl-zoo3"]  # fmt: skip
    return _table(header, rows)


def presets_table(threads: int, seconds: float) -> str:
    """End-to-end PPO env steps/s of the quickstart and each game's default preset, and its step target's time."""
    from pixelarena.agents.bench import baseline
    from pixelarena.agents.run.presets import DEFAULT_ENCODER, preset_name

    rows = []
    for name in ("quickstart", *(preset_name(game, encoder) for game, encoder in DEFAULT_ENCODER.items())):
        config, model = baseline.pixelarena_model(threads, preset=name)
        config = config.rounded()  # the step target a run trains to: whole rollouts
        sps = baseline.steps_per_second(model, seconds)
        minutes, rest = divmod(round(config.steps / sps), 60)
        rows.append([name, config.env, f"{config.encoder}, {config.obs}", f"{config.steps:,}", f"{sps:,.0f}",
                     f"{minutes}m{rest:02d}s"])  # fmt: skip
        print(f"  {name}: {sps:,.0f} env steps/s", flush=True)
    return _table(["preset", "game", "encoder, obs", "steps", "PPO env steps/s", "training time (predicted)"], rows)


def device_table(device: str, seconds: float, env_counts: tuple[int, ...] = (256, 1024, 4096)) -> str:
    """End-to-end PPO env steps/s of the default pipeline on ``device`` at several env counts."""
    from pixelarena.agents.bench.measure import device_ppo_steps_per_second

    rows = []
    for n_envs in env_counts:
        run = device_ppo_steps_per_second(n_envs, device, seconds)
        utilisation = "-" if run.gpu_utilisation is None else f"{run.gpu_utilisation:.0f}%"
        rows.append([str(n_envs), f"{run.steps_per_second:,.0f}", f"{run.rollout_share:.0%}", utilisation, run.buffer])
        print(f"  {n_envs} envs: {run.steps_per_second:,.0f} env steps/s", flush=True)
    return _table(["envs", "PPO env steps/s", "time in rollouts", "GPU utilisation", "rollout buffer"], rows)


def _solved_score() -> float:
    from pixelarena import envs

    return envs.GAMES["Chase"].SOLVED_SCORE


def _solved_cell(run: Any, minutes: float) -> str:
    if run is None:
        return "not run (cap 0)"
    if run.solved:
        return f"{run.seconds:.0f} s ({run.steps:,} steps)"
    return f"not in {minutes:g} min: best greedy {run.best:+.2f} by {run.steps:,} steps"


def run_benchmarks(args: Any) -> None:
    """Print the chosen tables; with ``args.markdown`` also write them to that file."""
    chosen = [k for k in ("envs", "views", "scores", "nets", "ppo", "stems", "presets", "baseline", "device_ppo")
              if getattr(args, k)]  # fmt: skip
    sections = [
        "# Performance\n\nWritten by `pixelarena bench "
        + " ".join(f"--{k.replace('_', '-')}" for k in chosen)
        + f" --markdown ...`. Measured {datetime.date.today()} on {machine_description()}; timings on a shared "
        "machine are noisy, so compare rows measured in the same run."
    ]
    if args.envs:
        sections.append(
            "## Env steps per second (16x16, cell_px=1, pixels obs, random actions)\n\n" + env_speed_table(args.seconds)
        )
    if args.views:
        sections.append(
            "## Views: env steps per second (1,024 games, 12x12, cell_px=1, random actions)\n\n"
            + view_speed_table(args.seconds)
        )
    if args.scores:
        sections.append("## Reference scores (mean ± std of 1,000 episodes, default settings)\n\n" + scores_table())
    if args.nets:
        import torch

        torch.set_num_threads(args.threads)
        title = f"## Encoders: forward+backward samples/s, batch 256 ({args.device}, {args.threads} torch threads)"
        sections.append(title + "\n\n" + nets_table(args.device))
    if args.ppo:
        title = "## PPO end to end: Chase 16x16 pixels, 64 envs, n_steps 128, batch 256, 4 epochs, default widths"
        sections.append(title + "\n\n" + ppo_table((1, 2)))
    if args.stems:
        import torch

        torch.set_num_threads(args.threads)
        title = (f"## Stems: PPO end to end, cnn on Chase 12x12 pixels, 64 envs, n_steps 128, batch 256, 4 epochs "
                 f"({args.threads} torch threads)")  # fmt: skip
        sections.append(title + "\n\n" + stems_table())
    if args.presets:
        title = f"## The default presets: PPO end to end ({args.threads} torch threads, {args.seconds:g} s each)"
        sections.append(title + "\n\n" + presets_table(args.threads, args.seconds))
    if args.device_ppo:
        title = (f"## PPO end to end on {args.device}: cnn on Chase 16x16 pixels, n_steps 32, 4 minibatches, 4 epochs "
                 f"({args.seconds:g} s per row)")  # fmt: skip
        from pixelarena.agents.run.model import pick_device

        sections.append(title + "\n\n" + device_table(pick_device(args.device), args.seconds))
    if args.baseline:
        caps = (f"{args.baseline_minutes:g} min for the SB3-defaults reference, {args.zoo_minutes:g} for rl-zoo3, "
                f"{args.ours_minutes:g} for ours")  # fmt: skip
        title = f"## Baseline: pixelarena vs the rl-zoo3 way on Chase ({args.threads} torch threads; caps {caps})"
        table = baseline_table(args.threads, max(args.seconds, 20.0), args.ours_minutes, args.baseline_minutes,
                               args.baseline_preset, args.zoo_minutes)  # fmt: skip
        sections.append(title + "\n\n" + table)
    text = "\n\n".join(sections) + "\n"
    print(text)
    if args.markdown is not None:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(text)
        print(f"Written to {args.markdown}")
