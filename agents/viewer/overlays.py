"""Overlays drawn over the game view: the policy's action map, feature maps of a layer, and saliency.

Each overlay is a row of :data:`OVERLAYS`: whether it applies to a policy, what it needs computed
(a layer's output, a gradient), and how it draws into the game view (a numpy RGB image).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from pixelarena.agents.viewer import draw
from pixelarena.agents.viewer.introspect import Insight, Introspector
from pixelarena.envs.core import MOVES

CELL_MOVES = MOVES
"""Direction ``(dy, dx)`` of each per-cell choice: pixelarena's per-cell game (Swarm) chooses among the five
moves of ``envs.core.MOVES``. Per-cell heads with another number of choices show the chosen probability as heat."""

MAX_FEATURE_TILES = 64
ALPHA = 0.75
"""Opacity of a heat map at its peak, on the game's background."""
SPRITE_ALPHA = 0.3
"""Opacity of a heat map over sprites, relative to ALPHA: the objects stay visible under it."""
CHOICE_COLOR = (120, 255, 160)


@dataclass(frozen=True)
class Overlay:
    """One overlay.

    Attributes:
        name: What ``--overlay`` and the panel call it.
        description: One line for the help of ``--overlay``.
        applies: Whether it can be drawn for a policy.
        layer: It needs the output of the chosen feature layer.
        saliency: The saliency target it needs (see ``introspect.SALIENCY_TARGETS``), or None. Saliency is a map
            over the observation's pixels: it applies only where the frame shows the observation's view.
        draw: ``(view, insight) -> view`` with the overlay drawn in.
    """

    name: str
    description: str
    applies: Callable[[Introspector], bool]
    draw: Callable[[np.ndarray, Insight], np.ndarray]
    layer: bool = False
    saliency: str | None = None


