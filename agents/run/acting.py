"""Acting with a run's policy step after step, with or without memory: the one place that carries a recurrent
policy's LSTM state from one call to the next (evaluation, the Python API's ``Agent.act``).

Every stable-baselines3 policy's ``predict`` takes ``state`` and ``episode_start``; a feed-forward policy hands
``state`` back as it got it (None), a recurrent one (sb3-contrib's) returns its new LSTM state and zeroes it where
``episode_start`` is set. So the same calls serve both, and nothing else needs to know which kind it holds.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from stable_baselines3.common.policies import BasePolicy


class Actor:
    """A policy playing a batch of envs; a recurrent policy's LSTM state is kept between calls.

    Args:
        policy: Any stable-baselines3 policy (``model.policy``).
    """

    def __init__(self, policy: BasePolicy) -> None:
        self.policy = policy
        self.state: Any = None
        """The LSTM state after the last call (None: a new episode, or a policy without memory)."""

    def __call__(self, obs: Any, episode_start: np.ndarray | None = None, action_masks: np.ndarray | None = None,
                 deterministic: bool = True) -> np.ndarray:  # fmt: skip
        """The actions for a batch of observations; ``episode_start`` (bool per env) marks the envs whose episode
        begins with this observation (their memory is cleared), ``action_masks`` are for masked games."""
        masks = {} if action_masks is None else {"action_masks": action_masks}  # a plain policy takes no masks
        if self.state is not None and self._batch_size(obs) != self.state[0].shape[1]:
            self.state = None  # another batch of envs: the memory of the last one is not theirs
        actions, self.state = self.policy.predict(obs, state=self.state, episode_start=episode_start,
                                                  deterministic=deterministic, **masks)  # fmt: skip
        return actions

    def forget(self) -> None:
        """Start every env's memory afresh (a new batch of episodes)."""
        self.state = None

    def _batch_size(self, obs: Any) -> int:
        """How many envs ``obs`` holds (1 for a single observation, as SB3's ``predict`` reads it)."""
        space = self.policy.observation_space
        if isinstance(obs, dict):
            key = next(iter(obs))
            obs, space = obs[key], space[key]  # type: ignore[index]
        # By the number of dimensions alone: an image may come channels-last, which the policy transposes itself.
        obs = np.asarray(obs)
        return len(obs) if obs.ndim > len(space.shape or ()) else 1
