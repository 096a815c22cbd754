"""What a checkpoint needs beyond weights and optimizer for a resumed run to be the run it would have been.

stable-baselines3 (and CleanRL, Sample Factory) restore weights and optimizer state only; a run resumed that way
draws other random numbers, restarts its games and forgets its episode statistics, so it ends elsewhere. At a
rollout boundary the rest of a run's state is small, and pixelarena's games can hand theirs over:

- the random streams: torch's (action sampling), numpy's global one (SB3's minibatch shuffling), Python's;
- the batched games' arrays (positions, step counters, their own random streams) and the vector env's episode
  counters, plus a frame stack's stacked frames;
- SB3's rollout-boundary state: the last observations, the episode starts, the episode-statistics buffers and
  the update counter; for RecurrentPPO also the LSTM's state after the last observations;
- the best-policy evaluator's state (best score and step, last evaluation step).

It is captured in memory at every rollout start (cheap: kilobytes to a few megabytes) and written with the
checkpoint, so a run stopped by SIGINT or SIGTERM, or killed after a checkpoint, resumes bit for bit (CPU, one
thread). Other Gymnasium envs' state cannot be saved in general: their runs keep weights, optimizer, random
streams and counters, and restart their envs.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from stable_baselines3.common.vec_env import VecEnv, VecFrameStack, VecTransposeImage

from pixelarena.agents.environments.vec_env import BatchedVecEnv
from pixelarena.agents.run.checkpoint import Checkpoint, CheckpointError

PREFIX = "resume."
# Arrays are stored as raw bytes with their dtype named in the header: only these dtypes are accepted on load.
DTYPES = ("bool", "uint8", "int16", "int32", "int64", "uint32", "uint64", "float32", "float64")


@dataclass
class ResumeState:
    """A run's state at a rollout boundary, beyond weights and optimizer."""

    arrays: dict[str, np.ndarray]
    """Game arrays (``game.<name>``), the vector env's counters, the last observations, the random streams' arrays."""
    info: dict[str, Any]
    """JSON-able rest: numpy's and Python's random-stream scalars, episode buffers, counters, best-policy state."""


def _batched(vec_env: VecEnv) -> tuple[BatchedVecEnv | None, VecFrameStack | None]:
    """The batched game under SB3's wrappers (a frame stack, the image transpose, which holds no state), and the
    frame stack if there is one; (None, None) for envs whose state cannot be saved."""
    stack = None
    while isinstance(vec_env, VecFrameStack | VecTransposeImage):
        stack = vec_env if isinstance(vec_env, VecFrameStack) else stack
        vec_env = vec_env.venv
    return (vec_env, stack) if isinstance(vec_env, BatchedVecEnv) else (None, None)


def capture(model: Any, best: Any | None) -> ResumeState:
    """The run's state now (call at a rollout boundary)."""
    arrays: dict[str, np.ndarray] = {"torch_rng": torch.get_rng_state().numpy().copy()}
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    arrays["numpy_rng"] = np.asarray(keys).copy()
    version, python_state, python_gauss = random.getstate()
    info: dict[str, Any] = {
        "numpy_rng": {"kind": kind, "pos": int(pos), "has_gauss": int(has_gauss), "cached_gaussian": float(gauss)},
        "python_rng": {"version": version, "state": list(python_state), "gauss_next": python_gauss},
        "ep_info_buffer": [dict(entry) for entry in (model.ep_info_buffer or ())],
        "ep_success_buffer": [bool(entry) for entry in (model.ep_success_buffer or ())],
        "n_updates": int(model._n_updates),
        "env_state": False,
        # Values SB3 recorded after the last dump (the last update's losses): the next metrics row holds them.
        "logger": {
            # A numpy scalar keeps its type: the metrics writer takes Python numbers only (np.float32 is not one).
            key: {
                "value": value.item() if isinstance(value, np.generic) else value,
                "numpy": str(value.dtype) if isinstance(value, np.generic) else None,
                "count": int(model.logger.name_to_count.get(key, 0)),
                "exclude": list(model.logger.name_to_excluded.get(key, ("",))),
            }
            for key, value in model.logger.name_to_value.items()
            if isinstance(value, int | float | np.number) and not isinstance(value, bool)
        },
    }
    if best is not None:
        info["best"] = {"score": best.best_score, "step": best.best_step, "last_step": best.last_step}
    batched, stack = _batched(model.get_env())
    if batched is not None and isinstance(model._last_obs, np.ndarray):
        info["env_state"] = True
        arrays.update({f"game.{name}": value for name, value in batched.game.get_state().items()})
        arrays["vec.returns"], arrays["vec.lengths"] = batched._returns.copy(), batched._lengths.copy()
        arrays["last_obs"] = model._last_obs.copy()
        arrays["episode_starts"] = np.asarray(model._last_episode_starts).copy()
        if stack is not None:
            arrays["frame_stack"] = stack.stacked_obs.stacked_obs.copy()
        arrays.update({name: tensor.cpu().numpy().copy() for name, tensor in _lstm_states(model).items()})
    return ResumeState(arrays, info)


