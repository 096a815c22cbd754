"""The request of `pixelarena train` (and of ``pixelarena.train``): how a run trains, one typed dataclass whose
field docstrings tyro turns into ``--help``. Nothing here imports torch, so parsing is quick."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pixelarena.agents.help_text import FROM_PRESET, default


@dataclass
class RunOptions:
    """Options of how each run trains, shared by `train` and `compare` (the latter passes them to every run)."""

    n_envs: Annotated[int | None, FROM_PRESET] = None
    """Games played in parallel (copies of the env stepped together)."""
    device: str = "auto"
    """Torch device: auto (GPU if present), cpu, cuda or cuda:N."""
    env_kwargs: Annotated[tuple[str, ...], default("the preset's")] = ()
    """Game arguments as key=value, e.g. size=16 n_enemies=4 (over the preset's)."""
    encoder_kwargs: Annotated[tuple[str, ...], default("the preset's")] = ()
    """Encoder arguments as key=value, e.g. stem=rgb or channels=(32,64,64) (see nets/; over the preset's)."""
    frame_stack: int = 1
    """Stack the last K observations along the channel axis, for envs whose one frame does not show motion. It is
    recorded in config.json and applied again by eval, play and export."""
    vec_env: Annotated[str | None, default("dummy")] = None
    """How the copies of another Gymnasium env are stepped: dummy (one process) or subproc (a process each,
    stable-baselines3's SubprocVecEnv, for envs whose step is slow Python code). pixelarena's games step all copies
    in one batched pass and take neither. Recorded in config.json, used again by eval and compare."""
    checkpoint_every: str = "50k"
    """Save a checkpoint every this many steps (always also at the end and on Ctrl-C / SIGTERM)."""
    threads: Annotated[int | None, default("torch's choice, all cores; compare uses 1 per job when --jobs > 1")] = None
    """Torch CPU threads."""
    learning_rate: Annotated[float | None, FROM_PRESET] = None
    """Learning rate of the Adam optimiser."""
    n_steps: Annotated[int | None, FROM_PRESET] = None
    """Steps each env plays per rollout; a rollout is --n-envs x --n-steps steps."""
    batch_size: Annotated[int | None, FROM_PRESET] = None
    """Minibatch size, at most one rollout (--n-envs x --n-steps)."""
    minibatches: Annotated[int | None, FROM_PRESET] = None
    """Minibatches per epoch instead of --batch-size (CleanRL's num_minibatches): minibatch = rollout / N.
    Without either, the preset's number of minibatches is kept, so its minibatch follows --n-envs."""
    n_epochs: Annotated[int | None, FROM_PRESET] = None
    """Passes over each rollout."""
    ent_coef: Annotated[float | None, FROM_PRESET] = None
    """Weight of the entropy bonus, which keeps the policy exploring."""
    gamma: Annotated[float | None, FROM_PRESET] = None
    """Discount factor of future rewards, in (0, 1]."""
    gae_lambda: Annotated[float | None, FROM_PRESET] = None
    """GAE lambda, in [0, 1]: lower trusts the value estimate sooner (less variance, more bias)."""
    clip_range: Annotated[float | None, FROM_PRESET] = None
    """How far one update may move the policy: the clip range of the probability ratio."""
    vf_coef: Annotated[float | None, FROM_PRESET] = None
    """Weight of the value loss."""
    max_grad_norm: Annotated[float | None, FROM_PRESET] = None
    """Gradients are clipped to this norm."""
    lr_schedule: Annotated[str | None, FROM_PRESET] = None
    """Learning-rate schedule: constant, or linear (annealed to 0 at the step target, as CleanRL and rl-zoo3 do
    for Atari)."""
    clip_schedule: Annotated[str | None, FROM_PRESET] = None
    """Clip-range schedule: constant, or linear (annealed to 0 at the step target)."""
    eval_episodes: int = 32
    """Episodes of the final evaluation (and of each --eval-every evaluation)."""
    eval_every: Annotated[str | None, FROM_PRESET] = None
    """Evaluate the greedy policy every this many steps (on games apart from the final evaluation's) and keep the
    best as the run's model; 0 turns it off."""
    seconds: Annotated[float | None, default("no time limit")] = None
    """Also stop after this many seconds of training (at the next rollout boundary, counted across resumes), with
    the step target as a cap; linear schedules then anneal over the seconds. For comparisons at equal wall-clock."""
    wandb: bool = False
    """Log to Weights & Biases (offline by itself when there is no login or network)."""
    wandb_project: Annotated[str | None, default("WANDB_PROJECT, else pixelarena")] = None
    """The W&B project to log to."""
    wandb_entity: Annotated[str | None, default("WANDB_ENTITY, else your W&B default")] = None
    """The W&B entity (user or team) to log to."""
    wandb_artifacts: bool = False
    """With --wandb: upload each run's model (the best greedy policy with --eval-every) and config.json as a W&B
    model artifact."""
    tensorboard: bool = False
    """Also write the metrics as TensorBoard event files into the run directory (tensorboard --logdir runs/)."""


@dataclass
class TrainArgs(RunOptions):
    """Train a PPO agent. Unset options come from the preset (see agents/run/presets.py)."""

    env: Annotated[str | None, default("the preset's game, else Chase")] = None
    """Game (pixelarena list names them), a Gymnasium id, module:Class, or an Atari id (ALE/Breakout-v5)."""
    encoder: Annotated[str | None, FROM_PRESET] = None
    """Encoder: mlp, cnn, impala, unet, or sets (Deep Sets over the rows of obs entities)."""
    obs: Annotated[str | None, FROM_PRESET] = None
    """Observation mode of built-in games: pixels, grid, vector or entities (games with a player: objects relative
    to the player, nearest first). For an env with a Dict observation: the keys to observe, comma-separated
    (MiniGrid's default: image,direction)."""
    preset: Annotated[str | None, default("<game>-<encoder> when one exists")] = None
    """Preset name, e.g. quickstart or chase-impala, or a preset file written by pixelarena sweep
    (best_preset.json)."""
    steps: Annotated[str | None, FROM_PRESET] = None
    """Env steps to train, e.g. 500k or 2M (rounded up to whole PPO rollouts)."""
    seed: int = 0
    """Random seed of the network's initialisation, PPO's sampling and the games (seeded seed, seed+1, ...)."""
    run_dir: Annotated[Path | None, default("runs/<env>__<encoder>__<obs>__s<seed>__<time>")] = None
    """Put the run exactly in this directory."""
    resume: Annotated[Path | None, default("a new run")] = None
    """Continue the run in this directory from its last checkpoint, with its own settings; --steps N raises its
    step target, which also extends a finished run."""
    init_from: Annotated[Path | None, default("a fresh initialisation")] = None
    """Start a new run from another run's weights, under this run's own settings (rl-zoo3's --trained-agent): RUN
    takes its final policy, RUN/checkpoints/best.safetensors or RUN/checkpoints/latest.safetensors those weights.
    Only the policy's weights carry over (safetensors: no code is run); the encoder, its arguments and the
    observation mode must be the run's, and the tensors fit (a fully convolutional policy may change map size)."""
    wandb_group: Annotated[str | None, default("WANDB_RUN_GROUP; compare: <comparison>/<encoder spec>")] = None
    """The W&B group of the run."""
    wandb_tags: Annotated[tuple[str, ...], default("WANDB_TAGS")] = ()
    """W&B tags of the run."""
    show: bool = False
    """After training, show the agent playing (a window, or a video file when there is no display)."""
    demos: Annotated[Path | None, default("none")] = None
    """Demonstrations to clone before PPO: a directory of recordings (pixelarena demos, play.py --record-demos) or
    one file. The policy is fitted to their actions and its value to their discounted returns (behaviour cloning,
    recorded in config.json); with --steps 0 the run is behaviour cloning alone."""
    bc_epochs: Annotated[int | None, default("10")] = None
    """With --demos: passes of behaviour cloning over the demonstrations."""
    recurrent: bool = False
    """Give the policy memory: an LSTM between the encoder and the heads, trained by sb3-contrib's RecurrentPPO
    (for games whose one frame does not tell everything). Flat heads only: not unet, not games with action masks."""
    lstm_size: Annotated[int | None, default("128")] = None
    """With --recurrent: hidden units of the LSTM."""
