"""The first step of training: command-line arguments -> a complete, validated RunConfig (the preset first,
then every option given). Everything that can be wrong is found here, before a run directory exists."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import gymnasium as gym

from pixelarena.agents.checks import check_keys, choose, keyword_names, parse_kwargs, parse_steps
from pixelarena.agents.environments.env_spec import EnvProbe, EnvSpec
from pixelarena.agents.run.config import SCHEDULES, VEC_ENVS, PPOSettings, RunConfig, round_up
from pixelarena.agents.run.model import ActingOnly, pick_device
from pixelarena.agents.run.presets import DEFAULT_ENCODER, PRESETS, Preset, load_preset_file, preset_name
from pixelarena.agents.run.run_dir import RunDir
from pixelarena.agents.run.tensorboard_events import check_tensorboard
from pixelarena.agents.training.options import TrainArgs
from pixelarena.envs.views import VIEW_MODES
from pixelarena.nets import ENCODER_ALIASES, ENCODERS, encoder_class

PPO_OPTIONS = ("learning_rate", "n_steps", "batch_size", "n_epochs", "ent_coef", "gamma", "gae_lambda", "clip_range",
               "vf_coef", "max_grad_norm", "lr_schedule", "clip_schedule")  # fmt: skip
# What defines a run: given with --resume, they would silently not apply (the run keeps its own).
RESUME_IGNORES = ("env", "encoder", "obs", "preset", "n_envs", *PPO_OPTIONS, "eval_every", "run_dir", "vec_env",
                  "seconds", "demos", "bc_epochs", "lstm_size", "init_from")  # fmt: skip
BC_EPOCHS = 10
"""Passes of behaviour cloning over the demonstrations when --demos comes without --bc-epochs."""


def _positive(name: str, value: int | float | None) -> None:
    if value is not None and value <= 0:
        raise ValueError(f"--{name.replace('_', '-')} must be positive, got {value}")


def _find_preset(args: TrainArgs) -> Preset | None:
    if args.preset is not None and args.preset.endswith(".json"):
        return load_preset_file(Path(args.preset))  # written by pixelarena sweep
    if args.preset is not None:
        return PRESETS[choose("preset", args.preset, list(PRESETS))]
    spec = EnvSpec.parse(args.env or "Chase")  # one resolution of the name: a game's canonical name, or another env
    if spec.game is None:
        return None
    return PRESETS.get(preset_name(spec.name, args.encoder or DEFAULT_ENCODER.get(spec.name, "cnn")))


def _check_options(args: TrainArgs) -> None:
    if args.encoder is not None and ":" in args.encoder:
        encoder_class(args.encoder)  # module:Class: importable and an encoder, or one line
    elif args.encoder is not None:
        choose("encoder", args.encoder, list(ENCODERS), ENCODER_ALIASES)
    for name in ("learning_rate", "ent_coef", "gamma", "gae_lambda", "clip_range", "vf_coef", "max_grad_norm"):
        value = getattr(args, name)
        if value is not None and not math.isfinite(value):
            raise ValueError(f"--{name.replace('_', '-')} must be a finite number, got {value}")
    counts = ("n_envs", "n_steps", "batch_size", "minibatches", "n_epochs", "threads", "eval_episodes", "frame_stack",
              "bc_epochs")  # fmt: skip
    for name in ("learning_rate", "clip_range", "max_grad_norm", *counts):
        _positive(name, getattr(args, name))
    if args.ent_coef is not None and args.ent_coef < 0:
        raise ValueError(f"--ent-coef must be 0 or more, got {args.ent_coef}")
    if args.gamma is not None and not 0 < args.gamma <= 1:
        raise ValueError(f"--gamma must be in (0, 1], got {args.gamma}")
    if args.gae_lambda is not None and not 0 <= args.gae_lambda <= 1:
        raise ValueError(f"--gae-lambda must be in [0, 1], got {args.gae_lambda}")
    if args.vf_coef is not None and args.vf_coef < 0:
        raise ValueError(f"--vf-coef must be 0 or more, got {args.vf_coef}")
    for name in ("lr_schedule", "clip_schedule"):
        if getattr(args, name) is not None:
            choose(f"--{name.replace('_', '-')}", getattr(args, name), list(SCHEDULES))
    pick_device(args.device)  # fails now rather than after the run directory exists
    if args.wandb_artifacts and not args.wandb:
        raise ValueError("--wandb-artifacts uploads the model to W&B: add --wandb")
    if args.tensorboard:
        check_tensorboard()


def resolve(args: TrainArgs) -> RunConfig:
    """The run's configuration: the preset, overridden by every option given on the command line."""
    _check_options(args)
    preset = _find_preset(args)
    spec = EnvSpec.parse(args.env or (preset.env if preset is not None else "Chase"), args.obs)
    if preset is not None and preset.env != spec.name:
        raise ValueError(f"preset {args.preset!r} is for {preset.env}, not {spec.name}")
    preset_kwargs = dict(preset.env_kwargs) if preset else {}
    if args.obs is not None and args.obs not in VIEW_MODES:  # the preset's view is of pixels: not for this obs
        preset_kwargs = {
            key: value for key, value in preset_kwargs.items() if key not in ("view", "view_radius", "minimap")
        }
    spec = spec.with_kwargs({**preset_kwargs, **parse_kwargs(args.env_kwargs)})
    spec = dataclasses.replace(spec, frame_stack=args.frame_stack, vec_env=_vec_env(args, spec))
    # An external env is built once here: its kwargs fail now, and its spaces choose the default encoder.
    external = None if spec.builtin else spec.probe()
    encoder = args.encoder or (preset.encoder if preset else None) or _default_encoder(external)
    from_preset = preset is not None and preset.encoder == encoder
    overrides = {name: getattr(args, name) for name in PPO_OPTIONS if getattr(args, name) is not None}
    config = RunConfig(
        env=spec.name,
        encoder=encoder,
        obs=spec.obs or (preset.obs if from_preset else None) or ("pixels" if spec.builtin else None),
        steps=_steps(args, preset),
        seed=args.seed,
        n_envs=args.n_envs or (preset.n_envs if preset else 64 if spec.builtin else 8),
        device=args.device,
        env_kwargs=spec.kwargs,
        encoder_kwargs={
            # A frame stack's count reaches the encoder (a colour stem per stacked RGB frame), recorded with the run
            # so that runs trained before per-frame stems existed still load as they were trained.
            **({"frames": args.frame_stack} if args.frame_stack > 1 else {}),
            **(preset.encoder_kwargs if from_preset else {}),
            **parse_kwargs(args.encoder_kwargs, "--encoder-kwargs", "stem=rgb"),
        },
        ppo=dataclasses.replace(preset.ppo if preset else PPOSettings(), **overrides),
        checkpoint_every=parse_steps(args.checkpoint_every, "--checkpoint-every"),
        eval_episodes=args.eval_episodes,
        eval_every=_eval_every(args, preset),
        seconds=_seconds(args.seconds),
        frame_stack=args.frame_stack,
        vec_env=spec.vec_env,
        preset=preset_name(spec.name, encoder) if from_preset and args.preset is None else (args.preset or ""),
        threads=args.threads,
        wandb=args.wandb,
        wandb_project=args.wandb_project,
        wandb_entity=args.wandb_entity,
        wandb_group=args.wandb_group,
        wandb_tags=tuple(args.wandb_tags),
        wandb_artifacts=args.wandb_artifacts,
        tensorboard=args.tensorboard,
    )
    config = _fit_minibatch(config, args, preset)
    config = _with_demos(config, args)
    config = _with_memory(config, args)
    # The observation mode may have come from the preset: a game is probed with the config's own.
    _check_encoder_fits(config, config.env_spec().probe() if spec.builtin else external)
    _check_recordable(config)
    if args.init_from is not None:
        from pixelarena.agents.training.init_from import check_init_from

        config = check_init_from(config, args.init_from)
    return config


