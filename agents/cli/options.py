"""The arguments of the commands that only read runs or games (eval, export, list, report, demos, play), and how
``--help`` groups every command's options (``HELP_GROUPS``, ``grouping.py``). The requests of train, compare, sweep
and bench live with the packages that act on them (training/options.py, experiments/options.py, bench/options.py).
Nothing here imports torch or pygame, so parsing is quick.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import tyro

from pixelarena.agents.bench.options import BenchArgs
from pixelarena.agents.cli.grouping import MAIN
from pixelarena.agents.experiments.options import CompareArgs, SweepArgs
from pixelarena.agents.help_text import default
from pixelarena.agents.training.options import TrainArgs


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
    when it ends; run it again any time, e.g. while runs are still going), or plot one run's curves."""

    dir: tyro.conf.Positional[Annotated[Path, tyro.conf.arg(metavar="DIR")]]
    """A comparison folder (runs/<name>/), a suite's folder (runs/claim-cpu/) for every comparison in it, or one run
    directory (its curves.png)."""
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
    """The game: one of pixelarena's (pixelarena list names them)."""
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
    (action map, feature maps, saliency); record it to a video; or play a game yourself. With --web, the same in a
    browser tab, for a machine without a display.

    Keys in the window: space pause, right arrow single step, +/- speed, o overlay, [ ] layer, g greedy or sampling,
    h human takeover, r reset, s screenshot, q / Esc quit.
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
    """Without RUN: the game (pixelarena list names them) or a registered Gymnasium id."""
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
    web: bool = False
    """Show the viewer in a browser instead of a window (for machines without a display): serve it and print its
    URL, with a token every request needs. Needs the web extra: pip install 'pixelarena[web]'."""
    host: str = "127.0.0.1"
    """With --web: the address to listen on. 127.0.0.1 keeps it on this machine; from a laptop,
    ssh -L 8765:localhost:8765 HOST reaches it."""
    port: int = 8765
    """With --web: the port to listen on (in use: the next free one is suggested)."""
    follow: bool = False
    """With RUN and --web: play the run's newest weights (its last checkpoint, or its final policy) and reload them
    whenever newer ones land, e.g. while it trains; waits for the first checkpoint."""


# How --help groups each command's options: {group title: fields}, the main ones (MAIN) first, beside --help. tyro
# adds " options" to each title. A field no group names is shown with the main ones.
_RUN = ("n_envs", "device", "threads", "env_kwargs", "encoder_kwargs", "frame_stack", "vec_env", "seconds")
_PPO = ("learning_rate", "lr_schedule", "n_steps", "batch_size", "minibatches", "n_epochs", "gamma", "gae_lambda",
        "clip_range", "clip_schedule", "ent_coef", "vf_coef", "max_grad_norm")  # fmt: skip
_EVALUATION = ("eval_every", "eval_episodes", "checkpoint_every")
HELP_GROUPS: dict[type, dict[str, tuple[str, ...]]] = {
    TrainArgs: {
        MAIN: ("env", "encoder", "obs", "preset", "steps", "seed"),
        "run": ("run_dir", "resume", "init_from", "show", *_RUN),
        "PPO": _PPO,
        "behaviour cloning": ("demos", "bc_epochs"),
        "memory": ("recurrent", "lstm_size"),
        "evaluation and checkpoint": _EVALUATION,
        "logging": (
            "wandb",
            "wandb_project",
            "wandb_entity",
            "wandb_group",
            "wandb_tags",
            "wandb_artifacts",
            "tensorboard",
        ),
    },
    CompareArgs: {
        MAIN: ("env", "encoders", "seeds", "steps", "jobs", "suite", "budget", "experiments"),
        "comparison": ("name", "run_dir", "eval_env_kwargs", "publish"),
        "each run's": _RUN,
        "PPO": _PPO,
        "evaluation and checkpoint": _EVALUATION,
        "logging": ("wandb", "wandb_project", "wandb_entity", "wandb_artifacts", "tensorboard"),
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
        "browser": ("web", "host", "port", "follow"),
        "game": ("env", "policy", "size"),
    },
}
