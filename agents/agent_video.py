"""Frames of a trained agent playing: for the end-of-training video (W&B, --show) and headless recording."""

from __future__ import annotations

import numpy as np
from stable_baselines3 import PPO

from agents.config import RunConfig
from agents.model import builtin_game

DISPLAY_CELL_PX = 16


def agent_frames(
    model: PPO, config: RunConfig, episodes: int = 1, seed: int = 0, max_frames: int = 600
) -> list[np.ndarray]:
    """RGB frames of ``episodes`` greedy episodes of a built-in game (at most ``max_frames``)."""
    game_class = builtin_game(config.env)
    if game_class is None:
        raise ValueError(f"agent videos need a built-in game; {config.env!r} is external")
    kwargs = dict(config.env_kwargs)
    if config.obs is not None:
        kwargs["obs"] = config.obs
    game = game_class(1, **kwargs)
    game.reset(seeds=np.array([seed], dtype=np.uint64))
    frames, finished = [game.render(DISPLAY_CELL_PX)[0]], 0
    while finished < episodes and len(frames) < max_frames:
        masks = {"action_masks": game.action_masks()} if game.HAS_ACTION_MASKS else {}
        actions, _ = model.predict(game.observe(), deterministic=True, **masks)
        _, terminated, truncated = game.step(actions)
        frames.append(game.render(DISPLAY_CELL_PX)[0])
        if terminated[0] or truncated[0]:
            finished += 1
            game.reset(np.array([0]))
    return frames
