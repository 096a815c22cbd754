"""Stress (slow): a training killed with SIGKILL at many moments of its life and resumed each time, a comparison
whose driver is killed mid-grid and re-run, and the soak of every batched game. Run with ``pytest -m slow -s`` to
see the figures (docs/reliability.md records them)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch

from pixelarena.agents.run.checkpoint import load_checkpoint
from pixelarena.agents.run.metrics import read_metrics
from tests.soak import soak

pytestmark = pytest.mark.slow

# A constant learning rate: a step target raised mid-way then changes nothing, and the run can be compared with an
# uninterrupted one of its final target.
TINY = ["--n-envs", "8", "--n-steps", "32", "--batch-size", "128", "--n-epochs", "1", "--threads", "1",
        "--lr-schedule", "constant"]  # fmt: skip
ENV = {**os.environ, "WANDB_MODE": "disabled", "TQDM_DISABLE": "1", "SDL_VIDEODRIVER": "dummy"}
KILLS = 24


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pixelarena", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=ENV)  # fmt: skip


def check_intact(run: Path) -> None:
    """What must hold after any kill: a readable config, a loadable checkpoint if there is one, metrics rows with
    every step once and in order."""
    json.loads((run / "config.json").read_text())
    checkpoint = run / "checkpoints" / "latest.safetensors"
    if checkpoint.exists():
        load_checkpoint(checkpoint)
    steps = [row["step"] for row in read_metrics(run / "metrics.jsonl")]
    assert steps == sorted(set(steps)), f"metrics steps repeat or go back: {steps}"


def phase(out: str, run: Path, model_before: bool) -> str:
    if "Run directory" not in out:
        return "start-up"
    if "Evaluation over" in out:
        return "after the evaluation"
    if (run / "model.safetensors").exists() and not model_before:
        return "final evaluation"
    return "training (rollout, update or checkpoint)"


def wait_for_moment(kind: int, run: Path, process: subprocess.Popen, delay: float, timeout: float) -> str | None:
    """Wait for the moment to kill at: 0 a random delay; 1 a checkpoint being written (its temporary file is
    there); 2 the final evaluation (the final weights just appeared). Returns the moment's name when it was seen."""
    if kind == 0:
        time.sleep(delay)
        return None
    checkpoint_tmp = run / "checkpoints" / ".latest.safetensors.tmp"
    model = run / "model.safetensors"
    had_model = model.exists()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if kind == 1 and checkpoint_tmp.exists():
            return "while a checkpoint is written"
        if kind == 2 and model.exists() and not had_model:
            return "final evaluation"
        time.sleep(0.002)
    return None


def test_training_killed_at_any_moment_reaches_its_exact_target(tmp_path: Path) -> None:
    run, target = tmp_path / "run", 4096
    first = ["train", "--run-dir", str(run), "--steps", str(target), "--env-kwargs", "size=8", "--checkpoint-every",
             "256", "--eval-episodes", "4096", *TINY]  # fmt: skip
    began = time.perf_counter()
    reference = subprocess.run([sys.executable, "-m", "pixelarena", *first[:2], str(tmp_path / "ref"), *first[3:]],
                               capture_output=True, text=True, env=ENV, timeout=600)  # fmt: skip
    assert reference.returncode == 0, reference.stderr
    lifetime = time.perf_counter() - began
    rng = np.random.default_rng(0)
    phases: Counter[str] = Counter()
    recovered = 0
    for kill in range(KILLS):
        if kill and (run / "eval.json").exists():
            target += 2048  # finished before the kills were spent: extend it, and keep killing
            args = ["train", "--resume", str(run), "--steps", str(target)]
        else:
            args = first if kill == 0 else ["train", "--resume", str(run)]
        model_before = (run / "model.safetensors").exists()
        process = start(*args)
        moment = wait_for_moment(kill % 3, run, process, float(rng.uniform(0.3, lifetime * 1.1)), lifetime * 2)
        process.send_signal(signal.SIGKILL)
        out, err = process.communicate()
        if process.returncode != -signal.SIGKILL:
            moment = "after it exited"
        phases[moment or phase(out, run, model_before)] += 1
        assert process.returncode in (-signal.SIGKILL, 0), err
        check_intact(run)
        recovered += 1
    final = subprocess.run([sys.executable, "-m", "pixelarena", "train", "--resume", str(run)], capture_output=True,
                           text=True, env=ENV, timeout=600)  # fmt: skip
    assert final.returncode == 0, final.stderr
    config = json.loads((run / "config.json").read_text())
    assert load_checkpoint(run / "model.safetensors").step == config["steps"] == target
    assert load_checkpoint(run / "checkpoints" / "latest.safetensors").step == target
    steps = [row["step"] for row in read_metrics(run / "metrics.jsonl")]
    assert steps == sorted(set(steps)) and steps[-1] == target
    assert (run / "eval.json").exists()
    # Bit-identical resume: the same rows (apart from times) and final weights as one uninterrupted life.
    same = tmp_path / "uninterrupted"
    again = subprocess.run([sys.executable, "-m", "pixelarena", *first[:2], str(same), "--steps", str(target),
                            *first[5:]],
                           capture_output=True, text=True, env=ENV, timeout=600)  # fmt: skip
    assert again.returncode == 0, again.stderr
    times = ("wall_time", "charts/sps")
    assert [{k: v for k, v in row.items() if k not in times} for row in read_metrics(run / "metrics.jsonl")] == [
        {k: v for k, v in row.items() if k not in times} for row in read_metrics(same / "metrics.jsonl")
    ]
    for name in ("checkpoints/latest.safetensors", "model.safetensors"):
        ours, theirs = load_checkpoint(run / name).policy, load_checkpoint(same / name).policy
        assert ours.keys() == theirs.keys() and all(torch.equal(ours[k], theirs[k]) for k in ours), name
    print(f"\nkill stress: {recovered}/{KILLS} kills recovered, each resumed to its exact target ({target:,} steps) "
          "and to the uninterrupted run's metrics and weights, bit for bit; "
          f"moments: {dict(phases)}; one uninterrupted life {lifetime:.1f} s")  # fmt: skip
    assert len([p for p in phases if p not in ("after it exited",)]) >= 3, phases