LSTM_STATES = ("lstm.pi.h", "lstm.pi.c", "lstm.vf.h", "lstm.vf.c")


def _lstm_states(model: Any) -> dict[str, torch.Tensor]:
    """RecurrentPPO's LSTM states after the last observations, by name (none for a policy without memory): the
    memory the games have of their episodes so far, which goes with the games' own state."""
    states = getattr(model, "_last_lstm_states", None)
    return {} if states is None else dict(zip(LSTM_STATES, (*states.pi, *states.vf), strict=True))


def restore_state(model: Any, state: ResumeState, best: Any | None) -> bool:
    """Put the run's state back before learning goes on; returns whether the envs' state came back too (False
    for other people's envs, which restart from a reset).

    Raises:
        ValueError: One line, when the state does not fit this run's envs (other settings).
    """
    arrays, info = state.arrays, state.info
    restored_env = False
    batched, stack = _batched(model.get_env())
    if info["env_state"] and batched is not None:
        game = {name.removeprefix("game."): value for name, value in arrays.items() if name.startswith("game.")}
        batched.game.set_state(game)
        for name, target in (("vec.returns", batched._returns), ("vec.lengths", batched._lengths),
                             ("last_obs", None), ("episode_starts", None)):  # fmt: skip
            _check_shape(arrays, name, target if target is not None else None)
        batched._returns[...] = arrays["vec.returns"]
        batched._lengths[...] = arrays["vec.lengths"]
        batched._seed = None  # already seeded: the games continue their own streams
        if stack is not None:
            _check_shape(arrays, "frame_stack", stack.stacked_obs.stacked_obs)
            stack.stacked_obs.stacked_obs[...] = arrays["frame_stack"]
        model._last_obs = arrays["last_obs"].copy()
        model._last_episode_starts = arrays["episode_starts"].copy()
        for name, tensor in _lstm_states(model).items():  # a checkpoint without them: the memory restarts
            if name in arrays:
                _check_shape(arrays, name, tensor.cpu().numpy())
                tensor.copy_(torch.from_numpy(arrays[name]))
        restored_env = True
    model.ep_info_buffer = deque(info["ep_info_buffer"], maxlen=model._stats_window_size)
    model.ep_success_buffer = deque(info["ep_success_buffer"], maxlen=model._stats_window_size)
    model._n_updates = info["n_updates"]
    if best is not None and "best" in info:
        best.best_score, best.best_step, best.last_step = (info["best"][k] for k in ("score", "step", "last_step"))
    torch.set_rng_state(torch.from_numpy(arrays["torch_rng"].copy()))
    numpy_rng = info["numpy_rng"]
    np.random.set_state((numpy_rng["kind"], arrays["numpy_rng"], numpy_rng["pos"], numpy_rng["has_gauss"],
                         numpy_rng["cached_gaussian"]))  # fmt: skip
    python_rng = info["python_rng"]
    random.setstate((python_rng["version"], tuple(python_rng["state"]), python_rng["gauss_next"]))
    return restored_env


def restore_logger(logger: Any, state: ResumeState) -> None:
    """Put back what SB3 had recorded but not yet written at the boundary (call after the run's logger is set)."""
    for key, entry in state.info["logger"].items():
        numpy = entry.get("numpy")
        logger.name_to_value[key] = np.dtype(numpy).type(entry["value"]) if numpy else entry["value"]
        logger.name_to_count[key] = entry["count"]
        logger.name_to_excluded[key] = tuple(entry["exclude"])


def _check_shape(arrays: dict[str, np.ndarray], name: str, like: np.ndarray | None) -> None:
    if name not in arrays:
        raise ValueError(f"resume state lacks {name}")
    if like is not None and (arrays[name].shape != like.shape or arrays[name].dtype != like.dtype):
        raise ValueError(f"resume state {name} is {arrays[name].dtype} {arrays[name].shape}, this run's is "
                         f"{like.dtype} {like.shape}")  # fmt: skip


