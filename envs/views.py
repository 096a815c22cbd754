"""Frames of reference: the map's frame, or a view that follows the player.

- ``view="map"``: the whole map, fixed (the default).
- ``view="ego"``: the map shifted so that the player's cell sits at the centre of a ``(2H - 1) x (2W - 1)`` frame,
  every cell beyond the map drawn as wall (the colour ``envs.render.WALL`` in pixels, a last ``wall`` channel in
  grids). With ``view_radius=r``, a ``(2r + 1) x (2r + 1)`` crop around the player: a local view, of the same
  shape on every map size, as PufferLib's Snake (11 x 11 on the head), MiniGrid's agent view and Crafter's local
  view see their worlds.

Both apply to ``pixels`` and ``grid`` observations of games with a player (``BatchedGame.PLAYER``); ``entities``
rows are already relative to the player and ``vector`` is the absolute baseline, so they refuse a view.
"""

from __future__ import annotations

import numpy as np

from pixelarena.envs.render import WALL, window_gather

VIEWS = ("map", "ego")
VIEW_MODES = ("pixels", "grid")
"""The observation modes a view centred on the player applies to."""


def view_radius_of(game: str, view: object, view_radius: object, obs: str, has_player: bool, size: int) -> int | None:
    """The radius of the view that ``view`` and ``view_radius`` ask for (None: the map's frame), or a one-line
    ValueError that says what is wrong and what is allowed."""
    if view not in VIEWS:
        raise ValueError(f"view must be one of {', '.join(map(repr, VIEWS))}, got {view!r}")
    if view == "map":
        if view_radius is not None:
            raise ValueError(f"view_radius={view_radius!r} crops the view centred on the player: add view='ego'")
        return None
    if not has_player:
        raise ValueError(f"view='ego' centres on the player, and {game} has none: use view='map'")
    if obs not in VIEW_MODES:
        why = "are already relative to the player" if obs == "entities" else "hold absolute coordinates"
        raise ValueError(f"view='ego' applies to {' and '.join(VIEW_MODES)} observations; obs={obs!r} {why}: "
                         "use view='map'")  # fmt: skip
    if view_radius is None:
        return size - 1
    if isinstance(view_radius, bool) or not isinstance(view_radius, int | np.integer) or not 1 <= view_radius <= 255:
        raise ValueError(f"view_radius must be an integer between 1 and 255 (cells seen on each side of the player), "
                         f"got {view_radius!r}")  # fmt: skip
    return int(view_radius)


def centre(observations: np.ndarray, mode: str, ys: np.ndarray, xs: np.ndarray, radius: int,
           cell_px: int = 1) -> np.ndarray:  # fmt: skip
    """Map-frame ``observations`` (``(N, H*px, W*px, 3)`` pixels or ``(N, K, H, W)`` grids) seen from cells
    ``(ys, xs)``, ``radius`` cells around them: what a game made with ``view="ego"`` observes in the same state.
    For recordings: a demonstration of the map's frame trains a run on the centred view."""
    n, pad = len(observations), radius * (cell_px if mode == "pixels" else 1)
    if mode == "pixels":
        padded = np.empty((n, observations.shape[1] + 2 * pad, observations.shape[2] + 2 * pad, 3), np.uint8)
        padded[:] = WALL
        padded[:, pad:-pad, pad:-pad] = observations
        side = 2 * pad + cell_px
        rows = padded.reshape(n, padded.shape[1], -1)
        return window_gather(rows, ys * cell_px, xs * cell_px * 3, side, side * 3).reshape(n, side, side, 3)
    if mode == "grid":
        k, h, w = observations.shape[1:]
        padded = np.zeros((n, k + 1, h + 2 * pad, w + 2 * pad), np.uint8)
        padded[:, -1] = 1
        padded[:, -1, pad:-pad, pad:-pad] = 0
        padded[:, :k, pad:-pad, pad:-pad] = observations
        return window_gather(padded, ys, xs, 2 * pad + 1, 2 * pad + 1)
    raise ValueError(f"a view centred on the player applies to {' and '.join(VIEW_MODES)} observations, not {mode!r}")
