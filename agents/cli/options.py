"""The arguments of every `pixelarena` command (and of play.py), one typed dataclass each: tyro turns the fields'
docstrings into ``--help``, in the groups of ``HELP_GROUPS`` (``grouping.py``). Nothing here imports torch, pygame or
the rest of agents/, so parsing is quick.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import tyro
from pixelarena.agents.cli.grouping import MAIN
from pixelarena.agents.experiments.suites import (
    SUITES,  # dataclasses only: the help lists the suites without importing torch
)


def default(text: str) -> Any:
    """tyro's note on an option's default, in words: for a default that is a placeholder (None, an empty list)
    whose meaning its value cannot say."""
    return tyro.conf.arg(help_behavior_hint=f"(default: {text})")


FROM_PRESET = default("from the preset")


def _suites_help() -> str:
    suites = "; ".join(f"{name} ({', '.join(entry.key for entry in (*suite.experiments, *suite.transfers))})"
                       for name, suite in SUITES.items())  # fmt: skip
    return f"Run a suite of comparisons instead (agents/experiments/suites.py), with its experiments: {suites}."


def _budgets_help() -> str:
    budgets = "; ".join(f"{name}: {' or '.join(suite.budgets)}" for name, suite in SUITES.items())
    return f"Step budget of the suite ({budgets})."


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
    wandb_project: str = "pixelarena"
    """The W&B project to log to."""


@dataclass
class TrainArgs(RunOptions):
    """Train a PPO agent. Unset options come from the preset (see agents/run/presets.py)."""

    env: Annotated[str | None, default("the preset's game, else Chase")] = None
    """Game (Chase, Target, Swarm, Snake), a Gymnasium id, module:Class, or an Atari id (ALE/Breakout-v5)."""
    encoder: Annotated[str | None, FROM_PRESET] = None
    """Encoder: mlp, cnn, impala, unet, or sets (Deep Sets over the rows of obs entities)."""
    obs: Annotated[str | None, FROM_PRESET] = None
    """Observation mode of built-in games: pixels, grid, vector or entities (Chase, Snake: objects relative to the
    player, nearest first). For an env with a Dict observation: the keys to observe, comma-separated (MiniGrid's
    default: image,direction)."""
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
    wandb_group: Annotated[str | None, default("none; compare uses the comparison's name")] = None
    """The W&B group of the run."""
    wandb_tags: Annotated[tuple[str, ...], default("none")] = ()
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


@dataclass
class CompareArgs(RunOptions):
    """Compare encoders on one game: every encoder x seed with matched seeds, in parallel jobs, then a report
    (report.md and plots in the comparison folder). Run the same command again to continue an interrupted one."""

    env: Annotated[str | None, default("none; required without --suite")] = None
    """Game to compare on (Chase, Target, Swarm, Snake, or any env train takes)."""
    encoders: Annotated[tuple[str, ...], default("none; required without --suite")] = ()
    """Encoder specs encoder[+key=value...][:obs], comma- or space-separated, e.g. mlp:vector,mlp:pixels,cnn,unet
    or cnn+stem=rgb:pixels; obs defaults to the encoder's preset, else the game's default."""
    seeds: Annotated[int | None, default("5; with --suite, the suite's own count")] = None
    """Seeds per encoder: 0 .. N-1, the same for every encoder."""
    steps: Annotated[str | None, default("none; required without --suite, else the budget's")] = None
    """Env steps per run, the same for every encoder, e.g. 300k; with --suite it overrides the budget's steps."""
    jobs: int = 1
    """Runs trained at the same time, each in its own process (each with 1 torch thread unless --threads)."""
    name: Annotated[str | None, default("<env>-<steps>, e.g. chase-300k")] = None
    """Comparison name: its folder runs/<name>/ and its W&B group."""
    run_dir: Annotated[Path | None, default("runs/<name>/")] = None
    """Put the comparison (or the suite) exactly in this folder."""
    eval_env_kwargs: Annotated[tuple[str, ...], default("none")] = ()
    """Also evaluate every final policy on other game settings, one key at a time: size=8,16,24 n_enemies=1,5
    is five variants; a policy that cannot run a variant is marked n/a with the reason."""
    suite: Annotated[str | None, tyro.conf.arg(help=_suites_help()), default("none")] = None
    budget: Annotated[str, tyro.conf.arg(help=_budgets_help())] = "cpu"
    experiments: Annotated[tuple[str, ...], default("all of the suite's")] = ()
    """Run only these experiments of the suite, e.g. e1-chase."""
    publish: Annotated[Path | None, default("not copied")] = None
    """Also copy the reports and plots (no weights, no logs) to this folder, e.g. docs/results/claim-cpu, headed
    by this command, the machine and the runs' dates."""
    backend: Literal["local", "ray"] = "local"
    """local: a process per run on this machine; ray: each run a Ray Tune trial (this machine or a cluster)."""
    address: Annotated[str | None, default("start Ray on this machine")] = None
    """With --backend ray: auto or HOST:PORT of a running Ray cluster."""
    cpus_per_run: float = 1.0
    """With --backend ray: CPUs per run (its torch threads)."""
    gpus_per_run: float = 0.0
    """With --backend ray: GPUs per run; a fraction (0.25) lets several runs share one GPU."""
    storage: Annotated[Path | None, default("<comparison>/.ray")] = None
    """With --backend ray: Tune's experiment state, a path every node sees."""


