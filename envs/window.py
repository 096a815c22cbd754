"""A pygame window that shows RGB frames. Numpy renders; pygame only displays (and is imported lazily)."""

from __future__ import annotations

from typing import Any

import numpy as np


class Window:
    """Shows ``(H, W, 3)`` uint8 frames, scaled to the window. ``close()`` is safe to call twice.

    Args:
        title: the window caption.
        size: initial window size in pixels; None fits the first frame.
    """

    def __init__(self, title: str, size: tuple[int, int] | None = None) -> None:
        import pygame  # lazy: games and training never need a display

        self._pg = pygame
        pygame.display.init()
        pygame.display.set_caption(title)
        self._size = size
        self._surface: Any = None
        self._shape: tuple[int, int] = (0, 0)
        self._clock = pygame.time.Clock()

    def show(self, frame: np.ndarray, fps: float | None = None) -> None:
        """Draw ``frame`` (scaled to fit, nearest-neighbour) and keep the window responsive."""
        pg = self._pg
        h, w = frame.shape[:2]
        if self._surface is None:
            self._surface = pg.display.set_mode(self._size or (w, h), pg.RESIZABLE)
        elif (h, w) != self._shape:  # a frame of another shape (an overlay drawn beside the game): same scale
            scale = self._surface.get_height() / self._shape[0]
            self._surface = pg.display.set_mode((round(w * scale), round(h * scale)), pg.RESIZABLE)
        self._shape = (h, w)
        pg.event.pump()
        image = pg.surfarray.make_surface(np.ascontiguousarray(frame.transpose(1, 0, 2)))
        target = self._surface.get_size()
        self._surface.blit(pg.transform.scale(image, target), (0, 0))
        pg.display.flip()
        if fps:
            self._clock.tick(fps)

    def events(self) -> list[Any]:
        """Pending pygame events (key presses, clicks, resizes, quit)."""
        return self._pg.event.get()

    @property
    def size(self) -> tuple[int, int]:
        """Current ``(width, height)`` of the drawing area in pixels."""
        return self._surface.get_size() if self._surface is not None else (self._size or (0, 0))

    def close(self) -> None:
        if self._surface is not None:
            self._pg.display.quit()
            self._surface = None
