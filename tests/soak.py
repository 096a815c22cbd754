"""Soak of the batched games: every game x observation mode stepped with random actions for many steps, checking
every observation against its space, every reward for finiteness, and the process's memory at start and end.

    python -m tests.soak 10_000_000      # the measured run (docs/reliability.md); tests/test_stress.py runs less
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

import gymnasium as gym
import numpy as np

from pixelarena import envs


def rss_mib() -> float:
    """Resident memory of this process in MiB (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * 4096 / 2**20
    except OSError:
        return 0.0


@dataclass
class SoakResult:
    steps: int
    seconds: float
    rss_start_mib: float
    rss_end_mib: float


def _check_observation(obs: np.ndarray, space: gym.spaces.Box, where: str) -> None:
    if obs.dtype != space.dtype or obs.shape[1:] != space.shape:
        raise AssertionError(f"{where}: observation {obs.dtype} {obs.shape[1:]} is not {space}")
    if np.any(obs < space.low) or np.any(obs > space.high) or not np.all(np.isfinite(obs)):
        raise AssertionError(f"{where}: observation outside {space}")


def game_modes() -> list[tuple[str, str]]:
    """Every game in every observation mode it has ("entities" only where the game has a player)."""
    return [
        (name, obs) for name in envs.GAMES for obs in envs.OBS_MODES if obs != "entities" or envs.GAMES[name].PLAYER
    ]


def soak(total_steps: int, num_envs: int = 256, seed: int = 0) -> SoakResult:
    """Step every game x obs mode with random actions, ``total_steps`` env steps in all (split evenly)."""
    combos = [
        (name, obs) for name in envs.GAMES for obs in envs.OBS_MODES if obs != "entities" or envs.GAMES[name].PLAYER
    ]
    per_combo = max(1, total_steps // (len(combos) * num_envs))
    rng = np.random.default_rng(seed)
    start, rss_start, steps = time.perf_counter(), None, 0
    for name, obs in combos:
        game = envs.GAMES[name](num_envs, obs=obs)
        game.reset(seeds=seed + np.arange(num_envs, dtype=np.uint64))
        space, actions = game.single_observation_space, game.single_action_space
        high = actions.nvec if isinstance(actions, gym.spaces.MultiDiscrete) else actions.n
        for step in range(per_combo):
            reward, terminated, truncated = game.step(rng.integers(0, high, size=(num_envs, *actions.shape)))
            where = f"{name} ({obs}) step {step}"
            if not np.all(np.isfinite(reward)):
                raise AssertionError(f"{where}: non-finite reward")
            _check_observation(game.observe(), space, where)
            done = np.flatnonzero(terminated | truncated)
            if len(done):
                game.reset(done)
            steps += num_envs
        if rss_start is None:
            rss_start = rss_mib()  # after the first combo: imports and buffers are in place
    return SoakResult(steps, time.perf_counter() - start, rss_start or 0.0, rss_mib())


if __name__ == "__main__":
    result = soak(int(sys.argv[1].replace("_", "")) if len(sys.argv) > 1 else 10_000_000)
    print(f"{result.steps:,} env steps over {len(game_modes())} game x obs mode pairs in "
          f"{result.seconds:.0f} s ({result.steps / result.seconds:,.0f} steps/s); no exception, every observation "
          f"in its space, rewards finite; RSS {result.rss_start_mib:.0f} MiB after the first game, "
          f"{result.rss_end_mib:.0f} MiB at the end")  # fmt: skip