@dataclass
class SweepArgs:
    """Search PPO and encoder settings for one game x encoder on Ray Tune (Optuna samples, ASHA stops weak trials);
    writes the best settings as a preset file for train --preset. Needs the ray extra."""

    env: str = "Chase"
    """Game (or any env train takes)."""
    encoder: Annotated[str | None, default("the game's default encoder")] = None
    """Encoder whose settings are searched."""
    obs: Annotated[str | None, FROM_PRESET] = None
    """Observation mode of built-in games."""
    preset: Annotated[str | None, default("<game>-<encoder>")] = None
    """Preset the search starts from."""
    steps: Annotated[str | None, FROM_PRESET] = None
    """Env steps per seed of each trial."""
    trials: int = 16
    """Settings to try."""
    seeds: int = 2
    """Seeds per trial (at least 2): the objective is the mean greedy return over them."""
    jobs: int = 1
    """Trials at the same time."""
    early_stopping: Literal["asha", "median", "none"] = "asha"
    """Stop weak trials after a seed: ASHA, the median rule, or never."""
    space: Annotated[Path | None, default("agents/experiments/spaces/<encoder>.toml")] = None
    """Search space file (TOML)."""
    output: Annotated[Path | None, default("<sweep folder>/best_preset.json")] = None
    """Preset file to write."""
    name: Annotated[str | None, default("<game>-<encoder>-sweep")] = None
    """Sweep name: its folder runs/sweeps/<name>/."""
    run_dir: Annotated[Path | None, default("runs/sweeps/<name>/")] = None
    """Put the sweep exactly in this folder."""
    seed: int = 0
    """Seed of Optuna's sampler."""
    address: Annotated[str | None, default("start Ray on this machine")] = None
    """auto or HOST:PORT of a running Ray cluster."""
    cpus_per_run: float = 1.0
    """CPUs per trial (its torch threads)."""
    gpus_per_run: float = 0.0
    """GPUs per trial (a fraction shares one GPU)."""
    device: str = "auto"
    """Torch device of the trials."""


@dataclass
class ExportArgs:
    """Export a run's trained policy for a game engine: ONNX, observation in, action logits and value out (the
    README's "Export" section says how to load it). Needs the export extra."""

    run: tyro.conf.Positional[Annotated[Path, tyro.conf.arg(metavar="RUN")]]
    """The run directory."""
    onnx: Path
    """The .onnx file to write (checked with onnxruntime against PyTorch before it is written)."""
    weights: Literal["final", "best", "latest"] = "final"
    """Which weights of the run: final (model.safetensors, the run's policy: its last weights, or with --eval-every
    the best kept; a finished run's only), best (checkpoints/best.safetensors, the best greedy policy so far; runs
    with --eval-every) or latest (checkpoints/latest.safetensors, the last checkpoint; e.g. of a run still
    training). Only the file named is used."""


