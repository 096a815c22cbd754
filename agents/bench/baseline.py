"""`pixelarena bench --baseline`: pixelarena's default pipeline against the rl-zoo3 way, on the same game.

The reference is what a stable-baselines3 user would start from: ``PPO("CnnPolicy")`` (NatureCNN) with SB3's
default PPO settings on the game rendered 72x72 RGB (Chase at 6 pixels per cell), a ``DummyVecEnv`` of 8 single
Gymnasium envs. Ours is the quickstart preset: the batched game, the cnn with its colour stem. Both are measured
in the same process one after the other, with the same torch threads:

- end-to-end PPO env steps per second (rollouts and updates);
- wall-clock of training (evaluations excluded) until the greedy policy reaches the game's solved score, each
  side capped (the reference at 30 minutes by default): where it got, if not there.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback

REFERENCE_CELL_PX = 6  # Chase's 12x12 map rendered 72x72, the size SB3's NatureCNN handles
EVAL_EPISODES = 32


@dataclass
class SolvedRun:
    solved: bool
    seconds: float
    steps: int
    best: float
    curve: list[tuple[int, float, float]]
    """(env steps, training seconds, greedy score) at every evaluation."""


class _TimeToSolved(BaseCallback):
    """Greedy evaluation every ``every`` env steps; stops training when it reaches ``target`` or after ``cap`` s
    of training (the evaluations' own time is not counted)."""

    def __init__(self, evaluate: Callable[[], float], target: float, every: int, cap: float) -> None:
        super().__init__()
        self.evaluate, self.target, self.every, self.cap = evaluate, target, every, cap
        self.spent, self.last_eval, self.best, self.solved = 0.0, 0, -np.inf, False
        self.started = 0.0
        self.curve: list[tuple[int, float, float]] = []

    def _on_training_start(self) -> None:
        self.started = time.perf_counter()

    def _on_step(self) -> bool:
        return not (self.solved or self.spent > self.cap)  # False ends learn() mid-rollout

    def _on_rollout_end(self) -> None:
        now = time.perf_counter()
        self.spent += now - self.started
        if self.model.num_timesteps - self.last_eval >= self.every:
            self.last_eval = self.model.num_timesteps
            score = self.evaluate()
            self.best = max(self.best, score)
            self.solved = score >= self.target
            self.curve.append((self.model.num_timesteps, round(self.spent, 1), round(score, 2)))
            print(f"  {self.model.num_timesteps:>9,} steps {self.spent:7.0f} s: greedy {score:+.2f}", flush=True)
        self.started = time.perf_counter()


def reference_model(threads: int, seed: int = 0):
    """The rl-zoo3 way: PPO("CnnPolicy"), SB3 defaults, DummyVecEnv of 8 Chase envs rendered 72x72."""
    import torch
    from stable_baselines3 import PPO

    torch.set_num_threads(threads)
    return PPO("CnnPolicy", _reference_env(seed), seed=seed, verbose=0, device="cpu")


def _reference_env(seed: int):
    """8 single Chase envs rendered 72x72, each with SB3's Monitor (make_vec_env)."""
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import DummyVecEnv

    from pixelarena import envs

    make = lambda: envs.make("Chase", obs="pixels", cell_px=REFERENCE_CELL_PX)  # noqa: E731
    return make_vec_env(make, n_envs=8, seed=seed, vec_env_cls=DummyVecEnv)


def pixelarena_model(threads: int, seed: int = 0, preset: str = "chase-cnn", **overrides: Any):
    """pixelarena's side: a preset (default Chase's, cnn on pixels with the colour stem) on the batched game;
    ``overrides`` are ``TrainArgs`` fields (``n_envs``, ``learning_rate``, ...) or ``PPOSettings`` fields."""
    import torch

    from pixelarena.agents.run.config import PPOSettings
    from pixelarena.agents.run.model import build_model, make_vec_env
    from pixelarena.agents.training.options import TrainArgs
    from pixelarena.agents.training.resolve import resolve

    torch.set_num_threads(threads)
    ppo_only = {k: overrides.pop(k) for k in list(overrides) if k in PPOSettings.__dataclass_fields__
                and k not in TrainArgs.__dataclass_fields__}  # fmt: skip
    config = resolve(TrainArgs(preset=preset, threads=threads, device="cpu", seed=seed, **overrides))
    config = dataclasses.replace(config, ppo=dataclasses.replace(config.ppo, **ppo_only))
    return config, build_model(config, make_vec_env(config, config.n_envs, seed=seed))


def steps_per_second(model: object, seconds: float) -> float:
    """End-to-end env steps/s of ``model.learn``: whole PPO iterations (rollout + update) for about ``seconds``."""
    rollout = model.n_steps * model.n_envs  # type: ignore[attr-defined]
    start = time.perf_counter()
    model.learn(rollout, reset_num_timesteps=False)  # type: ignore[attr-defined]
    first = time.perf_counter() - start
    iterations = max(1, int(seconds / max(first, 1e-6)) - 1)
    start = time.perf_counter()
    model.learn(rollout * iterations, reset_num_timesteps=False)  # type: ignore[attr-defined]
    return rollout * iterations / (time.perf_counter() - start)


def time_to_solved(model: object, evaluate: Callable[[], float], cap_seconds: float, every: int, game: str = "Chase",
                   cap_steps: int = 10**11) -> SolvedRun:  # fmt: skip
    """Train until the greedy score (``evaluate``, every ``every`` env steps) reaches ``game``'s solved score (its
    scripted policy's mean), or ``cap_seconds`` of training or ``cap_steps`` env steps have passed."""
    from pixelarena import envs

    callback = _TimeToSolved(evaluate, envs.GAMES[game].SOLVED_SCORE, every, cap_seconds)
    model.learn(cap_steps, callback=callback, reset_num_timesteps=True)  # type: ignore[attr-defined]
    return SolvedRun(callback.solved, callback.spent, callback.last_eval, callback.best, callback.curve)


def time_to_solved_ours(config: Any, model: object, cap_seconds: float, every_rollouts: int = 12,
                        cap_steps: int = 10**11) -> SolvedRun:  # fmt: skip
    """:func:`time_to_solved` for pixelarena's side: greedy evaluation as ``pixelarena eval`` does it."""
    from pixelarena.agents.evaluation.evaluate import EVAL_SEED, evaluate_model

    return time_to_solved(
        model,
        lambda: evaluate_model(model, config, EVAL_EPISODES, EVAL_SEED).mean,
        cap_seconds,
        every=config.rollout_steps * every_rollouts,
        game=config.env,
        cap_steps=cap_steps,
    )


def greedy_score_reference(model: object, seed: int = 10_000) -> float:
    """The reference's greedy mean return over 32 episodes of its own 72x72 env."""
    from stable_baselines3.common.evaluation import evaluate_policy

    returns, _ = evaluate_policy(model, _reference_env(seed), n_eval_episodes=EVAL_EPISODES, deterministic=True,
                                 return_episode_rewards=True)  # fmt: skip
    return float(np.mean(returns))
