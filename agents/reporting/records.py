"""The runs of a comparison folder, read back typed from their run directories and grouped by encoder spec;
the numbers every table and plot is made of (IQM with its CI, mean learning curves)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pixelarena.agents.reporting.stats import bootstrap_ci, bootstrap_ci_of_mean_curve, iqm
from pixelarena.agents.run.config import RunConfig
from pixelarena.agents.run.naming import spec_label
from pixelarena.agents.run.results import EvalResult, RunFacts, TransferEntry
from pixelarena.agents.run.run_dir import RunDir

RETURN = "charts/episode_return"
CURVE_POINTS = 200
# Group order in tables and plots: the vector baseline first, then by encoder as nets.ENCODERS lists them.
OBS_ORDER = ("vector", "pixels", "grid", "native")


@dataclass
class RunRecord:
    """What one run directory holds."""

    run_dir: Path
    config: RunConfig
    facts: RunFacts | None
    metrics: list[dict[str, Any]]
    result: EvalResult | None  # eval.json; None until the run finished
    transfer: dict[str, TransferEntry]

    @property
    def label(self) -> str:
        return spec_label(self.config)

    @property
    def sps(self) -> float | None:
        """Env steps per second of training over the whole run (wall time continues across resumes)."""
        last = self.metrics[-1] if self.metrics else None
        return last["step"] / last["wall_time"] if last and last["wall_time"] > 0 else None


@dataclass
class Group:
    """The runs of one encoder spec (its seeds)."""

    label: str
    runs: list[RunRecord]

    @property
    def finished(self) -> list[RunRecord]:
        return [run for run in self.runs if run.result is not None]

    @property
    def scores(self) -> list[float]:
        return [run.result.mean for run in self.finished if run.result is not None]


def load_run(run_dir: Path) -> RunRecord:
    run = RunDir(run_dir)
    return RunRecord(run_dir=run.path, config=run.read_config(), facts=run.read_facts(), metrics=run.read_metrics(),
                     result=run.read_eval(), transfer=run.read_transfer())  # fmt: skip


def run_dirs(folder: Path) -> list[Path]:
    return [run.path for run in RunDir.in_folder(folder)]


def group_runs(runs: list[RunRecord]) -> list[Group]:
    from pixelarena.nets import ENCODERS

    groups: dict[str, Group] = {}
    for run in sorted(runs, key=lambda r: r.config.seed):
        groups.setdefault(run.label, Group(run.label, [])).runs.append(run)

    def order(group: Group) -> tuple[int, int, str]:
        config = group.runs[0].config
        encoder = list(ENCODERS).index(config.encoder) if config.encoder in ENCODERS else len(ENCODERS)
        obs = config.obs or "native"
        return encoder, OBS_ORDER.index(obs) if obs in OBS_ORDER else len(OBS_ORDER), group.label

    return sorted(groups.values(), key=order)


def iqm_with_ci(values: list[float]) -> tuple[float, float, float]:
    """IQM over seeds and its 95% percentile bootstrap CI (resampling seeds)."""
    low, high = bootstrap_ci(values, statistic=iqm)
    return iqm(values), low, high


def mean_curve(runs: list[RunRecord], x_key: str) -> tuple[np.ndarray, ...] | None:
    """Each run's training return interpolated onto one grid of ``x_key`` (step or wall_time): the grid, the mean
    over runs and its 95% bootstrap band. The grid spans what every run covers, so a curve ends with its
    shortest run. None when no run has two points yet."""
    series = []
    for run in runs:
        rows = [row for row in run.metrics if RETURN in row]
        if len(rows) >= 2:
            series.append((np.array([row[x_key] for row in rows]), np.array([row[RETURN] for row in rows])))
    if not series:
        return None
    start, end = max(x[0] for x, _ in series), min(x[-1] for x, _ in series)
    if end <= start:
        return None
    grid = np.linspace(start, end, CURVE_POINTS)
    curves = np.stack([np.interp(grid, x, y) for x, y in series])
    low, high = bootstrap_ci_of_mean_curve(curves)
    return grid, curves.mean(axis=0), low, high
