"""Size transfer: run a policy trained on one map size on another.

Weights are copied into a policy built for the new spaces; that works exactly when every parameter keeps
its shape, which is the case when every layer is convolutional or pooled. Whether that holds is read from
the two policies' parameters, not from a list of encoder names.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3.common.policies import BasePolicy

from pixelarena.nets.heads import resolve_action
from pixelarena.nets.layout import describe_observation

# Top-level submodule of a policy -> what to call it in messages.
_PARTS = {
    "features_extractor": "encoder",
    "pi_features_extractor": "encoder",
    "vf_features_extractor": "value encoder",
    "action_net": "action head",
    "value_net": "value head",
}


class SizeTransferError(ValueError):
    """A policy cannot act on the requested spaces; the message says which layer is bound to the old size."""


def resize_spaces(
    observation_space: spaces.Box,
    action_space: spaces.Space,
    height: int,
    width: int,
    *,
    cell_px: int | None = None,
    channels_first: bool | None = None,
) -> tuple[spaces.Box, spaces.Space]:
    """Spaces of the same game on a grid of ``height`` x ``width`` cells.

    The observation keeps its layout, channels, dtype and bounds; click actions become
    Discrete(height * width), per-cell actions MultiDiscrete([k] * height * width), other actions stay.

    Args:
        observation_space: An image Box space.
        action_space: Its action space.
        height: New grid height, in cells.
        width: New grid width, in cells.
        cell_px: Pixels per cell side; None takes it from the action grid (click / per-cell), else 1.
        channels_first: Layout of 3-D observations; None guesses.

    Raises:
        ValueError: For vector observations, which have no size to change.
    """
    layout = describe_observation(observation_space, channels_first)
    if not layout.image:
        raise ValueError(f"a vector observation {observation_space.shape} has no map size to change")
    spec = resolve_action(action_space, layout, None)
    px = spec.cell_px if cell_px is None else cell_px
    channels = layout.chw[0]
    side = (height * px, width * px)
    shape_by_rank = {
        2: side,
        3: (channels, *side) if layout.channels_first else (*side, channels),
    }
    shape = shape_by_rank[len(layout.shape)]
    dtype = observation_space.dtype
    obs = spaces.Box(
        low=np.full(shape, np.min(observation_space.low), dtype=dtype),
        high=np.full(shape, np.max(observation_space.high), dtype=dtype),
        dtype=dtype,
    )
    actions_by_kind: dict[str, spaces.Space] = {
        "click": spaces.Discrete(height * width),
        "cells": spaces.MultiDiscrete([spec.actions_per_cell] * (height * width)),
        "discrete": action_space,
        "multi": action_space,
    }
    return obs, actions_by_kind[spec.kind]


def adapt_policy(policy: BasePolicy, observation_space: spaces.Space, action_space: spaces.Space) -> BasePolicy:
    """Builds a policy of the same class and configuration for new spaces and copies the weights into it.

    Works for :class:`nets.policy.PixelPolicy` and :class:`nets.policy.MaskablePixelPolicy`. The returned
    policy is independent of the old one (weights copied), on the same device, in the same training mode;
    stable-baselines3's ``predict`` accepts observations of the new shape.

    Raises:
        SizeTransferError: When the new spaces need a different architecture: a layer whose shape depends
            on the map size (``mlp`` on images, ``pool="flatten"``, a flat linear head over cells), another
            action kind or channel count, or a map too small for the encoder.
    """
    config = policy.pixel
    old_desc = f"{config.encoder} policy for {_short(policy.observation_space)} / {_short(policy.action_space)}"
    new_desc = f"{_short(observation_space)} / {_short(action_space)}"
    params: dict[str, Any] = policy.constructor_kwargs()
    params.update(observation_space=observation_space, action_space=action_space, action_map=config.action.action_map)
    try:
        new = type(policy)(**params)
    except (ValueError, RuntimeError, AssertionError) as err:
        raise SizeTransferError(f"cannot move the {old_desc} to {new_desc}: {err}") from err
    if new.pixel.action.kind != config.action.kind:
        raise SizeTransferError(
            f"cannot move the {old_desc}: its actions are {config.action.kind!r}, "
            f"the new ones {new.pixel.action.kind!r}"
        )
    # named_parameters lists a shared encoder once (state_dict repeats it under pi_/vf_ names).
    old_params, new_params = dict(policy.named_parameters()), dict(new.named_parameters())
    bound = [name for name, tensor in old_params.items() if new_params[name].shape != tensor.shape]
    if bound:
        name = bound[0]
        part = _PARTS[name.split(".")[0]]
        raise SizeTransferError(
            f"cannot move the {old_desc} to {new_desc}: {part} parameter {name} has "
            f"shape {tuple(old_params[name].shape)} and would need {tuple(new_params[name].shape)}; that layer is "
            f"bound to the old size ({len(bound)} of {len(old_params)} parameter tensors differ). Transfer needs "
            "every layer convolutional or pooled: cnn / impala with a global pool and Discrete(k) actions, or unet "
            "with any action kind."
        )
    new.load_state_dict(policy.state_dict())
    new.to(policy.device)
    new.set_training_mode(policy.training)
    return new


def can_transfer(policy: BasePolicy, observation_space: spaces.Space, action_space: spaces.Space) -> tuple[bool, str]:
    """Whether :func:`adapt_policy` succeeds, and why (not).

    Returns:
        (True, explanation) or (False, the :class:`SizeTransferError` message).
    """
    try:
        with torch.no_grad():
            adapt_policy(policy, observation_space, action_space)
    except SizeTransferError as err:
        return False, str(err)
    return True, "every parameter keeps its shape: the layers are convolutional or pooled"


def _short(space: spaces.Space) -> str:
    """A space in a few words: a MultiDiscrete of one move per cell is ``MultiDiscrete(144 x 5)``, not 144 numbers."""
    if isinstance(space, spaces.MultiDiscrete) and len(set(space.nvec.ravel().tolist())) == 1:
        return f"MultiDiscrete({space.nvec.size} x {int(space.nvec.ravel()[0])})"
    if isinstance(space, spaces.Box):
        return f"Box({space.shape}, {space.dtype})"
    return str(space)
