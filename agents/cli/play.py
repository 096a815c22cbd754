"""`python play.py`: the play command on its own (the same options as `pixelarena play`)."""

from __future__ import annotations

import sys

import tyro

from pixelarena.agents.cli.commands import run_play
from pixelarena.agents.cli.grouping import flat, view
from pixelarena.agents.cli.options import HELP_GROUPS, PlayArgs
from pixelarena.agents.cli.usage import parse as parse_arguments
from pixelarena.agents.training.signals import interrupts_raise


def main(argv: list[str] | None = None, prog: str = "play.py") -> int:
    """Entry point of play.py: parse, run, and turn bad input into one line on stderr and exit code 2."""
    parser = view(PlayArgs, HELP_GROUPS[PlayArgs])  # the options in help groups, parsed back into PlayArgs
    args = flat(parse_arguments(lambda: tyro.cli(parser, args=argv, prog=prog), prog, argv, {"": PlayArgs}))
    with interrupts_raise():  # SIGINT (also when started ignored) and SIGTERM, until the outcome is reported
        try:
            run_play(args)
        except (ValueError, FileNotFoundError, RuntimeError) as error:  # bad input or no display: no traceback
            print(f"{prog}: error: {error}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            return 130
    return 0
