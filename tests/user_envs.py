"""Small Gymnasium envs of the kind a user would write, to train on through ``module:Class``.

``ChannelsLastEnv`` and ``ChannelsFirstEnv`` are the same "go to the lit cell" task in the two image layouts
(and two dtypes) that external envs use; ``DictObsEnv`` has a Dict observation, which pixelarena's policies
do not read, to test the error for unsupported spaces.
"""

from __future__ import annotations

import time
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

# Moves of Discrete(5): stay, up, down, left, right (row, column deltas). Discrete(4) uses the last four.
_MOVES = np.array([(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)])


class _LitCellTask(gym.Env):
    """Walk an agent on a square grid to the one lit cell.

    Rewards: +1 on reaching the lit cell (the episode ends), -0.01 per other step. Episodes are truncated
    after ``max_steps`` (at most 20) steps. Subclasses choose the action set and draw the observation.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 10}

    def __init__(self, size: int, moves: np.ndarray, max_steps: int = 20, render_mode: str | None = None) -> None:
        if size < 2:
            raise ValueError(f"size must be at least 2, got {size}")
        if not 1 <= max_steps <= 20:
            raise ValueError(f"max_steps must be in 1..20, got {max_steps}")
        self.size = size
        self.max_steps = max_steps
        self.render_mode = render_mode
        self._moves = moves
        self.action_space = spaces.Discrete(len(moves))
        self._agent = np.zeros(2, dtype=np.int64)
        self._goal = np.zeros(2, dtype=np.int64)
        self._steps = 0

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        cells = self.np_random.choice(self.size * self.size, size=2, replace=False)
        self._agent = np.array(divmod(int(cells[0]), self.size))
        self._goal = np.array(divmod(int(cells[1]), self.size))
        self._steps = 0
        return self._observe(), {}

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict]:
        self._agent = np.clip(self._agent + self._moves[int(action)], 0, self.size - 1)
        self._steps += 1
        reached = bool((self._agent == self._goal).all())
        reward = 1.0 if reached else -0.01
        return self._observe(), reward, reached, self._steps >= self.max_steps and not reached, {}

    def render(self) -> np.ndarray | None:
        if self.render_mode != "rgb_array":
            return None
        image = np.zeros((self.size, self.size, 3), dtype=np.uint8)
        image[tuple(self._goal)] = (255, 220, 0)
        image[tuple(self._agent)] = (0, 120, 255)
        return np.kron(image, np.ones((8, 8, 1), dtype=np.uint8))  # 8 px per cell, to be visible

    def _observe(self) -> np.ndarray:
        raise NotImplementedError


class ChannelsLastEnv(_LitCellTask):
    """uint8 10x10x3 image (red: agent, green: lit cell, 0 or 255), Discrete(4) moves: up, down, left, right."""

    def __init__(self, size: int = 10, max_steps: int = 20, render_mode: str | None = None) -> None:
        super().__init__(size, _MOVES[1:], max_steps, render_mode)
        self.observation_space = spaces.Box(0, 255, (size, size, 3), dtype=np.uint8)

    def _observe(self) -> np.ndarray:
        obs = np.zeros((self.size, self.size, 3), dtype=np.uint8)
        obs[self._agent[0], self._agent[1], 0] = 255
        obs[self._goal[0], self._goal[1], 1] = 255
        return obs


class ChannelsFirstEnv(_LitCellTask):
    """float32 2x9x9 planes (0: agent, 1: lit cell, 0.0 or 1.0), Discrete(5) moves: stay, up, down, left, right."""

    def __init__(self, size: int = 9, max_steps: int = 20, render_mode: str | None = None) -> None:
        super().__init__(size, _MOVES, max_steps, render_mode)
        self.observation_space = spaces.Box(0.0, 1.0, (2, size, size), dtype=np.float32)

    def _observe(self) -> np.ndarray:
        obs = np.zeros((2, self.size, self.size), dtype=np.float32)
        obs[0, self._agent[0], self._agent[1]] = 1.0
        obs[1, self._goal[0], self._goal[1]] = 1.0
        return obs


class FlatImageEnv(_LitCellTask):
    """uint8 10x10 grey image without a channel axis (agent 255, lit cell 128), Discrete(4) moves."""

    def __init__(self, size: int = 10, max_steps: int = 20, render_mode: str | None = None) -> None:
        super().__init__(size, _MOVES[1:], max_steps, render_mode)
        self.observation_space = spaces.Box(0, 255, (size, size), dtype=np.uint8)

    def _observe(self) -> np.ndarray:
        obs = np.zeros((self.size, self.size), dtype=np.uint8)
        obs[self._goal[0], self._goal[1]] = 128
        obs[self._agent[0], self._agent[1]] = 255
        return obs


# Importing this module registers an id, as packages like minigrid do: usable as "tests.user_envs:UserLitCell-v0".
gym.register("UserLitCell-v0", entry_point=ChannelsLastEnv, max_episode_steps=20)


class DictObsEnv(gym.Env):
    """A Dict observation (an image and a vector) of random values, each episode one step long."""

    def __init__(self) -> None:
        self.observation_space = spaces.Dict(
            {"image": spaces.Box(0, 255, (8, 8, 3), dtype=np.uint8), "speed": spaces.Box(-1.0, 1.0, (2,))}
        )
        self.action_space = spaces.Discrete(3)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[dict, dict]:
        super().reset(seed=seed)
        if seed is not None:
            self.observation_space.seed(seed)
        return self.observation_space.sample(), {}

    def step(self, action: int) -> tuple[dict, float, bool, bool, dict]:
        return self.observation_space.sample(), 0.0, True, False, {}


class MissionDictEnv(DictObsEnv):
    """MiniGrid's observation shape: an image, a direction and a Text mission (SB3's vector env cannot hold Text)."""

    def __init__(self) -> None:
        self.observation_space = spaces.Dict(
            {"image": spaces.Box(0, 255, (7, 7, 3), dtype=np.uint8), "direction": spaces.Discrete(4),
             "mission": spaces.Text(max_length=32)}
        )  # fmt: skip
        self.action_space = spaces.Discrete(3)


class NestedDictEnv(DictObsEnv):
    """A Dict inside a Dict: not read by the policies (the error says to flatten it)."""

    def __init__(self) -> None:
        self.observation_space = spaces.Dict(
            {"image": spaces.Box(0, 255, (8, 8, 3), dtype=np.uint8),
             "status": spaces.Dict({"hp": spaces.Box(0.0, 1.0, (1,))})}
        )  # fmt: skip
        self.action_space = spaces.Discrete(3)


class NumbersDictEnv(DictObsEnv):
    """A Dict of numbers only: no image key for an encoder to read (the error says to use a Box and the mlp)."""

    def __init__(self) -> None:
        self.observation_space = spaces.Dict({"hp": spaces.Box(0.0, 1.0, (3,)), "level": spaces.Discrete(4)})
        self.action_space = spaces.Discrete(3)


class CueDictEnv(gym.Env):
    """One-step episodes where only the vector key tells the right action: the image is noise, ``cue`` a
    Discrete(3) naming the action that earns +1 (others 0). A random policy scores 1/3; learning it needs the
    vector branch of the Dict encoder."""

    def __init__(self) -> None:
        self.observation_space = spaces.Dict(
            {"image": spaces.Box(0, 255, (6, 6, 3), dtype=np.uint8), "cue": spaces.Discrete(3)}
        )
        self.action_space = spaces.Discrete(3)
        self._cue = 0

    def _observe(self) -> dict[str, Any]:
        self._cue = int(self.np_random.integers(3))
        return {"image": self.np_random.integers(0, 256, (6, 6, 3), dtype=np.uint8), "cue": self._cue}

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[dict, dict]:
        super().reset(seed=seed)
        return self._observe(), {}

    def step(self, action: int) -> tuple[dict, float, bool, bool, dict]:
        reward = float(int(action) == self._cue)
        return self._observe(), reward, True, False, {}


class ImageCueEnv(gym.Env):
    """One-step episodes where an image tells the right action: one cell of an 8x8 uint8 RGB image is lit red,
    green or blue, anywhere, and the action of that colour's index earns +1 (others 0). A random policy scores 1/3;
    a convolutional policy learns it in a few thousand steps."""

    COLOURS = np.array([(230, 40, 40), (40, 230, 40), (40, 40, 230)], dtype=np.uint8)

    def __init__(self) -> None:
        self.observation_space = spaces.Box(0, 255, (8, 8, 3), dtype=np.uint8)
        self.action_space = spaces.Discrete(3)
        self._cue = 0

    def _observe(self) -> np.ndarray:
        self._cue = int(self.np_random.integers(3))
        image = np.zeros((8, 8, 3), dtype=np.uint8)
        image[tuple(self.np_random.integers(0, 8, 2))] = self.COLOURS[self._cue]
        return image

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        return self._observe(), {}

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict]:
        reward = float(int(action) == self._cue)
        return self._observe(), reward, True, False, {}


class RecallCueEnv(gym.Env):
    """An episode that needs memory: the first observation names the rewarded action (a one-hot cue among 3),
    the next ``delay`` observations are blank, and the action taken on the last of them earns +1 if it is the
    cue's (0 otherwise) and ends the episode. Actions before that do nothing. Without memory the last observation
    tells nothing: 1/3 at best; a policy that remembers the first one scores 1."""

    def __init__(self, delay: int = 3) -> None:
        self.observation_space = spaces.Box(0.0, 1.0, (4,), dtype=np.float32)  # cue one-hot, and "choose now"
        self.action_space = spaces.Discrete(3)
        self.delay = delay
        self._cue = self._t = 0

    def _observe(self) -> np.ndarray:
        obs = np.zeros(4, dtype=np.float32)
        if self._t == 0:
            obs[self._cue] = 1.0
        if self._t == self.delay:
            obs[3] = 1.0
        return obs

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        self._cue, self._t = int(self.np_random.integers(3)), 0
        return self._observe(), {}

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict]:
        if self._t == self.delay:
            return self._observe(), float(int(action) == self._cue), True, False, {}
        self._t += 1
        return self._observe(), 0.0, False, False, {}


class FailingEnv(ChannelsLastEnv):
    """Raises in step() once ``fail_at`` steps were taken (over all episodes): a user's env with a bug."""

    def __init__(self, fail_at: int = 300, size: int = 10) -> None:
        super().__init__(size=size)
        self.fail_at, self.taken = fail_at, 0

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict]:
        self.taken += 1
        if self.taken >= self.fail_at:
            raise RuntimeError(f"the level file is missing (step {self.taken})")
        return super().step(action)


class NaNRewardEnv(ChannelsLastEnv):
    """Rewards NaN from the first step: PPO's update turns the weights non-finite."""

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict]:
        obs, _, terminated, truncated, info = super().step(action)
        return obs, float("nan"), terminated, truncated, info


class SlowEnv(ChannelsLastEnv):
    """``ChannelsLastEnv`` whose every step also computes for ``step_ms`` milliseconds, like a game written in pure
    Python (at 10 ms, about 100 frames/s): what ``--vec-env subproc`` spreads over processes."""

    def __init__(self, step_ms: float = 10.0, size: int = 10, max_steps: int = 20) -> None:
        super().__init__(size, max_steps)
        self.step_ms = step_ms

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict]:
        deadline = time.perf_counter() + self.step_ms / 1000
        while time.perf_counter() < deadline:  # busy, not asleep: it takes a core, as game code does
            pass
        return super().step(action)
