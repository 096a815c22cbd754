"""The report's PNG plots: learning curves with confidence bands, and final scores per encoder.

Figures are drawn on matplotlib's Agg canvas directly (no pyplot), so nothing here opens a window or changes
the process-wide backend.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import EngFormatter

DPI = 120


@dataclass
class Curve:
    """A mean curve over seeds and its confidence band."""

    label: str
    x: np.ndarray
    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray


@dataclass
class Scores:
    """An encoder's final scores (one per seed) and their IQM with its CI."""

    label: str
    values: list[float]
    center: float
    low: float
    high: float


def _colors(labels: list[str]) -> dict[str, tuple[float, ...]]:
    # One colour per encoder spec, the same in every plot of a report.
    from matplotlib import colormaps

    palette = colormaps["tab10"]
    return {label: palette(i % 10) for i, label in enumerate(labels)}


def _save(figure: Figure, path: Path) -> Path:
    FigureCanvasAgg(figure)
    figure.savefig(path, dpi=DPI, bbox_inches="tight")
    return path


REFERENCE_STYLE = {"random": ("grey", "--"), "scripted": ("black", ":")}
"""How each reference score is drawn (agents/reporting/references.py)."""


def draw_references(axes: Any, references: dict[str, float], vertical: bool = False) -> None:
    """The game's random and scripted scores as labelled lines across the plot (vertical on a score axis that runs
    left to right)."""
    for name, score in references.items():
        color, style = REFERENCE_STYLE[name]
        line = axes.axvline if vertical else axes.axhline
        line(score, color=color, linestyle=style, linewidth=1, label=f"{name} {score:+.2f}", zorder=1)


def plot_curves(curves: list[Curve], xlabel: str, path: Path, title: str, labels: list[str],
                references: dict[str, float] | None = None) -> Path:  # fmt: skip
    """Mean return against ``xlabel`` (env steps or wall-clock seconds) per encoder, with shaded 95% bands, and the
    game's reference scores."""
    colors = _colors(labels)
    figure = Figure(figsize=(7, 4.2))
    axes = figure.add_subplot()
    minutes = xlabel.endswith("wall-clock") and any(curve.x[-1] > 600 for curve in curves)
    for curve in curves:
        x = curve.x / 60 if minutes else curve.x
        axes.plot(x, curve.mean, color=colors[curve.label], label=curve.label, linewidth=1.8)
        axes.fill_between(x, curve.low, curve.high, color=colors[curve.label], alpha=0.2, linewidth=0)
    draw_references(axes, references or {})
    if xlabel.endswith("wall-clock"):
        axes.set_xlabel(f"{xlabel} ({'minutes' if minutes else 'seconds'})")
    else:
        axes.set_xlabel(xlabel)
        axes.xaxis.set_major_formatter(EngFormatter(sep=""))
    axes.set_ylabel("training return (last 100 episodes)")
    axes.set_title(f"{title}: mean over seeds, 95% bootstrap CI")
    axes.grid(alpha=0.3)
    if curves:
        axes.legend(loc="best", fontsize="small")
    else:
        axes.text(0.5, 0.5, "no training returns yet", ha="center", va="center", transform=axes.transAxes)
    return _save(figure, path)


def plot_final_scores(rows: list[Scores], path: Path, title: str, references: dict[str, float] | None = None) -> Path:
    """Per encoder: each seed's final score (dots) and the IQM with its 95% CI (bar with whiskers); the game's
    reference scores as vertical lines."""
    colors = _colors([row.label for row in rows])
    figure = Figure(figsize=(7, 0.9 + 0.55 * max(len(rows), 1)))
    axes = figure.add_subplot()
    for i, row in enumerate(rows):
        if row.values:
            axes.errorbar(row.center, i, xerr=[[row.center - row.low], [row.high - row.center]], fmt="D",
                          color=colors[row.label], capsize=5, markersize=7, linewidth=2)  # fmt: skip
            jitter = np.linspace(-0.15, 0.15, len(row.values)) if len(row.values) > 1 else np.zeros(1)
            axes.scatter(row.values, i + jitter, color=colors[row.label], alpha=0.5, s=18, zorder=3)
        else:
            axes.text(0, i, "no finished run", va="center", fontsize="small")
    draw_references(axes, references or {}, vertical=True)
    if references:
        axes.legend(loc="best", fontsize="small")
    axes.set_yticks(range(len(rows)), [row.label for row in rows])
    axes.invert_yaxis()
    axes.set_xlabel("final greedy return: IQM over seeds (95% CI); dots: seeds")
    axes.set_title(title)
    axes.grid(alpha=0.3, axis="x")
    return _save(figure, path)


RUN_PANELS = ("losses/entropy", "losses/approx_kl", "losses/clip_fraction", "losses/value_loss", "losses/policy_loss",
              "losses/explained_variance", "charts/learning_rate", "charts/sps")  # fmt: skip
"""The panels of one run's plot after its returns, where its metrics have them."""


def plot_run(rows: list[dict[str, Any]], path: Path, title: str, references: dict[str, float]) -> Path:
    """One run's metrics against env steps: the training return (and the greedy evaluations) with the game's
    reference scores, then one panel per PPO statistic."""
    panels = [key for key in RUN_PANELS if any(key in row for row in rows)]
    columns = 3
    grid_rows = 1 + -(-len(panels) // columns)
    figure = Figure(figsize=(11, 3.2 * grid_rows))
    axes = figure.add_subplot(grid_rows, 1, 1)
    for key, label, style in (("charts/episode_return", "training return (last 100 episodes)", "-"),
                              ("charts/greedy_return", "greedy evaluation", "o-")):  # fmt: skip
        points = [(row["step"], row[key]) for row in rows if key in row]
        if points:
            axes.plot(*zip(*points), style, label=label, linewidth=1.6, markersize=4)
    draw_references(axes, references)
    axes.set_ylabel("return")
    axes.set_title(title)
    axes.legend(loc="best", fontsize="small")
    for i, key in enumerate(panels):
        panel = figure.add_subplot(grid_rows, columns, columns + i + 1)
        points = [(row["step"], row[key]) for row in rows if key in row]
        panel.plot(*zip(*points), ".-", linewidth=1.2, markersize=3)
        panel.set_title(key, fontsize="small")
        panel.tick_params(labelsize="x-small")
    for panel in figure.axes:
        panel.xaxis.set_major_formatter(EngFormatter(sep=""))
        panel.grid(alpha=0.3)
    figure.supxlabel("env steps")
    figure.tight_layout()
    return _save(figure, path)
