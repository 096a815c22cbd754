"""The viewer's frame: the game view (with its overlay) on the left, a side panel of numbers on the right, and
the help line below. All of it is drawn into one numpy RGB image, shown by the window or written to a video.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from pixelarena.agents.viewer import draw
from pixelarena.agents.viewer.introspect import Insight
from pixelarena.agents.viewer.overlays import CELL_MOVES, heat_legend
from pixelarena.envs.core import MOVE_NAMES

PANEL_WIDTH = 240
PANEL_MIN_HEIGHT = 336
"""The panel's content (title, counters, value sparkline, six action bars, overlay, layer, status) fits in this."""
MARGIN = 10
LINE = 18
FONT = 17
SMALL = 15
MAX_BARS = 6
SPARK_HEIGHT = 36
BACKGROUND = (16, 17, 23)
PANEL = (28, 30, 40)
DIM = (150, 155, 170)
BRIGHT = (235, 235, 240)
ACCENT = (120, 255, 160)
BAR = (86, 156, 255)


@dataclass
class PanelInfo:
    """What the side panel shows.

    Attributes:
        title: The game and who plays it.
        episode: The episode being played (1 first).
        step: Steps of this episode.
        episode_return: Return so far in this episode.
        last_return: Return of the last finished episode, if any.
        insight: The policy on the current observation (None without an agent).
        values: Recent value estimates, oldest first, for the sparkline.
        action_names: Names of Discrete actions, when known.
        overlay: The overlay's name.
        layer: The feature layer's name, when the overlay shows one.
        status: The mode line: who plays, paused or speed.
    """

    title: str
    episode: int
    step: int
    episode_return: float
    last_return: float | None = None
    insight: Insight | None = None
    values: Sequence[float] = field(default_factory=list)
    action_names: Sequence[str] | None = None
    overlay: str = "none"
    layer: str | None = None
    status: str = ""


def frame_size(view_shape: tuple[int, ...], help_text: str | None) -> tuple[int, int]:
    """``(height, width)`` of the composed frame for a game view of ``view_shape`` (both even, for H.264)."""
    width = view_shape[1] + PANEL_WIDTH
    height = max(view_shape[0], PANEL_MIN_HEIGHT) + _help_height(help_text, width)
    return height + height % 2, width + width % 2


