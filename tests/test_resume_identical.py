"""A run interrupted at a rollout boundary and resumed is the run it would have been, bit for bit (CPU, one
thread): the same metrics rows (apart from times) and the same final weights. Interruptions tried: a step target
reached then raised (the end-of-training checkpoint), SIGINT and SIGTERM mid-rollout (the checkpoint of the last
boundary), and kill -9 after a periodic checkpoint."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file

from tests.stopping import signal_at_checkpoint

ENV = {**os.environ, "WANDB_MODE": "disabled", "TQDM_DISABLE": "1", "SDL_VIDEODRIVER": "dummy"}
TIMES = ("wall_time", "charts/sps")
STEPS = 1536
# Small and quick, with the best-policy evaluator in play and a checkpoint at every rollout boundary.
SMALL = ["--n-envs", "8", "--n-steps", "32", "--batch-size", "64", "--eval-every", "512", "--eval-episodes", "4",
         "--checkpoint-every", "256", "--threads", "1", "--seed", "3"]  # fmt: skip


def train(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pixelarena", "train", *args], capture_output=True, text=True, env=ENV,
                          timeout=600)  # fmt: skip


def rows(run: Path) -> list[dict]:
    lines = (run / "metrics.jsonl").read_text().splitlines()
    return [{k: v for k, v in json.loads(line).items() if k not in TIMES} for line in lines]


def assert_same_run(run: Path, reference: Path) -> None:
    assert rows(run) == rows(reference)
    for name in ("checkpoints/latest.safetensors", "model.safetensors"):
        ours, theirs = load_file(str(run / name)), load_file(str(reference / name))
        policy = sorted(k for k in theirs if k.startswith("policy."))
        assert policy and policy == sorted(k for k in ours if k.startswith("policy."))
        assert all(np.array_equal(ours[k], theirs[k]) for k in policy), name
    assert json.loads((run / "eval.json").read_text()) == json.loads((reference / "eval.json").read_text())


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Uninterrupted runs, one per setting tried."""
    root = tmp_path_factory.mktemp("reference")
    runs = {}
    for name, args in SETTINGS.items():
        result = train(*args, *SMALL, "--steps", str(STEPS), "--run-dir", str(root / name))
        assert result.returncode == 0, result.stderr
        runs[name] = root / name
    return runs


# fmt: off
SETTINGS = {
    # Pixels under SB3's image transpose, a constant learning rate (so that a raised step target changes nothing).
    "chase-pixels": ["--env", "Chase", "--encoder", "cnn", "--obs", "pixels", "--lr-schedule", "constant"],
    # MaskablePPO with a per-cell head, and a frame stack whose stacked frames are state too.
    "swarm-stacked": ["--env", "Swarm", "--encoder", "unet", "--obs", "grid", "--frame-stack", "2", "--env-kwargs",
                      "size=6", "n_units=2", "--lr-schedule", "constant"],
}
# fmt: on


@pytest.mark.parametrize("name", list(SETTINGS))
def test_a_step_target_reached_then_raised_gives_the_same_run(name: str, reference: dict, tmp_path: Path) -> None:
    run = tmp_path / "run"
    assert train(*SETTINGS[name], *SMALL, "--steps", "768", "--run-dir", str(run)).returncode == 0
    resumed = train("--resume", str(run), "--steps", str(STEPS))
    assert resumed.returncode == 0, resumed.stderr
    assert_same_run(run, reference[name])


@pytest.mark.parametrize(
    ("how", "after"),
    # SIGINT takes SIGTERM's path (StopOnSignal handles both): slow, where the default run has SIGTERM and SIGKILL.
    [pytest.param("SIGINT", 512, marks=pytest.mark.slow), ("SIGTERM", 1024), ("SIGKILL", 768)],
)
def test_a_run_stopped_mid_rollout_resumes_to_the_same_run(how: str, after: int, reference: dict,
                                                           tmp_path: Path) -> None:  # fmt: skip
    run = tmp_path / "run"
    args = [sys.executable, "-m", "pixelarena", "train", *SETTINGS["chase-pixels"], *SMALL, "--steps", str(STEPS),
            "--run-dir", str(run)]  # fmt: skip
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    signal_at_checkpoint(run, process, after, getattr(signal, how))
    _, err = process.communicate(timeout=300)
    assert process.returncode == (-signal.SIGKILL if how == "SIGKILL" else 130), err
    assert not (run / "eval.json").exists()
    resumed = train("--resume", str(run))
    assert resumed.returncode == 0, resumed.stderr
    assert_same_run(run, reference["chase-pixels"])
