"""A run's PPO model (stable-baselines3): built from its :class:`RunConfig` on its vector env, or loaded from its run
directory (weights through safetensors only)."""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path
from typing import Any, Literal

import torch
from gymnasium import spaces
from sb3_contrib import MaskablePPO, RecurrentPPO
from sb3_contrib.common.maskable.utils import is_masking_supported
from stable_baselines3 import PPO
from stable_baselines3.common.vec_env import VecEnv

from pixelarena.agents.run.checkpoint import (
    Checkpoint,
    CheckpointError,
    check_spaces,
    load_checkpoint,
    load_policy_weights,
)
from pixelarena.agents.run.config import RunConfig, round_up, scheduled
from pixelarena.agents.run.device_buffer import DeviceRolloutBuffer
from pixelarena.agents.run.run_dir import RunDir
from pixelarena.nets import MaskablePixelPolicy, PixelPolicy, RecurrentPixelPolicy, recurrent_problem

# (recurrent, action masks) -> the algorithm and its policy; recurrent_problem refuses the missing pair.
ALGORITHMS: dict[tuple[bool, bool], tuple[type, type]] = {
    (False, False): (PPO, PixelPolicy),
    (False, True): (MaskablePPO, MaskablePixelPolicy),
    (True, False): (RecurrentPPO, RecurrentPixelPolicy),
}


def pick_device(device: str) -> str:
    """``auto`` -> ``cuda`` when a GPU is visible, else ``cpu``; anything else is checked by torch."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        torch.device(device)
    except RuntimeError:
        raise ValueError(f"unknown device {device!r}: use auto, cpu, cuda or cuda:N") from None
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} asked for, but torch sees no GPU; use --device auto or cpu")
    return device


def make_vec_env(config: RunConfig, n_envs: int, seed: int | None) -> VecEnv:
    """The run's vector env (its game and settings) with ``n_envs`` envs."""
    return config.env_spec().make_vec_env(n_envs, seed)


class ActingOnly:
    """The optimizer of a policy loaded to act (eval, play, export, the viewer) or built only to be checked (a
    config resolved before training): it holds nothing and never steps.

    torch's own optimizers import torch's compiler the first time one is made (2.1 s of a 6.1 s ``pixelarena eval``,
    docs/performance.md), and a policy that only acts never uses its optimizer.
    """

    def __init__(self, params: Any, **settings: Any) -> None:
        self.param_groups: list[dict[str, Any]] = []

    def zero_grad(self, set_to_none: bool = True) -> None:
        pass

    def step(self, closure: Any = None) -> None:
        raise RuntimeError("this policy was loaded to act, not to train: train runs with pixelarena train")

    def state_dict(self) -> dict[str, Any]:
        return {}


def build_model(config: RunConfig, vec_env: VecEnv, acting: bool = False) -> PPO:
    """PPO (MaskablePPO when the env has action masks, RecurrentPPO for a recurrent run) with pixelarena's policy
    and the config's settings; on a GPU the rollout stays on the device (agents/run/device_buffer.py; PPO with Box
    observations).

    ``acting``: the policy only acts (no optimizer is made: :class:`ActingOnly`).

    Raises:
        ValueError: A recurrent run whose encoder or env cannot take an LSTM (one line).
    """
    maskable = is_masking_supported(vec_env)
    if config.recurrent and (problem := recurrent_problem(config.encoder, maskable)):
        raise ValueError(problem)
    algo, policy = ALGORITHMS[(config.recurrent, maskable)]
    device = pick_device(config.device)
    buffer = None if config.recurrent else rollout_buffer_class(device, maskable, vec_env.observation_space)
    policy_kwargs = {"encoder": config.encoder, "encoder_kwargs": config.encoder_kwargs_on(vec_env.metadata)}
    if config.recurrent:
        policy_kwargs["lstm_hidden_size"] = config.lstm_size
    if acting:
        policy_kwargs["optimizer_class"] = ActingOnly
    model = algo(
        policy,
        vec_env,
        **ppo_kwargs(config),
        **({"rollout_buffer_class": buffer} if buffer is not None else {}),
        seed=config.seed,
        device=device,
        policy_kwargs=policy_kwargs,
        verbose=0,
    )
    if torch.device(device).type == "cpu":
        # Channels-last convolution weights: 1.13x end-to-end PPO env steps/s on Chase's preset on a CPU (3 of 3
        # interleaved rounds, docs/performance.md). Parameters keep their identity, so the optimizer is unaffected.
        model.policy.to(memory_format=torch.channels_last)
    return model


