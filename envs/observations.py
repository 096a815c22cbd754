"""The observation modes of a game, all built from the same object positions.

- ``pixels``: RGB uint8 ``(height * cell_px, width * cell_px, 3)``, channels last.
- ``grid``: uint8 ``(K, height, width)`` in {0, 1}, channel k set where an object of kind k is.
- ``vector``: float32 ``(D,)``: for each kind in order, ``max_count`` slots of ``(x, y, present)`` with
  ``x = col / (width - 1)`` and ``y = row / (height - 1)`` in [0, 1]; absent slots are all zeros. Then the
  game's extra features (e.g. Snake's heading), in [-1, 1]. ``vector_layout()`` names every entry.
- ``entities`` (games with a player): float32 ``(R * F + 2 + E,)``: R rows, one per object that is not the player
  (every slot of every other kind), each ``(dx, dy, distance, present, is_<kind>...)`` relative to the player
  (``dx = (col - player col) / (width - 1)`` in [-1, 1], the Manhattan distance / (height + width - 2)), present
  rows sorted nearest first and absent ones after them as zeros; then the player's own ``(x, y)`` in [0, 1]
  (where the walls are) and the game's extras. The vector a careful engineer would build, and the input of an
  entity encoder: the env's metadata declares ``entity_rows`` R and ``entity_features`` F.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from pixelarena.envs import minimap as minimap_view
from pixelarena.envs.render import FrameBuffer, Kind, window_gather

OBS_MODES = ("pixels", "grid", "vector", "entities")
ENTITY_FIELDS = ("dx", "dy", "distance", "present")
"""The fields of every entity row before its kind's one-hot."""


