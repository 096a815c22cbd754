"""Drawing into numpy RGB images: colour maps, nearest-neighbour resizing, blending, rectangles, lines, arrows
and text. The window and the headless recorder both draw with these, so a video shows what the window shows.

Text is rendered by pygame's font module onto an off-screen surface; that needs no display (``pygame.font``
works with SDL's dummy video driver), so recording works on machines without one.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

# Anchors of a perceptually ordered dark-to-bright map (close to matplotlib's "inferno"), so that low values
# stay dark over the game and peaks stand out; interpolated in numpy, no matplotlib import per frame.
_HEAT = np.array(
    [[0, 0, 4], [40, 11, 84], [101, 21, 110], [159, 42, 99], [212, 72, 66], [245, 125, 21], [250, 193, 39],
     [252, 255, 164]],
    dtype=np.float32,
)  # fmt: skip

Color = tuple[int, int, int]


def heat_colors(values: np.ndarray) -> np.ndarray:
    """Colours of ``values`` in [0, 1] (clipped): uint8 array of shape ``values.shape + (3,)``."""
    position = np.clip(np.nan_to_num(values), 0.0, 1.0) * (len(_HEAT) - 1)
    low = np.minimum(position.astype(np.int64), len(_HEAT) - 2)
    frac = (position - low)[..., None]
    return (_HEAT[low] * (1 - frac) + _HEAT[low + 1] * frac).astype(np.uint8)


def normalise(values: np.ndarray, percentile: float | None = None) -> np.ndarray:
    """Non-negative ``values`` (probabilities, weights, gradient magnitudes) divided by their maximum, so that
    equal values stay equal and the level says "compared with the strongest"; with ``percentile``, divided by
    that percentile instead, so that one extreme pixel does not wash out the rest. Clipped to [0, 1]."""
    values = np.asarray(values, dtype=np.float32)
    top = float(values.max(initial=0.0))
    if percentile is not None:
        top = float(np.percentile(values, percentile)) or top
    return np.clip(values / top, 0.0, 1.0) if top > 1e-12 else np.zeros_like(values)


def stretch(values: np.ndarray) -> np.ndarray:
    """``values`` mapped linearly from their range to [0, 1] (for signed maps such as a layer's outputs)."""
    values = np.asarray(values, dtype=np.float32)
    if values.size == 0:
        return values
    low, high = float(values.min()), float(values.max())
    return (values - low) / (high - low) if high - low > 1e-12 else np.zeros_like(values)


def resize_nearest(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """``image`` (H, W, ...) resized to ``(height, width)`` by nearest neighbour (crisp cells, no blur)."""
    rows = np.arange(height) * image.shape[0] // height
    cols = np.arange(width) * image.shape[1] // width
    return image[rows[:, None], cols[None, :]]


def blend(image: np.ndarray, colors: np.ndarray, alpha: np.ndarray | float) -> np.ndarray:
    """``image * (1 - alpha) + colors * alpha``; ``alpha`` a number or an (H, W) map in [0, 1]."""
    alpha = np.asarray(alpha, dtype=np.float32)
    if alpha.ndim == 2:
        alpha = alpha[:, :, None]
    mixed = image.astype(np.float32) * (1 - alpha) + colors.astype(np.float32) * alpha
    return np.clip(mixed, 0, 255).astype(np.uint8)


def background_mask(image: np.ndarray) -> np.ndarray:
    """(H, W) bool: the pixels of ``image``'s most common colour (a game's background)."""
    packed = (image[..., 0].astype(np.int32) << 16) | (image[..., 1].astype(np.int32) << 8) | image[..., 2]
    colors, counts = np.unique(packed[::4, ::4], return_counts=True)  # a sample finds the background as well
    return packed == colors[np.argmax(counts)]


def fill(canvas: np.ndarray, x: int, y: int, w: int, h: int, color: Color) -> None:
    """Fill a rectangle (clipped to the canvas)."""
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(canvas.shape[1], x + w), min(canvas.shape[0], y + h)
    if x1 > x0 and y1 > y0:
        canvas[y0:y1, x0:x1] = color


def outline(canvas: np.ndarray, x: int, y: int, w: int, h: int, color: Color) -> None:
    """A one-pixel rectangle outline."""
    fill(canvas, x, y, w, 1, color)
    fill(canvas, x, y + h - 1, w, 1, color)
    fill(canvas, x, y, 1, h, color)
    fill(canvas, x + w - 1, y, 1, h, color)


def line(
    canvas: np.ndarray, start: tuple[float, float], end: tuple[float, float], color: Color, width: int = 1
) -> None:
    """A line from ``start`` to ``end`` (``(x, y)`` pixels), ``width`` pixels thick, clipped to the canvas."""
    polyline(canvas, [start, end], color, width)


def arrow(
    canvas: np.ndarray, centre: tuple[float, float], direction: tuple[float, float], length: float, color: Color
) -> None:
    """An arrow of ``length`` pixels through ``centre`` pointing along ``direction`` (``(dx, dy)``)."""
    dx, dy = direction
    norm = float(np.hypot(dx, dy)) or 1.0
    dx, dy = dx / norm, dy / norm
    cx, cy = centre
    tail = (cx - dx * length / 2, cy - dy * length / 2)
    tip = (cx + dx * length / 2, cy + dy * length / 2)
    width = max(1, int(length // 8))
    line(canvas, tail, tip, color, width)
    head = length * 0.35
    for side in (+1, -1):  # two barbs at +-45 degrees back from the tip
        bx, by = -dx - side * dy, -dy + side * dx
        line(canvas, tip, (tip[0] + bx * head * 0.7, tip[1] + by * head * 0.7), color, width)


def polyline(canvas: np.ndarray, points: list[tuple[float, float]], color: Color, width: int = 1) -> None:
    """Connected line segments through ``points``, ``width`` pixels thick, clipped to the canvas.

    All segments' pixels are worked out in one pass (the panel's value sparkline has ~120 segments per frame)."""
    if len(points) < 2:
        return
    ends = np.asarray(points, dtype=np.float64)
    start, stop = ends[:-1], ends[1:]
    counts = np.abs(stop - start).max(axis=1).astype(np.int64) + 1  # one pixel per step along the longer axis
    segment = np.repeat(np.arange(len(counts)), counts)
    index = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    fraction = index / np.maximum(counts[segment] - 1, 1)
    xy = np.rint(start[segment] + (stop[segment] - start[segment]) * fraction[:, None]).astype(np.int64)
    half = (width - 1) // 2
    for dy in range(-half, width - half):
        for dx in range(-half, width - half):
            px, py = xy[:, 0] + dx, xy[:, 1] + dy
            inside = (px >= 0) & (px < canvas.shape[1]) & (py >= 0) & (py < canvas.shape[0])
            canvas[py[inside], px[inside]] = color


@lru_cache(maxsize=8)
def _font(size: int) -> Any:
    """pygame's default font at ``size`` (pygame imported lazily)."""
    import pygame

    pygame.font.init()  # fonts need no display
    return pygame.font.Font(None, size)


@lru_cache(maxsize=1024)
def _glyphs(string: str, size: int, color: Color) -> tuple[np.ndarray, np.ndarray]:
    """The rendered text as RGB (H, W, 3) and alpha (H, W) in [0, 1]."""
    import pygame

    surface = _font(size).render(string, True, color)
    rgb = pygame.surfarray.array3d(surface).transpose(1, 0, 2)
    alpha = pygame.surfarray.array_alpha(surface).T.astype(np.float32) / 255.0
    return rgb, alpha


def text_size(string: str, size: int = 16) -> tuple[int, int]:
    """``(width, height)`` in pixels of ``string`` at font ``size``."""
    rgb, _ = _glyphs(string, size, (255, 255, 255))
    return rgb.shape[1], rgb.shape[0]


def text(canvas: np.ndarray, x: int, y: int, string: str, color: Color = (230, 230, 230), size: int = 16) -> int:
    """Draw ``string`` with its top-left corner at ``(x, y)`` (clipped to the canvas); returns its width."""
    if not string:
        return 0
    rgb, alpha = _glyphs(string, size, color)
    h = min(rgb.shape[0], canvas.shape[0] - y)
    w = min(rgb.shape[1], canvas.shape[1] - x)
    if h > 0 and w > 0 and x >= 0 and y >= 0:
        region = canvas[y : y + h, x : x + w]
        region[:] = blend(region, rgb[:h, :w], alpha[:h, :w])
    return rgb.shape[1]
