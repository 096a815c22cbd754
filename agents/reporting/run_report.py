"""`pixelarena report RUN` on one run directory: its curves (curves.png) from its metrics.jsonl, with the game's
random and scripted scores as reference lines."""

from __future__ import annotations

from pathlib import Path

from pixelarena.agents.reporting.plots import plot_run
from pixelarena.agents.reporting.references import reference_scores
from pixelarena.agents.run.run_dir import RunDir


def write_run_report(run: RunDir) -> Path:
    """Draw the run's curves into its directory; returns the plot's path.

    Raises:
        ValueError: One line when the run has no metrics yet.
    """
    rows = run.read_metrics()
    if not rows:
        raise ValueError(f"{run} has no metrics yet ({RunDir.METRICS} is empty): its curves start after the first "
                         "PPO update")  # fmt: skip
    return plot_run(rows, run.curves_file, run.name, reference_scores([run.read_config()]))
