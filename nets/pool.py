"""Readouts that turn a feature map (B, C, h, w) into a vector (B, D)."""

from __future__ import annotations

import torch
from torch import nn


class GlobalAvgMaxPool(nn.Module):
    """Concatenates the global average and the global maximum of each channel: (B, C, h, w) -> (B, 2C).

    The maximum keeps a feature that fires at one place (the player, one enemy) at the same strength on any
    map size, where an average alone would dilute it as the map grows.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Returns (B, 2C)."""
        flat = x.flatten(2)
        return torch.cat([flat.mean(dim=2), flat.amax(dim=2)], dim=1)


class GlobalAvgPool(nn.Module):
    """Global average of each channel: (B, C, h, w) -> (B, C)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Returns (B, C)."""
        return x.mean(dim=(2, 3))


class GlobalMaxPool(nn.Module):
    """Global maximum of each channel: (B, C, h, w) -> (B, C)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Returns (B, C)."""
        return x.amax(dim=(2, 3))


# Name -> (module class, whether the output size is independent of the map size).
POOLS: dict[str, tuple[type[nn.Module], bool]] = {
    "avgmax": (GlobalAvgMaxPool, True),
    "avg": (GlobalAvgPool, True),
    "max": (GlobalMaxPool, True),
    # Flatten keeps where things are, at the price of binding the next layer to one map size.
    "flatten": (nn.Flatten, False),
}


def make_pool(name: str) -> nn.Module:
    """Builds the readout called ``name`` (one of :data:`POOLS`).

    Raises:
        ValueError: For an unknown name.
    """
    if name not in POOLS:
        raise ValueError(f"unknown pool {name!r}; choose one of {sorted(POOLS)}")
    return POOLS[name][0]()
