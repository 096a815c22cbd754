"""Games from outside the repository: ``--env mymodule:MyGame`` (a :class:`BatchedGame` subclass in any importable
module) and the ``pixelarena.games`` entry points of installed packages, which join the built-in games by name.

A package declares its games in its own pyproject.toml::

    [project.entry-points."pixelarena.games"]
    Blocks = "blocks_game:Blocks"

A plugin that fails to import or breaks the game contract is skipped with one line on stderr naming it; the
built-in games keep working.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from importlib.metadata import entry_points

from pixelarena.envs.core import BatchedGame

GAME_GROUP = "pixelarena.games"
REQUIRED = ("KINDS", "RANDOM_SCORE", "SOLVED_SCORE")
"""Class attributes every game must set (``BatchedGame`` lists every hook, required and optional)."""


def import_object(path: str) -> object:
    """The object ``module:Name`` names, importing the module (also from the current directory, as ``python -m``
    would); a one-line ValueError when it cannot."""
    module_name, sep, attr = path.partition(":")
    if not sep or not module_name or not attr.isidentifier():
        raise ValueError(f"{path!r} must look like 'module:Name'")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if os.getcwd() in sys.path or error.name != module_name.split(".")[0]:
            raise ValueError(f"cannot import {module_name!r} for {path!r}: {error}") from None
        sys.path.append(os.getcwd())  # appended: a local file must not shadow installed packages
        return import_object(path)
    except Exception as error:  # a plugin's own import error: say which, in one line
        raise ValueError(f"cannot import {module_name!r} for {path!r}: {type(error).__name__}: {error}") from None
    if not hasattr(module, attr):
        raise ValueError(f"module {module_name!r} has no {attr!r}")
    return getattr(module, attr)


def check_game(game: object, where: str) -> type[BatchedGame]:
    """``game`` if it keeps the game contract (a concrete ``BatchedGame`` subclass with ``KINDS`` and its reference
    scores), else a one-line ValueError naming ``where`` it came from and what is missing."""
    if not (inspect.isclass(game) and issubclass(game, BatchedGame)):
        raise ValueError(f"{where} is not a pixelarena.envs.BatchedGame subclass")
    missing = [name for name in REQUIRED if not hasattr(game, name)]
    missing += sorted(getattr(game, "__abstractmethods__", ()))
    if missing:
        raise ValueError(f"{where} ({game.__name__}) does not fill in {', '.join(missing)} (see BatchedGame)")
    return game


def game_from_path(path: str) -> type[BatchedGame] | None:
    """The game class ``module:Class`` names, or None when it names something else (a Gymnasium env, say)."""
    try:
        target = import_object(path)
    except ValueError:
        return None  # not ours to explain: the external-env path says why it cannot import
    if not (inspect.isclass(target) and issubclass(target, BatchedGame)):
        return None
    return check_game(target, path)


def plugin_games() -> dict[str, type[BatchedGame]]:
    """The games installed packages declare (entry points of :data:`GAME_GROUP`), by entry-point name."""
    games = {}
    for entry in entry_points(group=GAME_GROUP):
        try:
            games[entry.name] = check_game(entry.load(), f"plugin game {entry.name!r} ({entry.value})")
        except Exception as error:  # any failure of someone else's package: one line, and go on
            print(f"pixelarena: skipped {_reason(error, entry.name, entry.value)}", file=sys.stderr)
    return games


def _reason(error: Exception, name: str, value: str) -> str:
    text = " ".join(str(error).split())
    return text if text.startswith("plugin game") else f"plugin game {name!r} ({value}): {type(error).__name__}: {text}"
