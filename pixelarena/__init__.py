"""pixelarena from Python: make a game, train an agent, load a run and act with it.

    import pixelarena

    env = pixelarena.make("Chase", obs="pixels")  # a Gymnasium env
    run = pixelarena.train(preset="quickstart", steps="100k")  # a run directory, as `pixelarena train` makes it
    agent = pixelarena.load(run)
    obs, _ = agent.make_env().reset(seed=0)
    action = agent.act(obs)

This package is the public face of the repository's internal packages (``envs``, ``nets``, ``agents``): what is
here keeps its name and signature; the internals may move. Importing it loads no torch (games need numpy and
Gymnasium only); :func:`train` and :func:`load` import torch when called.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _installed_version
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import gymnasium as gym
import numpy as np

from pixelarena import (
    _checkout,  # noqa: F401  (first: from a checkout, it finds the subpackages' folders)
    envs,  # registers pixelarena/<Game>-v0 with Gymnasium
)
from pixelarena.envs import GAMES

if TYPE_CHECKING:
    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import VecEnv

    from pixelarena.agents.run.config import RunConfig

try:
    __version__ = _installed_version("pixelarena")
except PackageNotFoundError:  # imported from a checkout that was never pip-installed
    __version__ = "0+unknown"

__all__ = ["GAMES", "Agent", "__version__", "load", "make", "make_vec", "train"]


def make(game: str, **kwargs: Any) -> gym.Env:
    """One game as a Gymnasium env: ``make("Chase", obs="grid", size=16)``.

    ``game`` is a short name (Chase, Target, Swarm, Snake), ``pixelarena/Chase-v0``, or any registered Gymnasium
    id; ``kwargs`` go to the game (``obs``: pixels, grid, vector or entities; its size and object counts; see the
    game's docstring, e.g. ``pixelarena.GAMES["Chase"]``).
    """
    return envs.make(game, **kwargs)


def make_vec(game: str, num_envs: int, **kwargs: Any) -> gym.vector.VectorEnv:
    """``num_envs`` copies of a game as a Gymnasium vector env; a pixelarena game steps them in one batched pass."""
    return envs.make_vec(game, num_envs=num_envs, **kwargs)


def train(
    env: str | None = None,
    *,
    encoder: str | None = None,
    obs: str | None = None,
    preset: str | None = None,
    steps: str | int | None = None,
    seed: int = 0,
    run_dir: str | Path | None = None,
    resume: str | Path | None = None,
    **options: Any,
) -> Path:
    """Train a PPO agent exactly as ``pixelarena train`` does, and return the run directory.

    The arguments are the command's options with underscores (``n_envs=8``, ``learning_rate=1e-3``,
    ``eval_every="0"``, ``threads=1``); anything left out comes from the preset, as on the command line.
    ``resume=run_dir`` continues a stopped run (``steps`` then raises its step target).

    Raises:
        TypeError: An option that ``pixelarena train`` does not have (the message names the nearest one, or
            what pixelarena calls another tool's name, e.g. ``total_timesteps``: ``steps``).
        ValueError: A bad value (unknown game or encoder, a count that is not positive, ...), in one line.
    """
    import dataclasses

    from pixelarena.agents.cli.habits import unknown_keyword
    from pixelarena.agents.training.options import TrainArgs
    from pixelarena.agents.training.resolve import resolve, resume_config
    from pixelarena.agents.training.train import train as train_run

    valid = [field.name for field in dataclasses.fields(TrainArgs)]
    for key in options:
        if key not in valid:  # Python would name TrainArgs.__init__, an internal: say it in this function's words
            raise TypeError(unknown_keyword(key, valid, "train"))
    args = TrainArgs(env=env, encoder=encoder, obs=obs, preset=preset, seed=seed,
                     steps=None if steps is None else str(steps),
                     run_dir=None if run_dir is None else Path(run_dir),
                     resume=None if resume is None else Path(resume), **options)  # fmt: skip
    if args.resume is None:
        return train_run(resolve(args), args.run_dir)
    config = resume_config(args)
    return args.resume if config is None else train_run(config, args.resume, resume=True)  # None: finished


@dataclass
class Agent:
    """A trained run's policy, ready to act: :func:`load` makes one."""

    run_dir: Path
    config: RunConfig
    """The run's complete configuration (config.json): game, encoder, observation mode, every PPO setting."""
    model: PPO
    """The stable-baselines3 model (PPO; MaskablePPO for masked actions; sb3-contrib's RecurrentPPO for a run
    trained with ``--recurrent``) with the run's policy, loaded to act: it holds no optimizer (to train on, use
    ``train(resume=run)``, or ``init_from=run`` for a new run under new settings)."""

    def __post_init__(self) -> None:
        from pixelarena.agents.run.acting import Actor  # here: importing pixelarena imports no torch

        self._actor = Actor(self.model.policy)

    def act(self, obs: Any, deterministic: bool = True, action_masks: np.ndarray | None = None,
            episode_start: bool | np.ndarray | None = None) -> np.ndarray:  # fmt: skip
        """The action for one observation (or a batch), greedy unless ``deterministic=False``; ``action_masks``
        for games whose actions are masked (Swarm: ``env.unwrapped.action_masks()``). A recurrent run's policy
        (``--recurrent``) remembers what it saw in earlier calls: say ``episode_start=True`` (or one bool per env)
        at an episode's first observation, or call :meth:`forget`."""
        start = None if episode_start is None else np.atleast_1d(np.asarray(episode_start, dtype=bool))
        return self._actor(obs, episode_start=start, action_masks=action_masks, deterministic=deterministic)

    def forget(self) -> None:
        """A recurrent policy starts afresh (new episodes); nothing for a policy without memory."""
        self._actor.forget()

    def predict(self, obs: Any, deterministic: bool = True, action_masks: np.ndarray | None = None) -> tuple[Any, Any]:
        """stable-baselines3's ``predict``: ``(action, state)``; a recurrent policy starts from no memory (its
        ``state`` and ``episode_start`` arguments: ``self.model.predict``)."""
        masks = {} if action_masks is None else {"action_masks": action_masks}  # PPO's predict takes no masks
        return self.model.predict(obs, deterministic=deterministic, **masks)

    def make_env(self, **kwargs: Any) -> gym.Env:
        """The run's game as a Gymnasium env, with the settings it was trained on (``kwargs`` over them, e.g.
        ``size=24`` for a fully convolutional policy).

        Raises:
            ValueError: The run plays another env than a pixelarena game, or stacks frames: use
                :meth:`make_vec_env`, which builds any run's env as training did.
        """
        if envs.find_game(self.config.env) is None or self.config.frame_stack > 1:
            raise ValueError(f"{self.config.env}: make_env builds pixelarena's games without frame stacking; "
                             "agent.make_vec_env() builds this run's env as training did")  # fmt: skip
        return make(self.config.env, obs=self.config.obs, **{**self.config.env_kwargs, **kwargs})

    def make_vec_env(self, num_envs: int = 1, seed: int = 0) -> VecEnv:
        """The run's env exactly as training built it (observation keys, frame stack, Atari preprocessing), as a
        stable-baselines3 vector env: ``reset()`` gives a batch of observations, ``step(actions)`` four arrays."""
        return self.config.env_spec().make_vec_env(num_envs, seed)


def load(run: str | Path, device: str = "cpu", weights: Literal["final", "best", "latest"] = "final") -> Agent:
    """A trained run (a directory ``train`` or ``pixelarena train`` made) as an :class:`Agent`. ``weights`` as
    ``pixelarena eval --weights``: final (the run's policy), best (the best greedy policy so far, with
    evaluations on) or latest (the last checkpoint, e.g. of a run still training). Loading runs no code from the
    run: weights are safetensors, the config JSON.

    Raises:
        ValueError: Not a run directory, or the weights named are missing or not the run's, in one line.
    """
    from pixelarena.agents.checks import choose
    from pixelarena.agents.run.model import load_trained

    choose("weights", weights, ["final", "best", "latest"])
    config, model = load_trained(Path(run), device, weights)
    return Agent(Path(run), config, model)