@dataclass
class ListArgs:
    """List the games, and the encoders with their architecture facts for a chosen game; or the presets."""

    env: str = "Chase"
    """Game (or any env train takes) whose observation and action spaces the encoder facts are computed for."""
    obs: Annotated[str | None, default("the env's own: pixels for a game")] = None
    """Observation mode for the encoder facts: pixels, grid or vector; for an env with a Dict observation the keys,
    comma-separated."""
    presets: bool = False
    """List the training presets instead (agents/run/presets.py): name, game, encoder, obs, steps, envs."""


@dataclass
class BenchArgs:
    """Measure speed: env steps/s (batched vs SyncVectorEnv), reference scores, encoder throughput."""

    envs: bool = False
    """Env steps/second of every game, batched vs Gymnasium's SyncVectorEnv (16x16, cell_px=1, pixels)."""
    views: bool = False
    """Env steps/second at 1,024 games of every game with a player on the map's frame, centred on the player
    (view=ego) and in its 11x11 crop (view_radius=5), pixels and grid, with the ratio to the map's frame."""
    scores: bool = False
    """Mean return of a random and of the scripted policy of every game (1,000 episodes each)."""
    nets: bool = False
    """Forward+backward samples/second per encoder at batch 256."""
    ppo: bool = False
    """End-to-end PPO env steps/second (Chase 16x16) with the cnn and mlp encoders, 1 and 2 torch threads."""
    stems: bool = False
    """End-to-end PPO env steps/second of the cnn on Chase pixels with each colour stem, at cell_px 1 and 3."""
    presets: bool = False
    """End-to-end PPO env steps/s of every game's default preset and the quickstart (with --threads torch threads),
    and the training time of its step target that follows."""
    device_ppo: bool = False
    """End-to-end PPO env steps/s of the default pipeline on --device (e.g. cuda) at 256, 1024 and 4096 envs, with
    the time share of rollouts and the GPU's utilisation (the GPU benchmark: --device-ppo --device cuda)."""
    baseline: bool = False
    """A pixelarena preset (--baseline-preset) vs the rl-zoo3 way (CnnPolicy, SB3 defaults, 8 envs at 72x72) on
    Chase: PPO env steps/s, and training time until the greedy policy is solved (reaches the scripted policy's
    score)."""
    baseline_preset: str = "chase-cnn"
    """With --baseline: pixelarena's side, a Chase preset."""
    baseline_minutes: float = 30.0
    """With --baseline: training-time cap of the reference's run to solved (0: not run)."""
    zoo_minutes: float = 30.0
    """With --baseline: training-time cap of the real rl-zoo3's run to solved (python -m rl_zoo3.train with its Atari
    PPO hyperparameters; needs the zoo extra; 0: not run)."""
    ours_minutes: float = 15.0
    """With --baseline: training-time cap of pixelarena's run to solved (0: not run)."""
    threads: int = 1
    """Torch CPU threads for --nets, --stems and --baseline."""
    seconds: float = 2.0
    """Seconds per env-speed measurement."""
    device: str = "cpu"
    """Torch device for --nets and --device-ppo: cpu, cuda, cuda:N or auto. cpu by default, unlike train's auto,
    so that the tables measure the same machine part on every computer; give cuda to measure the GPU."""
    markdown: Annotated[Path | None, default("not written")] = None
    """Also write the tables as Markdown to this file."""


