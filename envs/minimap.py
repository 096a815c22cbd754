"""The screen-plus-minimap view: the crop around the player at full resolution, and the whole map pooled to the
crop's size, both centred on the player, stacked as channels of one observation (PySC2's ``feature_screen`` and
``feature_minimap``, as one Box that every encoder and stock stable-baselines3 read).

``minimap=k`` (with ``view="ego", view_radius=r``): each minimap cell covers ``k x k`` map cells, so the minimap
sees ``(2r + 1) * k`` cells a side around the player; ``k`` is odd so that the player's cell is the centre of the
minimap's centre cell. :func:`covering_factor` gives the smallest ``k`` that sees the whole map from every cell.

A minimap cell is the max-pool of its ``k x k`` cells: in grids each kind's channel (and the wall's) is 1 where any
of its cells holds one; in pixels the cell is drawn as the sprite of the last kind present (the kind that wins a
shared cell in the map's frame too), else as wall if any of its cells lies beyond the map, else background.

Observation shapes: pixels ``(side * cell_px, side * cell_px, 6)``, the crop's RGB then the minimap's; grids
``(2 * (K + 1), side, side)``, the crop's K kinds and wall, then the minimap's. The env's metadata declares
``image_frames = 2`` for pixels, so the colour stem reads each RGB half (``nets.stems``).
"""

from __future__ import annotations

import numpy as np

from pixelarena.envs.render import WALL, Kind, sprite_atlas

MAX_FACTOR = 63


