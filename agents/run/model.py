"""A run's PPO model (stable-baselines3): built from its :class:`RunConfig` on its vector env, or loaded from its run
directory (weights through safetensors only)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import torch
from gymnasium import spaces
from sb3_contrib import MaskablePPO
from sb3_contrib.common.maskable.utils import is_masking_supported
from stable_baselines3 import PPO
from stable_baselines3.common.vec_env import VecEnv

from agents.environments.env_spec import EnvSpec
from agents.run.checkpoint import CheckpointError, check_spaces, load_checkpoint, load_policy_weights
from agents.run.config import RunConfig, scheduled
from agents.run.device_buffer import DeviceRolloutBuffer
from agents.run.run_dir import RunDir
from nets import MaskablePixelPolicy, PixelPolicy


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
    return EnvSpec.of(config).make_vec_env(n_envs, seed)


def build_model(config: RunConfig, vec_env: VecEnv) -> PPO:
    """PPO (MaskablePPO when the env has action masks) with pixelarena's policy and the config's settings; on a GPU
    the rollout stays on the device (agents/run/device_buffer.py; PPO with Box observations)."""
    maskable = is_masking_supported(vec_env)
    algo, policy = (MaskablePPO, MaskablePixelPolicy) if maskable else (PPO, PixelPolicy)
    device = pick_device(config.device)
    buffer = rollout_buffer_class(device, maskable, vec_env.observation_space)
    model = algo(
        policy,
        vec_env,
        **ppo_kwargs(config),
        **({"rollout_buffer_class": buffer} if buffer is not None else {}),
        seed=config.seed,
        device=device,
        policy_kwargs={"encoder": config.encoder, "encoder_kwargs": config.encoder_kwargs_on(vec_env.metadata)},
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


def load_trained(run_dir: Path | RunDir, device: str = "cpu") -> tuple[RunConfig, PPO]:
    """A run's config and model with its final weights (or, if it did not finish, its latest checkpoint)."""
    run = RunDir(run_dir.path if isinstance(run_dir, RunDir) else run_dir)
    config = run.read_config()
    path = run.weights_file()
    if path is None:
        raise CheckpointError(f"{run} holds no model or checkpoint yet")
    checkpoint = load_checkpoint(path)
    # One env suffices to rebuild the model; a minibatch of one rollout keeps SB3 from warning about it.
    loading = dataclasses.replace(
        config, device=device, ppo=dataclasses.replace(config.ppo, batch_size=config.ppo.n_steps)
    )
    model = build_model(loading, make_vec_env(loading, 1, seed=0))
    check_spaces(checkpoint, model.observation_space, model.action_space, path)
    load_policy_weights(model.policy, checkpoint)
    return config, model
