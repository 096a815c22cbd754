"""Catch: a small RGB game written the way a user writes one, with no knowledge of pixelarena.

It is here to check that pixelarena's pixel pipeline learns games it did not draw: the frame uses arbitrary
colours (orange fruit and red bombs share a strong red channel, like Chase's coin and enemy), declares no cell
size, and the same state is also offered as binary object planes (``obs="planes"``), the non-RGB observation to
compare against. Train it with ``pixelarena train --env tests.catch_env:Catch``.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

BACKGROUND, PADDLE, FRUIT, BOMB = (40, 44, 70), (210, 210, 200), (255, 150, 30), (225, 40, 40)


class Catch(gym.Env):
    """Move a paddle along the bottom row to catch falling fruit and dodge falling bombs.

    Observation: ``obs="rgb"`` (default) a ``size x size x 3`` uint8 frame, one pixel per cell; ``obs="planes"``
    ``3 x size x size`` uint8 0/1 planes (paddle, fruit, bomb). Actions: Discrete(3), left / stay / right.
    Rewards: +1 per fruit caught, -1 per bomb caught, 0 otherwise. Objects fall one row per step; each step a
    new object appears in the top row with probability ``spawn`` (fruit or bomb, even odds). Episodes are
    truncated after ``max_steps``. A uniformly random policy scores about 0 (it catches as many bombs as fruit);
    following the lowest fruit while avoiding bombs scores about +10 at the defaults (300 episodes: random
    -0.14, scripted +9.95).
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 10}

    def __init__(self, size: int = 10, spawn: float = 0.3, max_steps: int = 100, obs: str = "rgb",
                 render_mode: str | None = None) -> None:  # fmt: skip
        if obs not in ("rgb", "planes"):
            raise ValueError(f"obs must be 'rgb' or 'planes', got {obs!r}")
        self.size, self.spawn, self.max_steps, self.obs, self.render_mode = size, spawn, max_steps, obs, render_mode
        shape = (size, size, 3) if obs == "rgb" else (3, size, size)
        self.observation_space = spaces.Box(0, 255 if obs == "rgb" else 1, shape, dtype=np.uint8)
        self.action_space = spaces.Discrete(3)
        self._paddle = size // 2
        self._objects: list[list[int]] = []  # [row, column, kind (0 fruit, 1 bomb)]
        self._steps = 0

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        self._paddle = int(self.np_random.integers(self.size))
        self._objects, self._steps = [], 0
        return self._observe(), {}

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict]:
        self._paddle = int(np.clip(self._paddle + int(action) - 1, 0, self.size - 1))
        reward = 0.0
        for obj in self._objects:
            obj[0] += 1
        for row, column, kind in self._objects:
            if row == self.size - 1 and column == self._paddle:
                reward += -1.0 if kind else 1.0
        self._objects = [obj for obj in self._objects if obj[0] < self.size - 1]
        if self.np_random.random() < self.spawn:
            self._objects.append([0, int(self.np_random.integers(self.size)), int(self.np_random.integers(2))])
        self._steps += 1
        return self._observe(), reward, False, self._steps >= self.max_steps, {}

    def _planes(self) -> np.ndarray:
        planes = np.zeros((3, self.size, self.size), dtype=np.uint8)
        planes[0, self.size - 1, self._paddle] = 1
        for row, column, kind in self._objects:
            planes[1 + kind, row, column] = 1
        return planes

    def _observe(self) -> np.ndarray:
        planes = self._planes()
        if self.obs == "planes":
            return planes
        frame = np.empty((self.size, self.size, 3), dtype=np.uint8)
        frame[:] = BACKGROUND
        for plane, colour in zip(planes, (PADDLE, FRUIT, BOMB), strict=True):
            frame[plane.astype(bool)] = colour
        return frame

    def render(self) -> np.ndarray | None:
        if self.render_mode != "rgb_array":
            return None
        frame = self._observe() if self.obs == "rgb" else np.moveaxis(self._planes() * 255, 0, 2)
        return np.kron(frame, np.ones((16, 16, 1), dtype=np.uint8))


def scripted_action(env: Catch) -> int:
    """Follow the lowest fruit, stepping aside from a bomb about to land on the paddle (the +10 policy)."""
    fruit = [obj for obj in env._objects if obj[2] == 0]
    target = max(fruit)[1] if fruit else env._paddle
    move = int(np.sign(target - env._paddle))
    landing = {column for row, column, kind in env._objects if kind == 1 and row >= env.size - 3}
    if env._paddle + move in landing:
        move = next((m for m in (0, -1, 1) if 0 <= env._paddle + m < env.size and env._paddle + m not in landing), 0)
    return move + 1