def _check_recordable(config: RunConfig) -> None:
    """Every value the run records in config.json is one it can read back (eval, resume and load read it), checked
    before anything is written: a one-line ValueError naming the value."""
    try:
        RunConfig.from_json(json.loads(json.dumps(config.to_json())))
    except ValueError as error:
        what = str(error).removeprefix("config.json: ").removeprefix("config.json ppo: ").split(" is not a valid")[0]
        raise ValueError(f"{what} cannot be recorded: a run keeps only numbers it can read back, up to 2**53 "
                         "(about 9.0e15)") from None  # fmt: skip


def _steps(args: TrainArgs, preset: Preset | None) -> int:
    """--steps as a count, else the preset's; 0 only with --demos (behaviour cloning alone, no PPO)."""
    if args.steps is None:
        return preset.steps if preset else 100_000
    if args.steps.strip() == "0":
        if args.demos is None:
            raise ValueError("--steps 0 trains no PPO: it is for behaviour cloning alone, with --demos DIR")
        return 0
    return parse_steps(args.steps)


def _with_demos(config: RunConfig, args: TrainArgs) -> RunConfig:
    """--demos and --bc-epochs, checked against the run: a built-in game with the recording's settings, its
    observation mode recorded, every array the run will read sound (so a bad file fails before the run exists)."""
    if args.demos is None:
        if args.bc_epochs is not None:
            raise ValueError("--bc-epochs sets how long to clone demonstrations: give them with --demos DIR")
        return config
    if config.env_spec().game is None:
        raise ValueError(f"--demos: demonstrations are recorded on pixelarena's games, not {config.env}")
    if config.frame_stack > 1:
        raise ValueError("--demos records single observations: drop --frame-stack")
    from pixelarena.agents.demos.dataset import check_demos

    check_demos(args.demos, config.env, config.env_kwargs, config.obs, arrays=True)  # before the run directory
    epochs = BC_EPOCHS if args.bc_epochs is None else args.bc_epochs
    return dataclasses.replace(config, demos=str(args.demos), bc_epochs=epochs)


