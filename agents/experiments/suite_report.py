"""The report of a folder of runs: one comparison's report.md, or for a suite's folder every comparison's and the
suite's own page (the claim game by game, each experiment's title and question from suites.py, the transfer tables).
"""

from __future__ import annotations

from pathlib import Path

from pixelarena.agents.experiments.suites import SUITES
from pixelarena.agents.reporting.claim import CLAIM_NOTE, claim_table
from pixelarena.agents.reporting.records import run_dirs
from pixelarena.agents.reporting.report import (
    CURVE_NOTE,
    REPORT_FILE,
    SCORE_NOTE,
    TRANSFER_NOTE,
    ExperimentReport,
    build_report,
    describe,
)
from pixelarena.agents.reporting.run_report import write_run_report
from pixelarena.agents.run.run_dir import RunDir


def write_report(folder: Path) -> Path:
    """Write report.md (and the plots) of a comparison folder, or of every comparison of a suite folder and the
    suite's combined report, or the curves of one run directory; returns the top report's (or plot's) path.

    Raises:
        ValueError: When the folder holds no runs (nor folders of runs).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{folder} does not exist")
    if RunDir(folder).is_run:
        return write_run_report(RunDir(folder))
    if run_dirs(folder):
        report = build_report(folder)
        (folder / REPORT_FILE).write_text(report.markdown())
        return folder / REPORT_FILE
    parts = sorted(path for path in folder.iterdir() if path.is_dir() and run_dirs(path))
    if not parts:
        raise ValueError(f"no runs in {folder}: expected run directories (with {RunDir.CONFIG}) made by "
                         "pixelarena compare, or folders of them")  # fmt: skip
    reports = []
    for part in parts:
        report = build_report(part)
        (part / REPORT_FILE).write_text(report.markdown())
        reports.append(report)
    (folder / REPORT_FILE).write_text(suite_markdown(folder, reports))
    return folder / REPORT_FILE


CLAIM_RULE = (
    "The claim holds at a reading when the 95% CI of P(claim arm > strongest state-based arm) lies above 0.5, does "
    "not hold when it lies below, and is not settled when it contains 0.5."
)


def suite_markdown(folder: Path, reports: list[ExperimentReport]) -> str:
    """One page for a suite: each comparison's scores and curves, then the transfer tables."""
    experiments = {e.key: e for suite in SUITES.values() for e in suite.experiments}
    transfers = {t.of: t for suite in SUITES.values() for t in suite.transfers}
    parts = [f"# Suite: {folder.name}", "Each section is one comparison; its folder has the full report (settings, "
             "unfinished runs). Built by `pixelarena report` from the run directories' files.",
             f"Scores: {SCORE_NOTE}", f"Learning curves: {CURVE_NOTE}"]  # fmt: skip
    by_key = {report.folder.name: report for report in reports}
    summaries = []
    for key, experiment in experiments.items():
        if not experiment.claim or key not in by_key:
            continue
        timed = next((by_key[e.key] for e in experiments.values() if e.seconds_of == key and e.key in by_key), None)
        limits = {run.config.seconds for group in (timed.groups if timed else []) for run in group.runs}
        title = f"{experiment.title.split(':')[0]}: {experiment.claim} against the state-based arms"
        summaries.append(claim_table(title, experiment.claim, by_key[key].groups,
                                     timed.groups if timed else [], max(limits) if limits else None))  # fmt: skip
    if summaries:
        parts += ["## The claim, game by game", CLAIM_NOTE, CLAIM_RULE, *summaries]
    for report in reports:
        key = report.folder.name
        experiment = experiments.get(key)
        parts += [f"## {experiment.title}", f"> {experiment.question}"] if experiment else [f"## {key}"]
        parts += [describe(report.groups), report.scores(f"{key}/"), *report.comparisons(), report.curves(f"{key}/")]
    for report in reports:
        table = report.transfer()
        if table is None:
            continue
        key = report.folder.name
        transfer = transfers.get(key)
        parts += [f"## {transfer.title}", f"> {transfer.question}"] if transfer else [f"## Transfer: {key}"]
        parts += [f"Policies of {key}. {TRANSFER_NOTE}", table]
    return "\n\n".join(parts) + "\n"
