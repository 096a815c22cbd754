"""Building a run's environments and its PPO model from a :class:`RunConfig`, and loading a trained run."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import torch
from sb3_contrib import MaskablePPO
from sb3_contrib.common.maskable.utils import is_masking_supported
from stable_baselines3 import PPO
from stable_baselines3.common.vec_env import VecEnv

import envs
from agents.checkpoint import CheckpointError, check_spaces, load_checkpoint, load_policy_weights
from agents.config import RunConfig
from agents.vec_env import BatchedVecEnv
from nets import MaskablePixelPolicy, PixelPolicy

CONFIG_FILE = "config.json"
CHECKPOINT_FILE = "checkpoints/latest.safetensors"
MODEL_FILE = "model.safetensors"
METRICS_FILE = "metrics.jsonl"
FACTS_FILE = "facts.json"
EVAL_FILE = "eval.json"  # written last: a run with an eval.json has finished


def builtin_game(env: str) -> type[envs.BatchedGame] | None:
    """The pixelarena game class for a short name or id, or None for any other env."""
    try:
        env_id = envs.resolve_env_id(env)
    except ValueError:
        return None
    name = env_id.removeprefix("pixelarena/").removesuffix("-v0")
    return envs.GAMES.get(name)


def make_vec_env(config: RunConfig, n_envs: int, seed: int | None, env_kwargs: dict[str, Any] | None = None) -> VecEnv:
    """The training / evaluation vector env: a batched game, or any Gymnasium env through SB3's DummyVecEnv."""
    kwargs = dict(config.env_kwargs if env_kwargs is None else env_kwargs)
    game = builtin_game(config.env)
    if game is not None:
        if config.obs is not None:
            kwargs["obs"] = config.obs
        return BatchedVecEnv(game(n_envs, **kwargs), seed=seed)
    from agents.external_envs import make_external_vec_env

    return make_external_vec_env(config.env, n_envs, 0 if seed is None else seed, kwargs)


def resolve_device(device: str) -> str:
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


def encoder_kwargs_for(config: RunConfig, env_metadata: dict[str, Any]) -> dict[str, Any]:
    """The encoder's arguments: the config's, over ``cell_px`` from the env's metadata where it declares one
    (pixelarena's games do for pixel observations; any Gymnasium env can), so the encoder's stem reads one
    position per game cell (``nets.stems``)."""
    cell_px = int(env_metadata.get("cell_px", 1))
    return {**({"cell_px": cell_px} if cell_px > 1 else {}), **config.encoder_kwargs}


def build_model(config: RunConfig, vec_env: VecEnv) -> PPO:
    """PPO (MaskablePPO when the env has action masks) with pixelarena's policy and the config's settings."""
    maskable = is_masking_supported(vec_env)
    algo, policy = (MaskablePPO, MaskablePixelPolicy) if maskable else (PPO, PixelPolicy)
    return algo(
        policy,
        vec_env,
        **dataclasses.asdict(config.ppo),
        seed=config.seed,
        device=resolve_device(config.device),
        policy_kwargs={"encoder": config.encoder, "encoder_kwargs": encoder_kwargs_for(config, vec_env.metadata)},
        verbose=0,
    )


def read_config(run_dir: Path) -> RunConfig:
    """A run's config.json, or a one-line error saying what is missing."""
    path = Path(run_dir) / CONFIG_FILE
    if not Path(run_dir).is_dir():
        raise ValueError(f"run directory {run_dir} does not exist")
    if not path.is_file():
        raise ValueError(f"{run_dir} is not a pixelarena run (no {CONFIG_FILE})")
    try:
        return RunConfig.from_json(json.loads(path.read_text()))
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{path} is unreadable: {error}") from None


def write_config(run_dir: Path, config: RunConfig) -> None:
    """Write a run's config.json (replacing it in one step: a kill never leaves half a file)."""
    tmp = Path(run_dir) / f".{CONFIG_FILE}.tmp"
    tmp.write_text(json.dumps(config.to_json(), indent=2) + "\n")
    tmp.replace(Path(run_dir) / CONFIG_FILE)


def load_trained(run_dir: Path, device: str = "cpu") -> tuple[RunConfig, PPO]:
    """A run's config and model with its final weights (or, if it did not finish, its latest checkpoint)."""
    run_dir = Path(run_dir)
    config = read_config(run_dir)
    path = run_dir / MODEL_FILE
    if not path.exists():
        path = run_dir / CHECKPOINT_FILE
    if not path.exists():
        raise CheckpointError(f"{run_dir} holds no model or checkpoint yet")
    checkpoint = load_checkpoint(path)
    # One env suffices to rebuild the model; a minibatch of one rollout keeps SB3 from warning about it.
    loading = dataclasses.replace(
        config, device=device, ppo=dataclasses.replace(config.ppo, batch_size=config.ppo.n_steps)
    )
    model = build_model(loading, make_vec_env(loading, 1, seed=0))
    check_spaces(checkpoint, model.observation_space, model.action_space, path)
    load_policy_weights(model.policy, checkpoint)
    return config, model