class GridBuffer:
    """Binary per-kind occupancy maps of N games, updated in place like :class:`FrameBuffer`.

    Each cell is one byte whose bit k says that an object of kind k is there, so a map is one plane and a view
    centred on the player is one window of it (:meth:`windows`), split into channels after the cut. With ``pad``
    > 0 the map sits inside ``pad`` cells of border whose bit K (a last channel, ``wall``) is set.
    """

    def __init__(self, num_games: int, height: int, width: int, num_kinds: int, pad: int = 0) -> None:
        if num_kinds > 7:
            raise ValueError(f"grid observations hold up to 7 kinds of objects, got {num_kinds}")
        self.h, self.w, self.pad, self.kinds = height, width, pad, num_kinds
        rows, cols = height + 2 * pad, width + 2 * pad
        # The last row is the hidden parking row for absent objects (below the bottom wall when padded).
        self.cells = np.zeros((num_games, rows + 1, cols), dtype=np.uint8)
        if pad:
            self.cells[:] = 1 << num_kinds
            self.cells[:, pad : pad + height, pad : pad + width] = 0
        self._flat = self.cells.reshape(-1)
        self._base = (np.arange(num_games, dtype=np.int64) * (rows + 1) * cols)[:, None] + pad * (cols + 1)
        self._w, self._skip = cols, pad * cols
        self._bits = (1 << np.arange(num_kinds + 1, dtype=np.uint8))[:, None, None]
        self._drawn = np.zeros(0, dtype=np.int64)

    def draw(self, objects: list[tuple[np.ndarray, np.ndarray]]) -> None:
        self._flat[self._drawn] = 0
        cells = [self._base + ys * self._w + xs for ys, xs in objects]
        if self.pad:  # an absent object (y == height) goes to the parking row
            cells = [c + (ys >= self.h) * self._skip for c, (ys, _) in zip(cells, objects)]
        for k, c in enumerate(cells):  # kind by kind: two objects of one kind on a cell set the same bit
            self._flat[c] |= np.uint8(1 << k)
        self._drawn = np.concatenate([c.ravel() for c in cells])

    def _channels(self, cells: np.ndarray, channels: int) -> np.ndarray:
        """``(N, h, w)`` cell bytes -> ``(N, channels, h, w)`` uint8 in {0, 1}."""
        return (cells[:, None] & self._bits[:channels] != 0).view(np.uint8)

    def maps(self) -> np.ndarray:
        """A fresh uint8 array ``(N, K, height, width)`` (the map, without the wall channel)."""
        p = self.pad
        return self._channels(self.cells[:, p : p + self.h, p : p + self.w], self.kinds)

    def windows(self, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
        """Views centred on cell ``(ys[i], xs[i])`` of game i: a fresh uint8 array ``(N, K + 1, side, side)``,
        ``side = 2 * pad + 1``, the last channel the wall beyond the map."""
        return self._channels(self.window_bytes(ys, xs), self.kinds + 1)

    def window_bytes(self, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
        """The cell bytes of the views :meth:`windows` splits into channels: uint8 ``(N, side, side)``."""
        side = 2 * self.pad + 1
        return window_gather(self.cells, ys, xs, side, side)


def pack_vector(
    objects: list[tuple[np.ndarray, np.ndarray]], height: int, width: int, extras: np.ndarray | None
) -> np.ndarray:
    """Pack object slots (and extras) into float32 ``(N, D)`` as described in the module docstring."""
    parts = []
    for ys, xs in objects:
        present = ys < height
        slot = np.empty((*ys.shape, 3), dtype=np.float32)
        slot[..., 0] = np.where(present, xs / max(width - 1, 1), 0.0)
        slot[..., 1] = np.where(present, ys / max(height - 1, 1), 0.0)
        slot[..., 2] = present
        parts.append(slot.reshape(len(ys), -1))
    if extras is not None:
        parts.append(extras.astype(np.float32))
    return np.concatenate(parts, axis=1)


def pack_entities(objects: list[tuple[np.ndarray, np.ndarray]], player: int, height: int, width: int,
                  extras: np.ndarray | None) -> np.ndarray:  # fmt: skip
    """Pack every object but the player's as rows relative to it, nearest first, then the player's position and
    the extras: float32 ``(N, R * F + 2 + E)`` as described in the module docstring."""
    py, px = objects[player][0][:, :1], objects[player][1][:, :1]  # (N, 1)
    others = [k for k in range(len(objects)) if k != player]
    ys = np.concatenate([objects[k][0] for k in others], axis=1)  # (N, R)
    xs = np.concatenate([objects[k][1] for k in others], axis=1)
    kind = np.concatenate([np.full(objects[k][0].shape[1], j) for j, k in enumerate(others)])  # (R,)
    present = ys < height
    distance = np.abs(ys - py) + np.abs(xs - px)
    rows = np.zeros((*ys.shape, len(ENTITY_FIELDS) + len(others)), dtype=np.float32)
    rows[..., 0] = (xs - px) / max(width - 1, 1)
    rows[..., 1] = (ys - py) / max(height - 1, 1)
    rows[..., 2] = distance / max(height + width - 2, 1)
    rows[..., 3] = 1.0
    rows[:, np.arange(len(kind)), len(ENTITY_FIELDS) + kind] = 1.0
    rows[~present] = 0.0
    # Nearest first; absent objects after every present one (a stable sort keeps slot order among ties).
    order = np.argsort(np.where(present, distance, np.iinfo(np.int64).max), axis=1, kind="stable")
    rows = np.take_along_axis(rows, order[..., None], axis=1)
    own = np.concatenate([px / max(width - 1, 1), py / max(height - 1, 1)], axis=1).astype(np.float32)
    parts = [rows.reshape(len(rows), -1), own] + ([extras.astype(np.float32)] if extras is not None else [])
    return np.concatenate(parts, axis=1)


def entity_layout(kinds: tuple[Kind, ...], counts: tuple[int, ...], player: int,
                  extra_names: tuple[str, ...]) -> list[str]:  # fmt: skip
    """Name of every entry of an entities observation, e.g. ``entity[0].dx``, ``entity[0].is_enemy``, ``self.x``."""
    others = [kind.name for k, kind in enumerate(kinds) if k != player]
    fields = [*ENTITY_FIELDS, *(f"is_{name}" for name in others)]
    rows = sum(count for k, count in enumerate(counts) if k != player)
    return [f"entity[{i}].{field}" for i in range(rows) for field in fields] + ["self.x", "self.y", *extra_names]


def vector_layout(kinds: tuple[Kind, ...], counts: tuple[int, ...], extra_names: tuple[str, ...]) -> list[str]:
    """Name of every entry of the packed vector, e.g. ``enemy[2].x``."""
    names = [f"{kind.name}[{i}].{field}" for kind, m in zip(kinds, counts) for i in range(m) for field in "xyp"]
    return names + list(extra_names)


def observation_space(
    mode: str,
    height: int,
    width: int,
    cell_px: int,
    num_kinds: int,
    vector_size: int,
    radius: int | None = None,
    minimap: int | None = None,
) -> gym.spaces.Box:
    """The single-game observation space of ``mode`` (``vector_size``: the length of a vector or entities one;
    ``radius``: the view centred on the player, ``2 * radius + 1`` cells a side, None for the map's frame;
    ``minimap``: its pooling factor when the minimap is stacked on the crop, ``envs.minimap``)."""
    if radius is not None:
        height = width = 2 * radius + 1
    parts = 2 if minimap is not None else 1
    if mode == "pixels":
        return gym.spaces.Box(0, 255, (height * cell_px, width * cell_px, 3 * parts), np.uint8)
    if mode == "grid":
        return gym.spaces.Box(0, 1, ((num_kinds + (radius is not None)) * parts, height, width), np.uint8)
    return gym.spaces.Box(-1.0, 1.0, (vector_size,), np.float32)


class Observer:
    """Turns object positions into observations of one mode, keeping incremental buffers where they pay.

    ``radius`` (pixels and grid only) centres the view on the player (kind index ``player``): ``2 * radius + 1``
    cells a side, what lies beyond the map drawn as wall (``envs.views``); None keeps the map's frame. ``minimap``
    (with a radius) stacks the whole map pooled by that factor onto the crop (``envs.minimap``).
    """

    def __init__(self, mode: str, num_games: int, height: int, width: int, cell_px: int, kinds: tuple[Kind, ...],
                 player: int | None = None, radius: int | None = None, minimap: int | None = None) -> None:  # fmt: skip
        if mode not in OBS_MODES:
            raise ValueError(f"unknown obs mode {mode!r}; expected one of {', '.join(OBS_MODES)}")
        self.mode, self.h, self.w, self.player, self.radius = mode, height, width, player, radius
        pad = radius or 0
        # Pixels at one pixel per cell with a minimap: both halves are colour lookups of cell bytes (one pass).
        self._pair_colours = minimap is not None and mode == "pixels" and cell_px == 1
        pixels = mode == "pixels" and not self._pair_colours
        self.frames = FrameBuffer(num_games, height, width, cell_px, kinds, pad) if pixels else None
        self.grids = (
            GridBuffer(num_games, height, width, len(kinds), pad) if mode == "grid" or self._pair_colours else None
        )
        self.minimap = minimap
        if minimap is not None:
            assert radius is not None and mode in ("pixels", "grid")
            self.minimap_cells = minimap_view.MinimapCells(num_games, height, width, len(kinds), radius, minimap)
            self.painter = minimap_view.MinimapPainter(mode, kinds, cell_px)

    def __call__(self, objects: list[tuple[np.ndarray, np.ndarray]], extras: np.ndarray | None) -> np.ndarray:
        buffer = self.frames if self.frames is not None else self.grids
        if buffer is not None:
            buffer.draw(objects)
            if self.radius is None:
                return buffer.pixels() if self.frames is not None else buffer.maps()  # type: ignore[union-attr]
            assert self.player is not None
            ys, xs = objects[self.player]
            # A player that is gone (parked on the hidden row) is looked at from the map's last row.
            ys, xs = np.minimum(ys[:, 0], self.h - 1), xs[:, 0]
            if self.minimap is None:
                return buffer.windows(ys, xs)
            pooled = self.minimap_cells(objects, ys, xs)
            if self._pair_colours:
                return self.painter.pixels_beside(self.grids.window_bytes(ys, xs), pooled)  # type: ignore[union-attr]
            return minimap_view.stack(buffer.windows(ys, xs), self.painter(pooled), self.mode)
        if self.mode == "entities":
            assert self.player is not None
            return pack_entities(objects, self.player, self.h, self.w, extras)
        return pack_vector(objects, self.h, self.w, extras)
