"""Running the viewer: in a pygame window (events in, frames out, the agent stepping at the chosen speed), or
headless, one frame per step into a video file. Both draw the same frames (:class:`Viewer`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
from stable_baselines3 import PPO

from pixelarena.agents.run.config import RunConfig
from pixelarena.agents.viewer.controls import DEFAULT_SPEED, from_pygame
from pixelarena.agents.viewer.introspect import Introspector
from pixelarena.agents.viewer.session import open_session
from pixelarena.agents.viewer.video import VideoWriter
from pixelarena.agents.viewer.viewer import Viewer

WINDOW_FPS = 30
MAX_RECORDED_FRAMES = 5000
"""A recording stops here even if its episodes have not ended (a policy can stall an episode for ever)."""


def agent_viewer(
    model: PPO,
    config: RunConfig,
    seed: int = 0,
    scale: int = 24,
    overlay: str = "none",
    layer: int = 0,
    speed: float = DEFAULT_SPEED,
    human: bool = False,
    show_help: bool = True,
    screenshot_dir: Path = Path("."),
) -> Viewer:
    """A viewer of ``model`` playing its run's env on the training settings (see :class:`Viewer` for the rest).

    Args:
        model: The trained model.
        config: Its run's configuration.
        seed: Seed of the first episode.
        scale: Screen pixels per game cell.
    """
    if not 1 <= scale <= 64:
        raise ValueError(f"scale must be between 1 and 64 pixels per cell, got {scale}")
    session = open_session(config, seed, scale)
    try:
        return Viewer(
            session,
            Introspector(model.policy),
            title=f"{session.title} · {config.encoder} agent",
            overlay=overlay,
            layer=layer,
            speed=speed,
            human=human,
            show_help=show_help,
            screenshot_dir=screenshot_dir,
        )
    except ValueError:
        session.close()
        raise


def run_window(viewer: Viewer, fps: float = WINDOW_FPS, max_frames: int | None = None) -> int:
    """Show the viewer in a resizable pygame window until ``q`` / Esc / closing it (or ``max_frames``).

    The window redraws ``fps`` times a second whatever the agent's speed, so keys stay responsive at one step
    per second; at speeds above ``fps`` several steps happen per frame.

    Returns:
        The number of frames shown.
    """
    from pixelarena.envs.window import Window

    window = Window(f"pixelarena: {viewer.title}")
    due, frames = 0.0, 0
    try:
        while not viewer.state.quit and (max_frames is None or frames < max_frames):
            frame = viewer.frame()
            window.show(frame, fps=fps)
            frames += 1
            for event in window.events():
                converted = from_pygame(event, window.size, (frame.shape[1], frame.shape[0]))
                if converted is not None:
                    viewer.handle(converted)
            if viewer.state.paused:
                due = 0.0
                continue
            due = min(due + viewer.state.speed / fps, 16.0)  # catch up on a slow frame, within reason
            while due >= 1.0:
                due -= 1.0
                viewer.advance()
    finally:
        window.close()
        viewer.session.close()
    return frames


def play_frames(viewer: Viewer, episodes: int, max_frames: int = MAX_RECORDED_FRAMES) -> Iterator[np.ndarray]:
    """Frames of the agent playing ``episodes`` episodes, one per step, starting with the first observation and
    ending on the last episode's final state (at most ``max_frames``)."""
    if episodes < 1:
        raise ValueError(f"episodes must be at least 1, got {episodes}")
    viewer.set_state(human=False, paused=False)
    session = viewer.session
    start = len(session.returns)
    yield viewer.frame()
    produced = 1
    while len(session.returns) - start < episodes and produced < max_frames:
        viewer.advance()
        yield viewer.frame()
        produced += 1


def record_video(viewer: Viewer, path: str | Path, episodes: int, fps: float = 8) -> tuple[Path, int]:
    """Write the agent's play to a video (see :func:`play_frames`), with the viewer's overlay burnt in.

    Returns:
        The path written (a .gif when an .mp4 could not be) and the number of frames.
    """
    try:
        with VideoWriter(path, fps) as writer:
            for frame in play_frames(viewer, episodes):
                writer.append(frame)
    finally:
        viewer.session.close()
    return writer.path, writer.frames