@dataclass
class EvalArgs:
    """Evaluate a trained run: mean return with a 95% CI, on its own settings or on others."""

    run: tyro.conf.Positional[Annotated[Path, tyro.conf.arg(metavar="RUN")]]
    """The run directory."""
    weights: Literal["final", "best", "latest"] = "final"
    """Which weights of the run: final (model.safetensors, the run's policy: its last weights, or with --eval-every
    the best kept; a finished run's only), best (checkpoints/best.safetensors, the best greedy policy so far; runs
    with --eval-every) or latest (checkpoints/latest.safetensors, the last checkpoint; e.g. of a run still
    training). Only the file named is used."""
    episodes: int = 100
    """Episodes to play (greedy actions)."""
    stochastic: bool = False
    """Sample each action from the policy instead of taking the most likely one (rl-zoo3's --stochastic), e.g. for a
    policy without memory that a greedy choice sends round in a loop. Seeded by --seed."""
    env_kwargs: Annotated[tuple[str, ...], default("the run's own")] = ()
    """Game settings to evaluate on instead, e.g. size=24 n_enemies=6 (fully convolutional policies only)."""
    seed: int = 12345
    """Seed of the evaluation games."""
    json: bool = False
    """Print the result as JSON."""
    device: str = "cpu"
    """Torch device: cpu, cuda, cuda:N or auto. cpu by default, unlike train's auto: evaluation runs a small network
    on small batches, which the CPU finishes sooner than CUDA starts and each batch is copied to a GPU (weights
    trained on a GPU load on the CPU)."""


@dataclass
class ReportArgs:
    """Write report.md and PNG plots of a comparison folder from its run directories' files (compare does this
    when it ends; run it again any time, e.g. while runs are still going)."""

    dir: tyro.conf.Positional[Annotated[Path, tyro.conf.arg(metavar="DIR")]]
    """A comparison folder (runs/<name>/), or a suite's folder (runs/claim-cpu/) for every comparison in it."""
    publish: Annotated[Path | None, default("not copied")] = None
    """Also copy the reports and plots (no weights, no logs) to this folder, e.g. docs/results/claim-cpu, headed
    by this command, the machine and the runs' dates."""


@dataclass
class DemosArgs:
    """Record demonstrations of a game's scripted policy, for behaviour cloning (train --demos DIR): observations
    in every mode the game has, actions, rewards, episode ends, settings and seeds, in one .npz file in DIR
    (docs/demonstrations.md). A person records with play.py --env GAME --human --record-demos DIR."""

    dir: tyro.conf.Positional[Annotated[Path, tyro.conf.arg(metavar="DIR")]]
    """The directory to write the recording into (made if missing)."""
    env: str = "Chase"
    """The game: Chase, Target, Swarm or Snake."""
    policy: Literal["scripted"] = "scripted"
    """Who plays: the game's scripted policy."""
    steps: str = "50k"
    """Steps to record, e.g. 10k, 50k or 200k."""
    seed: int = 1000
    """Seed of the first game (the games are seeded seed, seed+1, ...); the default keeps them apart from the games
    train plays, selects its best policy on and evaluates on."""
    n_envs: int = 64
    """Games played side by side."""
    env_kwargs: Annotated[tuple[str, ...], default("the game's")] = ()
    """Game settings as key=value, e.g. size=8 n_enemies=2 (a run cloning the recording must play the same)."""


