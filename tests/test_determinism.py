"""Training is deterministic: the same command with one torch thread, run twice in fresh processes, gives the same
evaluation, the same metrics (apart from clock readings) and the same weights, bit for bit."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from pixelarena.agents.run.checkpoint import load_checkpoint
from pixelarena.agents.run.metrics import read_metrics
from tests.test_faults import TINY, pixelarena

CLOCK = ("wall_time", "charts/sps")  # what a second run may read differently from the clock


def train_once(run: Path) -> None:
    result = pixelarena("train", "--run-dir", str(run), "--steps", "768", "--env-kwargs", "size=8", "--threads", "1",
                        "--seed", "3", *TINY)  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_two_one_thread_runs_are_identical(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    train_once(first)
    train_once(second)
    assert (first / "eval.json").read_bytes() == (second / "eval.json").read_bytes()
    rows = [[{k: v for k, v in row.items() if k not in CLOCK} for row in read_metrics(run / "metrics.jsonl")]
            for run in (first, second)]  # fmt: skip
    assert len(rows[0]) == 3 and rows[0] == rows[1]
    for name in ("model.safetensors", "checkpoints/latest.safetensors"):
        ours, theirs = load_checkpoint(first / name), load_checkpoint(second / name)
        assert ours.policy.keys() == theirs.policy.keys()
        assert all(torch.equal(ours.policy[k], theirs.policy[k]) for k in ours.policy), name
    returns = json.loads((first / "eval.json").read_text())["returns"]
    assert len(returns) == 2, "the evaluation ran (its games are seeded from the run's seed)"