def _with_memory(config: RunConfig, args: TrainArgs) -> RunConfig:
    """--recurrent and --lstm-size, checked: an LSTM needs flat heads and an env without action masks."""
    if not args.recurrent:
        if args.lstm_size is not None:
            raise ValueError("--lstm-size sizes the LSTM of --recurrent: give --recurrent too")
        return config
    _positive("lstm_size", args.lstm_size)
    if config.demos:
        raise ValueError("--demos clones a policy without memory: drop --demos or --recurrent")
    from sb3_contrib.common.maskable.utils import is_masking_supported

    from pixelarena.nets import recurrent_problem

    spec = config.env_spec()
    if spec.game is not None:
        masked = spec.game.HAS_ACTION_MASKS
    else:
        vec_env = spec.make_vec_env(1, seed=0)
        masked = is_masking_supported(vec_env)
        vec_env.close()
    problem = recurrent_problem(config.encoder, masked)
    if problem:
        raise ValueError(f"{config.env}: {problem}" if masked else problem)
    return dataclasses.replace(config, recurrent=True, lstm_size=args.lstm_size or config.lstm_size)


def _vec_env(args: TrainArgs, spec: EnvSpec) -> str:
    """--vec-env, checked: subprocesses are for other people's envs (a game of pixelarena's is one batched object)."""
    if args.vec_env is None:
        return "dummy"
    choose("--vec-env", args.vec_env, list(VEC_ENVS))
    if spec.builtin and args.vec_env != "dummy":
        raise ValueError(f"--vec-env {args.vec_env} is for other Gymnasium envs: {spec.name} steps all its games in "
                         "one batched pass")  # fmt: skip
    return args.vec_env


def _seconds(seconds: float | None) -> float:
    """--seconds, checked: a positive time limit, or none (0)."""
    if seconds is None:
        return 0.0
    if not (seconds > 0 and math.isfinite(seconds)):
        raise ValueError(f"--seconds must be a positive number of seconds, got {seconds}")
    return float(seconds)


def _eval_every(args: TrainArgs, preset: Preset | None) -> int:
    """--eval-every as steps (0: off), else the preset's."""
    if args.eval_every is None:
        return preset.eval_every if preset is not None else 0
    if args.eval_every.strip() == "0":
        return 0
    return parse_steps(args.eval_every, "--eval-every")


