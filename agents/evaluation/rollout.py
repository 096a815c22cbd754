"""One episode in each of a batched game's N games, played to the end by any policy: the loop behind greedy
evaluation and the reference scores of ``pixelarena bench --scores``."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from pixelarena.envs.core import BatchedGame


def episode_returns(game: BatchedGame, act: Callable[[BatchedGame], np.ndarray]) -> np.ndarray:
    """Play the (already reset) games until each has ended once; returns each game's episode return.

    ``act(game)`` gives the actions of all N games; a game that has ended keeps being stepped (the batch moves
    together) but its later rewards do not count.
    """
    returns = np.zeros(game.num_games)
    running = np.ones(game.num_games, dtype=bool)
    while running.any():
        reward, terminated, truncated = game.step(act(game))
        returns += reward * running
        running &= ~(terminated | truncated)
    return returns
