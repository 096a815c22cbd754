"""The command line: the argument dataclasses of every command (``options``) and thin handlers (``commands``)
that hand them to the packages doing the work. ``main`` is the ``pixelarena`` console script."""

from pixelarena.agents.cli.main import main

__all__ = ["main"]