def ppo_kwargs(config: RunConfig) -> dict[str, Any]:
    """The config's PPO settings as stable-baselines3's arguments: schedules become functions of the progress
    remaining, which SB3 measures against the run's step target (so a resumed run continues its schedule)."""
    settings = dataclasses.asdict(config.ppo)
    lr_schedule, clip_schedule = settings.pop("lr_schedule"), settings.pop("clip_schedule")
    settings["learning_rate"] = scheduled(settings["learning_rate"], lr_schedule)
    settings["clip_range"] = scheduled(settings["clip_range"], clip_schedule)
    return settings


def rollout_buffer_class(device: str, maskable: bool, observation_space: spaces.Space) -> type | None:
    """The device rollout buffer for PPO on a GPU with Box observations; None (SB3 chooses) otherwise: on a CPU,
    where it measured no faster, for MaskablePPO (which stores masks in its own buffer) and for Dict observations."""
    on_gpu = torch.device(device).type == "cuda"
    return DeviceRolloutBuffer if on_gpu and not maskable and isinstance(observation_space, spaces.Box) else None


Weights = Literal["final", "best", "latest"]


class WeightsError(CheckpointError):
    """The weights a command names cannot be used as that run's: missing, unreadable, or not the run's (other
    spaces, another step). One line naming the file and what to do instead; never another file in their place."""


def load_trained(run_dir: Path | RunDir, device: str = "cpu", weights: Weights = "final") -> tuple[RunConfig, PPO]:
    """A run's config and model with the weights ``weights`` names (:attr:`RunDir.WEIGHTS`): by default its final
    policy, which only a finished run has.

    Raises:
        WeightsError: The file is missing, unreadable or not the run's; the message names it and what to do.
    """
    config, model, _ = load_weights(run_dir, device, weights)
    return config, model


def acting_model(config: RunConfig, device: str = "cpu") -> PPO:
    """The run's model, built to act (no optimizer) on one env, its weights still to be loaded."""
    # One env suffices to rebuild the model; a minibatch of one rollout keeps SB3 from warning about it.
    loading = dataclasses.replace(
        config, device=device, ppo=dataclasses.replace(config.ppo, batch_size=config.ppo.n_steps)
    )
    return build_model(loading, make_vec_env(loading, 1, seed=0), acting=True)


def load_weights(run_dir: Path | RunDir, device: str = "cpu", weights: Weights = "final") -> tuple[RunConfig, PPO, int]:
    """:func:`load_trained`, also returning the step of the weights loaded (for the commands to name them)."""
    run = run_dir if isinstance(run_dir, RunDir) else RunDir(run_dir)
    config = run.read_config()
    path, checkpoint = checked_weights(run, config, weights)
    model = acting_model(config, device)
    try:
        check_spaces(checkpoint, model.observation_space, model.action_space, path)
        load_policy_weights(model.policy, checkpoint)
    except CheckpointError as error:
        raise WeightsError(f"{error}: not this run's weights{_instead(run, weights)}") from None
    return config, model, checkpoint.step


