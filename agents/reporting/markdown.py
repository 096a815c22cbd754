"""The one formatter of report and benchmark text: Markdown tables, signed scores, CIs and durations."""

from __future__ import annotations

from collections.abc import Collection


def table(header: list[str], rows: list[list[str]], right: Collection[int] = ()) -> str:
    """A Markdown table; columns whose index is in ``right`` are right-aligned (numbers)."""
    align = ["---:" if i in right else "---" for i in range(len(header))]
    return "\n".join("| " + " | ".join(line) + " |" for line in [header, align, *rows])


def signed(value: float) -> str:
    """``+1.25``, ``-0.50``: scores always carry their sign."""
    return f"{value:+.2f}"


def ci(low: float, high: float) -> str:
    """``-0.50 .. +1.25``: a confidence interval."""
    return f"{signed(low)} .. {signed(high)}"


def format_duration(seconds: float) -> str:
    """``75`` -> ``1m15s``."""
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
