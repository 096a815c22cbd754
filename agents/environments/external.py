"""Vector envs for games that are not pixelarena's own: any Gymnasium env, a user's Env class, or Atari.

The policies in nets/ read any Box observation that is an image (H x W x C, C x H x W, H x W) or a flat vector,
and Discrete or MultiDiscrete actions, so training on someone else's env only needs the env built as a
stable-baselines3 ``VecEnv`` and its spaces checked up front, with a one-line error instead of a shape
mismatch deep inside PPO.

The ``env`` string takes these forms:

- ``"CartPole-v1"``: an id in Gymnasium's registry.
- ``"my_pkg.my_env:MyEnv"``: a ``gymnasium.Env`` subclass, constructed with ``**env_kwargs``.
- ``"minigrid:MiniGrid-Empty-5x5-v0"``: an id that importing the module registers (Gymnasium's own convention).
- ``"ALE/Breakout-v5"`` (any ``ALE/`` id): Atari through ale-py, with stable-baselines3's standard
  preprocessing (84x84 grey, frame skip 4, 4 stacked frames).

Importing this module does not import torch: stable-baselines3 (which does) is imported when an env is built.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import inspect
import os
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import gymnasium as gym
import numpy as np

if TYPE_CHECKING:
    from stable_baselines3.common.vec_env import VecEnv

ATARI_PREFIX = "ALE/"

SUPPORTED_SPACES = (
    "observations: a Box image (H x W x C, C x H x W or H x W), a flat Box vector, or a Dict of at least one image "
    "and Box / Discrete / MultiDiscrete / MultiBinary entries; actions: Discrete or MultiDiscrete"
)

# MiniGrid (Farama's minigrid package) observes Dict(image, direction, mission): the mission is a Text string the
# policies cannot read (and is fixed per env for MiniGrid's own levels), and the 7 x 7 x 3 image holds integer
# codes (object, colour, state), not colours, of the agent's own 7 x 7 view (render() draws the whole grid). So its
# envs keep image and direction by default and declare image_codes, which picks the codes stem of nets/stems.py,
# and observation_view "agent", which keeps the viewer from drawing saliency over a frame it does not match.
# BabyAI's missions carry the task, so BabyAI gets no such default: its error says to choose keys with --obs or to
# wrap the env.
MINIGRID_KEYS = "image,direction"

# ALE v5 envs skip 4 frames themselves; SB3's AtariWrapper also skips 4 (max-pooling the last two frames), so
# the env's own skip is turned off unless the user sets it, giving the standard 4 rather than 16.
_ATARI_DEFAULT_KWARGS = {"frameskip": 1}

EnvFactory = Callable[..., gym.Env]


def is_minigrid(env: str) -> bool:
    """Whether ``env`` names one of MiniGrid's own envs (``minigrid:MiniGrid-Empty-5x5-v0`` or ``MiniGrid-...``)."""
    return env.rpartition(":")[2].startswith("MiniGrid-")


def default_keys(env: str) -> str | None:
    """The Dict keys an external env is observed through when ``--obs`` does not say (MiniGrid's), else None."""
    return MINIGRID_KEYS if is_minigrid(env) else None


def make_external_vec_env(
    env: str, n_envs: int, seed: int, env_kwargs: dict[str, Any], keys: str | None = None, subprocesses: bool = False
) -> VecEnv:
    """Builds ``n_envs`` copies of an external env as a stable-baselines3 ``VecEnv`` and checks its spaces.

    Non-Atari envs become a ``DummyVecEnv`` (or with ``subprocesses`` a ``SubprocVecEnv``, rl-zoo3's
    ``--vec-env subproc``) of ``Monitor``-wrapped envs (``info["episode"]`` at episode ends); env i is seeded
    ``seed + i`` at its first reset. Atari envs get ``make_atari_env`` plus ``VecFrameStack(4)``.

    Args:
        env: A Gymnasium id, ``module:Class``, ``module:EnvId`` or an ``ALE/`` id (see the module docstring).
        n_envs: Number of parallel envs (at least 1).
        seed: Seed of env 0.
        env_kwargs: Keyword arguments for the env's constructor (or ``gym.make``).
        keys: For a Dict observation: the comma-separated keys the agent observes (the others are left out), or
            None for all.
        subprocesses: Step each copy in a process of its own (for envs whose step is slow Python code).

    Returns:
        The vector env.

    Raises:
        ValueError: One line, for an unknown id, module or attribute, missing Atari dependencies, keyword
            arguments the env does not take, or spaces the policies do not support.
    """
    if n_envs < 1:
        raise ValueError(f"n_envs must be at least 1, got {n_envs}")
    env_kwargs = dict(env_kwargs)
    vec_env_cls = _vec_env_class(subprocesses)
    if env.startswith(ATARI_PREFIX):
        if keys is not None:
            raise ValueError(f"--obs {keys!r}: Atari envs observe frames, not a Dict")
        vec = _make_atari(env, n_envs, seed, env_kwargs, vec_env_cls)
    else:
        vec = _make_generic(
            env, _resolve(env, env_kwargs), n_envs, seed, env_kwargs, keys, _vec_env_class(subprocesses)
        )
    if is_minigrid(env):
        vec.metadata = {**vec.metadata, "image_codes": True, "observation_view": "agent"}
    try:
        check_supported_spaces(vec.observation_space, vec.action_space, env)
    except ValueError:
        vec.close()
        raise
    return vec


