"""Typed configuration of a training run: the complete, validated form a run stores in ``config.json`` (enough
to rebuild the run), and the parsers of the values people type (steps, key=value pairs, names from a list).

What a person types is ``agents.cli.options.TrainArgs`` (anything left unset comes from the preset);
``agents.training.resolve`` turns it into a ``RunConfig``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pixelarena.agents.checks import checked_fields
from pixelarena.agents.environments.env_spec import EnvSpec

VEC_ENVS = ("dummy", "subproc")
"""stable-baselines3's DummyVecEnv (all copies in this process) or SubprocVecEnv (a process per copy)."""
SCHEDULES = ("constant", "linear")
"""How the learning rate and the clip range change over a run (``PPOSettings.lr_schedule``, ``clip_schedule``)."""


def scheduled(value: float, schedule: str) -> float | Callable[[float], float]:
    """A PPO setting as stable-baselines3 takes it: the number, or for ``linear`` a function of the progress
    remaining (1 at the start, 0 at the run's step target)."""
    if schedule == "constant":
        return value
    if schedule == "linear":
        return lambda progress_remaining: value * progress_remaining
    raise ValueError(f"unknown schedule {schedule!r}: choose one of {', '.join(SCHEDULES)}")


@dataclass
class PPOSettings:
    """PPO hyperparameters (stable-baselines3 names)."""

    learning_rate: float = 3e-4
    n_steps: int = 128
    batch_size: int = 256
    n_epochs: int = 4
    gamma: float = 0.99
    gae_lambda: float = 0.95
    ent_coef: float = 0.01
    clip_range: float = 0.2
    vf_coef: float = 0.5
    max_grad_norm: float = 0.5
    lr_schedule: str = "constant"
    """``constant``, or ``linear``: annealed to 0 at the step target (CleanRL's and rl-zoo3's Atari setting)."""
    clip_schedule: str = "constant"
    """``constant``, or ``linear``: the clip range annealed to 0 at the step target, like the learning rate."""