@dataclass
class PlayArgs:
    """Watch a trained agent play in a window, with its value estimate, action probabilities and overlays
    (action map, feature maps, saliency); record it to a video; or play a game yourself.

    Keys in the window: space pause, right arrow single step, +/- speed, o overlay, [ ] layer, h human takeover,
    r reset, s screenshot, q / Esc quit.
    """

    run: tyro.conf.Positional[
        Annotated[Path | None, tyro.conf.arg(metavar="[RUN]", help_behavior_hint="(optional)")]
    ] = None
    """A run directory (runs/<run>): watch its trained agent. Without it, --env is played by you or a script."""
    weights: Literal["final", "best", "latest"] = "final"
    """With RUN, which weights of the run: final (model.safetensors, the run's policy: its last weights, or with
    --eval-every the best kept; a finished run's only), best (checkpoints/best.safetensors, the best greedy policy so
    far; runs with --eval-every) or latest (checkpoints/latest.safetensors, the last checkpoint; e.g. of a run still
    training). Only the file named is used."""
    record: Annotated[str | None, default("none: a window opens")] = None
    """Write the episodes to this .mp4 or .gif instead of opening a window (works with no display)."""
    overlay: str = "none"
    """Overlay shown first (o cycles): none, actions (click / per-cell / U-Net readout maps), features,
    saliency (of the chosen action), value-saliency."""
    layer: int = 0
    """Feature layer shown by the features overlay ([ ] change it); negative counts from the last."""
    episodes: int = 2
    """Episodes to record or, for a scripted policy, to show (a run's window plays until you quit)."""
    seed: Annotated[int | None, default("0 with RUN, else random")] = None
    """Seed of the first episode."""
    scale: int = 24
    """Screen pixels per game cell (the window can also be resized); external envs' frames are enlarged to about
    12 cells of this size."""
    speed: float = 8.0
    """Agent steps per second in the window (+/- change it)."""
    human: bool = False
    """Play yourself: without RUN, --env with no agent; with RUN, start in human takeover (h toggles it)."""
    env: str = "Chase"
    """Without RUN: the game (Chase, Target, Swarm, Snake) or a registered Gymnasium id."""
    policy: Literal["random", "scripted"] = "scripted"
    """Without RUN or --human: who plays, a uniformly random policy or the game's scripted policy."""
    size: Annotated[int | None, default("the game's")] = None
    """Without RUN: map size (cells per side)."""
    device: str = "cpu"
    """Torch device for the agent: cpu, cuda, cuda:N or auto. cpu by default, unlike train's auto: one observation
    per step at the window's pace, which the CPU keeps up with; a GPU would only add CUDA's start-up."""
    record_demos: Annotated[Path | None, default("not recorded")] = None
    """Record the steps you play as demonstrations in this directory, one file per session, for train --demos: with
    --human the game you play; with RUN the steps you play in takeovers (h)."""


# How --help groups each command's options: {group title: fields}, the main ones (MAIN) first, beside --help. tyro
# adds " options" to each title. A field no group names is shown with the main ones.
_RUN = ("n_envs", "device", "threads", "env_kwargs", "encoder_kwargs", "frame_stack", "vec_env", "seconds")
_PPO = ("learning_rate", "lr_schedule", "n_steps", "batch_size", "minibatches", "n_epochs", "gamma", "gae_lambda",
        "clip_range", "clip_schedule", "ent_coef", "vf_coef", "max_grad_norm")  # fmt: skip
_EVALUATION = ("eval_every", "eval_episodes", "checkpoint_every")
HELP_GROUPS: dict[type, dict[str, tuple[str, ...]]] = {
    TrainArgs: {
        MAIN: ("env", "encoder", "obs", "preset", "steps", "seed"),
        "run": ("run_dir", "resume", "show", *_RUN),
        "PPO": _PPO,
        "behaviour cloning": ("demos", "bc_epochs"),
        "memory": ("recurrent", "lstm_size"),
        "evaluation and checkpoint": _EVALUATION,
        "logging": ("wandb", "wandb_project", "wandb_group", "wandb_tags"),
    },
    CompareArgs: {
        MAIN: ("env", "encoders", "seeds", "steps", "jobs", "suite", "budget", "experiments"),
        "comparison": ("name", "run_dir", "eval_env_kwargs", "publish"),
        "each run's": _RUN,
        "PPO": _PPO,
        "evaluation and checkpoint": _EVALUATION,
        "logging": ("wandb", "wandb_project"),
        "backend": ("backend", "address", "cpus_per_run", "gpus_per_run", "storage"),
    },
    SweepArgs: {
        MAIN: ("env", "encoder", "obs", "preset", "steps", "trials", "seeds", "jobs"),
        "search": ("early_stopping", "space", "seed"),
        "output": ("name", "run_dir", "output"),
        "Ray": ("address", "cpus_per_run", "gpus_per_run", "device"),
    },
    BenchArgs: {
        MAIN: ("envs", "views", "scores", "nets", "ppo", "stems", "presets", "device_ppo", "baseline"),
        "measurement": ("threads", "seconds", "device", "markdown"),
        "baseline": ("baseline_preset", "baseline_minutes", "zoo_minutes", "ours_minutes"),
    },
    PlayArgs: {
        MAIN: ("run", "weights", "record", "episodes", "seed", "human", "record_demos", "device"),
        "window": ("overlay", "layer", "scale", "speed"),
        "game": ("env", "policy", "size"),
    },
}
