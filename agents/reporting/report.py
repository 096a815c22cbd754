"""`pixelarena report DIR`: report.md and PNG plots of a comparison, from its run directories' files alone.

Every number comes from the files each run writes (config.json, metrics.jsonl, facts.json, eval.json,
transfer.json), so a report can be rebuilt at any time, also while runs are still going or after some failed.
Runs are grouped by encoder and observation; the final score of a run is the mean greedy return of its final
evaluation (eval.json); a group's score is the IQM over its seeds with a 95% bootstrap CI
(see agents/reporting/stats.py).
A folder of comparisons (a suite, ``runs/claim-cpu/``) gets a report per comparison and one that combines them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pixelarena.agents.reporting.records import Group, group_runs, iqm_with_ci, load_run, mean_curve, run_dirs
from pixelarena.agents.reporting.references import reference_scores
from pixelarena.agents.reporting.tables import (
    describe,
    equal_time_table,
    improvement_table,
    score_table,
    settings_table,
    transfer_table,
    unfinished,
)

REPORT_FILE = "report.md"
PLOTS = {"scores": "final_scores.png", "step": "curves_steps.png", "wall_time": "curves_wall.png"}


SCORE_NOTE = (
    "Final score of a run: the mean return of its greedy policy (the best one kept on selection games of its own "
    "when the run had --eval-every, the presets' default; else its last weights) over its final evaluation "
    "(eval.json), which plays other games. Per "
    "encoder: the interquartile mean (IQM) of the seeds' final scores with a 95% percentile bootstrap CI over "
    "seeds (rliable's method: with one game, its stratified bootstrap is a bootstrap over seeds; 2,000 "
    "resamples), the plain mean, and each seed's score in seed order. params: trainable parameters of the whole "
    "policy (facts.json); receptive field: the input pixels one encoder output depends on (global: fully "
    "connected); SPS: env steps per second of training (steps / training wall-clock, mean over seeds); training "
    "time: mean over seeds, without the final evaluation."
)
CURVE_NOTE = (
    "Training return (`charts/episode_return` in metrics.jsonl: the mean return of the last 100 training "
    "episodes, stochastic policy) of every run, interpolated onto a common grid; line: mean over seeds; band: "
    "95% bootstrap CI over seeds. Curves are drawn from finished runs (from the runs so far while none has "
    "finished) and end where the shortest of them ends. Dashed and dotted lines: the mean return of a uniformly "
    "random policy and of the game's scripted policy at its default settings (drawn when every run plays them)."
)
IMPROVEMENT_NOTE = (
    "Probability of improvement over the strongest state-based arm (the vector or entity-row encoder with the "
    "highest IQM; rliable's definition): the chance that a random seed of the encoder ends with a higher final "
    "score than a random seed of that arm (ties count one half), "
    "with a 95% bootstrap CI resampling each side's seeds."
)
EQUAL_TIME_NOTE = (
    "The same comparison at equal training wall-clock instead of equal env steps: every encoder's training return "
    "(stochastic policy, last 100 episodes) when the shortest finished run ended, IQM over seeds with a 95% "
    "bootstrap CI, and the env steps it had taken by then. Seconds depend on the machine (and on what else ran)."
)
TRANSFER_NOTE = (
    "Greedy return on other game settings, one setting changed at a time from the training settings "
    "(transfer.json; same episodes and seeds as the final evaluation): IQM over seeds (95% bootstrap CI)."
)


@dataclass
class ExperimentReport:
    """A comparison's report in parts, so that a suite report can put them together differently."""

    folder: Path
    groups: list[Group]

    def scores(self, prefix: str = "") -> str:
        return f"{score_table(self.groups)}\n\n![final scores]({prefix}{PLOTS['scores']})"

    def curves(self, prefix: str = "") -> str:
        return (f"![learning curves against env steps]({prefix}{PLOTS['step']})\n\n"
                f"![learning curves against wall-clock]({prefix}{PLOTS['wall_time']})")  # fmt: skip

    def transfer(self) -> str | None:
        return transfer_table(self.groups)

    def comparisons(self) -> list[str]:
        """The probability-of-improvement and equal-wall-clock sections, where they apply."""
        parts = []
        improvement, equal_time = improvement_table(self.groups), equal_time_table(self.groups)
        if improvement:
            parts += ["### Probability of improvement", IMPROVEMENT_NOTE, improvement]
        if equal_time:
            parts += ["### At equal wall-clock", EQUAL_TIME_NOTE, equal_time]
        return parts

    def markdown(self) -> str:
        built = "Built by `pixelarena report` from the run directories' files."
        parts = [f"# Comparison: {self.folder.name}", f"{describe(self.groups)} {built}"]
        parts += ["## Final score", SCORE_NOTE, self.scores(), *self.comparisons()]
        parts += ["## Learning curves", CURVE_NOTE, self.curves()]
        transfer = self.transfer()
        if transfer:
            parts += ["## Transfer", TRANSFER_NOTE, transfer]
        parts += ["## Settings", settings_table(self.groups)]
        left = unfinished(self.groups)
        if left:
            parts += ["## Not finished", "Not in the scores above; run the same compare command again to continue.",
                      "\n".join(left)]  # fmt: skip
        return "\n\n".join(parts) + "\n"


def build_report(folder: Path) -> ExperimentReport:
    """Read the runs of a comparison folder and draw its plots."""
    from pixelarena.agents.reporting import plots

    groups = group_runs([load_run(run_dir) for run_dir in run_dirs(folder)])
    labels = [group.label for group in groups]
    references = reference_scores(run.config for group in groups for run in group.runs)
    rows = []
    for group in groups:
        scores = group.scores
        rows.append(plots.Scores(group.label, scores, *(iqm_with_ci(scores) if scores else (np.nan,) * 3)))
    plots.plot_final_scores(rows, folder / PLOTS["scores"], folder.name, references)
    for x_key, xlabel in (("step", "env steps"), ("wall_time", "training wall-clock")):
        # Finished runs only (a run still going would cut its encoder's curve short), all while none finished.
        curves = [plots.Curve(group.label, *curve) for group in groups
                  if (curve := mean_curve(group.finished or group.runs, x_key))]  # fmt: skip
        plots.plot_curves(curves, xlabel, folder / PLOTS[x_key], folder.name, labels, references)
    return ExperimentReport(folder, groups)
