"""Following a run that is still training: the newest of its checkpoint and final weights, reloaded into the
playing policy when a newer one lands.

Files are read with safetensors alone (agents/run/checkpoint.py): a checkpoint cannot run code. Training writes
them to a temporary name and renames it, so a file seen here is whole; one that cannot be used all the same
(other spaces, corrupt) is skipped, said in :attr:`Follower.problem`, and the weights playing stay.
"""

from __future__ import annotations

import time
from pathlib import Path

from torch import nn

from pixelarena.agents.run.checkpoint import CheckpointError, check_spaces, load_checkpoint, load_policy_weights
from pixelarena.agents.run.model import Weights
from pixelarena.agents.run.run_dir import RunDir

FOLLOWED: tuple[Weights, ...] = ("final", "latest")
"""The run's files that hold its newest weights: the final policy once it finished, else the last checkpoint."""
POLL_SECONDS = 1.0
"""How often the run's files are looked at (a stat each; a file is only read when it changed)."""


def newest_weights(run: RunDir) -> tuple[Weights, int] | None:
    """Which of the run's :data:`FOLLOWED` files holds the highest step, and that step; None before the first."""
    found = []
    for weights in FOLLOWED:
        try:
            found.append((load_checkpoint(run.weights_file(weights)).step, weights))
        except CheckpointError:  # not written yet (or unusable: the other file may do)
            continue
    if not found:
        return None
    step, weights = max(found)
    return weights, step


def wait_for_weights(run: RunDir, poll: float = POLL_SECONDS) -> tuple[Weights, int]:
    """:func:`newest_weights`, waiting for the run's first checkpoint when it has none yet (Ctrl-C stops)."""
    newest = newest_weights(run)
    if newest is None:
        print(f"Waiting for the first checkpoint of {run} (training writes one every --checkpoint-every steps)")
    while newest is None:
        time.sleep(poll)
        newest = newest_weights(run)
    return newest


class Follower:
    """Loads newer weights of ``run`` into ``policy`` when they land.

    Args:
        run: The run followed.
        policy: The policy playing (its weights are replaced in place).
        step: The step of the weights it plays now.
        path: Their file.
    """

    def __init__(self, run: RunDir, policy: nn.Module, step: int, path: Path) -> None:
        self.run = run
        self.policy = policy
        self.step = step
        self.path = path
        self.problem: str | None = None
        """Why the last changed file was not loaded, if it was not."""
        self._seen: dict[Path, tuple[int, int]] = {}
        self._next_poll = 0.0

    def _changed(self, path: Path) -> bool:
        try:
            stat = path.stat()
        except OSError:
            return False
        signature = (stat.st_mtime_ns, stat.st_size)
        if self._seen.get(path) == signature:
            return False
        self._seen[path] = signature
        return True

    def poll(self, now: float | None = None) -> bool:
        """Look at the run's files (at most every :data:`POLL_SECONDS`); True when newer weights were loaded."""
        now = time.monotonic() if now is None else now
        if now < self._next_poll:
            return False
        self._next_poll = now + POLL_SECONDS
        loaded = False
        for weights in FOLLOWED:
            path = self.run.weights_file(weights)
            if not self._changed(path):
                continue
            try:
                checkpoint = load_checkpoint(path)
                final = weights == "final" and path != self.path  # the run's policy, at the last checkpoint's step
                if checkpoint.step < self.step or (checkpoint.step == self.step and not final):
                    continue
                check_spaces(checkpoint, self.policy.observation_space, self.policy.action_space, path)
                load_policy_weights(self.policy, checkpoint)
            except CheckpointError as error:
                self.problem = str(error)
                continue
            self.step, self.path, self.problem, loaded = checkpoint.step, path, None, True
        return loaded

    def describe(self) -> str:
        """What plays, for the page: "step 12,288 (checkpoints/latest.safetensors)"."""
        return f"step {self.step:,} ({self.path.relative_to(self.run.path)})"