def _fit_minibatch(config: RunConfig, args: TrainArgs, preset: Preset | None) -> RunConfig:
    """The minibatch as asked (--batch-size, or --minibatches N: rollout / N); else as many minibatches per epoch as
    the preset has (CleanRL's num_minibatches), so that its minibatch follows the rollout when --n-envs or
    --n-steps change it."""
    rollout = config.rollout_steps
    if args.batch_size is not None and args.minibatches is not None:
        raise ValueError("--batch-size and --minibatches both set the minibatch: give one")
    if args.minibatches is not None:
        if args.minibatches > rollout:
            raise ValueError(f"--minibatches {args.minibatches} exceeds the rollout's {rollout} steps")
        return dataclasses.replace(config, ppo=dataclasses.replace(config.ppo, batch_size=rollout // args.minibatches))
    if args.batch_size is not None:
        batch = config.ppo.batch_size
        if batch > rollout:
            raise ValueError(f"--batch-size {batch} exceeds one rollout ({config.n_envs} envs x "
                             f"{config.ppo.n_steps} steps = {rollout}); or use --minibatches N")  # fmt: skip
        return config
    base = preset.ppo if preset else PPOSettings()
    planned = (preset.n_envs if preset else config.n_envs) * base.n_steps
    count = max(1, planned // base.batch_size)  # the preset's minibatches per epoch
    return dataclasses.replace(config, ppo=dataclasses.replace(config.ppo, batch_size=max(1, rollout // count)))


def _default_encoder(probe: EnvProbe | None) -> str:
    """cnn for image (and Dict) observations, mlp for vectors; cnn for a game without a preset (pixels)."""
    if probe is None:
        return "cnn"
    space = probe.observation_space
    return "cnn" if isinstance(space, gym.spaces.Dict) or len(space.shape) >= 2 else "mlp"


# Set by the policy (or, flatten, by the encoder itself), never by --encoder-kwargs.
ENCODER_ARGS_SET_BY_POLICY = ("observation_space", "channels_first", "sb3_scaled_images", "return_map", "flatten")


def _check_encoder_fits(config: RunConfig, probe: EnvProbe) -> None:
    """A convolutional encoder on a vector observation, or encoder arguments it does not take, fail now, not in
    the run (or in every run of a comparison)."""
    from pixelarena.nets import PixelPolicy, encoder_class

    where = f"{config.encoder} on {config.env} ({config.obs or 'native'} obs)"
    space = probe.observation_space
    reads_vectors = config.encoder == "mlp" or encoder_class(config.encoder).reads_entity_rows
    # Said here in the options' words: nets/ words it for Python callers (encoder='mlp').
    if not reads_vectors and isinstance(space, gym.spaces.Box) and len(space.shape) not in (2, 3):
        raise ValueError(f"{where}: --encoder {config.encoder} is convolutional and needs an image observation, "
                         f"this one is a vector of shape {tuple(space.shape)}; use --encoder mlp")  # fmt: skip
    kwargs = config.encoder_kwargs_on(probe.metadata)
    # The policy sets the layout arguments itself; a Dict observation's encoder also takes its vector keys' width.
    valid = keyword_names(encoder_class(config.encoder), skip=ENCODER_ARGS_SET_BY_POLICY)
    if isinstance(probe.observation_space, gym.spaces.Dict):
        valid.append("vector_dim")
    check_keys("--encoder-kwargs", f"the {config.encoder} encoder", kwargs, valid)
    try:
        # Built only to be checked: no optimizer (its first one imports torch's compiler, seconds of start-up).
        PixelPolicy(probe.observation_space, probe.action_space, lambda _: 0.0, optimizer_class=ActingOnly,
                    encoder=config.encoder, encoder_kwargs=kwargs)  # fmt: skip
    except TypeError as error:  # a keyword the encoder does not take
        raise ValueError(f"--encoder-kwargs: {config.encoder} does not take it: {error}") from None
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None


def resume_config(args: TrainArgs) -> RunConfig | None:
    """The config to continue ``args.resume`` with: the run's own, with the step target raised by ``--steps``
    (which marks a finished run unfinished again); None when the run has finished and is not extended."""
    assert args.resume is not None
    run = RunDir(args.resume)
    config = run.read_config()
    given = [f"--{name.replace('_', '-')}" for name in RESUME_IGNORES if getattr(args, name) is not None]
    given += ["--recurrent"] if args.recurrent else []
    if given:
        raise ValueError(f"--resume continues the run with its own settings; drop {', '.join(given)}, or start a new "
                         f"run from its weights under new settings: --init-from {run} instead of --resume")  # fmt: skip
    if args.steps is not None:
        target = round_up(parse_steps(args.steps), config.rollout_steps)
        if target < config.steps:
            raise ValueError(f"--steps {args.steps} is below the run's target of {config.steps:,}: a run only grows")
        if target > config.steps:
            # Recorded in config.json (and the run marked unfinished) by the training, once a checkpoint that
            # needs the new target is safe on disk: a resume that fails before that leaves the run as it was.
            config = dataclasses.replace(config, steps=target)
            rounded = f" (whole rollouts of {config.rollout_steps:,})" if target != parse_steps(args.steps) else ""
            print(f"{run}: step target raised to {target:,}{rounded}")
            return config
    if run.finished:
        from pixelarena.agents.run.model import load_trained

        load_trained(run)  # a finished run whose policy is gone or not its own is no "nothing to do": say so
        result = run.read_eval()
        score = f", greedy return {result.summary()}" if result else ""
        print(f"{run} has finished ({config.steps:,} steps{score}): nothing to do; --steps N extends it")
        return None
    return config
