"""Policy and value heads, chosen from the action space and the encoder's output (a vector or a map).

Action kinds:

- ``discrete``: Discrete(k), one choice.
- ``click``: Discrete(H * W) where H x W is the observation's grid: click a cell (row-major).
- ``cells``: MultiDiscrete([k] * H * W): one choice per cell, row-major; the flat logits are cell-major
  then action, the layout stable-baselines3's multi-categorical distribution splits.
- ``multi``: any other MultiDiscrete.

Heads, by (encoder output, action kind), in :data:`ACTION_HEADS`: vector encoders get one linear layer
for every kind; map encoders get a per-cell logit map for ``click`` and ``cells`` and a spatial-softmax
readout otherwise, so no layer of theirs depends on the map size.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from gymnasium import spaces
from torch import nn

from pixelarena.nets.encoder import PixelEncoder
from pixelarena.nets.layout import ObservationLayout
from pixelarena.nets.pool import GlobalAvgMaxPool

ActionKind = Literal["discrete", "click", "cells", "multi"]

MIN_AUTO_GRID = 4
"""Smallest grid side auto-detected as a click action: Discrete(4) moves on a 16x16 image would otherwise
read as clicks on a 2x2 grid of 8-pixel cells. ``action_map=True`` accepts any grid."""


@dataclass(frozen=True)
class ActionSpec:
    """What the action head must produce.

    Attributes:
        kind: One of ``discrete``, ``click``, ``cells``, ``multi``.
        n_logits: Length of the flat logit vector.
        grid: (H, W) cells for ``click`` and ``cells``; None otherwise.
        cell_px: Pixels per cell side (image side / grid side) for ``click`` and ``cells``.
        actions_per_cell: 1 for ``click``, k for ``cells``.
    """

    kind: ActionKind
    n_logits: int
    grid: tuple[int, int] | None = None
    cell_px: int = 1
    actions_per_cell: int = 1

    @property
    def action_map(self) -> bool:
        """Whether the actions are laid out on the observation's grid."""
        return self.grid is not None