def _heat(view: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values`` (any (h, w) map over the game) as a heat map over the view: transparent where they are low, and
    drawn on the background only faintly over sprites, so that the game stays readable under it."""
    h, w = view.shape[:2]
    colors = draw.resize_nearest(draw.heat_colors(values), h, w)  # colour the small map, then enlarge it
    alpha = ALPHA * draw.resize_nearest(values, h, w) * np.where(draw.background_mask(view), 1.0, SPRITE_ALPHA)
    return draw.blend(view, colors, alpha)


def _cell_box(view: np.ndarray, grid: tuple[int, int], row: int, col: int) -> tuple[int, int, int, int]:
    """``(x, y, w, h)`` in view pixels of a cell of the action grid."""
    h, w = view.shape[:2]
    y0, y1 = row * h // grid[0], (row + 1) * h // grid[0]
    x0, x1 = col * w // grid[1], (col + 1) * w // grid[1]
    return x0, y0, x1 - x0, y1 - y0


def draw_action_map(view: np.ndarray, insight: Insight) -> np.ndarray:
    """Click heads: each cell's probability; per-cell heads: each unit's chosen move as an arrow (brighter =
    more certain); a U-Net's spatial-softmax readout: where it looks."""
    if insight.kind == "click" and insight.grid is not None:
        out = _heat(view, draw.normalise(insight.probs[0].reshape(insight.grid)))
        row, col = divmod(int(insight.action[0]), insight.grid[1])
        draw.outline(out, *_cell_box(out, insight.grid, row, col), CHOICE_COLOR)
        return out
    if insight.kind == "cells" and insight.grid is not None:
        return _draw_moves(view, insight)
    if insight.attention is not None:
        return _heat(view, draw.normalise(insight.attention))
    return view


def _draw_moves(view: np.ndarray, insight: Insight) -> np.ndarray:
    grid = insight.grid
    assert grid is not None
    chosen = insight.probs[np.arange(len(insight.action)), insight.action]
    if insight.probs.shape[1] != len(CELL_MOVES):
        return _heat(view, chosen.reshape(grid))
    out = view.copy()
    masked = insight.allowed.sum(axis=1).min() < insight.allowed.shape[1]
    rows = insight.deciding() if masked else np.arange(len(chosen))  # with masks: only the units
    for index in rows:
        row, col = divmod(int(index), grid[1])
        x, y, w, h = _cell_box(out, grid, row, col)
        shade = 0.35 + 0.65 * float(chosen[index])
        color = tuple(int(c * shade) for c in CHOICE_COLOR)
        dy, dx = CELL_MOVES[int(insight.action[index])]
        centre = (x + w / 2 + dx * w / 2, y + h / 2 + dy * h / 2)  # the arrow crosses into the target cell
        if dy == 0 and dx == 0:
            draw.outline(out, x + w // 4, y + h // 4, max(1, w // 2), max(1, h // 2), color)  # stay
        else:
            draw.arrow(out, centre, (dx, dy), 0.9 * min(w, h), color)
    return out


def draw_features(view: np.ndarray, insight: Insight) -> np.ndarray:
    """The chosen layer's channels as a grid of small images, each scaled to its own range."""
    if insight.features is None:
        return view
    maps = insight.features[:MAX_FEATURE_TILES]
    n = len(maps)
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    h, w = view.shape[:2]
    gap = 2
    tile_h, tile_w = max(1, (h - gap * (rows + 1)) // rows), max(1, (w - gap * (cols + 1)) // cols)
    out = draw.blend(view, np.zeros_like(view), 0.85)  # the game stays faintly visible behind the tiles
    for i, channel in enumerate(maps):
        r, c = divmod(i, cols)
        y, x = gap + r * (tile_h + gap), gap + c * (tile_w + gap)
        tile = draw.resize_nearest(draw.heat_colors(draw.stretch(channel)), tile_h, tile_w)
        out[y : y + tile_h, x : x + tile_w] = tile
    return out


def draw_saliency(view: np.ndarray, insight: Insight) -> np.ndarray:
    """The gradient's magnitude per input pixel, relative to its 99th percentile."""
    if insight.saliency is None:
        return view
    return _heat(view, draw.normalise(insight.saliency, percentile=99.0))


OVERLAYS: dict[str, Overlay] = {
    overlay.name: overlay
    for overlay in (
        Overlay("none", "the game only", lambda agent: True, lambda view, insight: view),
        Overlay(
            "actions",
            "the action map: click probabilities, per-cell moves, or where a U-Net readout looks",
            lambda agent: agent.has_action_map,
            draw_action_map,
        ),
        Overlay(
            "features",
            "feature maps of one layer ([ ] change the layer)",
            lambda a: bool(a.layers),
            draw_features,
            layer=True,
        ),
        Overlay(
            "saliency",
            "gradient of the chosen action's logit w.r.t. the input pixels",
            lambda a: a.image_input,
            draw_saliency,
            saliency="action",
        ),
        Overlay(
            "value-saliency",
            "gradient of the value estimate w.r.t. the input pixels",
            lambda a: a.image_input,
            draw_saliency,
            saliency="value",
        ),
    )
}
"""Every overlay, in the order ``o`` cycles through them."""


def available_overlays(agent: Introspector | None, frame_shows_observation: bool = True) -> tuple[str, ...]:
    """The names of the overlays that apply to ``agent`` ("none" only without one); without saliency when the
    frame is not the observation's view (MiniGrid: the whole grid drawn, the agent observing a 7 x 7 view)."""
    if agent is None:
        return ("none",)
    return tuple(
        name
        for name, overlay in OVERLAYS.items()
        if overlay.applies(agent) and (frame_shows_observation or overlay.saliency is None)
    )


def check_overlay(name: str, agent: Introspector | None, frame_shows_observation: bool = True) -> str:
    """``name`` when it applies to ``agent``, else a one-line ValueError naming the ones that do."""
    available = available_overlays(agent, frame_shows_observation)
    if name not in available:
        why = "is not an overlay" if name not in OVERLAYS else "does not apply to this agent"
        raise ValueError(f"overlay {name!r} {why}; choose one of {', '.join(available)}")
    return name
