"""Exceptions the command line turns into one-line messages and exit codes."""

from __future__ import annotations

from pathlib import Path


class TrainingStopped(Exception):
    """Training ended early (Ctrl-C or SIGTERM) after saving a checkpoint; exit code 130."""

    def __init__(self, run_dir: Path, step: int) -> None:
        super().__init__(f"stopped at step {step:,}; continue with: pixelarena train --resume {run_dir}")


class RunsFailed(Exception):
    """Some runs of a comparison failed (the others finished); exit code 1."""

    def __init__(self, failures: list[str], total: int) -> None:
        lines = "\n".join(f"  {failure}" for failure in failures)
        super().__init__(f"{len(failures)} of {total} runs failed (the report covers the others):\n{lines}")
