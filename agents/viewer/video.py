"""Writing frames to a video or GIF file (imageio; ffmpeg from the imageio-ffmpeg wheel for .mp4)."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

VIDEO_SUFFIXES = (".mp4", ".gif")


def check_video_path(path: str | Path) -> Path:
    """``path`` as a Path, or a one-line ValueError when it is not a .mp4 or .gif file name."""
    path = Path(path)
    if path.suffix not in VIDEO_SUFFIXES:
        raise ValueError(f"video file must end in {' or '.join(VIDEO_SUFFIXES)}, got {path.name!r}")
    return path


def _even(frame: np.ndarray) -> np.ndarray:
    """The frame padded by edge pixels to even height and width: H.264 (yuv420p) halves both."""
    pad_h, pad_w = frame.shape[0] % 2, frame.shape[1] % 2
    return np.pad(frame, ((0, pad_h), (0, pad_w), (0, 0)), mode="edge") if pad_h or pad_w else frame


class VideoWriter:
    """Appends RGB uint8 frames to a .mp4 or .gif one at a time, so long recordings need no list of frames.

    The file is opened at the first frame. An .mp4 that cannot be written (ffmpeg missing) becomes a .gif next
    to it; ``path`` is the file actually written. Use as a context manager, or call ``close()``.

    Args:
        path: The file to write, ending in .mp4 or .gif.
        fps: Frames per second of playback.
    """

    def __init__(self, path: str | Path, fps: float = 8) -> None:
        self.path = check_video_path(path)
        self.fps = fps
        self.frames = 0
        self._writer: Any = None

    def _open(self, first: np.ndarray) -> None:
        import imageio.v2 as imageio

        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.suffix == ".mp4":
            try:
                # macro_block_size=1: our frames are small multiples of the cell size, not of 16.
                self._writer = imageio.get_writer(self.path, fps=self.fps, macro_block_size=1)
                self._writer.append_data(_even(first))  # ffmpeg starts (or fails) at the first frame
                return
            except (ImportError, RuntimeError, ValueError, OSError):
                self._writer = None
                self.path.unlink(missing_ok=True)
                self.path = self.path.with_suffix(".gif")
        self._writer = imageio.get_writer(self.path, mode="I", duration=1000 / self.fps, loop=0)
        self._writer.append_data(first)

    def append(self, frame: np.ndarray) -> None:
        """Add one ``(H, W, 3)`` uint8 frame (every frame of a file has the same size)."""
        if self._writer is None:
            self._open(frame)
        else:
            self._writer.append_data(_even(frame) if self.path.suffix == ".mp4" else frame)
        self.frames += 1

    def close(self) -> Path:
        """Finish the file; safe to call twice. Returns the path written."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        return self.path

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


def write_video(path: str | Path, frames: list[np.ndarray], fps: float = 8) -> Path:
    """Write RGB uint8 frames to ``path`` (.mp4 or .gif); falls back to .gif when ffmpeg is missing.

    Returns:
        The path actually written.
    """
    with VideoWriter(path, fps) as writer:
        for frame in frames:
            writer.append(frame)
    return writer.path