def check_supported_spaces(observation_space: gym.Space, action_space: gym.Space, env: str) -> None:
    """Raises a one-line ValueError unless pixelarena's policies can read these spaces.

    Args:
        observation_space: The env's (single) observation space.
        action_space: The env's (single) action space.
        env: The env's name, for the message.
    """
    problem = _observation_problem(observation_space) or _action_problem(action_space)
    if problem:
        raise ValueError(f"env {env!r} is not supported: {problem}; supported are {SUPPORTED_SPACES}")


def _observation_problem(space: gym.Space) -> str | None:
    """Why the observation space is unsupported, or None."""
    if isinstance(space, gym.spaces.Dict):
        from pixelarena.nets.dict_encoder import (
            dict_problem,  # torch: only once an env has been built (SB3 imported it)
        )

        return dict_problem(space)
    if not isinstance(space, gym.spaces.Box):
        return f"observation space {_short(space)} is a {type(space).__name__}, not a Box"
    if len(space.shape) not in (1, 2, 3):
        return f"observation Box has shape {space.shape} ({len(space.shape)}-D), not an image (2-D, 3-D) or vector"
    if 0 in space.shape:
        return f"observation Box has an empty shape {space.shape}"
    return None


def _action_problem(space: gym.Space) -> str | None:
    """Why the action space is unsupported, or None."""
    if isinstance(space, gym.spaces.Discrete):
        # SB3's categorical distribution samples 0..n-1 and does not shift by ``start``.
        return None if int(space.start) == 0 else f"action space {space} starts at {space.start}, not 0"
    if isinstance(space, gym.spaces.MultiDiscrete):
        if space.nvec.ndim != 1:
            return f"action space MultiDiscrete has a {space.nvec.ndim}-D nvec {space.nvec.shape}, not 1-D"
        if np.any(space.start != 0):
            return f"action space {space} has non-zero starts"
        return None
    return f"action space {_short(space)} is a {type(space).__name__}, not Discrete or MultiDiscrete"


def _short(space: gym.Space, limit: int = 80) -> str:
    """The space's repr cut to one short line (Dict spaces can print pages)."""
    text = " ".join(repr(space).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _resolve(env: str, env_kwargs: dict[str, Any]) -> str | EnvFactory:
    """What ``make_vec_env`` builds: a registered id (a string) or an Env class (a callable)."""
    module_name, sep, attr = env.partition(":")
    if not sep:
        _require_registered(env)
        return env
    if not module_name or not attr:
        raise ValueError(f"env {env!r} must look like 'module:Class' or 'module:EnvId'")
    module = _import_module(module_name, env)
    target = getattr(module, attr, None) if attr.isidentifier() else None
    if inspect.isclass(target) and issubclass(target, gym.Env):
        _check_constructor_kwargs(target, env, env_kwargs)
        return target
    if attr in gym.registry:  # the import registered it: Gymnasium's "package:EnvId" convention
        return attr
    if target is not None:
        kind = "class" if inspect.isclass(target) else type(target).__name__
        raise ValueError(f"env {env!r}: {attr!r} in module {module_name!r} is a {kind}, not a gymnasium.Env subclass")
    env_classes = [
        name for name, value in vars(module).items() if inspect.isclass(value) and issubclass(value, gym.Env)
    ]
    raise ValueError(
        f"module {module_name!r} has no gymnasium.Env subclass {attr!r} and registered no Gymnasium env {attr!r}"
        f"{_suggestion(attr, [*env_classes, *gym.registry])}"
    )


def _import_module(module_name: str, env: str) -> Any:
    """Imports the module, also from the current directory as ``python -m`` would (console scripts do not)."""
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        cwd = os.getcwd()
        missing_is_ours = exc.name is not None and (module_name + ".").startswith(exc.name + ".")
        if not missing_is_ours or cwd in sys.path or "" in sys.path:
            raise ValueError(f"cannot import module {module_name!r} from env {env!r}: {exc}") from exc
    # Appended, not prepended: a local file must not shadow installed packages that other code imports.
    sys.path.append(cwd)
    try:
        return importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"cannot import module {module_name!r} from env {env!r}: {exc}") from exc


def _check_constructor_kwargs(cls: type[gym.Env], env: str, env_kwargs: dict[str, Any]) -> None:
    """A one-line error for env kwargs the class does not take, before any env is built."""
    try:
        inspect.signature(cls).bind(**env_kwargs)
    except TypeError as exc:
        raise ValueError(f"env {env!r} does not take env kwargs {sorted(env_kwargs)}: {exc}") from exc
    except ValueError:
        pass  # no inspectable signature (a C extension): let the constructor decide


