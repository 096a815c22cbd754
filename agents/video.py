"""Writing frames to a video or GIF file (imageio; ffmpeg from the imageio-ffmpeg wheel for .mp4)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

VIDEO_SUFFIXES = (".mp4", ".gif")


def write_video(path: str | Path, frames: list[np.ndarray], fps: float = 8) -> Path:
    """Write RGB uint8 frames to ``path`` (.mp4 or .gif); falls back to .gif when ffmpeg is missing.

    Returns:
        The path actually written.
    """
    import imageio.v2 as imageio

    path = Path(path)
    if path.suffix not in VIDEO_SUFFIXES:
        raise ValueError(f"video file must end in {' or '.join(VIDEO_SUFFIXES)}, got {path.name!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".mp4":
        try:
            # macro_block_size=1: our frames are small multiples of the cell size, not of 16.
            imageio.mimwrite(path, frames, fps=fps, macro_block_size=1)
            return path
        except (ImportError, RuntimeError, ValueError):
            path = path.with_suffix(".gif")
    imageio.mimwrite(path, frames, duration=1000 / fps, loop=0)
    return path
