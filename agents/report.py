"""`pixelarena report DIR`: report.md and PNG plots of a comparison, from its run directories' files alone.

Every number comes from the files each run writes (config.json, metrics.jsonl, facts.json, eval.json,
transfer.json), so a report can be rebuilt at any time, also while runs are still going or after some failed.
Runs are grouped by encoder and observation; the final score of a run is the mean greedy return of its final
evaluation (eval.json); a group's score is the IQM over its seeds with a 95% bootstrap CI (see agents/stats.py).
A folder of comparisons (a suite, ``runs/claim-cpu/``) gets a report per comparison and one that combines them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from agents.config import RunConfig, encoder_label, spec_label
from agents.metrics import read_metrics
from agents.model import CONFIG_FILE, EVAL_FILE, FACTS_FILE, METRICS_FILE, read_config
from agents.stats import (
    bootstrap_ci,
    bootstrap_ci_of_mean_curve,
    iqm,
    probability_of_improvement,
    probability_of_improvement_ci,
)
from agents.transfer import read_transfer

REPORT_FILE = "report.md"
RETURN = "charts/episode_return"
CURVE_POINTS = 200
PLOTS = {"scores": "final_scores.png", "step": "curves_steps.png", "wall_time": "curves_wall.png"}
# Group order in tables and plots: the vector baseline first, then by encoder as nets.ENCODERS lists them.
OBS_ORDER = ("vector", "pixels", "grid", "native")


@dataclass
class RunRecord:
    """What one run directory holds."""

    run_dir: Path
    config: RunConfig
    facts: dict[str, Any] | None
    metrics: list[dict[str, Any]]
    result: dict[str, Any] | None  # eval.json; None until the run finished
    transfer: dict[str, dict[str, Any]]

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
        return [run.result["mean"] for run in self.finished if run.result is not None]


def load_run(run_dir: Path) -> RunRecord:
    facts_path, eval_path = run_dir / FACTS_FILE, run_dir / EVAL_FILE
    return RunRecord(
        run_dir=run_dir,
        config=read_config(run_dir),
        facts=json.loads(facts_path.read_text()) if facts_path.exists() else None,
        metrics=read_metrics(run_dir / METRICS_FILE),
        result=json.loads(eval_path.read_text()) if eval_path.exists() else None,
        transfer=read_transfer(run_dir),
    )


def run_dirs(folder: Path) -> list[Path]:
    return sorted(path.parent for path in folder.glob(f"*/{CONFIG_FILE}"))


def group_runs(runs: list[RunRecord]) -> list[Group]:
    from nets import ENCODERS

    groups: dict[str, Group] = {}
    for run in sorted(runs, key=lambda r: r.config.seed):
        groups.setdefault(run.label, Group(run.label, [])).runs.append(run)

    def order(group: Group) -> tuple[int, int, str]:
        config = group.runs[0].config
        encoder = list(ENCODERS).index(config.encoder) if config.encoder in ENCODERS else len(ENCODERS)
        obs = config.obs or "native"
        return encoder, OBS_ORDER.index(obs) if obs in OBS_ORDER else len(OBS_ORDER), group.label

    return sorted(groups.values(), key=order)


# ----------------------------------------------------------------------------------------------- numbers
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


# ----------------------------------------------------------------------------------------------- markdown
def _signed(value: float) -> str:
    return f"{value:+.2f}"


def _ci(low: float, high: float) -> str:
    return f"{low:+.2f} .. {high:+.2f}"


def format_duration(seconds: float) -> str:
    """``75`` -> ``1m15s``."""
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def _table(header: list[str], rows: list[list[str]], right: set[int] = frozenset()) -> str:
    align = ["---:" if i in right else "---" for i in range(len(header))]
    lines = [header, align, *rows]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


def _facts_cells(group: Group) -> list[str]:
    facts = next((run.facts for run in group.runs if run.facts), None)
    if facts is None:
        return ["?", "?"]
    field = facts["receptive_field"]
    return [f"{facts['params']:,}", "global" if field is None else f"{field} px"]


def _speed_cells(group: Group) -> list[str]:
    sps = [s for s in (run.sps for run in group.finished) if s]
    walls = [run.metrics[-1]["wall_time"] for run in group.finished if run.metrics]
    return [f"{np.mean(sps):,.0f}" if sps else "?", format_duration(float(np.mean(walls))) if walls else "?"]


def score_table(groups: list[Group]) -> str:
    rows = []
    for group in groups:
        config, scores = group.runs[0].config, group.scores
        if scores:
            center, low, high = iqm_with_ci(scores)
            score = [_signed(center), _ci(low, high), _signed(float(np.mean(scores)))]
        else:
            score = ["n/a", "", ""]
        per_seed = " / ".join(_signed(score) for score in scores) or "-"
        done = f"{len(scores)}/{len(group.runs)}"
        rows.append([encoder_label(config), config.obs or "native", done, *score, per_seed,
                     *_facts_cells(group), *_speed_cells(group)])  # fmt: skip
    header = ["encoder", "obs", "seeds done", "IQM", "95% CI", "mean", "per seed", "params", "receptive field",
              "SPS", "training time"]  # fmt: skip
    return _table(header, rows, right={2, 3, 5, 7, 8, 9, 10})


BASELINE = "mlp:vector"
"""The spec the claim is measured against: the probability of improvement is over it."""


def improvement_table(groups: list[Group]) -> str | None:
    """P(encoder > the packed-vector MLP) per encoder with its 95% CI; None without finished baseline runs."""
    baseline = next((group for group in groups if group.label == BASELINE and group.scores), None)
    if baseline is None:
        return None
    rows = []
    for group in groups:
        if group is baseline or not group.scores:
            continue
        low, high = probability_of_improvement_ci(group.scores, baseline.scores)
        rows.append([group.label, f"{probability_of_improvement(group.scores, baseline.scores):.2f}",
                     f"{low:.2f} .. {high:.2f}", f"{len(group.scores)} vs {len(baseline.scores)}"])  # fmt: skip
    return _table([f"encoder spec vs {BASELINE}", "P(improvement)", "95% CI", "seeds"], rows, right={1, 3})


def equal_time_table(groups: list[Group]) -> str | None:
    """Each encoder's training return and steps at the same training wall-clock: when the shortest finished run
    ended. None with fewer than two encoders finished."""
    done = [group for group in groups if group.finished]
    if len(done) < 2:
        return None
    seconds = min(run.metrics[-1]["wall_time"] for group in done for run in group.finished if run.metrics)
    rows = []
    for group in done:
        at = [_at_time(run, seconds) for run in group.finished]
        returns, steps = [r for r, _ in at if r is not None], [s for _, s in at]
        if not returns:
            continue
        center, low, high = iqm_with_ci(returns)
        rows.append([group.label, _signed(center), _ci(low, high), f"{np.mean(steps):,.0f}"])
    header = ["encoder spec", f"training return at {format_duration(seconds)}", "95% CI", "env steps by then"]
    return _table(header, rows, right={1, 3})


def _at_time(run: RunRecord, seconds: float) -> tuple[float | None, float]:
    rows = [row for row in run.metrics if RETURN in row]
    if not rows:
        return None, 0.0
    times = np.array([row["wall_time"] for row in rows])
    value = float(np.interp(seconds, times, [row[RETURN] for row in rows])) if times[0] <= seconds else None
    return value, float(np.interp(seconds, times, [row["step"] for row in rows]))


def _variants(groups: list[Group]) -> list[str]:
    seen: dict[str, None] = {}
    for group in groups:
        for run in group.runs:
            seen.update(dict.fromkeys(run.transfer))
    return list(seen)


def transfer_table(groups: list[Group]) -> str | None:
    """IQM over seeds (95% CI) of the greedy return per variant, n/a with reasons listed below; None when no
    run was evaluated on other settings."""
    variants = _variants(groups)
    if not variants:
        return None
    rows, reasons = [], []
    for group in groups:
        row = [group.label, _cell([r.result for r in group.finished if r.result], len(group.runs))]
        failed: dict[str, str] = {}
        for variant in variants:
            entries = [r.transfer[variant] for r in group.runs if variant in r.transfer]
            errors = [entry["error"] for entry in entries if "error" in entry]
            if errors:
                failed[variant] = errors[0]
                row.append("n/a")
            else:
                row.append(_cell(entries, len(group.runs)))
        if failed:
            reasons.append(f"- {group.label} on {', '.join(failed)}: {next(iter(failed.values()))}")
        rows.append(row)
    table = _table(["encoder:obs", "training settings", *variants], rows, right=set(range(1, len(variants) + 2)))
    return table + ("\n\nn/a: the policy cannot act on that setting:\n\n" + "\n".join(reasons) if reasons else "")


def _cell(results: list[dict[str, Any]], runs: int) -> str:
    if not results:
        return "-"
    center, low, high = iqm_with_ci([result["mean"] for result in results])
    partial = f", {len(results)} of {runs} seeds" if len(results) < runs else ""
    return f"{_signed(center)} ({_ci(low, high)}){partial}"


def settings_table(groups: list[Group]) -> str:
    rows = []
    for group in groups:
        c = group.runs[0].config
        rows.append([group.label, c.preset or "-", f"{c.steps:,}", str(c.n_envs), f"{c.ppo.learning_rate:g}",
                     str(c.ppo.n_steps), str(c.ppo.batch_size), str(c.ppo.n_epochs), f"{c.ppo.gamma:g}",
                     f"{c.ppo.ent_coef:g}", json.dumps(c.encoder_kwargs) if c.encoder_kwargs else "-"])  # fmt: skip
    header = ["encoder:obs", "preset", "steps", "envs", "learning rate", "n_steps", "batch", "epochs", "gamma",
              "ent coef", "encoder kwargs"]  # fmt: skip
    return _table(header, rows, right={2, 3, 4, 5, 6, 7, 8, 9})


def unfinished(groups: list[Group]) -> list[str]:
    lines = []
    for group in groups:
        for run in group.runs:
            if run.result is None:
                step = run.metrics[-1]["step"] if run.metrics else 0
                lines.append(f"- {run.run_dir.name}: step {step:,} of {run.config.steps:,}")
    return lines


def _describe(groups: list[Group]) -> str:
    configs = [run.config for group in groups for run in group.runs]
    envs = sorted({c.env for c in configs})
    kwargs = sorted({json.dumps(c.env_kwargs, sort_keys=True) for c in configs})
    steps = sorted({c.steps for c in configs})
    seeds = sorted({c.seed for c in configs})
    episodes = sorted({c.eval_episodes for c in configs})
    if len(kwargs) == 1:
        settings = ", ".join(f"{k}={v}" for k, v in json.loads(kwargs[0]).items()) or "default settings"
    else:
        settings = "settings differ between runs: see the Settings table"
    return (
        f"{' / '.join(envs)} ({settings}), {' / '.join(f'{s:,}' for s in steps)} env steps per run, "
        f"seeds {', '.join(map(str, seeds))}, final evaluation over {' / '.join(map(str, episodes))} greedy episodes."
    )


SCORE_NOTE = (
    "Final score of a run: the mean return of its greedy policy over its final evaluation (eval.json). Per "
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
    "finished) and end where the shortest of them ends."
)
IMPROVEMENT_NOTE = (
    f"Probability of improvement over {BASELINE} (rliable's definition): the chance that a random seed of the "
    "encoder ends with a higher final score than a random seed of the packed-vector MLP (ties count one half), "
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
        parts = [f"# Comparison: {self.folder.name}", f"{_describe(self.groups)} {built}"]
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
    from agents import plots

    groups = group_runs([load_run(run_dir) for run_dir in run_dirs(folder)])
    labels = [group.label for group in groups]
    rows = []
    for group in groups:
        scores = group.scores
        rows.append(plots.Scores(group.label, scores, *(iqm_with_ci(scores) if scores else (np.nan,) * 3)))
    plots.plot_final_scores(rows, folder / PLOTS["scores"], folder.name)
    for x_key, xlabel in (("step", "env steps"), ("wall_time", "training wall-clock")):
        # Finished runs only (a run still going would cut its encoder's curve short), all while none finished.
        curves = [plots.Curve(group.label, *curve) for group in groups
                  if (curve := mean_curve(group.finished or group.runs, x_key))]  # fmt: skip
        plots.plot_curves(curves, xlabel, folder / PLOTS[x_key], folder.name, labels)
    return ExperimentReport(folder, groups)


def write_report(folder: Path) -> Path:
    """Write report.md (and the plots) of a comparison folder, or of every comparison of a suite folder and the
    suite's combined report; returns the top report's path.

    Raises:
        ValueError: When the folder holds no runs (nor folders of runs).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{folder} does not exist")
    if run_dirs(folder):
        report = build_report(folder)
        (folder / REPORT_FILE).write_text(report.markdown())
        return folder / REPORT_FILE
    parts = sorted(path for path in folder.iterdir() if path.is_dir() and run_dirs(path))
    if not parts:
        raise ValueError(f"no runs in {folder}: expected run directories (with {CONFIG_FILE}) made by "
                         "pixelarena compare, or folders of them")  # fmt: skip
    reports = []
    for part in parts:
        report = build_report(part)
        (part / REPORT_FILE).write_text(report.markdown())
        reports.append(report)
    (folder / REPORT_FILE).write_text(suite_markdown(folder, reports))
    return folder / REPORT_FILE