def find_grid(layout: ObservationLayout, n_cells: int) -> tuple[int, int, int] | None:
    """Finds the grid of ``n_cells`` cells that tiles the observation image.

    An (H * p) x (W * p) image with H * W == n_cells has cells of p x p pixels; p is the integer
    sqrt(image area / n_cells), which keeps the image's aspect ratio.

    Returns:
        (H, W, p), or None when the observation is not an image or no such grid exists.
    """
    if not layout.image or n_cells < 1:
        return None
    _, height, width = layout.chw
    area = height * width
    if area % n_cells:
        return None
    cell_px = math.isqrt(area // n_cells)
    if cell_px * cell_px * n_cells != area or height % cell_px or width % cell_px:
        return None
    return height // cell_px, width // cell_px, cell_px


def _resolve_discrete(space: spaces.Discrete, layout: ObservationLayout, action_map: bool | None) -> ActionSpec:
    n = int(space.n)
    grid = None if action_map is False else find_grid(layout, n)
    if action_map is None and grid is not None and min(grid[:2]) < MIN_AUTO_GRID:
        grid = None
    if action_map and grid is None:
        raise ValueError(
            f"action_map=True needs Discrete(H*W) for an image grid of H x W cells; got {space} with {layout}"
        )
    if grid is None:
        return ActionSpec("discrete", n)
    return ActionSpec("click", n, grid=grid[:2], cell_px=grid[2])


def _resolve_multi_discrete(
    space: spaces.MultiDiscrete, layout: ObservationLayout, action_map: bool | None
) -> ActionSpec:
    nvec = np.asarray(space.nvec)
    if nvec.ndim != 1:
        raise ValueError(f"stable-baselines3 needs a 1-D nvec; flatten the cells row-major, got shape {nvec.shape}")
    uniform = bool(np.all(nvec == nvec[0]))
    grid = find_grid(layout, len(nvec)) if uniform and action_map is not False else None
    if action_map and grid is None:
        raise ValueError(
            "action_map=True needs MultiDiscrete([k] * H * W) for an image grid of H x W cells; "
            f"got {space} with {layout}"
        )
    if grid is None:
        return ActionSpec("multi", int(nvec.sum()))
    return ActionSpec("cells", int(nvec.sum()), grid=grid[:2], cell_px=grid[2], actions_per_cell=int(nvec[0]))


_RESOLVERS: dict[type[spaces.Space], Callable[..., ActionSpec]] = {
    spaces.Discrete: _resolve_discrete,
    spaces.MultiDiscrete: _resolve_multi_discrete,
}


def resolve_action(action_space: spaces.Space, layout: ObservationLayout, action_map: bool | None = None) -> ActionSpec:
    """Decides the action kind.

    Args:
        action_space: Discrete or MultiDiscrete.
        layout: The observation's layout.
        action_map: True: the actions must be cells of the observation's grid (``click`` / ``cells``);
            False: never; None: detect (Discrete n == H * W with a grid side of at least
            :data:`MIN_AUTO_GRID`, or MultiDiscrete with one equal entry per cell).

    Raises:
        ValueError: For other action spaces, or ``action_map=True`` without a matching grid.
    """
    if type(action_space) not in _RESOLVERS:
        raise ValueError(f"pixelarena policies take Discrete or MultiDiscrete actions, got {action_space}")
    return _RESOLVERS[type(action_space)](action_space, layout, action_map)


class SpatialSoftmaxHead(nn.Module):
    """Fully convolutional logits from a map: a 1x1 conv gives logits at every position, another 1x1 conv a
    score whose softmax over positions weights them. (B, C, H, W) -> (B, n_logits) on any map size."""

    def __init__(self, in_channels: int, n_logits: int) -> None:
        """Builds the head."""
        super().__init__()
        self.logits = nn.Conv2d(in_channels, n_logits, 1)
        self.attention = nn.Conv2d(in_channels, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Returns (B, n_logits)."""
        weights = torch.softmax(self.attention(x).flatten(2), dim=2)
        return (self.logits(x).flatten(2) * weights).sum(dim=2)


class CellLogitMap(nn.Module):
    """Per-cell logits: a 1x1 conv to ``actions_per_cell`` channels, averaged over each cell's p x p pixels,
    flattened cell-major then action. (B, C, H * p, W * p) -> (B, H * W * actions_per_cell)."""

    def __init__(self, in_channels: int, actions_per_cell: int, cell_px: int) -> None:
        """Builds the head."""
        super().__init__()
        self.logits = nn.Conv2d(in_channels, actions_per_cell, 1)
        self.cell_px = cell_px

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Returns (B, H * W * actions_per_cell)."""
        logits = self.logits(x)
        if self.cell_px > 1:
            logits = F.avg_pool2d(logits, self.cell_px)
        return logits.permute(0, 2, 3, 1).flatten(1)


def _linear_head(encoder: PixelEncoder, spec: ActionSpec) -> nn.Module:
    return nn.Linear(encoder.features_dim, spec.n_logits)


def _spatial_softmax_head(encoder: PixelEncoder, spec: ActionSpec) -> nn.Module:
    return SpatialSoftmaxHead(encoder.features_dim, spec.n_logits)


def _cell_map_head(encoder: PixelEncoder, spec: ActionSpec) -> nn.Module:
    assert spec.grid is not None
    with torch.no_grad():
        map_hw = tuple(encoder(encoder.dummy_input()).shape[2:])
    if spec.cell_px % encoder.cell_px:
        raise ValueError(f"the encoder's cell_px={encoder.cell_px} does not divide the action grid's {spec.cell_px}")
    map_px = spec.cell_px // encoder.cell_px  # the encoder's stem may already read one position per cell
    expected = (spec.grid[0] * map_px, spec.grid[1] * map_px)
    if map_hw != expected:
        raise ValueError(f"a per-cell head needs a {expected} feature map, the {encoder.name} encoder gives {map_hw}")
    return CellLogitMap(encoder.features_dim, spec.actions_per_cell, map_px)


ACTION_HEADS: dict[tuple[str, ActionKind], Callable[[PixelEncoder, ActionSpec], nn.Module]] = {
    ("vector", "discrete"): _linear_head,
    ("vector", "click"): _linear_head,
    ("vector", "cells"): _linear_head,
    ("vector", "multi"): _linear_head,
    ("map", "discrete"): _spatial_softmax_head,
    ("map", "multi"): _spatial_softmax_head,
    ("map", "click"): _cell_map_head,
    ("map", "cells"): _cell_map_head,
}
"""(encoder output, action kind) -> builder of the action head."""

VALUE_HEADS: dict[str, Callable[[PixelEncoder], nn.Module]] = {
    "vector": lambda encoder: nn.Linear(encoder.features_dim, 1),
    "map": lambda encoder: nn.Sequential(GlobalAvgMaxPool(), nn.Linear(2 * encoder.features_dim, 1)),
}
"""Encoder output -> builder of the value head (from globally pooled features for maps)."""


def build_heads(encoder: PixelEncoder, spec: ActionSpec) -> tuple[nn.Module, nn.Module]:
    """Builds the action head (flat logits) and the value head (B, 1) that read ``encoder``'s output."""
    return ACTION_HEADS[(encoder.output, spec.kind)](encoder, spec), VALUE_HEADS[encoder.output](encoder)
