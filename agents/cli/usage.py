"""Usage errors in two lines, like every other error of the command line.

tyro reports a bad option in a box of 10-20 lines; :func:`parse` keeps what matters (the problem, and the option
with what it accepts) and says where the full help is:

    pixelarena: error: Error parsing --n-envs: no type matching INT could be instantiated from ['abc'].
      --n-envs INT Games played in parallel (copies of the env stepped together). (default: from the preset). Full
      help: pixelarena train --help
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from pixelarena.agents.cli.habits import unknown_options

T = TypeVar("T")
_BOX = "╭╮╰╯│─"


def _sections(box: str) -> list[list[str]]:
    """The text of a rich box, split at its divider lines: sections of stripped lines (blank lines kept as '')."""
    sections: list[list[str]] = [[]]
    for raw in box.splitlines():
        line = raw.strip()
        if line.startswith(("╭", "╰")):
            continue
        inner = line.strip("│").strip()
        if inner and set(inner) <= set(_BOX):
            sections.append([])
            continue
        sections[-1].append(inner)
    return [section for section in sections if any(section)]


def _paragraph(lines: list[str]) -> str:
    """The first paragraph of a section, as one line."""
    words: list[str] = []
    for line in lines:
        if not line and words:
            break
        words.append(line)
    return " ".join(word for word in words if word)


def compact(box: str, help_command: str) -> str:
    """Two lines from tyro's error box: the problem, then the option's help and where the full help is."""
    sections = _sections(box)
    if not sections:
        return f"pixelarena: error: invalid arguments\n  Full help: {help_command}"
    problem = _paragraph(sections[0])
    details = []
    for section in sections[1:]:
        text = _paragraph(section)
        if text.startswith("For full helptext"):
            continue
        details.append(text.removeprefix("Argument helptext: "))
    details.append(f"Full help: {help_command}")
    return f"error: {problem}\n  " + ". ".join(detail.rstrip(".") for detail in details)


def parse(parser: Callable[[], T], prog: str, argv: Sequence[str] | None, commands: Mapping[str, type]) -> T:
    """Run tyro's ``parser``; on a usage error print two lines to stderr (one for an unknown option) and exit with
    code 2. ``commands``: each subcommand's own dataclass, or ``{"": cls}`` for a program of one command."""
    argv = list(sys.argv[1:] if argv is None else argv)
    captured = io.StringIO()
    try:
        with contextlib.redirect_stderr(captured):
            return parser()
    except SystemExit as exit_:
        if exit_.code in (0, None):
            sys.stderr.write(captured.getvalue())
            raise
        command = next((arg for arg in argv if arg in commands), "" if "" in commands else None)
        name = " ".join([prog, *([command] if command else [])])
        unknown = None
        if command is not None and "Unrecognized options" in captured.getvalue():
            # tyro's suggestions come from every command and run to hundreds of characters: ours from this one's.
            unknown = unknown_options(argv[argv.index(command) + 1 :] if command else argv, commands[command], name)
        if unknown is not None:
            print(f"{prog}: error: {unknown} (full help: {name} --help)", file=sys.stderr)
        else:
            print(f"{prog}: {compact(captured.getvalue(), f'{name} --help')}", file=sys.stderr)
        raise SystemExit(2) from None
