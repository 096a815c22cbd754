"""Stopping a training process at a checkpoint, for the tests of what a signal leaves behind.

A test that signals a training once a checkpoint lands races the training itself: on a fast machine the run may
finish before the signal arrives, and the test would check nothing. ``signal_at_checkpoint`` freezes the process
(SIGSTOP) the moment the checkpoint is seen, queues the signal and lets it go on (SIGCONT): the signal is handled
within steps of the checkpoint, however fast the machine is.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from pixelarena.agents.run.checkpoint import CheckpointError, load_checkpoint


def wait_for_checkpoint(run: Path, process: subprocess.Popen, step: int, timeout: float = 1800) -> int:
    """Until ``run``'s last checkpoint has reached ``step`` (a generous deadline: the machine may be shared); its
    step. Fails if the process exits first."""
    path = run / "checkpoints" / "latest.safetensors"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the training exited ({process.returncode}) before checkpoint {step}"
        try:
            if path.exists() and (saved := load_checkpoint(path).step) >= step:
                return saved
        except (CheckpointError, OSError):
            pass  # caught mid-rename
        time.sleep(0.002)
    process.kill()
    raise AssertionError(f"no checkpoint at step {step} in {timeout:.0f}s")


def signal_at_checkpoint(run: Path, process: subprocess.Popen, step: int, sig: signal.Signals) -> int:
    """Send ``sig`` to the training as soon as its checkpoint reaches ``step``; that checkpoint's step."""
    saved = wait_for_checkpoint(run, process, step)
    os.kill(process.pid, signal.SIGSTOP)  # frozen within a few steps of the checkpoint, however fast it trains
    try:
        process.send_signal(sig)
    finally:
        os.kill(process.pid, signal.SIGCONT)
    return saved
