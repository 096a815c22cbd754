"""The `pixelarena` command line: one typed config dataclass per subcommand (tyro turns field docs into help)."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable
from typing import Any

import tyro

from pixelarena.agents.cli.commands import COMMANDS
from pixelarena.agents.cli.grouping import flat, view
from pixelarena.agents.cli.options import HELP_GROUPS
from pixelarena.agents.cli.usage import parse as parse_arguments


def _failure_types() -> tuple[type[Exception], type[Exception]]:
    """(runs that could not finish -> exit 1, training stopped by a signal -> exit 130); imported only when an
    error is being reported, so that start-up stays light."""
    from pixelarena.agents.experiments.scheduler import RunsFailed
    from pixelarena.agents.run.run_dir import RunWriteError
    from pixelarena.agents.training.signals import TrainingFailed, TrainingStopped

    return (RunsFailed, TrainingFailed, RunWriteError), TrainingStopped  # type: ignore[return-value]


def version() -> str:
    """The installed package's version (pyproject.toml's, as pip installed it)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed_version

    try:
        return installed_version("pixelarena")
    except PackageNotFoundError:  # run from a checkout that was never pip-installed
        return "unknown (not installed: pip install -e .)"


DESCRIPTION = (
    "Train game agents from pixels with PPO, watch them play, compare encoders. pixelarena --version prints the "
    "version."
)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `pixelarena` console script and `python -m pixelarena`."""
    if (sys.argv[1:] if argv is None else argv)[:1] in (["--version"], ["-V"]):
        print(f"pixelarena {version()}")
        return 0
    # Each command's options in help groups (grouping.py), parsed back into the command's own dataclass.
    classes = {name: view(cls, HELP_GROUPS.get(cls)) for name, (cls, _) in COMMANDS.items()}
    args = flat(parse_arguments(lambda: tyro.extras.subcommand_cli_from_dict(classes, args=argv, prog="pixelarena",
                                                                             description=DESCRIPTION),
                                "pixelarena", argv, {name: cls for name, (cls, _) in COMMANDS.items()}))  # fmt: skip
    runner = {cls: run for cls, run in COMMANDS.values()}[type(args)]
    from pixelarena.agents.training.signals import interrupts_raise

    # SIGINT (also when started ignored) and SIGTERM raise, until the outcome is reported (a repeated SIGTERM,
    # ignored, cannot cut the report short).
    with interrupts_raise():
        return _run(runner, args)


def _run(runner: Callable[[Any], None], args: Any) -> int:
    """Run the command; its outcome as an exit code, errors as one line on stderr."""
    try:
        runner(args)
        sys.stdout.flush()  # a reader that left shows here, not in the interpreter's last flush
    except BrokenPipeError:  # pixelarena list | head: the reader has what it wanted (the Python docs' recipe)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (ValueError, FileNotFoundError) as error:  # bad input: one line, no traceback
        _error(f"pixelarena: error: {error}")
        return 2
    except KeyboardInterrupt as interrupt:
        _release_interrupted(interrupt)
        _error("pixelarena: interrupted")
        return 130
    except OSError as error:  # the disk or the system refused (read-only, full, permissions): not the input's fault
        _error(f"pixelarena: {error.strerror or error}: {error.filename}" if error.filename else f"pixelarena: {error}")
        return 1
    except Exception as error:
        failed, stopped = _failure_types()
        if isinstance(error, failed):  # the input was fine; the run could not finish (the run dir is resumable)
            _error(f"pixelarena: {error}")
            return 1
        if isinstance(error, stopped):
            _error(f"pixelarena: {error}")
            return 130
        raise
    return 0


def _release_interrupted(interrupt: BaseException) -> None:
    """Free what the interrupted frames hold, their destructors' complaints silenced. A signal can stop an object
    half-built (a ZipFile inside its constructor, while a recording is compressed), and its destructor then fails on
    an attribute it never set: as the frames were freed, after the one line, Python printed that failure."""
    hook = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: None
    try:
        seen: set[int] = set()
        error: BaseException | None = interrupt
        while error is not None and id(error) not in seen:  # the errors it was raised during hold frames too
            seen.add(id(error))
            error.__traceback__ = None
            error = error.__context__
        gc.collect()
    finally:
        sys.unraisablehook = hook


def _error(message: str) -> None:
    """Print an error on a line of its own: a progress bar the failure left open is ended first."""
    if "pixelarena.agents.training.progress" in sys.modules:  # a bar can only be open once its module was imported
        from pixelarena.agents.training.progress import close_bars

        close_bars()
    print(message, file=sys.stderr)
