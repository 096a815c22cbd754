"""Benchmarks: env steps/second (batched vs Gymnasium's SyncVectorEnv), reference scores, encoder speed."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import gymnasium as gym
import numpy as np

from pixelarena import envs


@dataclass
class EnvSpeed:
    game: str
    num_envs: int
    batched_sps: float
    sync_sps: float | None

    @property
    def speedup(self) -> float | None:
        return None if self.sync_sps is None else self.batched_sps / self.sync_sps


def _steps_per_second(vec: gym.vector.VectorEnv, seconds: float, seed: int = 0) -> float:
    """Random-action steps/second of a vector env (env steps = batch steps x num_envs), after a warm-up."""
    space = vec.single_action_space
    high = space.nvec if isinstance(space, gym.spaces.MultiDiscrete) else space.n
    actions = np.random.default_rng(seed).integers(0, high, size=(64, vec.num_envs, *space.shape))
    vec.reset(seed=seed)
    for a in actions[:4]:
        vec.step(a)
    steps, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        vec.step(actions[steps % len(actions)])
        steps += 1
    return steps * vec.num_envs / elapsed


def bench_env_speed(
    games: list[str], sizes: tuple[int, ...] = (256, 1024), map_size: int = 16, seconds: float = 2.0,
    sync_at: int = 256, obs: str = "pixels", cell_px: int = 1,
) -> list[EnvSpeed]:  # fmt: skip
    """Batched ``gym.make_vec`` vs ``SyncVectorEnv`` over single envs, same game and settings, one after the other."""
    rows = []
    kwargs = {"size": map_size, "obs": obs, "cell_px": cell_px}
    for game in games:
        for n in sizes:
            batched = _steps_per_second(envs.make_vec(game, num_envs=n, **kwargs), seconds)
            sync = None
            if n == sync_at:
                sync_env = gym.vector.SyncVectorEnv([partial(envs.make, game, **kwargs) for _ in range(n)])
                sync = _steps_per_second(sync_env, seconds)
            rows.append(EnvSpeed(game, n, batched, sync))
    return rows


def policy_scores(
    game: str,
    policy: Callable[[envs.BatchedGame, np.random.Generator], np.ndarray],
    episodes: int = 1000,
    seed: int = 0,
) -> tuple[float, float]:
    """Mean and standard deviation of the return of ``episodes`` episodes (played ``episodes`` at a time)."""
    from pixelarena.agents.evaluation.rollout import episode_returns

    batch = envs.GAMES[game](episodes)
    batch.reset(seeds=seed + np.arange(episodes, dtype=np.uint64))
    rng = np.random.default_rng(seed)
    returns = episode_returns(batch, lambda g: policy(g, rng))
    return float(returns.mean()), float(returns.std())


def random_policy(game: envs.BatchedGame, rng: np.random.Generator) -> np.ndarray:
    space = game.single_action_space
    high = space.nvec if isinstance(space, gym.spaces.MultiDiscrete) else space.n
    return rng.integers(0, high, size=(game.num_games, *space.shape))


def expert_policy(game: envs.BatchedGame, rng: np.random.Generator) -> np.ndarray:
    return game.expert_actions()


def ppo_steps_per_second(
    game: str = "Chase",
    encoder: str = "cnn",
    steps: int = 16_384,
    n_envs: int = 64,
    map_size: int = 16,
    cell_px: int = 1,
    encoder_kwargs: dict | None = None,
) -> float:
    """End-to-end env steps/second of SB3 PPO (rollouts + updates) on a batched game, default encoder widths.

    Settings: n_steps 128, batch 256, 4 epochs, pixels obs; the encoder reads ``cell_px`` from the env as training
    does (``encoder_kwargs`` over it); the first rollout+update is a warm-up.
    """
    from stable_baselines3 import PPO

    from pixelarena.agents.environments.vec_env import BatchedVecEnv
    from pixelarena.nets import PixelPolicy

    vec = BatchedVecEnv(envs.GAMES[game](n_envs, size=map_size, cell_px=cell_px), seed=0)
    kwargs = {**({"cell_px": cell_px} if cell_px > 1 else {}), **(encoder_kwargs or {})}
    policy_kwargs = {"encoder": encoder, "encoder_kwargs": kwargs}
    model = PPO(PixelPolicy, vec, n_steps=128, batch_size=256, n_epochs=4, policy_kwargs=policy_kwargs, seed=0)
    model.learn(n_envs * 128)  # warm-up
    start = time.perf_counter()
    model.learn(steps, reset_num_timesteps=False)
    return steps / (time.perf_counter() - start)


@dataclass
class DeviceRun:
    n_envs: int
    steps_per_second: float
    rollout_share: float
    """Fraction of the wall-clock spent collecting rollouts (the rest: PPO's update)."""
    gpu_utilisation: float | None
    """Mean GPU utilisation in percent (nvidia-smi, sampled every 0.2 s), None where it cannot be read."""
    buffer: str


def device_ppo_steps_per_second(n_envs: int, device: str, seconds: float, map_size: int = 16) -> DeviceRun:
    """End-to-end PPO env steps/s of the default pipeline (cnn on Chase pixels) at ``n_envs`` on ``device``, as
    ``pixelarena train`` builds it (on a GPU, with the device rollout buffer); 4 minibatches of 4 epochs per
    rollout of 32 steps, after one warm-up iteration."""
    from pixelarena.agents.run.model import build_model, make_vec_env
    from pixelarena.agents.training.options import TrainArgs
    from pixelarena.agents.training.resolve import resolve

    config = resolve(TrainArgs(env="Chase", obs="pixels", env_kwargs=(f"size={map_size}",), n_envs=n_envs,
                               n_steps=32, minibatches=4, n_epochs=4, device=device))  # fmt: skip
    model = build_model(config, make_vec_env(config, n_envs, seed=0))
    rollout = n_envs * 32
    model.learn(rollout)  # warm-up: allocations, cuDNN autotuning
    timer = _rollout_timer()
    with _GpuSampler(device) as sampler:
        start = time.perf_counter()
        iterations = 0
        while time.perf_counter() - start < seconds or iterations == 0:
            model.learn(rollout, reset_num_timesteps=False, callback=timer)
            iterations += 1
        elapsed = time.perf_counter() - start
    return DeviceRun(n_envs, rollout * iterations / elapsed, timer.seconds / elapsed, sampler.mean(),
                     type(model.rollout_buffer).__name__)  # fmt: skip


def _rollout_timer() -> Any:
    """An SB3 callback whose ``seconds`` adds up the time spent in rollouts (defined here, not at import: SB3
    imports torch, which the env benchmarks of this module do not need)."""
    from stable_baselines3.common.callbacks import BaseCallback

    class RolloutTimer(BaseCallback):
        def __init__(self) -> None:
            super().__init__()
            self.seconds, self._start = 0.0, 0.0

        def _on_rollout_start(self) -> None:
            self._start = time.perf_counter()

        def _on_rollout_end(self) -> None:
            self.seconds += time.perf_counter() - self._start

        def _on_step(self) -> bool:
            return True

    return RolloutTimer()


class _GpuSampler:
    """Samples ``nvidia-smi``'s GPU utilisation in a thread while the block runs (nothing on a CPU device)."""

    def __init__(self, device: str) -> None:
        import shutil

        self.samples: list[float] = []
        self.active = device.startswith("cuda") and shutil.which("nvidia-smi") is not None
        self.index = device.partition(":")[2] or "0"

    def __enter__(self) -> _GpuSampler:
        import threading

        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        if self.active:
            self._thread.start()
        return self

    def _run(self) -> None:
        import subprocess

        command = ["nvidia-smi", "-i", self.index, "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits"]
        while not self._stop.wait(0.2):
            try:
                self.samples.append(float(subprocess.run(command, capture_output=True, text=True, timeout=5).stdout))
            except (OSError, ValueError, subprocess.TimeoutExpired):
                return

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self.active:
            self._thread.join(timeout=6)

    def mean(self) -> float | None:
        return float(np.mean(self.samples)) if self.samples else None


VIEWS_MEASURED: tuple[tuple[str, dict[str, object]], ...] = (
    ("map", {}),
    ("ego", {"view": "ego"}),
    ("ego, radius 5", {"view": "ego", "view_radius": 5}),
    ("ego, radius 5, minimap 3", {"view": "ego", "view_radius": 5, "minimap": 3}),
)
"""The frames of reference ``bench --views`` compares (``envs.views``)."""


def bench_view_speed(num_envs: int = 1024, seconds: float = 2.0) -> list[tuple[str, str, str, float]]:
    """``(game, obs, view, steps/s)`` of every game with a player, on each view of :data:`VIEWS_MEASURED`, at the
    default map size and ``num_envs`` games, random actions."""
    rows = []
    for game in sorted(name for name, klass in envs.GAMES.items() if klass.PLAYER):
        for obs in ("pixels", "grid"):
            for view, kwargs in VIEWS_MEASURED:
                vec = envs.make_vec(game, num_envs=num_envs, obs=obs, **kwargs)
                rows.append((game, obs, view, _steps_per_second(vec, seconds)))
    return rows
