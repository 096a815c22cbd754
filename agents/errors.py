"""Exceptions the command line turns into one-line messages and exit codes."""

from __future__ import annotations

from pathlib import Path


class TrainingStopped(Exception):
    """Training ended early (Ctrl-C or SIGTERM) after saving a checkpoint; exit code 130."""

    def __init__(self, run_dir: Path, step: int) -> None:
        super().__init__(f"stopped at step {step:,}; continue with: pixelarena train --resume {run_dir}")
