"""How a request field names its default in ``--help`` (tyro), for the request dataclasses of every package."""

from __future__ import annotations

from typing import Any

import tyro


def default(text: str) -> Any:
    """tyro's note on an option's default, in words: for a default that is a placeholder (None, an empty list)
    whose meaning its value cannot say."""
    return tyro.conf.arg(help_behavior_hint=f"(default: {text})")


FROM_PRESET = default("from the preset")
