"""Evaluating a trained policy: mean episode return with a 95% bootstrap confidence interval, on the training
settings or on others (map size, object counts) for policies that transfer."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.evaluation import evaluate_policy
from stable_baselines3.common.preprocessing import is_image_space, is_image_space_channels_first
from stable_baselines3.common.vec_env import VecTransposeImage

from pixelarena.agents.evaluation.rollout import episode_returns
from pixelarena.agents.reporting.stats import bootstrap_ci
from pixelarena.agents.run.acting import Actor
from pixelarena.agents.run.config import RunConfig
from pixelarena.agents.run.results import EvalResult
from pixelarena.nets import adapt_policy

# A run's final evaluation plays games seeded EVAL_SEED + its seed, away from the training games' seeds.
EVAL_SEED = 10_000


def summarise(returns: list[float], env_kwargs: dict[str, Any]) -> EvalResult:
    """Episode returns -> their mean with a 95% bootstrap CI."""
    low, high = bootstrap_ci(returns)
    return EvalResult(len(returns), float(np.mean(returns)), low, high, [float(r) for r in returns], env_kwargs)


def evaluate_model(
    model: PPO,
    config: RunConfig,
    episodes: int,
    seed: int,
    env_kwargs: dict[str, Any] | None = None,
    deterministic: bool = True,
) -> EvalResult:
    """Play ``episodes`` episodes with the greedy (deterministic) policy, or with ``deterministic=False`` with
    actions sampled from it (rl-zoo3's ``--stochastic``; torch's generator seeded ``seed``, so the same call gives
    the same returns).

    ``env_kwargs`` replace the training env's; for a built-in game with another map size the policy is
    adapted to the new spaces (fully convolutional policies only; others raise ``SizeTransferError``).
    """
    if not deterministic:
        torch.manual_seed(seed)
    spec = config.env_spec().with_kwargs(env_kwargs or {})
    if not spec.builtin or spec.frame_stack > 1:  # frame stacks come from SB3's vector env wrapper
        vec_env = spec.make_vec_env(min(episodes, 8), seed=seed)
        # A batched game reports its own episode returns: no Monitor needed (SB3 would warn it is missing).
        returns, _ = evaluate_policy(model, vec_env, n_eval_episodes=episodes, deterministic=deterministic,
                                     return_episode_rewards=True, warn=not spec.builtin)  # fmt: skip
        return summarise(list(returns), spec.kwargs)
    game = spec.make_game(episodes)
    policy = model.policy
    obs_space = game.single_observation_space
    if is_image_space(obs_space) and not is_image_space_channels_first(obs_space):
        obs_space = VecTransposeImage.transpose_space(obs_space)  # as the model saw it during training
    if obs_space != model.observation_space or game.single_action_space != model.action_space:
        policy = adapt_policy(policy, obs_space, game.single_action_space)
    policy.set_training_mode(False)
    game.reset(seeds=seed + np.arange(episodes, dtype=np.uint64))
    # Every game plays one counted episode from the start: a recurrent policy's memory never needs clearing.
    actor = Actor(policy)

    def act(game: Any) -> np.ndarray:
        masks = game.action_masks() if game.HAS_ACTION_MASKS else None
        return actor(game.observe(), action_masks=masks, deterministic=deterministic)

    return summarise(list(episode_returns(game, act)), spec.kwargs)
