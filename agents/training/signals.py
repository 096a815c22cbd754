"""How a training ends early, and the signals that ask it to: each way out is an exception the command line turns
into one line and an exit code, after the run directory was left resumable."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any


class TrainingStopped(Exception):
    """Training ended early (Ctrl-C or SIGTERM) after saving a checkpoint; exit code 130."""

    def __init__(self, run_dir: Path, step: int) -> None:
        super().__init__(f"stopped at step {step:,}; continue with: pixelarena train --resume {run_dir}")


class TrainingFailed(Exception):
    """Training cannot go on (diverged, or the env raised); the last good checkpoint is kept; exit code 1."""


class TrainingDiverged(TrainingFailed):
    """The policy's weights became non-finite (NaN or inf) in the update before ``step``."""

    def __init__(self, run_dir: Path, step: int, saved_step: int) -> None:
        kept = f"the checkpoint of step {saved_step:,} is kept" if saved_step > 0 else "no checkpoint was saved yet"
        super().__init__(
            f"training diverged: non-finite weights after the update ending at step {step:,} ({kept} in "
            f"{run_dir}); try a lower --learning-rate, or check the env's rewards and observations for NaN"
        )


class EnvFailed(TrainingFailed):
    """The env raised while the rollout was being collected."""

    def __init__(self, env: str, step: int, saved_step: int, run_dir: Path, error: BaseException) -> None:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else ""
        super().__init__(
            f"env {env} raised {type(error).__name__}{': ' + reason if reason else ''} at step {step:,}; a "
            f"checkpoint of step {saved_step:,} was saved: fix the env, then pixelarena train --resume {run_dir}"
        )


_terminating = False
"""A SIGTERM is being acted on (a training stopping, or the command interrupted): the process is on its way out."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    """SIGTERM outside a training's own handling: stop as Ctrl-C does (a line, exit 130), once.

    Linux's parent-death signal, which stops a comparison's trainings when the comparison dies, comes once per
    exiting thread of the parent, a few in a row: the repeats are ignored. Left to the default action, one arriving
    after a training stopped (its checkpoint saved) killed the process before it said so.
    """
    global _terminating
    if _terminating:
        return
    _terminating = True
    raise KeyboardInterrupt


@contextlib.contextmanager
def interrupts_raise() -> Iterator[None]:
    """Inside, SIGINT (Ctrl-C, ``kill -INT``) and the first SIGTERM raise KeyboardInterrupt, however the process
    started; later SIGTERMs are ignored (see :func:`_terminate`). Trainings handle both themselves while they learn
    (:class:`StopOnSignal`).

    Python turns SIGINT into KeyboardInterrupt only if SIGINT was not ignored when the interpreter started, and a
    background job of a non-interactive shell (``cmd &`` in a script, a CI step, a test runner started that way)
    inherits it ignored: such a comparison ran on to its end after a SIGINT and exited 0. An explicit handler
    makes every start-up behave as an interactive one. The previous handlers are restored on the way out, but
    after a SIGTERM, which stays ignored while the process exits.
    """
    global _terminating
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers; a thread's caller owns the signals
        return
    _terminating = False  # a new command (the Python API may run several in one process)
    previous = {signal.SIGINT: signal.signal(signal.SIGINT, signal.default_int_handler),
                signal.SIGTERM: signal.signal(signal.SIGTERM, _terminate)}  # fmt: skip
    try:
        yield
    finally:
        if _terminating:  # told to terminate: the caller exits next, and a repeat must not kill it on its way
            previous[signal.SIGTERM] = signal.SIG_IGN
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class StopOnSignal:
    """SIGINT / SIGTERM set a flag that training checks between steps; a second Ctrl-C stops at once."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> StopOnSignal:
        if threading.current_thread() is not threading.main_thread():
            return self  # a Ray Tune trial runs in a thread: Ray stops it, and the last checkpoint is kept
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        global _terminating
        if self.requested and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.requested = True
        if signum == signal.SIGTERM:
            _terminating = True  # a SIGTERM after this one is a repeat (see _terminate), also once this one is done

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
