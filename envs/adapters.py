"""Gymnasium views of a batched game: a single ``Env`` (N = 1) and a ``VectorEnv`` (N = num_envs).

Autoreset (``GameVectorEnv``), as in Gymnasium 1.x:

- ``NEXT_STEP`` (default): a game that ended at step t is reset at step t + 1; that step ignores its action
  and returns the first observation of the new episode with reward 0 and no termination.
- ``SAME_STEP``: a game that ended is reset within the same step; the returned observation is the new
  episode's first, the last one is in ``infos["final_obs"][i]`` (``infos["_final_obs"][i]`` is True).
- ``DISABLED``: nothing is reset; call ``reset(options={"reset_mask": mask})`` yourself.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from pixelarena.envs.core import BatchedGame, one_line
from pixelarena.envs.window import Window

RENDER_CELL_PX = 24  # display scale of render(): crisp sprites at a comfortable size


def _seeds(seed: int | list[int | None] | None, n: int) -> np.ndarray | None:
    """Per-game seeds: an int ``s`` seeds game i with ``s + i``, as Gymnasium's vector envs do."""
    if seed is None:
        return None
    if isinstance(seed, int | np.integer):
        return np.uint64(seed) + np.arange(n, dtype=np.uint64)
    if len(seed) != n or any(s is None for s in seed):
        raise ValueError(f"seed must be an int or a list of {n} ints, got {seed!r}")
    return np.asarray(seed, dtype=np.uint64)


class GameEnv(gym.Env):
    """One game as a Gymnasium ``Env``: the batched core with N = 1.

    Args:
        game: the game class (e.g. ``envs.Chase``).
        render_mode: None, "rgb_array" or "human" (a pygame window).
        **game_kwargs: the game's arguments (``size``, ``obs``, ``cell_px``, ``max_steps``, counts...).
    """

    metadata = {"render_modes": ["rgb_array", "human"], "render_fps": 8}

    def __init__(self, game: type[BatchedGame], render_mode: str | None = None, **game_kwargs: Any) -> None:
        if render_mode not in (None, *self.metadata["render_modes"]):
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} or None, got {render_mode!r}")
        self.game = game(1, **game_kwargs)
        self.metadata = {**self.metadata, **self.game.metadata}
        self.observation_space = self.game.single_observation_space
        self.action_space = self.game.single_action_space
        self.render_mode = render_mode
        self._window: Window | None = None

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        self.game.reset(seeds=_seeds(seed, 1))
        if self.render_mode == "human":
            self.render()
        return self.game.observe()[0], {}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict]:
        arr = np.asarray(action)
        if arr.dtype.kind not in "iu" or arr.shape != self.action_space.shape or not self.action_space.contains(arr):
            space = one_line(self.action_space, None)
            raise ValueError(f"invalid action {one_line(repr(action))}: expected an element of {space}")
        reward, terminated, truncated = self.game.step(arr[None])
        if self.render_mode == "human":
            self.render()
        return self.game.observe()[0], float(reward[0]), bool(terminated[0]), bool(truncated[0]), {}

    def render(self) -> np.ndarray | None:
        if self.render_mode is None:  # Gymnasium: with no render mode, render() computes nothing
            return None
        frame = self.game.render(RENDER_CELL_PX)[0]
        if self.render_mode == "human":
            if self._window is None:
                self._window = Window(f"pixelarena: {type(self.game).__name__}")
            self._window.show(frame, fps=self.metadata["render_fps"])
            return None
        return frame

    def close(self) -> None:
        if self._window is not None:
            self._window.close()
            self._window = None


class MaskedGameEnv(GameEnv):
    """A game with invalid actions: adds ``action_masks()``, which sb3-contrib's MaskablePPO reads."""

    def action_masks(self) -> np.ndarray:
        return self.game.action_masks()[0]


def game_env(game: type[BatchedGame], **kwargs: Any) -> GameEnv:
    """The single-env entry point: a :class:`MaskedGameEnv` for games with action masks."""
    return (MaskedGameEnv if game.HAS_ACTION_MASKS else GameEnv)(game, **kwargs)


class GameVectorEnv(VectorEnv):
    """N games as one Gymnasium ``VectorEnv``, stepped by the batched core in one pass (no per-env loop).

    Args:
        game: the game class.
        num_envs: N.
        autoreset_mode: see the module docstring.
        render_mode: None or "rgb_array" (``render()`` returns a tuple of N frames).
        **game_kwargs: the game's arguments.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 8, "autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(
        self,
        game: type[BatchedGame],
        num_envs: int = 1,
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        render_mode: str | None = None,
        **game_kwargs: Any,
    ) -> None:
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode must be 'rgb_array' or None for a vector env, got {render_mode!r}")
        self.game = game(num_envs, **game_kwargs)
        self.num_envs = num_envs
        self.autoreset_mode = AutoresetMode(autoreset_mode)
        self.metadata = {**self.metadata, **self.game.metadata, "autoreset_mode": self.autoreset_mode}
        self.render_mode = render_mode
        self.single_observation_space = self.game.single_observation_space
        self.single_action_space = self.game.single_action_space
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self._autoreset = np.zeros(num_envs, dtype=bool)

    def reset(
        self, *, seed: int | list[int | None] | None = None, options: dict | None = None
    ) -> tuple[np.ndarray, dict]:
        mask = None if options is None else options.get("reset_mask")
        idx = None if mask is None else np.flatnonzero(mask)
        seeds = _seeds(seed, self.num_envs)
        if seeds is not None and idx is not None:
            seeds = seeds[idx]
        self.game.reset(idx, seeds)
        self._autoreset[slice(None) if idx is None else idx] = False
        return self.game.observe(), {}

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict]:
        infos: dict[str, Any] = {}
        if self.autoreset_mode == AutoresetMode.NEXT_STEP:
            reward, terminated, truncated = self.game.step(actions, reset_instead=self._autoreset)
            self._autoreset = terminated | truncated
            return self.game.observe(), reward, terminated, truncated, infos
        reward, terminated, truncated = self.game.step(actions)
        done = terminated | truncated
        if self.autoreset_mode == AutoresetMode.SAME_STEP and done.any():
            final = np.full(self.num_envs, None, dtype=object)
            last = self.game.observe()
            for i in np.flatnonzero(done):
                final[i] = last[i]
            infos = {"final_obs": final, "_final_obs": done, "final_info": {}, "_final_info": done}
            self.game.reset(np.flatnonzero(done))
        return self.game.observe(), reward, terminated, truncated, infos

    def action_masks(self) -> np.ndarray:
        """Valid actions of every game, ``(N, ...)`` bool (games with action masks only)."""
        return self.game.action_masks()

    def render(self) -> tuple[np.ndarray, ...] | None:
        if self.render_mode != "rgb_array":
            return None
        return tuple(self.game.render(RENDER_CELL_PX))
