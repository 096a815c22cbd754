"""A stable-baselines3 ``VecEnv`` on a batched pixelarena game: one object steps all N games, no per-env loop.

SB3 wants same-step autoreset (a finished game is reset inside ``step`` and its last observation goes to
``infos[i]["terminal_observation"]``) and Monitor-style episode statistics in ``infos[i]["episode"]``; this
adapter provides both, so no ``VecMonitor`` is needed.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from stable_baselines3.common.vec_env.base_vec_env import VecEnv, VecEnvIndices, VecEnvStepReturn

from pixelarena.envs.core import BatchedGame


class BatchedVecEnv(VecEnv):
    """SB3 view of a :class:`envs.core.BatchedGame` of N games.

    Args:
        game: the batched game (its ``num_games`` is the number of envs).
        seed: seed of game 0; game i is seeded ``seed + i`` (None: fresh entropy).
    """

    render_mode = "rgb_array"

    def __init__(self, game: BatchedGame, seed: int | None = None) -> None:
        self.game = game
        super().__init__(game.num_games, game.single_observation_space, game.single_action_space)
        self.metadata = {**self.metadata, **game.metadata}
        self._seed = seed
        self._actions: np.ndarray | None = None
        self._returns = np.zeros(game.num_games)
        self._lengths = np.zeros(game.num_games, dtype=np.int64)
        self._start = time.time()

    def reset(self) -> np.ndarray:
        seeds = None if self._seed is None else self._seed + np.arange(self.num_envs, dtype=np.uint64)
        self.game.reset(seeds=seeds)
        self._seed = None  # later resets continue each game's own random stream
        self._returns[:] = 0
        self._lengths[:] = 0
        return self.game.observe()

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions).reshape(self.num_envs, *self.action_space.shape)

    def step_wait(self) -> VecEnvStepReturn:
        reward, terminated, truncated = self.game.step(self._actions)
        self._returns += reward
        self._lengths += 1
        done = terminated | truncated
        infos: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        if done.any():
            finished = np.flatnonzero(done)
            last = self.game.observe()
            elapsed = round(time.time() - self._start, 6)
            for i in finished:
                infos[i] = {
                    "terminal_observation": last[i],
                    "TimeLimit.truncated": bool(truncated[i] and not terminated[i]),
                    "episode": {"r": float(self._returns[i]), "l": int(self._lengths[i]), "t": elapsed},
                }
            self.game.reset(finished)
            self._returns[finished] = 0
            self._lengths[finished] = 0
        return self.game.observe(), reward.astype(np.float32), done, infos

    def action_masks(self) -> np.ndarray:
        """Valid actions of every game (for sb3-contrib's MaskablePPO)."""
        return self.game.action_masks()

    # -- SB3's attribute plumbing: one object stands for all N envs.
    def _indices(self, indices: VecEnvIndices) -> Iterable[int]:
        return self._get_indices(indices)

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        value = (
            getattr(self, attr_name) if attr_name in ("render_mode", "action_masks") else getattr(self.game, attr_name)
        )
        return [value for _ in self._indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        raise AttributeError(f"BatchedVecEnv does not set per-env attributes (asked for {attr_name!r})")

    def env_method(
        self, method_name: str, *method_args: Any, indices: VecEnvIndices = None, **method_kwargs: Any
    ) -> list[Any]:
        if method_name == "action_masks":
            return list(self.game.action_masks()[list(self._indices(indices))])
        raise AttributeError(f"BatchedVecEnv has no per-env method {method_name!r}")

    def env_is_wrapped(self, wrapper_class: type[gym.Wrapper], indices: VecEnvIndices = None) -> list[bool]:
        return [False for _ in self._indices(indices)]

    def has_attr(self, attr_name: str) -> bool:
        if attr_name == "action_masks":
            return self.game.HAS_ACTION_MASKS
        return hasattr(self.game, attr_name) or attr_name == "render_mode"

    def get_images(self) -> Sequence[np.ndarray | None]:
        return list(self.game.render())

    def seed(self, seed: int | None = None) -> Sequence[int | None]:
        self._seed = seed
        return [None if seed is None else seed + i for i in range(self.num_envs)]

    def close(self) -> None:
        pass