def covering_factor(radius: int, size: int) -> int:
    """The smallest odd ``k`` whose minimap, ``(2 * radius + 1) * k`` cells a side centred on any cell of a
    ``size``-cell map, covers the whole map (``2 * size - 1`` cells)."""
    k = -(-(2 * size - 1) // (2 * radius + 1))
    return k + 1 - k % 2


def minimap_factor_of(minimap: object, radius: int | None, size: int) -> int | None:
    """The minimap's pooling factor ``minimap`` asks for (None: no minimap), or a one-line ValueError that says
    what is wrong and what is allowed."""
    if minimap is None:
        return None
    if radius is None:
        raise ValueError(f"minimap={minimap!r} pools the map to the size of the crop around the player: add "
                         "view='ego' and view_radius=r (e.g. view_radius=5)")  # fmt: skip
    if (isinstance(minimap, bool) or not isinstance(minimap, int | np.integer) or not 1 <= minimap <= MAX_FACTOR
            or minimap % 2 == 0):  # fmt: skip
        whole = covering_factor(radius, size)
        raise ValueError(f"minimap must be an odd integer between 1 and {MAX_FACTOR} (map cells per minimap cell, a "
                         f"side; {whole} sees the whole {size}x{size} map), got {minimap!r}")  # fmt: skip
    return int(minimap)


def reach(radius: int, factor: int) -> int:
    """Cells the minimap sees on each side of the player."""
    return (2 * radius + 1) * factor // 2


class MinimapCells:
    """The pooled cell bytes of N games' minimaps (bit j: an object of kind j in the block, the last bit: a cell of
    the block beyond the map), computed from the objects alone: a block's wall bit depends on the player's row for
    the block's rows and on its column for the block's columns (two small tables), and each object sets one bit of
    one block. No map-sized plane is drawn or pooled, so the cost is that of the objects, not of the map."""

    def __init__(self, num_games: int, height: int, width: int, num_kinds: int, radius: int, factor: int) -> None:
        self.n, self.h, self.kinds, self.k = num_games, height, num_kinds, factor
        self.side, self.reach = 2 * radius + 1, reach(radius, factor)
        offsets = np.arange(self.side * factor) - self.reach  # cells of the window relative to the player

        def beyond(size: int) -> np.ndarray:  # (player coordinate, block) -> any cell of the block beyond the map
            cells = np.arange(size)[:, None] + offsets[None, :]
            outside = (cells < 0) | (cells >= size)
            return outside.reshape(size, self.side, factor).any(axis=2)

        self._rows_beyond, self._cols_beyond = beyond(height), beyond(width)
        self._wall = np.uint8(1 << num_kinds)
        self._base = np.arange(num_games, dtype=np.int64)[:, None] * self.side**2
        self._spare = num_games * self.side**2  # where absent and out-of-reach objects are written

    def __call__(self, objects: list[tuple[np.ndarray, np.ndarray]], ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
        """``(N, S, S)`` pooled bytes of the minimaps seen from cells ``(ys, xs)``."""
        wall = self._rows_beyond[ys][:, :, None] | self._cols_beyond[xs][:, None, :]
        flat = np.zeros(self._spare + 1, dtype=np.uint8)
        flat[: self._spare] = wall.reshape(-1) * self._wall
        for kind, (oy, ox) in enumerate(objects):
            by, bx = oy - ys[:, None] + self.reach, ox - xs[:, None] + self.reach
            seen = (oy < self.h) & (by >= 0) & (by < self.side * self.k) & (bx >= 0) & (bx < self.side * self.k)
            cell = np.where(seen, self._base + (by // self.k) * self.side + bx // self.k, self._spare)
            flat[cell] |= np.uint8(1 << kind)  # two objects of one kind in a block set the same bit
        return flat[: self._spare].reshape(self.n, self.side, self.side)


class MinimapPainter:
    """Pooled cell bytes -> the minimap as an observation of one mode (pixels or grid)."""

    def __init__(self, mode: str, kinds: tuple[Kind, ...], cell_px: int) -> None:
        self.mode, self.kinds, self.px = mode, len(kinds), cell_px
        self._bits = (1 << np.arange(self.kinds + 1, dtype=np.uint8))[:, None, None]
        # Atlas: background, each kind, then wall; a byte's sprite is its last kind bit, else wall, else background.
        self.atlas = np.concatenate([sprite_atlas(kinds, cell_px), np.full((1, cell_px, cell_px, 3), WALL, np.uint8)])
        codes = np.arange(256)
        sprite = np.zeros(256, dtype=np.int64)
        sprite[(codes >> self.kinds) & 1 == 1] = self.kinds + 1
        for k in range(self.kinds):
            sprite[(codes >> k) & 1 == 1] = k + 1
        self.sprite_of = sprite
        self._pixels_of = self.atlas[sprite]  # byte -> its block's pixels, (256, px, px, 3)
        self._pairs: np.ndarray | None = None  # (crop byte, minimap byte) -> 6 bytes, made on first use

    def __call__(self, pooled: np.ndarray) -> np.ndarray:
        """``(N, S, S)`` pooled bytes -> uint8 ``(N, K + 1, S, S)`` grids or ``(N, S * px, S * px, 3)`` pixels."""
        if self.mode == "grid":
            return (pooled[:, None] & self._bits != 0).view(np.uint8)
        n, side = pooled.shape[:2]
        if self.px == 1:  # one pixel per block: a plain colour lookup
            return self._pixels_of.reshape(256, 3)[pooled]
        sprites = self._pixels_of[pooled]  # (N, S, S, px, px, 3)
        return sprites.transpose(0, 1, 3, 2, 4, 5).reshape(n, side * self.px, side * self.px, 3)

    def pixels_beside(self, crop: np.ndarray, pooled: np.ndarray) -> np.ndarray:
        """At one pixel per cell: the crop's cell bytes ``(N, S, S)`` (as ``pooled``'s, wall beyond the map) and the
        pooled ones -> the stacked observation ``(N, S, S, 6)``, in one lookup of a (crop, minimap) table. The same
        pixels as drawing the crop and stacking the minimap on it, at about half the cost (numpy's copies of
        3-byte strides are slow)."""
        if self._pairs is None:
            colours = self._pixels_of.reshape(256, 3)
            pairs = np.concatenate([np.repeat(colours, 256, axis=0), np.tile(colours, (256, 1))], axis=1)
            self._pairs = np.ascontiguousarray(pairs).view("V6").reshape(65536)
        index = (crop.astype(np.uint16) << 8) | pooled
        n, side = pooled.shape[:2]
        return self._pairs.take(index).view(np.uint8).reshape(n, side, side, 6)


def stack(crop: np.ndarray, minimap: np.ndarray, mode: str) -> np.ndarray:
    """The crop and its minimap as one observation: pixels side by side on the channel axis (last), grids on the
    first axis after the batch."""
    return np.concatenate([crop, minimap], axis=-1 if mode == "pixels" else 1)


def minimap_from_grids(grids: np.ndarray, ys: np.ndarray, xs: np.ndarray, radius: int, factor: int,
                       painter: MinimapPainter) -> np.ndarray:  # fmt: skip
    """The minimap of map-frame ``grids`` ``(N, K, H, W)`` seen from cells ``(ys, xs)``: what a game made with this
    minimap observes in the same state (for recordings, as ``envs.views.centre`` is for the crop). Each kind's
    occupied cells become object slots (absent ones parked at ``y == H``) for :class:`MinimapCells`."""
    n, kinds, h, w = grids.shape
    objects = []
    for kind in range(kinds):
        occupied = grids[:, kind].reshape(n, h * w) != 0
        slots = max(int(occupied.sum(axis=1).max()), 1)
        cells = np.argsort(~occupied, axis=1, kind="stable")[:, :slots]  # occupied cells first
        present = np.take_along_axis(occupied, cells, axis=1)
        objects.append((np.where(present, cells // w, h), cells % w))
    return painter(MinimapCells(n, h, w, kinds, radius, factor)(objects, ys, xs))
