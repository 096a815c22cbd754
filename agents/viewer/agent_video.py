"""Frames of a trained agent playing, for the end-of-training video (W&B): the viewer's headless frames, so the
video has the same side panel (value, action probabilities) as ``pixelarena play``."""

from __future__ import annotations

import numpy as np
from stable_baselines3 import PPO

from pixelarena.agents.run.config import RunConfig

DISPLAY_CELL_PX = 16


def agent_frames(
    model: PPO, config: RunConfig, episodes: int = 1, seed: int = 0, max_frames: int = 600, overlay: str = "none"
) -> list[np.ndarray]:
    """RGB frames of ``episodes`` greedy episodes (at most ``max_frames``), with the viewer's panel."""
    from pixelarena.agents.viewer.loop import agent_viewer, play_frames

    viewer = agent_viewer(model, config, seed, DISPLAY_CELL_PX, overlay, show_help=False)
    try:
        return list(play_frames(viewer, episodes, max_frames))
    finally:
        viewer.session.close()
