"""The `pixelarena` command line: one typed config dataclass per subcommand (tyro turns field docs into help)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tyro

from agents.compare import CompareArgs, run_compare
from agents.errors import RunsFailed, TrainingStopped
from agents.resolve import TrainArgs
from agents.viewer.command import PlayArgs, run_play


@dataclass
class ListArgs:
    """List the games, and the encoders with their architecture facts for a chosen game."""

    env: str = "Chase"
    """Game whose observation and action spaces the encoder facts are computed for."""
    obs: str = "pixels"
    """Observation mode for the encoder facts: pixels, grid or vector."""


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
    threads: int = 1
    """Torch CPU threads for --nets and --stems."""
    seconds: float = 2.0
    """Seconds per env-speed measurement."""
    device: str = "cpu"
    """Torch device for --nets (cpu, cuda, auto)."""
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
    """Torch device."""


@dataclass
class ReportArgs:
    """Write report.md and PNG plots of a comparison folder from its run directories' files (compare does this
    when it ends; run it again any time, e.g. while runs are still going)."""

    dir: tyro.conf.Positional[Path]
    """A comparison folder (runs/<name>/), or a suite's folder (runs/claim-cpu/) for every comparison in it."""
    publish: Path | None = None
    """Also copy the reports and plots (no weights, no logs) to this folder, e.g. docs/results/claim-cpu, headed
    by this command, the machine and the runs' dates."""


def run_train(args: TrainArgs) -> None:
    from agents.model import read_config
    from agents.resolve import resolve
    from agents.train import train
    from agents.viewer.command import watch_run

    if args.resume is not None:
        run_dir = train(read_config(args.resume), args.resume, resume=True)
    else:
        run_dir = train(resolve(args), args.run_dir)
    if args.show:
        watch_run(run_dir)  # the viewer window, or without a display a video in the run directory


def run_eval(args: EvalArgs) -> None:
    import json

    from agents.config import parse_kwargs
    from agents.evaluate import evaluate_model
    from agents.model import load_trained

    if args.episodes <= 0:
        raise ValueError(f"--episodes must be positive, got {args.episodes}")
    config, model = load_trained(args.run, args.device)
    result = evaluate_model(model, config, args.episodes, args.seed, parse_kwargs(args.env_kwargs))
    if args.json:
        print(json.dumps(result.to_json()))
        return
    settings = ", ".join(f"{k}={v}" for k, v in result.env_kwargs.items()) or "training settings"
    print(f"{config.env} ({settings}): mean return {result.mean:+.2f} over {result.episodes} episodes, "
          f"95% CI {result.ci_low:+.2f} .. {result.ci_high:+.2f}")  # fmt: skip


def run_list(args: ListArgs) -> None:
    import envs

    print("Games (pixelarena/<Game>-v0):")
    for name, game in envs.GAMES.items():
        print(f"  {name:<8} random {game.RANDOM_SCORE:+.2f}  solved {game.SOLVED_SCORE:+.2f}")
    from agents.listing import print_encoder_facts

    print_encoder_facts(args.env, args.obs)


def run_report(args: ReportArgs) -> None:
    from agents.publish import publish
    from agents.report import write_report

    print(f"report: {write_report(args.dir)}")
    if args.publish is not None:
        print(f"report: published to {publish(args.dir, args.publish)}")


def run_bench(args: BenchArgs) -> None:
    from agents.bench_report import run_benchmarks

    if not (args.envs or args.scores or args.nets or args.ppo or args.stems):
        raise ValueError("choose what to measure: --envs, --scores, --nets, --ppo and/or --stems")
    run_benchmarks(args)


COMMANDS: dict[str, tuple[type, Callable[[Any], None]]] = {
    "train": (TrainArgs, run_train),
    "eval": (EvalArgs, run_eval),
    "play": (PlayArgs, run_play),
    "list": (ListArgs, run_list),
    "bench": (BenchArgs, run_bench),
    "compare": (CompareArgs, run_compare),
    "report": (ReportArgs, run_report),
}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `pixelarena` console script and `python -m agents`."""
    args = tyro.extras.subcommand_cli_from_dict({name: cls for name, (cls, _) in COMMANDS.items()}, args=argv)
    runner = {cls: run for cls, run in COMMANDS.values()}[type(args)]
    try:
        runner(args)
    except (ValueError, FileNotFoundError) as error:  # bad input: one line, no traceback
        print(f"pixelarena: error: {error}", file=sys.stderr)
        return 2
    except RunsFailed as failed:
        print(f"pixelarena: {failed}", file=sys.stderr)
        return 1
    except TrainingStopped as stopped:
        print(f"pixelarena: {stopped}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("pixelarena: interrupted", file=sys.stderr)
        return 130
    return 0