def to_tensors(state: ResumeState) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """The state as safetensors tensors (raw bytes) and a JSON header naming each array's dtype and shape."""
    tensors, layout = {}, {}
    for name, value in state.arrays.items():
        layout[name] = {"dtype": str(value.dtype), "shape": list(value.shape)}  # (ascontiguousarray makes 0-d 1-d)
        raw = np.ascontiguousarray(value).reshape(-1).view(np.uint8)
        tensors[PREFIX + name] = torch.from_numpy(raw.copy())
    return tensors, {"arrays": layout, **state.info}


def from_tensors(tensors: dict[str, torch.Tensor], header: Any) -> ResumeState:
    """The state back from a checkpoint's tensors and header, every entry checked (a file is data only).

    Raises:
        ValueError: One line naming what is malformed.
    """
    if not isinstance(header, dict) or not isinstance(header.get("arrays"), dict):
        raise ValueError("its resume state has no array layout")
    arrays = {}
    for name, spec in header["arrays"].items():
        if not isinstance(spec, dict) or spec.get("dtype") not in DTYPES or not _is_shape(spec.get("shape")):
            raise ValueError(f"its resume array {name!r} has a malformed dtype or shape")
        raw = tensors.get(PREFIX + name)
        dtype, shape = np.dtype(spec["dtype"]), tuple(spec["shape"])
        if raw is None or raw.dtype != torch.uint8 or raw.numel() != int(np.prod(shape)) * dtype.itemsize:
            raise ValueError(f"its resume array {name!r} is missing or of the wrong size")
        arrays[name] = raw.numpy().view(dtype).reshape(shape).copy()
    info = {key: value for key, value in header.items() if key != "arrays"}
    _check_info(info, arrays)
    return ResumeState(arrays, info)


def read_resume_state(checkpoint: Checkpoint, path: Path) -> ResumeState | None:
    """The resume state a training checkpoint carries (None for one written before checkpoints carried it).

    Raises:
        CheckpointError: One line naming the file, when the state is malformed.
    """
    if "resume" not in checkpoint.header:
        return None
    try:
        return from_tensors(checkpoint.resume, checkpoint.header["resume"])
    except ValueError as error:
        raise CheckpointError(f"{path}: {error}") from None


def _is_shape(shape: Any) -> bool:
    return isinstance(shape, list) and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)


def _check_info(info: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    def need(ok: bool, what: str) -> None:
        if not ok:
            raise ValueError(f"its resume state has a malformed {what}")

    numpy_rng, python_rng = info.get("numpy_rng"), info.get("python_rng")
    need(isinstance(numpy_rng, dict) and numpy_rng.get("kind") == "MT19937", "numpy random state")
    need(isinstance(numpy_rng.get("pos"), int) and isinstance(numpy_rng.get("has_gauss"), int)
         and isinstance(numpy_rng.get("cached_gaussian"), float), "numpy random state")  # fmt: skip
    need(isinstance(python_rng, dict) and isinstance(python_rng.get("version"), int), "Python random state")
    need(isinstance(python_rng.get("state"), list) and all(type(v) is int for v in python_rng["state"]),
         "Python random state")  # fmt: skip
    need(python_rng.get("gauss_next") is None or isinstance(python_rng["gauss_next"], float), "Python random state")
    need(isinstance(info.get("ep_info_buffer"), list) and all(
        isinstance(e, dict) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in e.values())
        for e in info["ep_info_buffer"]), "episode buffer")  # fmt: skip
    need(isinstance(info.get("ep_success_buffer"), list), "success buffer")
    need(type(info.get("n_updates")) is int and info["n_updates"] >= 0, "update counter")
    need(isinstance(info.get("env_state"), bool), "env flag")
    logged = info.get("logger")
    need(isinstance(logged, dict) and all(
        isinstance(e, dict) and isinstance(e.get("value"), int | float) and not isinstance(e.get("value"), bool)
        and e.get("numpy") in (None, *DTYPES) and type(e.get("count")) is int and isinstance(e.get("exclude"), list)
        and all(isinstance(x, str) for x in e["exclude"]) for e in logged.values()), "logger state")  # fmt: skip
    if "best" in info:
        best = info["best"]
        need(isinstance(best, dict) and isinstance(best.get("score"), int | float)
             and type(best.get("step")) is int and type(best.get("last_step")) is int, "best-policy state")  # fmt: skip
    need("torch_rng" in arrays and arrays["torch_rng"].dtype == np.uint8, "torch random state")
    need("numpy_rng" in arrays and arrays["numpy_rng"].dtype == np.uint32, "numpy random state")
    if info["env_state"]:
        for name in ("last_obs", "episode_starts", "vec.returns", "vec.lengths"):
            need(name in arrays, name)
