"""``train --init-from RUN``: a new run that starts from another run's weights, under settings of its own
(rl-zoo3's ``--trained-agent``; a resume, by contrast, continues a run exactly as it was).

Only the policy's weights carry over, read with safetensors (no code from the other run is run); the optimizer,
the counters and the step target are the new run's. The weights must fit the new policy: the same encoder with
the same arguments on the same observation mode, and tensors of the same shapes (so a fully convolutional policy
may move to another map size). Everything is checked before the new run directory exists.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from pixelarena.agents.run.checkpoint import (
    Checkpoint,
    CheckpointError,
    describe_space,
    load_checkpoint,
    load_policy_weights,
)
from pixelarena.agents.run.config import RunConfig
from pixelarena.agents.run.model import acting_model, checked_weights
from pixelarena.agents.run.run_dir import RunDir

_SAME = ("encoder", "encoder_kwargs", "obs", "frame_stack", "recurrent", "lstm_size")
"""What the new run must share with the one its weights come from, for them to mean the same."""


def source_weights(path: Path) -> tuple[RunDir, str]:
    """The run ``path`` names and which of its weights: a run directory gives its final policy; one of its weights
    files (model.safetensors, checkpoints/best.safetensors, checkpoints/latest.safetensors) those weights.

    Raises:
        ValueError: Not a run, or not one of a run's weights files, in one line.
    """
    path = Path(path)
    if path.is_file():
        owner = RunDir.owner_of(path)
        if owner is not None and owner[1] is not None:
            return owner[0], owner[1]
        raise ValueError(f"--init-from {path}: give a run directory, or one of its weights files "
                         f"({', '.join(RunDir.WEIGHTS.values())})")  # fmt: skip
    return RunDir(path), "final"


def check_init_from(config: RunConfig, path: Path) -> RunConfig:
    """``config`` with ``init_from`` set to the weights file ``path`` names, after checking that the weights fit
    the policy ``config`` builds.

    Raises:
        ValueError: The other run is missing or unfinished, its weights are unreadable, or they do not fit, in
            one line that names what differs.
    """
    run, weights = source_weights(path)
    try:
        source = run.read_config()
    except ValueError as error:  # named as the option it came from
        raise ValueError(f"--init-from {path}: {error}") from None
    for name in _SAME:
        theirs, ours = getattr(source, name), getattr(config, name)
        if theirs != ours:
            raise ValueError(f"--init-from {path}: its {name.replace('_', ' ')} is {theirs!r}, this run's is {ours!r}: "
                             "weights carry over only to the same encoder on the same observations")  # fmt: skip
    if weights == "final" and not run.finished:
        raise ValueError(f"--init-from {path}: the run has not finished, so it has no final policy yet: --init-from "
                         f"{run.checkpoint_file} starts from its last checkpoint")  # fmt: skip
    try:
        file, checkpoint = checked_weights(run, source, weights)  # type: ignore[arg-type]
        _load(acting_model(config), checkpoint)  # the new run's policy, to try the weights on
    except CheckpointError as error:
        raise ValueError(f"--init-from {path}: {error}") from None
    return dataclasses.replace(config, init_from=str(file))


def init_weights(model: Any, config: RunConfig) -> int:
    """Load the weights ``config.init_from`` names into ``model``'s policy; returns the step they were saved at."""
    checkpoint = load_checkpoint(Path(config.init_from))
    _load(model, checkpoint)
    return checkpoint.step


def _load(model: Any, checkpoint: Checkpoint) -> None:
    """The weights into the policy; a CheckpointError naming both policies' spaces when a tensor does not fit."""
    try:
        load_policy_weights(model.policy, checkpoint)
    except CheckpointError as error:
        header = checkpoint.header
        raise CheckpointError(
            f"its weights do not fit this run's policy ({error}); its spaces: {header['observation_space']} -> "
            f"{header['action_space']}, this run's: {describe_space(model.observation_space)} -> "
            f"{describe_space(model.action_space)}"
        ) from None
