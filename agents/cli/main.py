"""The `pixelarena` command line: one typed config dataclass per subcommand (tyro turns field docs into help)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import tyro

import agents.cli.commands as commands
from agents.cli.options import BenchArgs, CompareArgs, EvalArgs, ListArgs, PlayArgs, ReportArgs, TrainArgs

COMMANDS: dict[str, tuple[type, Callable[[Any], None]]] = {
    "train": (TrainArgs, commands.run_train),
    "eval": (EvalArgs, commands.run_eval),
    "play": (PlayArgs, commands.run_play),
    "list": (ListArgs, commands.run_list),
    "bench": (BenchArgs, commands.run_bench),
    "compare": (CompareArgs, commands.run_compare),
    "report": (ReportArgs, commands.run_report),
}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `pixelarena` console script and `python -m agents`."""
    from agents.experiments.scheduler import RunsFailed
    from agents.training.signals import TrainingStopped

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