def suite_markdown(folder: Path, reports: list[ExperimentReport]) -> str:
    """One page for a suite: each comparison's scores and curves, then the transfer tables."""
    from agents.suites import SUITES

    experiments = {e.key: e for suite in SUITES.values() for e in suite.experiments}
    transfers = {t.of: t for suite in SUITES.values() for t in suite.transfers}
    parts = [f"# Suite: {folder.name}", "Each section is one comparison; its folder has the full report (settings, "
             "unfinished runs). Built by `pixelarena report` from the run directories' files.",
             f"Scores: {SCORE_NOTE}", f"Learning curves: {CURVE_NOTE}"]  # fmt: skip
    for report in reports:
        key = report.folder.name
        experiment = experiments.get(key)
        parts += [f"## {experiment.title}", f"> {experiment.question}"] if experiment else [f"## {key}"]
        parts += [_describe(report.groups), report.scores(f"{key}/"), *report.comparisons(), report.curves(f"{key}/")]
    for report in reports:
        table = report.transfer()
        if table is None:
            continue
        key = report.folder.name
        transfer = transfers.get(key)
        parts += [f"## {transfer.title}", f"> {transfer.question}"] if transfer else [f"## Transfer: {key}"]
        parts += [f"Policies of {key}. {TRANSFER_NOTE}", table]
    return "\n\n".join(parts) + "\n"