def checked_weights(run: RunDir, config: RunConfig, weights: Weights) -> tuple[Path, Checkpoint]:
    """The file ``weights`` names in ``run``, read and checked against the run (before a model is built).

    Raises:
        WeightsError: The run has not finished (``final``), or the file is missing, unreadable, or holds the
            weights of a step the run's own cannot have.
    """
    path = run.weights_file(weights)
    if weights == "final" and not run.finished:
        trainer = run.trainer()
        if trainer is not None:
            raise WeightsError(f"{run} is being trained now ({trainer} of {config.steps:,}), so it has no final "
                               f"policy yet: --weights latest uses its last checkpoint")  # fmt: skip
        trained = run.trained_steps()
        raise WeightsError(
            f"{run} has not finished (trained to step {trained:,} of {config.steps:,}), so it has no final policy "
            f"yet: --weights latest uses its last checkpoint; pixelarena train --resume {run} finishes it"
        )
    if not path.is_file():
        raise WeightsError(f"{path} is missing{_why_missing(run, config, weights)}{_instead(run, weights)}")
    checkpoint = _read(path, run, weights)
    wrong = _wrong_step(run, config, weights, checkpoint.step)
    if wrong:
        raise WeightsError(f"{path} holds the weights of step {checkpoint.step:,}, {wrong}: not this run's "
                           f"{_NAMES[weights]}{_instead(run, weights)}")  # fmt: skip
    return path, checkpoint


_NAMES = {"final": "final policy", "best": "best policy", "latest": "last checkpoint"}


def _read(path: Path, run: RunDir, weights: Weights) -> Checkpoint:
    for attempt in range(3):
        try:
            return load_checkpoint(path)
        except CheckpointError as error:
            raise WeightsError(f"{error}{_instead(run, weights)}") from None
        except RuntimeError:
            # safetensors maps the tensors by opening the file again by name: a training that replaced the
            # checkpoint in between (atomically, so the new file is whole) makes the sizes disagree. Read again.
            if attempt == 2:
                raise WeightsError(
                    f"{path} kept changing while it was read (a training is writing it); try again"
                ) from None
    raise AssertionError("unreachable")


def _wrong_step(run: RunDir, config: RunConfig, weights: Weights, step: int) -> str:
    """Why ``step`` cannot be that of the run's ``weights`` ('' when it can). A finished run ended at its last
    metrics row's step: its last checkpoint holds that step, and so does its final policy unless a best one was
    kept (--eval-every), which is the best checkpoint's."""
    if step > config.steps:
        return f"beyond the run's step target of {config.steps:,}"
    end = run.trained_steps() if run.finished else 0  # 0: unknown (no metrics) or still training
    if not end:
        return ""
    if step > end:
        return f"but the run ended at step {end:,}"
    if weights == "latest" or (weights == "final" and not config.eval_every):
        return "" if step == end else f"but the run ended at step {end:,}"
    if weights == "final" and run.best_file.is_file():
        with contextlib.suppress(CheckpointError, RuntimeError):  # an unreadable best file is --weights best's error
            best = load_checkpoint(run.best_file).step
            return "" if step == best else f"but the best policy the run kept is of step {best:,}"
    return ""


def _first_boundary(config: RunConfig, every: int) -> int:
    """The step of the first rollout boundary at which something done ``every`` steps happens (or the run's end)."""
    return min(round_up(every, config.rollout_steps), config.steps)


def _why_missing(run: RunDir, config: RunConfig, weights: Weights) -> str:
    if weights == "best" and not config.eval_every:
        return " (a best policy is kept only by runs trained with --eval-every)"
    trained = run.trained_steps()
    if weights == "best" and not run.finished:
        # Evaluations come at rollout boundaries, and one at the end.
        first = _first_boundary(config, config.eval_every)
        if trained < first:
            return (f" (the first evaluation writes it, at step {first:,}; the run has trained {trained:,} steps"
                    f"{'' if run.trainer() else ' and is not training now'})")  # fmt: skip
    if weights == "latest" and not run.finished:
        first = _first_boundary(config, config.checkpoint_every)
        return (f" (the first checkpoint writes it, at step {first:,} or when the training stops; the run has "
                f"trained {trained:,} steps)")  # fmt: skip
    return ""


def _instead(run: RunDir, weights: Weights) -> str:
    """What to do when ``weights`` of ``run`` cannot be used: the other weights it has, and how to rebuild."""
    if weights == "final":
        if not run.checkpoint_file.is_file():
            return "; the run has no other weights: train it again"
        return (f"; --weights latest uses its last checkpoint instead, or delete {run.eval_file} and run pixelarena "
                f"train --resume {run} to rebuild the final policy from its checkpoints")  # fmt: skip
    if run.finished and run.model_file.is_file():
        return "; --weights final uses the run's final policy"
    return ""