def _require_registered(env_id: str) -> None:
    """A one-line error, with the nearest registered id, for an id Gymnasium does not know."""
    if env_id in gym.registry:
        return
    hint = _suggestion(env_id) or "; for your own env use 'module:Class', for a package's env 'package:EnvId'"
    raise ValueError(f"unknown Gymnasium env {env_id!r}{hint}")


def _suggestion(name: str, candidates: Iterable[str] | None = None) -> str:
    """``"; did you mean 'X'?"`` for the candidate (default: registered id) closest to ``name``, or ``""``."""
    matches = difflib.get_close_matches(name, list(gym.registry if candidates is None else candidates), n=1)
    return f"; did you mean {matches[0]!r}?" if matches else ""


def _keep_keys(env: gym.Env, keys: str, name: str) -> gym.Env:
    """``env`` observing only the Dict ``keys`` (comma-separated); a one-line error naming the env's keys."""
    space = env.observation_space
    wanted = [key.strip() for key in keys.split(",") if key.strip()]
    if not isinstance(space, gym.spaces.Dict):
        raise ValueError(f"--obs {keys!r} chooses Dict keys, but env {name!r} observes a {type(space).__name__}")
    missing = [key for key in wanted if key not in space.spaces]
    if missing or not wanted:
        raise ValueError(
            f"--obs {keys!r}: env {name!r} has no key {missing or [keys]}; its keys are {list(space.spaces)}"
        )
    return gym.wrappers.FilterObservation(env, filter_keys=wanted)


def _vec_env_class(subprocesses: bool) -> type[VecEnv]:
    from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv

    return SubprocVecEnv if subprocesses else DummyVecEnv


def _make_generic(env: str, target: str | EnvFactory, n_envs: int, seed: int, env_kwargs: dict[str, Any],
                  keys: str | None, vec_env_cls: type[VecEnv]) -> VecEnv:  # fmt: skip
    """``vec_env_cls`` of ``Monitor(env)`` (filtered to ``keys``); env i seeded ``seed + i`` at its first reset
    (SB3's make_vec_env)."""
    from functools import partial

    from stable_baselines3.common.env_util import make_vec_env

    wrapper = None if keys is None else partial(_keep_keys, keys=keys, name=env)
    try:
        return make_vec_env(target, n_envs=n_envs, seed=seed, env_kwargs=env_kwargs, vec_env_cls=vec_env_cls,
                            wrapper_class=wrapper)  # fmt: skip
    except gym.error.DependencyNotInstalled as exc:
        raise ValueError(f"env {env!r} needs a package that is not installed: {_first_line(exc)}") from exc
    except (NotImplementedError, TypeError) as exc:
        # SB3's vector env refuses spaces it cannot hold with these: nested spaces (a Dict in a Dict) with a
        # NotImplementedError, a Dict with a Text mission (MiniGrid's) with a TypeError. One env built alone, as
        # the agent would observe it, shows whether that is why, and says so in one line.
        _check_one_env(env, target, env_kwargs, keys)
        if isinstance(exc, NotImplementedError):
            raise ValueError(f"env {env!r} cannot be vectorised by stable-baselines3: {_first_line(exc)}") from exc
        if not env_kwargs:
            raise  # not about the user's kwargs: a bug in the env, whose traceback matters
        raise ValueError(f"env {env!r} rejected env kwargs {sorted(env_kwargs)}: {_first_line(exc)}") from exc


def _check_one_env(env: str, target: str | EnvFactory, env_kwargs: dict[str, Any], keys: str | None) -> None:
    """Build one env (observed through ``keys``) and raise the one-line unsupported-spaces error if its spaces are
    not readable."""
    try:
        single = gym.make(target, **env_kwargs) if isinstance(target, str) else target(**env_kwargs)
    except Exception:
        return  # the env itself fails to build: the caller reports that
    if keys is not None:
        single = _keep_keys(single, keys, env)
    try:
        check_supported_spaces(single.observation_space, single.action_space, env)
    finally:
        single.close()


def _make_atari(env: str, n_envs: int, seed: int, env_kwargs: dict[str, Any], vec_env_cls: type[VecEnv]) -> VecEnv:
    """SB3's Atari preprocessing (84x84 grey, frame skip 4, Monitor) and 4 stacked frames."""
    # SB3's AtariWrapper resizes frames with OpenCV, which the atari extra does not pull in by itself.
    install = [
        pkg for module, pkg in (("ale_py", "-e '.[atari]'"), ("cv2", "opencv-python")) if not _importable(module)
    ]
    if install:
        raise ValueError(f"Atari env {env!r} needs ale-py and opencv-python: pip install {' '.join(install)}")
    import ale_py
    from stable_baselines3.common.env_util import make_atari_env
    from stable_baselines3.common.vec_env import VecFrameStack

    gym.register_envs(ale_py)
    _require_registered(env)
    kwargs = {**_ATARI_DEFAULT_KWARGS, **env_kwargs}
    vec = make_atari_env(env, n_envs=n_envs, seed=seed, env_kwargs=kwargs, vec_env_cls=vec_env_cls)
    return VecFrameStack(vec, n_stack=4)


def _importable(module: str) -> bool:
    """Whether the module can be found, without importing it."""
    return importlib.util.find_spec(module) is not None


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
