"""Watching a random player or the game's scripted policy in a window, or recording them to a video."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from pixelarena.agents.viewer.video import write_video


def has_display() -> bool:
    """Whether a window can be opened (a DISPLAY / Wayland socket, or a non-dummy SDL video driver)."""
    if os.environ.get("SDL_VIDEODRIVER", "") in ("dummy", "offscreen"):
        return False
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) or os.name == "nt"


def check_human_window(record: str | Path | None) -> None:
    """A one-line ValueError when ``--human`` cannot get its window: with ``record``, or with no display (where
    pygame's dummy driver would open an invisible window and wait for keys forever)."""
    if record is not None or not has_display():
        raise ValueError("--human plays in a window: " + ("drop --record" if record else "no display was found"))


def scripted_frames(
    env_name: str, policy: str, episodes: int, seed: int | None, scale: int, **game_kwargs: Any
) -> tuple[list[np.ndarray], list[float]]:
    """Play ``episodes`` with a scripted policy; return the rendered frames and the episode returns."""
    from pixelarena.envs.registration import make

    env = make(env_name, **game_kwargs)
    game = env.unwrapped.game
    env.reset(seed=seed)
    frames, returns, total = [game.render(scale)[0]], [], 0.0
    while len(returns) < episodes:
        action = game.expert_actions()[0] if policy == "scripted" else env.action_space.sample()
        _, reward, terminated, truncated, _ = env.step(action)
        total += reward
        frames.append(game.render(scale)[0])
        if terminated or truncated:
            returns.append(total)
            total = 0.0
            env.reset()
    env.close()
    return frames, returns


def watch_scripted(
    env_name: str,
    policy: str,
    episodes: int,
    seed: int | None,
    scale: int,
    record: str | None,
    **game_kwargs: Any,
) -> list[float]:
    """Show a scripted policy playing (or write a video when ``record`` is set or there is no display)."""
    frames, returns = scripted_frames(env_name, policy, episodes, seed, scale, **game_kwargs)
    print(f"{policy} policy on {env_name}: episode returns {', '.join(f'{r:+.1f}' for r in returns)}")
    if record is None and not has_display():
        record = str(Path("runs") / f"{env_name.lower()}_{policy}.gif")
        print("No display found: recording a video instead of opening a window.")
    if record is not None:
        path = write_video(record, frames)
        print(f"Video written to {path.resolve()}")
        return returns
    show_frames(frames, f"pixelarena: {env_name} ({policy} policy)")
    return returns


def show_frames(frames: list[np.ndarray], title: str, fps: float = 8) -> None:
    """Play frames in a pygame window."""
    from pixelarena.envs.window import Window

    window = Window(title)
    try:
        for frame in frames:
            window.show(frame, fps=fps)
            window.events()
    finally:
        window.close()
