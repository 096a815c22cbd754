"""Turning command-line arguments into a complete, validated RunConfig (preset first, then overrides)."""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass
from pathlib import Path

import gymnasium as gym

import envs
from agents.config import PPOSettings, RunConfig, parse_kwargs, parse_steps
from agents.model import builtin_game, encoder_kwargs_for, resolve_device
from agents.presets import DEFAULT_ENCODER, PRESETS, Preset, preset_name
from nets import ENCODERS


@dataclass
class RunOptions:
    """Options of how each run trains, shared by `train` and `compare` (the latter passes them to every run)."""

    n_envs: int | None = None
    """Games played in parallel."""
    device: str = "auto"
    """Torch device: auto (GPU if present), cpu, cuda or cuda:N."""
    env_kwargs: tuple[str, ...] = ()
    """Game arguments as key=value, e.g. size=16 n_enemies=4."""
    encoder_kwargs: tuple[str, ...] = ()
    """Encoder arguments as key=value, e.g. stem=rgb or channels=(32,64,64) (see nets/; over the preset's)."""
    checkpoint_every: str = "50k"
    """Save a checkpoint every this many steps (always also at the end and on Ctrl-C / SIGTERM)."""
    threads: int | None = None
    """Torch CPU threads (default: torch's choice, all cores; compare uses 1 per job when --jobs > 1)."""
    learning_rate: float | None = None
    """PPO learning rate."""
    n_steps: int | None = None
    """PPO rollout length per env."""
    batch_size: int | None = None
    """PPO minibatch size."""
    n_epochs: int | None = None
    """PPO epochs per rollout."""
    ent_coef: float | None = None
    """PPO entropy bonus."""
    gamma: float | None = None
    """PPO discount factor."""
    eval_episodes: int = 32
    """Episodes of the final evaluation."""
    wandb: bool = False
    """Log to Weights & Biases (offline by itself when there is no login or network)."""
    wandb_project: str = "pixelarena"
    """W&B project."""


@dataclass
class TrainArgs(RunOptions):
    """Train a PPO agent. Unset options come from the preset (see agents/presets.py)."""

    env: str | None = None
    """Game (Chase, Target, Swarm, Snake), a Gymnasium id, module:Class, or an Atari id (ALE/Breakout-v5);
    default: the preset's game, else Chase."""
    encoder: str | None = None
    """Encoder: mlp, cnn, impala or unet (default: the game's preset)."""
    obs: str | None = None
    """Observation mode of built-in games: pixels, grid or vector."""
    preset: str | None = None
    """Preset name, e.g. quickstart or chase-impala (default: <game>-<encoder> when one exists)."""
    steps: str | None = None
    """Env steps to train, e.g. 500k or 2M (rounded up to whole PPO rollouts)."""
    seed: int = 0
    """Random seed (network init, PPO sampling, games seeded seed, seed+1, ...)."""
    run_dir: Path | None = None
    """Put the run exactly here (default: runs/<env>__<encoder>__<obs>__s<seed>__<time>)."""
    resume: Path | None = None
    """Continue the run in this directory from its last checkpoint (all other options come from the run)."""
    wandb_group: str | None = None
    """W&B group (compare uses the comparison's name)."""
    wandb_tags: tuple[str, ...] = ()
    """W&B tags."""
    show: bool = False
    """After training, show the agent playing (a window, or a video file when there is no display)."""


def choose(kind: str, value: str, choices: list[str]) -> str:
    """``value`` if it is one of ``choices``, else a one-line ValueError naming them (and the nearest one)."""
    if value in choices:
        return value
    near = difflib.get_close_matches(value, choices, n=1, cutoff=0.5)
    hint = f"; did you mean {near[0]!r}?" if near else ""
    raise ValueError(f"unknown {kind} {value!r}: choose one of {', '.join(choices)}{hint}")


def _positive(name: str, value: int | float | None) -> None:
    if value is not None and value <= 0:
        raise ValueError(f"--{name.replace('_', '-')} must be positive, got {value}")


def _find_preset(args: TrainArgs) -> Preset | None:
    if args.preset is not None:
        return PRESETS[choose("preset", args.preset, list(PRESETS))]
    game = builtin_game(args.env or "Chase")
    if game is None:
        return None
    return PRESETS.get(preset_name(game.__name__, args.encoder or DEFAULT_ENCODER[game.__name__]))


def _default_encoder(env: str, env_kwargs: dict) -> str:
    """cnn for image observations, mlp for vectors (external envs are opened once to see which)."""
    from agents.external_envs import make_external_vec_env

    vec_env = make_external_vec_env(env, 1, 0, env_kwargs)
    image = len(vec_env.observation_space.shape) >= 2
    vec_env.close()
    return "cnn" if image else "mlp"


