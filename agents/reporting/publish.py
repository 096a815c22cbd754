"""Copy a comparison's reports and plots (no weights, no logs) to a folder meant to be committed, such as
docs/results/claim-cpu/, with where they came from: the command, the machine, the dates of the runs."""

from __future__ import annotations

import datetime
import shutil
import sys
from pathlib import Path

from pixelarena.agents.reporting.machine import machine_description
from pixelarena.agents.run.run_dir import RunDir

COPIED = ("report.md", "*.png")


def _run_dates(folder: Path) -> str:
    """First run started .. last run finished, from the run directories' file times."""
    started = [path.stat().st_mtime for path in folder.rglob(RunDir.CONFIG)]
    finished = [path.stat().st_mtime for path in folder.rglob(RunDir.EVAL)]
    if not started or not finished:
        return "unfinished"

    def stamp(seconds: float) -> str:
        return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")

    return f"{stamp(min(started))} .. {stamp(max(finished))}"


def check_destination(folder: Path, dest: Path) -> None:
    """Refuse a destination the copy cannot go to: the comparison folder, a folder inside it, or a file.

    Raises:
        ValueError: One line naming the problem.
    """
    folder, dest = Path(folder).resolve(), Path(dest).resolve()
    if dest == folder or folder in dest.parents:
        raise ValueError(f"--publish {dest} is inside the comparison folder {folder}; choose a folder outside it")
    if dest.exists() and not dest.is_dir():
        raise ValueError(f"--publish {dest} is a file; give a folder (it is created or replaced)")


def publish(folder: Path, dest: Path) -> Path:
    """Copy every report.md and PNG under ``folder`` to ``dest`` (same relative paths), the top report headed by
    the command that made it, the machine and the runs' dates; returns the top report's path in ``dest``.

    Call it on the machine that ran the comparison: the machine line describes the one running this.
    """
    folder, dest = Path(folder), Path(dest)
    check_destination(folder, dest)
    command = "pixelarena " + " ".join(sys.argv[1:])
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    for pattern in COPIED:
        for path in folder.rglob(pattern):
            target = tmp / path.relative_to(folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    header = (
        f"Made with `{command}` on {machine_description()}. Runs: {_run_dates(folder)}. The run "
        f"directories (weights, metrics) stayed in {folder}; this folder holds the reports and plots."
    )
    top = tmp / "report.md"
    body = top.read_text()
    title, _, rest = body.partition("\n")
    top.write_text(f"{title}\n\n{header}\n{rest}")
    # Swap in the new copy only when it is complete, so a failure leaves the old one intact.
    old = dest.with_name(dest.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if dest.exists():
        dest.rename(old)
    tmp.rename(dest)
    shutil.rmtree(old, ignore_errors=True)
    return dest / "report.md"
