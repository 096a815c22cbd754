"""Stopping a training cleanly: SIGINT / SIGTERM ask it to stop at the next step, after a checkpoint."""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType
from typing import Any


class TrainingStopped(Exception):
    """Training ended early (Ctrl-C or SIGTERM) after saving a checkpoint; exit code 130."""

    def __init__(self, run_dir: Path, step: int) -> None:
        super().__init__(f"stopped at step {step:,}; continue with: pixelarena train --resume {run_dir}")


class StopOnSignal:
    """SIGINT / SIGTERM set a flag that training checks between steps; a second Ctrl-C stops at once."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> StopOnSignal:
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