def resolve(args: TrainArgs) -> RunConfig:
    """The run's configuration: the preset, overridden by every option given on the command line."""
    if args.encoder is not None:
        choose("encoder", args.encoder, list(ENCODERS))
    if args.obs is not None:
        choose("obs mode", args.obs, list(envs.OBS_MODES))
    for name in ("n_envs", "learning_rate", "n_steps", "batch_size", "n_epochs", "threads", "eval_episodes"):
        _positive(name, getattr(args, name))
    if args.gamma is not None and not 0 < args.gamma <= 1:
        raise ValueError(f"--gamma must be in (0, 1], got {args.gamma}")
    resolve_device(args.device)  # fails now rather than after the run directory exists
    preset = _find_preset(args)
    env = args.env or (preset.env if preset is not None else "Chase")
    game = builtin_game(env)
    if game is not None:
        env = game.__name__
    elif ":" not in env and not env.startswith("ALE/") and env not in gym.registry:
        envs.resolve_env_id(env)  # raises, naming the nearest game or registered id
    if preset is not None and preset.env != env:
        raise ValueError(f"preset {args.preset!r} is for {preset.env}, not {env}")
    if game is None and args.obs is not None:
        raise ValueError("--obs applies to built-in games only; external envs are observed as they are")
    env_kwargs = {**(preset.env_kwargs if preset else {}), **parse_kwargs(args.env_kwargs)}
    encoder = args.encoder or (preset.encoder if preset else None) or _default_encoder(env, env_kwargs)
    from_preset = preset is not None and preset.encoder == encoder
    overrides = {
        k: getattr(args, k) for k in ("learning_rate", "n_steps", "batch_size", "n_epochs", "ent_coef", "gamma")
    }
    ppo = dataclasses.replace(
        preset.ppo if preset else PPOSettings(), **{k: v for k, v in overrides.items() if v is not None}
    )
    config = RunConfig(
        env=env,
        encoder=encoder,
        obs=args.obs or (preset.obs if from_preset else None) or ("pixels" if game is not None else None),
        steps=parse_steps(args.steps) if args.steps is not None else (preset.steps if preset else 100_000),
        seed=args.seed,
        n_envs=args.n_envs or (preset.n_envs if preset else 64 if game is not None else 8),
        device=args.device,
        env_kwargs=env_kwargs,
        encoder_kwargs={
            **(preset.encoder_kwargs if from_preset else {}),
            **parse_kwargs(args.encoder_kwargs, "--encoder-kwargs", "stem=rgb"),
        },
        ppo=ppo,
        checkpoint_every=parse_steps(args.checkpoint_every, "--checkpoint-every"),
        eval_episodes=args.eval_episodes,
        preset=preset_name(env, encoder) if from_preset and args.preset is None else (args.preset or ""),
        threads=args.threads,
        wandb=args.wandb,
        wandb_project=args.wandb_project,
        wandb_group=args.wandb_group,
        wandb_tags=tuple(args.wandb_tags),
    )
    if config.ppo.batch_size > config.rollout_steps:
        raise ValueError(f"--batch-size {config.ppo.batch_size} exceeds one rollout ({config.n_envs} envs x "
                         f"{config.ppo.n_steps} steps = {config.rollout_steps})")  # fmt: skip
    if game is not None:
        try:
            probe = game(1, **{**config.env_kwargs, "obs": config.obs})  # bad game kwargs fail here, before training
        except TypeError as error:  # a keyword the game does not take
            raise ValueError(f"--env-kwargs: {env} does not take it: {error}") from None
        _check_encoder_fits(config, probe)
    return config


def _check_encoder_fits(config: RunConfig, probe: envs.BatchedGame) -> None:
    """A convolutional encoder on a vector observation, or encoder arguments it does not take, fail now, not in
    the run (or in every run of a comparison)."""
    from nets import PixelPolicy

    kwargs = encoder_kwargs_for(config, probe.metadata)
    try:
        PixelPolicy(probe.single_observation_space, probe.single_action_space, lambda _: 0.0,
                    encoder=config.encoder, encoder_kwargs=kwargs)  # fmt: skip
    except TypeError as error:  # a keyword the encoder does not take
        raise ValueError(f"--encoder-kwargs: {config.encoder} does not take it: {error}") from None
    except ValueError as error:
        raise ValueError(f"{config.encoder} on {config.env} ({config.obs} obs): {error}") from None
