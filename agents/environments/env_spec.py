"""One answer to "which env is this, and how is it built?": a pixelarena game or anyone else's Gymnasium env.

Every command (train, eval, compare, transfer, the viewer) goes through :class:`EnvSpec`; nothing else asks
whether an env is built in. A spec is checked in two steps: :meth:`EnvSpec.parse` (the name and the observation
mode, nothing built) and :meth:`EnvSpec.probe` (one env built, so bad keyword arguments fail now with one line,
before any run directory exists, and the spaces are known).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import gymnasium as gym

from pixelarena import envs
from pixelarena.agents.checks import check_keys, choose, keyword_names
from pixelarena.agents.environments.external import ATARI_PREFIX, default_keys

if TYPE_CHECKING:
    from stable_baselines3.common.vec_env import VecEnv


OBS_ALIASES = {"rgb": "pixels", "image": "pixels", "pixel": "pixels", "state": "vector", "ram": "vector"}
"""Other names people give an observation mode (lower case) -> the mode; used only to suggest one."""


def builtin_game(env: str) -> type[envs.BatchedGame] | None:
    """The pixelarena game class for a name, id or ``module:Class`` of a game (``Chase``, ``pixelarena/Chase-v0``,
    ``blocks:Blocks``; ``envs.find_game``), or None for another env."""
    return envs.find_game(env)


@dataclass(frozen=True)
class EnvProbe:
    """What one env built from a spec shows: its single-env spaces and metadata (``cell_px`` for pixels)."""

    observation_space: gym.Space
    action_space: gym.Space
    metadata: dict[str, Any]


@dataclass(frozen=True)
class EnvSpec:
    """An env as a run names it: ``name`` (a game's name, or a Gymnasium id, ``module:Class``, ``ALE/...``),
    the observation mode (or Dict keys) and the constructor's keyword arguments."""

    name: str
    obs: str | None = None
    """A built-in game's observation mode (pixels, grid, vector); for an external env with a Dict observation the
    comma-separated keys it is observed through (None: all, or MiniGrid's default ``image,direction``)."""
    kwargs: dict[str, Any] = field(default_factory=dict)
    frame_stack: int = 1
    """The last K observations stacked along the channel axis (as the encoder reads channels), 1: none."""
    vec_env: str = "dummy"
    """An external env's copies stepped in this process (``dummy``) or a process each (``subproc``)."""

    @classmethod
    def parse(cls, env: str, obs: str | None = None, kwargs: dict[str, Any] | None = None) -> EnvSpec:
        """A spec with the game's canonical name; a one-line ValueError for an unknown name (with the nearest
        game or registered id) or ``obs`` on an external env. Builds nothing."""
        kwargs = dict(kwargs or {})
        game = builtin_game(env)
        if game is not None:
            if obs is not None:
                choose("obs mode", obs, list(envs.OBS_MODES), OBS_ALIASES)
            # A game's own name (Chase, an entry point's name); a module:Class game keeps its path, to import again.
            name = next((name for name, known in envs.GAMES.items() if known is game), env)
            return cls(name, obs, kwargs)
        if ":" not in env and not env.startswith(ATARI_PREFIX) and env not in gym.registry:
            envs.resolve_env_id(env)  # raises, naming the nearest game or registered id
        return cls(env, obs if obs is not None else default_keys(env), kwargs)

    @property
    def game(self) -> type[envs.BatchedGame] | None:
        """The batched game class for a built-in game, else None."""
        return builtin_game(self.name)

    @property
    def builtin(self) -> bool:
        return self.game is not None

    def with_kwargs(self, extra: dict[str, Any]) -> EnvSpec:
        """The same env with ``extra`` keyword arguments over its own (a transfer variant)."""
        return dataclasses.replace(self, kwargs={**self.kwargs, **extra})

    def make_game(self, num_games: int) -> envs.BatchedGame:
        """``num_games`` of a built-in game in one batched object."""
        game = self.game
        if game is None:
            raise ValueError(f"{self.name} is not a pixelarena game")
        # obs is --obs, and num_games comes from --n-envs: neither is a game setting people give as a kwarg.
        check_keys("--env-kwargs", self.name, self.kwargs, keyword_names(game, skip=("num_games", "obs")))
        try:
            return game(num_games, **self.kwargs, **({"obs": self.obs} if self.obs is not None else {}))
        except TypeError as error:  # a keyword the game does not take
            raise ValueError(f"--env-kwargs: {self.name} does not take it: {error}") from None

    def make_vec_env(self, n_envs: int, seed: int | None) -> VecEnv:
        """The stable-baselines3 vector env training and evaluation use: a batched game (games seeded ``seed``,
        ``seed + 1``, ...), or ``n_envs`` copies of an external env (agents/environments/external.py)."""
        if self.builtin:
            from pixelarena.agents.environments.vec_env import BatchedVecEnv

            vec_env = BatchedVecEnv(self.make_game(n_envs), seed=seed)
        else:
            from pixelarena.agents.environments.external import make_external_vec_env

            vec_env = make_external_vec_env(self.name, n_envs, 0 if seed is None else seed, self.kwargs, self.obs,
                                            subprocesses=self.vec_env == "subproc")  # fmt: skip
        return stack_frames(vec_env, self.frame_stack)

    def probe(self) -> EnvProbe:
        """Build one env and return its spaces; a one-line ValueError for keyword arguments it rejects."""
        if self.builtin and self.frame_stack == 1:
            game = self.make_game(1)
            return EnvProbe(game.single_observation_space, game.single_action_space, dict(game.metadata))
        vec_env = dataclasses.replace(self, vec_env="dummy").make_vec_env(1, seed=0)  # one env: no process
        try:
            return EnvProbe(vec_env.observation_space, vec_env.action_space, dict(vec_env.metadata))
        finally:
            vec_env.close()


def stack_frames(vec_env: VecEnv, k: int) -> VecEnv:
    """``vec_env`` with its last ``k`` observations stacked along the channel axis: the last axis of H x W x C
    images and of vectors, the first of C x H x W images (SB3's ``VecFrameStack``); unchanged for ``k == 1``."""
    if k == 1:
        return vec_env
    import numpy as np
    from stable_baselines3.common.vec_env import VecFrameStack

    shape = vec_env.observation_space.shape
    if isinstance(vec_env.observation_space, gym.spaces.Dict):
        vec_env.close()
        raise ValueError(
            "--frame-stack stacks Box observations; this env observes a Dict (stack its image in a wrapper)"
        )
    if len(shape) not in (1, 3):
        vec_env.close()
        raise ValueError(f"--frame-stack needs observations with a channel axis (C x H x W, H x W x C or a vector), "
                         f"not shape {shape}")  # fmt: skip
    first = len(shape) == 3 and int(np.argmin(shape)) == 0  # the channel axis is the smallest, as SB3 assumes
    stacked = VecFrameStack(vec_env, n_stack=k, channels_order="first" if first else "last")
    stacked.metadata = {**getattr(vec_env, "metadata", {})}
    return stacked
