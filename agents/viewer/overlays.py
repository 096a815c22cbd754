"""Overlays drawn over the game view: the policy's action map, feature maps of a layer, and saliency.

Each overlay is a row of :data:`OVERLAYS`: whether it applies to a policy, what it needs computed
(a layer's output, a gradient), and how it draws into the game view (a numpy RGB image). What an overlay adds
must not be mistaken for the game: the chosen action is an outline in :data:`CHOICE_COLOR`, which no sprite uses;
heat maps come with their colour scale in the panel (:func:`heat_legend`); feature maps are drawn beside the game,
not over it.
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
CHOICE_COLOR = (255, 0, 255)
"""The chosen action's outline (and per-cell arrows): magenta, far from every sprite colour of the games (their
greens, reds, yellows, blues and the wall's grey; tests/test_overlays.py holds it)."""
FEATURE_GAP = 6
"""Pixels between the game and the feature maps beside it."""


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


def heat_legend(name: str, insight: Insight | None) -> tuple[str, str] | None:
    """What the two ends of the colour scale mean for overlay ``name`` (the panel draws the scale between them),
    or None when the overlay draws no heat map."""
    if insight is None:
        return None
    if name in ("saliency", "value-saliency") and insight.saliency is not None:
        top = float(np.percentile(insight.saliency, 99.0))
        return "0", f"|grad| {top:.2g} (99th pct)"
    if name != "actions":
        return None
    if insight.kind == "click" and insight.grid is not None:
        return "p 0", f"p {float(insight.probs[0].max()):.2f}"
    if insight.kind == "cells" and insight.grid is not None:
        return None if insight.probs.shape[1] == len(CELL_MOVES) else ("p 0", "p 1")
    if insight.attention is not None:
        return "0", f"weight {float(insight.attention.max()):.2f}"
    return None


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
        choice_outline(out, *_cell_box(out, insight.grid, row, col))
        return out
    if insight.kind == "cells" and insight.grid is not None:
        return _draw_moves(view, insight)
    if insight.attention is not None:
        return _heat(view, draw.normalise(insight.attention))
    return view


def choice_outline(view: np.ndarray, x: int, y: int, w: int, h: int) -> None:
    """The chosen cell's outline in :data:`CHOICE_COLOR`, thick enough to see (an eighth of the cell, at least 2
    pixels where the cell has room), inside the cell so that its neighbours stay as they are drawn."""
    thickness = max(1, min(w, h) // 8, 2 if min(w, h) >= 6 else 1)
    for inset in range(thickness):
        draw.outline(view, x + inset, y + inset, max(1, w - 2 * inset), max(1, h - 2 * inset), CHOICE_COLOR)


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
    """The game as it is, and beside it (to the right, in a square as high as the game) the chosen layer's
    channels as a grid of small images, each scaled to its own range. The result is wider than ``view`` by
    :func:`features_width`; every layer gives the same width, so a recording keeps one frame size."""
    if insight.features is None:
        return view
    h, w = view.shape[:2]
    side = features_panel(insight.features, h)
    out = np.zeros((h, w + FEATURE_GAP + side.shape[1], 3), dtype=np.uint8)
    out[:, :w] = view
    out[:, w + FEATURE_GAP :] = side
    return out


def features_width(height: int) -> int:
    """How much wider :func:`draw_features` makes a view of ``height`` pixels."""
    return FEATURE_GAP + height


def features_panel(features: np.ndarray, size: int) -> np.ndarray:
    """``features`` (channels, h, w) as a ``size`` x ``size`` RGB square of tiles (at most MAX_FEATURE_TILES)."""
    maps = features[:MAX_FEATURE_TILES]
    n = len(maps)
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    gap = 2
    tile_h, tile_w = max(1, (size - gap * (rows + 1)) // rows), max(1, (size - gap * (cols + 1)) // cols)
    out = np.zeros((size, size, 3), dtype=np.uint8)
    for i, channel in enumerate(maps):
        r, c = divmod(i, cols)
        y, x = gap + r * (tile_h + gap), gap + c * (tile_w + gap)
        out[y : y + tile_h, x : x + tile_w] = draw.resize_nearest(draw.heat_colors(draw.stretch(channel)), tile_h,
                                                                  tile_w)  # fmt: skip
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
