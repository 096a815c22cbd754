"""Registration of the games with Gymnasium, and name resolution ("chase" -> "pixelarena/Chase-v0").

Adding a game is two files: the game's own (a :class:`BatchedGame` subclass) and its line in :data:`BUILTIN`; or,
outside the repository, an entry point (``envs.plugins``). Help, errors, ``pixelarena list`` and the tests take the
names from :data:`GAMES`.
"""

from __future__ import annotations

import difflib
from functools import partial
from typing import Any

import gymnasium as gym

from pixelarena.envs.adapters import GameVectorEnv, game_env
from pixelarena.envs.chase import Chase
from pixelarena.envs.core import BatchedGame
from pixelarena.envs.plugins import game_from_path, plugin_games
from pixelarena.envs.snake import Snake
from pixelarena.envs.swarm import Swarm
from pixelarena.envs.target import Target

NAMESPACE = "pixelarena"
BUILTIN: dict[str, type[BatchedGame]] = {"Chase": Chase, "Target": Target, "Swarm": Swarm, "Snake": Snake}
"""The games of this repository: a new game is one line here."""
GAMES: dict[str, type[BatchedGame]] = {**plugin_games(), **BUILTIN}
"""Every game by name: the built-in ones and those installed packages declare (a plugin never replaces one)."""
_BY_PATH: dict[str, type[BatchedGame]] = {}


def find_game(name: str) -> type[BatchedGame] | None:
    """The game class a name means: a game's name in any case, its id (``pixelarena/Chase-v0``), or
    ``module:Class`` naming a :class:`BatchedGame` subclass; None for anything else (a Gymnasium id, say).

    Raises:
        ValueError: ``module:Class`` names a game that breaks the contract (one line).
    """
    by_lower = {n.lower(): game for n, game in GAMES.items()}
    short = name.removeprefix(f"{NAMESPACE}/").removesuffix("-v0").lower()
    if short in by_lower:
        return by_lower[short]
    if ":" in name and not name.startswith("ALE/"):
        if name not in _BY_PATH and (game := game_from_path(name)) is not None:
            _BY_PATH[name] = game
        return _BY_PATH.get(name)
    return None


def game_id(name: str) -> str:
    """The registered id of a game's short name (any case) or full id."""
    return f"{NAMESPACE}/{name}-v0"


def register_games() -> None:
    """Register every game as ``pixelarena/<Game>-v0``, with the batched vector entry point."""
    for name, game in GAMES.items():
        if game_id(name) not in gym.registry:
            gym.register(
                id=game_id(name),
                entry_point=partial(game_env, game),
                vector_entry_point=partial(GameVectorEnv, game),
            )


def resolve_env_id(name: str) -> str:
    """Map "Chase", "chase", "Chase-v0" or "pixelarena/Chase-v0" to the registered id.

    Raises:
        ValueError: the name is neither a game nor a registered id; the message names the nearest match.
    """
    by_lower = {n.lower(): n for n in GAMES}
    short = name.removeprefix(f"{NAMESPACE}/").removesuffix("-v0").lower()
    if short in by_lower:
        return game_id(by_lower[short])
    if name in gym.registry:
        return name
    choices = list(GAMES) + [i for i in gym.registry if not i.startswith(NAMESPACE)]
    near = difflib.get_close_matches(name, choices, n=1, cutoff=0.5)
    hint = f"; did you mean {near[0]!r}?" if near else ""
    raise ValueError(f"unknown env {name!r}: expected one of {', '.join(GAMES)} or a registered Gymnasium id{hint}")


def make(name: str, **kwargs: Any) -> gym.Env:
    """``gym.make`` with short game names."""
    return gym.make(resolve_env_id(name), **kwargs)


def make_vec(name: str, num_envs: int = 1, **kwargs: Any) -> gym.vector.VectorEnv:
    """``gym.make_vec`` with short game names; pixelarena games step as one batched object."""
    return gym.make_vec(resolve_env_id(name), num_envs=num_envs, **kwargs)
