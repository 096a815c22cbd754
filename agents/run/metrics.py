"""The run's metrics file (JSONL, one row per PPO iteration) fed from stable-baselines3's logger.

Rows hold ``step``, ``wall_time`` (seconds of training, continued across resumes) and CleanRL-style names:
``charts/episode_return``, ``charts/episode_length``, ``charts/sps``, ``charts/learning_rate`` and
``losses/*``. Reports and plots are rebuilt from this file alone.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stable_baselines3.common.logger import KVWriter

# stable-baselines3 logger key -> metrics name.
RENAMES = {
    "rollout/ep_rew_mean": "charts/episode_return",
    "rollout/ep_len_mean": "charts/episode_length",
    "time/fps": "charts/sps",
    "train/learning_rate": "charts/learning_rate",
    "train/value_loss": "losses/value_loss",
    "train/policy_gradient_loss": "losses/policy_loss",
    "train/entropy_loss": "losses/entropy",
    "train/approx_kl": "losses/approx_kl",
    "train/clip_fraction": "losses/clip_fraction",
    "train/explained_variance": "losses/explained_variance",
    "train/loss": "losses/loss",
}


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """All complete rows of a metrics file (a line cut short by a kill is skipped)."""
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows


class MetricsWriter(KVWriter):
    """An SB3 logger output that appends each dump as one JSONL row (and hands it to ``on_row``)."""

    def __init__(self, path: Path, wall_time_offset: float = 0.0, on_row: Callable[[dict], None] | None = None):
        self.path = path
        self.offset = wall_time_offset
        self.start = time.perf_counter()
        self.on_row = on_row
        self._file = open(path, "a")  # noqa: SIM115 - kept open for the run, closed by close()

    def write(self, key_values: dict[str, Any], key_excluded: dict[str, Any], step: int = 0) -> None:
        row: dict[str, Any] = {"step": int(step), "wall_time": round(self.offset + time.perf_counter() - self.start, 3)}
        for key, value in key_values.items():
            if key in RENAMES and isinstance(value, int | float):
                row[RENAMES[key]] = float(value)
        self._file.write(json.dumps(row) + "\n")
        self._file.flush()
        if self.on_row is not None:
            self.on_row(row)

    def close(self) -> None:
        self._file.close()