@dataclass
class RunConfig:
    """Everything that defines a run; stored as config.json in the run directory."""

    env: str
    encoder: str
    obs: str | None
    steps: int
    seed: int
    n_envs: int
    device: str
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    encoder_kwargs: dict[str, Any] = field(default_factory=dict)
    ppo: PPOSettings = field(default_factory=PPOSettings)
    checkpoint_every: int = 50_000
    eval_episodes: int = 32
    eval_every: int = 0
    """Greedy evaluation every this many env steps, keeping the best policy (0: off; best_policy.py)."""
    seconds: float = 0.0
    """Training time limit: stop at the first rollout boundary after this many seconds of training, counted across
    resumes, with ``steps`` as the cap (0: no limit; agents/training/time_budget.py). For comparisons at equal
    wall-clock; such a run depends on the machine's speed, so it is not reproducible to the digit."""
    frame_stack: int = 1
    vec_env: str = "dummy"
    """How an external env's copies are stepped: ``dummy`` (one process) or ``subproc`` (one process each)."""
    preset: str = ""
    threads: int | None = None
    wandb: bool = False
    wandb_project: str | None = None
    """None: W&B's WANDB_PROJECT, else ``pixelarena`` (agents/training/tracking.py)."""
    wandb_entity: str | None = None
    """None: W&B's WANDB_ENTITY, else the login's default entity."""
    wandb_group: str | None = None
    wandb_tags: tuple[str, ...] = ()
    wandb_artifacts: bool = False
    """Upload the run's model (the best greedy policy with ``eval_every``) as a W&B model artifact."""
    tensorboard: bool = False
    """Also write metrics.jsonl's rows as TensorBoard event files in the run directory."""
    comparison: str = ""
    """The comparison this run is an arm's seed of (its folder's name; "": a run of its own)."""
    demos: str = ""
    """Demonstrations the policy was cloned from before PPO: a directory of recordings or one file ("": none;
    agents/demos/). With ``steps`` 0 the run is behaviour cloning alone."""
    bc_epochs: int = 0
    """Passes of behaviour cloning over the demonstrations (0 without ``demos``)."""
    recurrent: bool = False
    """An LSTM between the encoder and the heads, trained by sb3-contrib's RecurrentPPO (nets/recurrent.py)."""
    lstm_size: int = 128
    """Hidden units of the LSTM of a recurrent run (CleanRL's ppo_atari_lstm width; sb3-contrib's default is 256)."""
    init_from: str = ""
    """The weights file the policy started from (``train --init-from``: another run's weights under new settings;
    "": a fresh initialisation). Read with safetensors only."""

    @property
    def rollout_steps(self) -> int:
        """Env steps per PPO rollout: training always stops on a rollout boundary."""
        return self.n_envs * self.ppo.n_steps

    def rounded(self) -> RunConfig:
        """This config as a run stores it: the step target rounded up to whole rollouts."""
        return dataclasses.replace(self, steps=round_up(self.steps, self.rollout_steps))

    def encoder_kwargs_on(self, env_metadata: dict[str, Any]) -> dict[str, Any]:
        """The encoder's arguments: the config's, over what the env's metadata declares (:func:`declared_kwargs`)."""
        declared = declared_kwargs(self.encoder, env_metadata)
        if "frames" in declared and "frames" in self.encoder_kwargs:  # a frame stack of screen-plus-minimap frames
            return {**declared, **self.encoder_kwargs, "frames": declared["frames"] * self.encoder_kwargs["frames"]}
        return {**declared, **self.encoder_kwargs}

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def env_spec(self) -> EnvSpec:
        """The env this run names (checked when the run was created)."""
        return EnvSpec(self.env, self.obs, dict(self.env_kwargs), self.frame_stack, self.vec_env)

    @classmethod
    def from_json(cls, data: Any) -> RunConfig:
        """A config read from JSON, every field checked against its type (a file from elsewhere is data only)."""
        fields = checked_fields(cls, data, "config.json")
        if "ppo" in fields:
            fields["ppo"] = PPOSettings(**checked_fields(PPOSettings, fields["ppo"], "config.json ppo"))
        fields["wandb_tags"] = tuple(fields.get("wandb_tags", ()))
        config = cls(**fields)
        counts = (config.n_envs, config.checkpoint_every, config.eval_episodes, config.frame_stack)
        if min(counts) <= 0 or config.steps < 0 or (config.steps == 0 and not config.demos):
            raise ValueError("config.json: steps (0 only with demos, for cloning alone), n_envs, checkpoint_every, "
                             "eval_episodes, frame_stack must be positive")  # fmt: skip
        if (config.bc_epochs > 0) != bool(config.demos) or config.bc_epochs < 0:
            raise ValueError("config.json: bc_epochs must be positive with demos, and 0 without")
        if config.eval_every < 0:
            raise ValueError("config.json: eval_every must be 0 (off) or a count of env steps")
        if config.lstm_size <= 0:
            raise ValueError("config.json: lstm_size must be a positive number of hidden units")
        if not config.seconds >= 0:
            raise ValueError("config.json: seconds must be 0 (no limit) or a positive number of seconds")
        if config.ppo.n_steps <= 0 or config.ppo.batch_size <= 0 or config.ppo.n_epochs <= 0:
            raise ValueError("config.json: ppo n_steps, batch_size and n_epochs must be positive")
        if config.vec_env not in VEC_ENVS:
            raise ValueError(f"config.json: vec_env must be one of {', '.join(VEC_ENVS)}")
        for name in ("lr_schedule", "clip_schedule"):
            if getattr(config.ppo, name) not in SCHEDULES:
                raise ValueError(f"config.json: ppo {name} must be one of {', '.join(SCHEDULES)}")
        return config


def declared_kwargs(encoder: str, env_metadata: dict[str, Any]) -> dict[str, Any]:
    """Encoder arguments from what an env declares in its metadata (pixelarena's games do; any Gymnasium env can):
    ``cell_px``, so the stem reads one position per game cell (``nets.stems``); the codes stem where the image
    holds integer codes (``image_codes``, as MiniGrid's does); ``image_frames``, the RGB images stacked on
    the channels (a screen-plus-minimap view: two), each read by the colour stem; for the entity encoder, the
    rows of an entities observation (``entity_rows``, ``entity_features``)."""
    from pixelarena.nets import ENCODERS

    if encoder in ENCODERS and ENCODERS[encoder].reads_entity_rows:
        if "entity_rows" not in env_metadata:
            return {}
        return {"rows": int(env_metadata["entity_rows"]), "row_features": int(env_metadata["entity_features"])}
    cell_px = int(env_metadata.get("cell_px", 1))
    codes = {"stem": "codes"} if env_metadata.get("image_codes") else {}
    frames = int(env_metadata.get("image_frames", 1))
    return {**({"cell_px": cell_px} if cell_px > 1 else {}), **({"frames": frames} if frames > 1 else {}), **codes}


# The JSON types each annotation of RunConfig / PPOSettings accepts (bool is not an int here).


def round_up(steps: int, multiple: int) -> int:
    """The smallest multiple of ``multiple`` that is >= ``steps``."""
    return -(-steps // multiple) * multiple
