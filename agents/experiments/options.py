"""The requests of `pixelarena compare` and `pixelarena sweep`, typed dataclasses whose field docstrings tyro turns
into ``--help``. Nothing here imports torch, so parsing is quick."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import tyro

from pixelarena.agents.experiments.suites import SUITES  # dataclasses only: the help lists the suites
from pixelarena.agents.help_text import FROM_PRESET, default
from pixelarena.agents.training.options import RunOptions


def _suites_help() -> str:
    suites = "; ".join(f"{name} ({', '.join(entry.key for entry in (*suite.experiments, *suite.transfers))})"
                       for name, suite in SUITES.items())  # fmt: skip
    return f"Run a suite of comparisons instead (agents/experiments/suites.py), with its experiments: {suites}."


def _budgets_help() -> str:
    budgets = "; ".join(f"{name}: {' or '.join(suite.budgets)}" for name, suite in SUITES.items())
    return f"Step budget of the suite ({budgets})."


@dataclass
class CompareArgs(RunOptions):
    """Compare encoders on one game: every encoder x seed with matched seeds, in parallel jobs, then a report
    (report.md and plots in the comparison folder). Run the same command again to continue an interrupted one."""

    env: Annotated[str | None, default("none; required without --suite")] = None
    """Game to compare on (pixelarena list names them), or any env train takes."""
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
