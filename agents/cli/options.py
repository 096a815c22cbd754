"""The arguments of every `pixelarena` command (and of play.py), one typed dataclass each: tyro turns the fields'
docstrings into ``--help``. Nothing here imports torch, pygame or the rest of agents/, so parsing is quick.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import tyro

from agents.experiments.suites import SUITES  # dataclasses only: the help lists the suites without importing torch


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

    n_envs: int | None = None
    """Games played in parallel."""
    device: str = "auto"
    """Torch device: auto (GPU if present), cpu, cuda or cuda:N."""
    env_kwargs: tuple[str, ...] = ()
    """Game arguments as key=value, e.g. size=16 n_enemies=4."""
    encoder_kwargs: tuple[str, ...] = ()
    """Encoder arguments as key=value, e.g. stem=rgb or channels=(32,64,64) (see nets/; over the preset's)."""
    frame_stack: int = 1
    """Stack the last K observations along the channel axis (for envs whose one frame does not show motion);
    recorded in config.json and applied again by eval, play and export."""
    vec_env: str | None = None
    """How the copies of another Gymnasium env are stepped: dummy (one process, the default) or subproc (a process
    each, stable-baselines3's SubprocVecEnv, for envs whose step is slow Python code); pixelarena's games step all
    copies in one batched pass and take neither. Recorded in config.json, used again by eval and compare."""
    checkpoint_every: str = "50k"
    """Save a checkpoint every this many steps (always also at the end and on Ctrl-C / SIGTERM)."""
    threads: int | None = None
    """Torch CPU threads (default: torch's choice, all cores; compare uses 1 per job when --jobs > 1)."""
    learning_rate: float | None = None
    """PPO learning rate."""
    n_steps: int | None = None
    """PPO rollout length per env."""
    batch_size: int | None = None
    """PPO minibatch size (at most one rollout: --n-envs x --n-steps)."""
    minibatches: int | None = None
    """PPO minibatches per epoch instead of --batch-size (CleanRL's num_minibatches): minibatch = rollout / N.
    Without either, the preset's number of minibatches is kept, so its minibatch follows --n-envs."""
    n_epochs: int | None = None
    """PPO epochs per rollout."""
    ent_coef: float | None = None
    """PPO entropy bonus."""
    gamma: float | None = None
    """PPO discount factor."""
    gae_lambda: float | None = None
    """PPO GAE lambda, in [0, 1]: lower trusts the value estimate sooner (less variance, more bias)."""
    clip_range: float | None = None
    """PPO clip range of the policy ratio."""
    vf_coef: float | None = None
    """PPO value-loss coefficient."""
    max_grad_norm: float | None = None
    """PPO gradient-norm clip."""
    lr_schedule: str | None = None
    """Learning-rate schedule: constant, or linear (annealed to 0 at the step target, as CleanRL and rl-zoo3 do
    for Atari)."""
    clip_schedule: str | None = None
    """Clip-range schedule: constant or linear (annealed to 0 at the step target)."""
    eval_episodes: int = 32
    """Episodes of the final evaluation (and of each --eval-every evaluation)."""
    eval_every: str | None = None
    """Evaluate the greedy policy every this many steps (on games apart from the final evaluation's) and keep the
    best as the run's model; 0 turns it off. Default: the preset's."""
    seconds: float | None = None
    """Also stop after this many seconds of training (at the next rollout boundary, counted across resumes), with
    the step target as a cap; linear schedules then anneal over the seconds. For comparisons at equal wall-clock."""
    wandb: bool = False
    """Log to Weights & Biases (offline by itself when there is no login or network)."""
    wandb_project: str = "pixelarena"
    """W&B project."""


@dataclass
class TrainArgs(RunOptions):
    """Train a PPO agent. Unset options come from the preset (see agents/run/presets.py)."""

    env: str | None = None
    """Game (Chase, Target, Swarm, Snake), a Gymnasium id, module:Class, or an Atari id (ALE/Breakout-v5);
    default: the preset's game, else Chase."""
    encoder: str | None = None
    """Encoder: mlp, cnn, impala, unet, or sets (Deep Sets over the rows of obs entities) (default: the game's
    preset)."""
    obs: str | None = None
    """Observation mode of built-in games: pixels, grid, vector or entities (Chase, Snake: objects relative to the
    player, nearest first); for an env with a Dict observation the keys to
    observe, comma-separated (MiniGrid's default: image,direction)."""
    preset: str | None = None
    """Preset name, e.g. quickstart or chase-impala (default: <game>-<encoder> when one exists), or a preset file
    written by pixelarena sweep (best_preset.json)."""
    steps: str | None = None
    """Env steps to train, e.g. 500k or 2M (rounded up to whole PPO rollouts)."""
    seed: int = 0
    """Random seed (network init, PPO sampling, games seeded seed, seed+1, ...)."""
    run_dir: Path | None = None
    """Put the run exactly here (default: runs/<env>__<encoder>__<obs>__s<seed>__<time>)."""
    resume: Path | None = None
    """Continue the run in this directory from its last checkpoint (its own settings; --steps N raises its step
    target, which also extends a finished run)."""
    wandb_group: str | None = None
    """W&B group (compare uses the comparison's name)."""
    wandb_tags: tuple[str, ...] = ()
    """W&B tags."""
    show: bool = False
    """After training, show the agent playing (a window, or a video file when there is no display)."""
    demos: Path | None = None
    """Demonstrations to clone before PPO: a directory of recordings (pixelarena demos, play.py --record-demos) or
    one file. The policy is fitted to their actions and its value to their discounted returns (behaviour cloning,
    recorded in config.json); with --steps 0 the run is behaviour cloning alone."""
    bc_epochs: int | None = None
    """With --demos: passes of behaviour cloning over the demonstrations (default 10)."""


@dataclass
class CompareArgs(RunOptions):
    """Compare encoders on one game: every encoder x seed with matched seeds, in parallel jobs, then a report
    (report.md and plots in the comparison folder). Run the same command again to continue an interrupted one."""

    env: str | None = None
    """Game to compare on (Chase, Target, Swarm, Snake, or any env train takes)."""
    encoders: tuple[str, ...] = ()
    """Encoder specs encoder[+key=value...][:obs], comma- or space-separated, e.g. mlp:vector,mlp:pixels,cnn,unet
    or cnn+stem=rgb:pixels; obs defaults to the encoder's preset, else the game's default."""
    seeds: int | None = None
    """Seeds per encoder: 0 .. N-1, the same for every encoder (default 5; a suite's own count with --suite)."""
    steps: str | None = None
    """Env steps per run, the same for every encoder, e.g. 300k (with --suite: overrides the budget's steps)."""
    jobs: int = 1
    """Runs trained at the same time, each in its own process (each with 1 torch thread unless --threads)."""
    name: str | None = None
    """Comparison name: its folder runs/<name>/ and its W&B group (default: <env>-<steps>, e.g. chase-300k)."""
    run_dir: Path | None = None
    """Put the comparison (or the suite) exactly in this folder instead of runs/<name>/."""
    eval_env_kwargs: tuple[str, ...] = ()
    """Also evaluate every final policy on other game settings, one key at a time: size=8,16,24 n_enemies=1,5
    is five variants; a policy that cannot run a variant is marked n/a with the reason."""
    suite: Annotated[str | None, tyro.conf.arg(help=_suites_help())] = None
    budget: Annotated[str, tyro.conf.arg(help=_budgets_help())] = "cpu"
    experiments: tuple[str, ...] = ()
    """Run only these experiments of the suite, e.g. e1-chase (default: all)."""
    publish: Path | None = None
    """Also copy the reports and plots (no weights, no logs) to this folder, e.g. docs/results/claim-cpu, headed
    by this command, the machine and the runs' dates."""
    backend: Literal["local", "ray"] = "local"
    """local: a process per run on this machine; ray: each run a Ray Tune trial (this machine or a cluster)."""
    address: str | None = None
    """With --backend ray: auto or HOST:PORT of a running Ray cluster (default: start Ray on this machine)."""
    cpus_per_run: float = 1.0
    """With --backend ray: CPUs per run (its torch threads)."""
    gpus_per_run: float = 0.0
    """With --backend ray: GPUs per run; a fraction (0.25) lets several runs share one GPU."""
    storage: Path | None = None
    """With --backend ray: Tune's experiment state, a path every node sees (default: <comparison>/.ray)."""


@dataclass
class SweepArgs:
    """Search PPO and encoder settings for one game x encoder on Ray Tune (Optuna samples, ASHA stops weak trials);
    writes the best settings as a preset file for train --preset. Needs the ray extra."""

    env: str = "Chase"
    """Game (or any env train takes)."""
    encoder: str | None = None
    """Encoder (default: the game's preset)."""
    obs: str | None = None
    """Observation mode of built-in games (default: the preset's)."""
    preset: str | None = None
    """Preset the search starts from (default: <game>-<encoder>)."""
    steps: str | None = None
    """Env steps per seed of each trial (default: the preset's)."""
    trials: int = 16
    """Settings to try."""
    seeds: int = 2
    """Seeds per trial (at least 2): the objective is the mean greedy return over them."""
    jobs: int = 1
    """Trials at the same time."""
    early_stopping: Literal["asha", "median", "none"] = "asha"
    """Stop weak trials after a seed: ASHA, the median rule, or never."""
    space: Path | None = None
    """Search space file (default: agents/experiments/spaces/<encoder>.toml)."""
    output: Path | None = None
    """Preset file to write (default: <sweep folder>/best_preset.json)."""
    name: str | None = None
    """Sweep name: its folder runs/sweeps/<name>/ (default: <game>-<encoder>-sweep)."""
    run_dir: Path | None = None
    """Put the sweep exactly in this folder."""
    seed: int = 0
    """Seed of Optuna's sampler."""
    address: str | None = None
    """auto or HOST:PORT of a Ray cluster (default: start Ray on this machine)."""
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

    run: tyro.conf.Positional[Path]
    """The run directory."""
    onnx: Path
    """The .onnx file to write (checked with onnxruntime against PyTorch before it is written)."""


@dataclass
class ListArgs:
    """List the games, and the encoders with their architecture facts for a chosen game; or the presets."""

    env: str = "Chase"
    """Game (or any env train takes) whose observation and action spaces the encoder facts are computed for."""
    obs: str | None = None
    """Observation mode for the encoder facts: pixels (a game's default), grid or vector; for an env with a Dict
    observation the keys, comma-separated."""
    presets: bool = False
    """List the training presets instead (agents/run/presets.py): name, game, encoder, obs, steps, envs."""


@dataclass
class BenchArgs:
    """Measure speed: env steps/s (batched vs SyncVectorEnv), reference scores, encoder throughput."""

    envs: bool = False
    """Env steps/second of every game, batched vs Gymnasium's SyncVectorEnv (16x16, cell_px=1, pixels)."""
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
    markdown: Path | None = None
    """Also write the tables as Markdown to this file."""


@dataclass
class EvalArgs:
    """Evaluate a trained run: mean return with a 95% CI, on its own settings or on others."""

    run: tyro.conf.Positional[Path]
    """The run directory."""
    episodes: int = 100
    """Episodes to play (greedy actions)."""
    env_kwargs: tuple[str, ...] = ()
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

    dir: tyro.conf.Positional[Path]
    """A comparison folder (runs/<name>/), or a suite's folder (runs/claim-cpu/) for every comparison in it."""
    publish: Path | None = None
    """Also copy the reports and plots (no weights, no logs) to this folder, e.g. docs/results/claim-cpu, headed
    by this command, the machine and the runs' dates."""


@dataclass
class DemosArgs:
    """Record demonstrations of a game's scripted policy, for behaviour cloning (train --demos DIR): observations
    in every mode the game has, actions, rewards, episode ends, settings and seeds, in one .npz file in DIR
    (docs/demonstrations.md). A person records with play.py --env GAME --human --record-demos DIR."""

    dir: tyro.conf.Positional[Path]
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
    env_kwargs: tuple[str, ...] = ()
    """Game settings as key=value, e.g. size=8 n_enemies=2 (a run cloning the recording must play the same)."""


@dataclass
class PlayArgs:
    """Watch a trained agent play in a window, with its value estimate, action probabilities and overlays
    (action map, feature maps, saliency); record it to a video; or play a game yourself.

    Keys in the window: space pause, right arrow single step, +/- speed, o overlay, [ ] layer, h human takeover,
    r reset, s screenshot, q / Esc quit.
    """

    run: tyro.conf.Positional[Annotated[Path | None, tyro.conf.arg(metavar="[RUN]")]] = None
    """A run directory (runs/<run>): watch its trained agent. Without it, --env is played by you or a script."""
    record: str | None = None
    """Write the episodes to this .mp4 or .gif instead of opening a window (works with no display)."""
    overlay: str = "none"
    """Overlay shown first (o cycles): none, actions (click / per-cell / U-Net readout maps), features,
    saliency (of the chosen action), value-saliency."""
    layer: int = 0
    """Feature layer shown by the features overlay ([ ] change it); negative counts from the last."""
    episodes: int = 2
    """Episodes to record or, for a scripted policy, to show (a run's window plays until you quit)."""
    seed: int | None = None
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
    size: int | None = None
    """Without RUN: map size (cells per side); the game's default when omitted."""
    device: str = "cpu"
    """Torch device for the agent: cpu, cuda, cuda:N or auto. cpu by default, unlike train's auto: one observation
    per step at the window's pace, which the CPU keeps up with; a GPU would only add CUDA's start-up."""
    record_demos: Path | None = None
    """Record the steps you play as demonstrations in this directory, one file per session, for train --demos: with
    --human the game you play; with RUN the steps you play in takeovers (h)."""