def training_children(root: Path) -> list[int]:
    """Processes still training a run of ``root`` (their command line names it)."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if str(root) in cmdline and "--resume" in cmdline:
                found.append(int(proc.name))
    return found


def test_comparison_killed_mid_grid_resumes_and_redoes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "grid"
    args = ["compare", "--env", "Chase", "--encoders", "mlp:vector,cnn:grid", "--seeds", "2", "--steps", "2048",
            "--jobs", "2", "--run-dir", str(root), "--env-kwargs", "size=8", "--checkpoint-every", "256",
            "--eval-episodes", "8", *TINY]  # fmt: skip
    rng = np.random.default_rng(1)
    kills = 0
    for _ in range(6):
        process = start(*args)
        time.sleep(float(rng.uniform(3, 15)))
        if process.poll() is not None:
            break
        process.send_signal(signal.SIGKILL)
        process.communicate()
        kills += 1
        deadline = time.monotonic() + 60
        while training_children(root) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not training_children(root), "a killed comparison left a training running on its own"
        for run in root.glob("Chase__*"):
            check_intact(run)
    done = subprocess.run([sys.executable, "-m", "pixelarena", *args], capture_output=True, text=True, env=ENV,
                          timeout=900)  # fmt: skip
    assert done.returncode == 0, done.stderr
    runs = sorted(root.glob("Chase__*"))
    assert len(runs) == 4
    for run in runs:
        assert load_checkpoint(run / "model.safetensors").step == 2048
        steps = [row["step"] for row in read_metrics(run / "metrics.jsonl")]
        assert steps == sorted(set(steps)) and steps[-1] == 2048
    before = {run.name: (run / "eval.json").stat().st_mtime for run in runs}
    again = subprocess.run([sys.executable, "-m", "pixelarena", *args], capture_output=True, text=True, env=ENV,
                           timeout=300)  # fmt: skip
    assert again.returncode == 0 and "4 finished (skipped)" in again.stdout, again.stderr
    assert {run.name: (run / "eval.json").stat().st_mtime for run in runs} == before
    print(
        f"\ncompare kill stress: driver killed {kills} times mid-grid, no training left running, 4/4 runs at "
        "exactly 2,048 steps, a re-run redid nothing"
    )


def test_soak_of_every_batched_game() -> None:
    result = soak(2_000_000)
    assert result.steps >= 1_900_000
    assert result.rss_end_mib - result.rss_start_mib < 64, result
    print(f"\nsoak: {result.steps:,} steps in {result.seconds:.0f} s, RSS {result.rss_start_mib:.0f} -> "
          f"{result.rss_end_mib:.0f} MiB")  # fmt: skip
