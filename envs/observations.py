"""The three observation modes of a game, all built from the same object positions.

- ``pixels``: RGB uint8 ``(height * cell_px, width * cell_px, 3)``, channels last.
- ``grid``: uint8 ``(K, height, width)`` in {0, 1}, channel k set where an object of kind k is.
- ``vector``: float32 ``(D,)``: for each kind in order, ``max_count`` slots of ``(x, y, present)`` with
  ``x = col / (width - 1)`` and ``y = row / (height - 1)`` in [0, 1]; absent slots are all zeros. Then the
  game's extra features (e.g. Snake's heading), in [-1, 1]. ``vector_layout()`` names every entry.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from envs.render import FrameBuffer, Kind

OBS_MODES = ("pixels", "grid", "vector")


class GridBuffer:
    """Binary per-kind occupancy maps of N games, updated in place like :class:`FrameBuffer`."""

    def __init__(self, num_games: int, height: int, width: int, num_kinds: int) -> None:
        self.h = height
        self.grid = np.zeros((num_games, num_kinds, height + 1, width), dtype=np.uint8)
        self._flat = self.grid.reshape(-1)
        plane = (height + 1) * width
        self._base = (np.arange(num_games, dtype=np.int64) * num_kinds * plane)[:, None]
        self._plane, self._w = plane, width
        self._drawn = np.zeros(0, dtype=np.int64)

    def draw(self, objects: list[tuple[np.ndarray, np.ndarray]]) -> None:
        self._flat[self._drawn] = 0
        cells = [(self._base + k * self._plane + ys * self._w + xs).ravel() for k, (ys, xs) in enumerate(objects)]
        self._drawn = np.concatenate(cells)
        self._flat[self._drawn] = 1

    def maps(self) -> np.ndarray:
        """A fresh uint8 array ``(N, K, height, width)``."""
        return self.grid[:, :, : self.h].copy()


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


def vector_layout(kinds: tuple[Kind, ...], counts: tuple[int, ...], extra_names: tuple[str, ...]) -> list[str]:
    """Name of every entry of the packed vector, e.g. ``enemy[2].x``."""
    names = [f"{kind.name}[{i}].{field}" for kind, m in zip(kinds, counts) for i in range(m) for field in "xyp"]
    return names + list(extra_names)


def observation_space(
    mode: str, height: int, width: int, cell_px: int, num_kinds: int, vector_size: int
) -> gym.spaces.Box:
    """The single-game observation space of ``mode``."""
    if mode == "pixels":
        return gym.spaces.Box(0, 255, (height * cell_px, width * cell_px, 3), np.uint8)
    if mode == "grid":
        return gym.spaces.Box(0, 1, (num_kinds, height, width), np.uint8)
    return gym.spaces.Box(-1.0, 1.0, (vector_size,), np.float32)


class Observer:
    """Turns object positions into observations of one mode, keeping incremental buffers where they pay."""

    def __init__(
        self, mode: str, num_games: int, height: int, width: int, cell_px: int, kinds: tuple[Kind, ...]
    ) -> None:
        if mode not in OBS_MODES:
            raise ValueError(f"unknown obs mode {mode!r}; expected one of {', '.join(OBS_MODES)}")
        self.mode, self.h, self.w = mode, height, width
        self.frames = FrameBuffer(num_games, height, width, cell_px, kinds) if mode == "pixels" else None
        self.grids = GridBuffer(num_games, height, width, len(kinds)) if mode == "grid" else None

    def __call__(self, objects: list[tuple[np.ndarray, np.ndarray]], extras: np.ndarray | None) -> np.ndarray:
        if self.frames is not None:
            self.frames.draw(objects)
            return self.frames.pixels()
        if self.grids is not None:
            self.grids.draw(objects)
            return self.grids.maps()
        return pack_vector(objects, self.h, self.w, extras)
