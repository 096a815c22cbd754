"""Weights files changed on purpose, so that a test can see which file a command acted on."""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file


def prefer(path: Path, action: int) -> torch.Tensor:
    """Make the weights in ``path`` choose ``action`` on every observation (its header, step included, kept);
    the action head's new bias."""
    with safe_open(str(path), framework="pt") as handle:
        metadata = handle.metadata()
    tensors = load_file(str(path))
    tensors["policy.action_net.bias"][:] = 0.0
    tensors["policy.action_net.bias"][action] = 1e4
    save_file(tensors, str(path), metadata=metadata)
    return tensors["policy.action_net.bias"]
