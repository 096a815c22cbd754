"""The run's metrics file (JSONL, one row per PPO iteration) fed from stable-baselines3's logger.

Rows hold ``step``, ``wall_time`` (seconds of training, continued across resumes), CleanRL-style names for what
CleanRL logs (``charts/episode_return``, ``charts/episode_length``, ``charts/sps``, ``charts/learning_rate``,
``charts/greedy_return`` with ``--eval-every``, ``losses/*``), and every other number stable-baselines3 logs under
its own name (``train/clip_range``, ``train/n_updates``, ...) but for SB3's own clock and counters of one ``learn()``
call (:data:`DROPPED`). The same rows go to W&B and TensorBoard. Reports and plots are rebuilt from this file alone.
"""

from __future__ import annotations

import json
import math
import numbers
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stable_baselines3.common.logger import KVWriter

# stable-baselines3 logger key -> metrics name (CleanRL's names, with CleanRL's meaning and sign).
RENAMES = {
    "rollout/ep_rew_mean": "charts/episode_return",
    "rollout/ep_len_mean": "charts/episode_length",
    "time/fps": "charts/sps",
    "train/learning_rate": "charts/learning_rate",
    "train/value_loss": "losses/value_loss",
    "train/policy_gradient_loss": "losses/policy_loss",
    "train/entropy_loss": "losses/entropy",  # SB3 logs the entropy loss, -entropy: written with its sign flipped
    "train/approx_kl": "losses/approx_kl",
    "train/clip_fraction": "losses/clip_fraction",
    "train/explained_variance": "losses/explained_variance",
    "train/loss": "losses/loss",
    "eval/greedy_return": "charts/greedy_return",  # --eval-every (agents/training/best_policy.py)
}


DROPPED = ("time/iterations", "time/time_elapsed", "time/total_timesteps")
"""SB3 keys not written: ``step`` and ``wall_time`` say the same for the whole run, while these restart at each
``learn()`` call, so a resumed run would count anew where an uninterrupted one goes on (rows must be the same)."""

NEGATED = ("train/entropy_loss",)
"""SB3 keys whose value is the negative of what their metrics name means (the entropy loss is -entropy)."""


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """All complete rows of a metrics file (a last line cut short by a kill is skipped).

    Raises:
        ValueError: One line naming the file and line, for a row that is not what training writes (a whole step,
            finite numbers): a file from elsewhere is data, checked before anything uses it.
    """
    if not path.exists():
        return []
    lines = path.read_text().splitlines()
    rows = []
    for number, line in enumerate(lines, start=1):
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            if number == len(lines):
                continue  # cut short by a kill mid-write
            raise ValueError(f"{path} line {number} is not JSON") from None
        problem = _row_problem(row)
        if problem:
            raise ValueError(f"{path} line {number}: {problem}")
        rows.append(row)
    return rows


def _row_problem(row: Any) -> str | None:
    if not isinstance(row, dict):
        return "a row must be a JSON object"
    step = row.get("step")
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        return f"step {step!r} is not a count of env steps"
    for key, value in row.items():
        if key != "step" and (
            isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value)
        ):
            return f"{key} = {json.dumps(value)[:40]} is not a finite number"
    return None


def metrics_row(key_values: dict[str, Any], step: int, wall_time: float) -> dict[str, Any]:
    """One row of the metrics file from one dump of stable-baselines3's logger: every finite number in it, under
    its CleanRL name where :data:`RENAMES` has one (with the sign of that name's meaning), else under SB3's own."""
    row: dict[str, Any] = {"step": int(step), "wall_time": round(wall_time, 3)}
    for key, value in key_values.items():
        # numpy scalars count (SB3 hands approx_kl as numpy.float32). Non-finite values (SB3's explained
        # variance of constant returns is NaN) are left out: JSON has none. Strings, videos, figures are not rows.
        if key in DROPPED:
            continue
        if isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value):
            name = RENAMES.get(key, key)
            if name not in ("step", "wall_time"):
                row[name] = -float(value) if key in NEGATED else float(value)
    return row


class MetricsWriter(KVWriter):
    """An SB3 logger output that appends each dump as one JSONL row (and hands it to ``on_row``)."""

    def __init__(self, path: Path, wall_time_offset: float = 0.0, on_row: Callable[[dict], None] | None = None):
        self.path = path
        self.offset = wall_time_offset
        self.start = time.perf_counter()
        self.on_row = on_row
        self._file = open(path, "a")  # noqa: SIM115 - kept open for the run, closed by close()

    def write(self, key_values: dict[str, Any], key_excluded: dict[str, Any], step: int = 0) -> None:
        row = metrics_row(key_values, step, self.offset + time.perf_counter() - self.start)
        self._file.write(json.dumps(row) + "\n")
        self._file.flush()
        if self.on_row is not None:
            self.on_row(row)

    def close(self) -> None:
        self._file.close()