def view_origin(view_shape: tuple[int, ...]) -> tuple[int, int]:
    """``(x, y)`` of the game view's top-left corner in the frame: at the left, centred in the panel's height."""
    return 0, max(0, (PANEL_MIN_HEIGHT - view_shape[0]) // 2)


def compose(view: np.ndarray, info: PanelInfo, help_text: str | None = None) -> np.ndarray:
    """The whole frame: ``view`` (the game with its overlay) on the left, the panel, the help line."""
    height, width = frame_size(view.shape, help_text)
    frame = np.empty((height, width, 3), dtype=np.uint8)
    frame[:] = BACKGROUND
    x, y = view_origin(view.shape)
    frame[y : y + view.shape[0], x : x + view.shape[1]] = view
    panel_height = max(view.shape[0], PANEL_MIN_HEIGHT)
    draw.fill(frame, view.shape[1], 0, width - view.shape[1], panel_height, PANEL)
    _draw_panel(frame, view.shape[1] + MARGIN, MARGIN, info)
    if help_text:
        for i, row in enumerate(_wrap(help_text, width - 2 * MARGIN)):
            draw.text(frame, MARGIN, panel_height + 4 + i * LINE, row, DIM, SMALL)
    return frame


def _help_height(help_text: str | None, width: int) -> int:
    return 0 if not help_text else 8 + LINE * len(_wrap(help_text, width - 2 * MARGIN))


def _wrap(text: str, width: int) -> list[str]:
    """``text`` broken at double spaces (between controls) into rows that fit ``width`` pixels."""
    rows: list[str] = []
    for part in text.split("  "):
        candidate = f"{rows[-1]}  {part}" if rows else part
        if rows and draw.text_size(candidate, SMALL)[0] <= width:
            rows[-1] = candidate
        else:
            rows.append(part)
    return rows


def _draw_panel(frame: np.ndarray, x: int, y: int, info: PanelInfo) -> None:
    width = PANEL_WIDTH - 2 * MARGIN
    draw.text(frame, x, y, info.title, BRIGHT, 20)
    y += LINE + 6
    draw.text(frame, x, y, f"episode {info.episode}    step {info.step}", BRIGHT, FONT)
    y += LINE
    last = "" if info.last_return is None else f"    last {info.last_return:+.1f}"
    draw.text(frame, x, y, f"return {info.episode_return:+.1f}{last}", BRIGHT, FONT)
    y += LINE
    insight = info.insight
    if insight is not None:
        draw.text(frame, x, y, f"value {insight.value:+.2f}", BRIGHT, FONT)
        y += LINE
        _sparkline(frame, x, y, width, SPARK_HEIGHT, info.values)
        y += SPARK_HEIGHT + 8
        y = _action_bars(frame, x, y, width, insight, info.action_names)
    y += 4
    draw.text(frame, x, y, f"overlay: {info.overlay}", ACCENT if info.overlay != "none" else DIM, FONT)
    y += LINE
    if info.layer:
        draw.text(frame, x, y, info.layer, DIM, SMALL)
        y += LINE
    legend = heat_legend(info.overlay, insight)
    if legend is not None:  # a heat map is drawn: what its colours mean
        _colour_scale(frame, x, y, width, *legend)
        y += LINE
    draw.text(frame, x, y, info.status, DIM, FONT)


def _colour_scale(frame: np.ndarray, x: int, y: int, w: int, low: str, high: str) -> None:
    """One row: ``low``, the heat maps' colours from dark (low) to bright (high), ``high``."""
    end = x + w
    x += draw.text(frame, x, y, low, DIM, SMALL) + 4
    ramp_w = max(8, end - x - draw.text_size(high, SMALL)[0] - 4)
    ramp = draw.heat_colors(np.linspace(0.0, 1.0, ramp_w, dtype=np.float32))
    frame[y + 3 : y + LINE - 5, x : x + ramp_w] = ramp[None, :, :]
    draw.text(frame, x + ramp_w + 4, y, high, DIM, SMALL)


def _sparkline(frame: np.ndarray, x: int, y: int, w: int, h: int, values: Sequence[float]) -> None:
    """The value's recent history as a line, scaled to its own range (printed at the right)."""
    draw.fill(frame, x, y, w, h, BACKGROUND)
    if len(values) < 2:
        return
    data = np.asarray(values, dtype=np.float64)
    low, high = float(data.min()), float(data.max())
    span = high - low if high - low > 1e-9 else 1.0
    label_w = 44
    xs = x + np.linspace(0, w - label_w - 4, len(data))
    ys = y + h - 3 - (data - low) / span * (h - 6)
    draw.polyline(frame, list(zip(xs.tolist(), ys.tolist())), BAR)
    draw.text(frame, x + w - label_w, y, f"{high:+.2f}", DIM, 13)
    draw.text(frame, x + w - label_w, y + h - 11, f"{low:+.2f}", DIM, 13)


def _rows(insight: Insight, names: Sequence[str] | None) -> tuple[str, list[tuple[str, float, bool]]]:
    """The heading and the ``(label, probability, chosen)`` rows of the action bars."""
    if insight.kind == "discrete":
        probs = insight.probs[0]
        labels = names if names is not None and len(names) == len(probs) else [str(i) for i in range(len(probs))]
        order = np.argsort(-probs)[:MAX_BARS] if len(probs) > MAX_BARS else np.arange(len(probs))
        return "actions", [(str(labels[i]), float(probs[i]), i == insight.action[0]) for i in order]
    if insight.kind == "click" and insight.grid is not None:
        probs = insight.probs[0]
        order = np.argsort(-probs)[:MAX_BARS]
        cols = insight.grid[1]
        return "top cells (row, col)", [
            (f"({i // cols}, {i % cols})", float(probs[i]), i == insight.action[0]) for i in order
        ]
    deciding = insight.deciding()
    entries = deciding if len(deciding) else np.arange(len(insight.action))
    move_names = MOVE_NAMES if insight.probs.shape[1] == len(CELL_MOVES) else None
    rows = []
    for e in entries[:MAX_BARS]:
        a = int(insight.action[e])
        where = f"({e // insight.grid[1]}, {e % insight.grid[1]})" if insight.grid else f"#{e}"
        rows.append((f"{where} {move_names[a] if move_names else a}", float(insight.probs[e, a]), True))
    heading = "units: chosen move" if insight.grid else "entries: chosen action"
    return f"{heading} ({len(entries)})", rows


def _action_bars(frame: np.ndarray, x: int, y: int, w: int, insight: Insight, names: Sequence[str] | None) -> int:
    heading, rows = _rows(insight, names)
    draw.text(frame, x, y, heading, DIM, SMALL)
    y += LINE
    label_w, number_w = 92, 40
    bar_w = w - label_w - number_w
    for label, p, chosen in rows:
        draw.text(frame, x, y, label, ACCENT if chosen else BRIGHT, SMALL)
        draw.fill(frame, x + label_w, y + 2, bar_w, LINE - 6, BACKGROUND)
        draw.fill(frame, x + label_w, y + 2, max(1, round(bar_w * p)), LINE - 6, ACCENT if chosen else BAR)
        draw.text(frame, x + label_w + bar_w + 4, y, f"{p:.2f}", DIM, SMALL)
        y += LINE
    return y + (MAX_BARS - len(rows)) * LINE  # a fixed height, so the lines below do not jump
