"""The viewer's controls: input events -> a new :class:`ViewerState`, with no window, game or network involved.

Kept apart from the event loop so tests (and the headless recorder) drive the viewer with synthetic events.
One table, :data:`BINDINGS`, says which key does what; the on-screen help line is made from the same table,
so the two cannot disagree.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SPEEDS = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0, 120.0)
"""Agent steps per second the +/- keys choose from."""
DEFAULT_SPEED = 8.0


@dataclass(frozen=True)
class Key:
    """A key press, by pygame key name (``pygame.key.name``): "space", "right", "o", "[+]", ..."""

    name: str


@dataclass(frozen=True)
class Click:
    """A left click at ``(x, y)`` in frame pixels (the composed frame, not the scaled window)."""

    pos: tuple[int, int]


@dataclass(frozen=True)
class Quit:
    """The window was closed."""


InputEvent = Key | Click | Quit


@dataclass(frozen=True)
class ViewerState:
    """What the person watching has asked for. Requests (``step_requests`` ... ``human_click``) are one-shot:
    the loop carries them out and clears them with :meth:`cleared`.

    Attributes:
        overlays: The overlay names that apply to this agent, "none" first.
        overlay: Index of the overlay shown.
        layer: Index of the layer whose feature maps the "features" overlay shows.
        n_layers: How many layers have feature maps (0: none).
        paused: The agent does not step by itself.
        speed: Agent steps per second.
        human: Human takeover: keys or clicks drive the game while the agent's choice keeps showing.
        greedy: The agent plays its most likely action; False: it samples from its probabilities (as in training).
        can_take_over: Whether ``h`` may switch human takeover (False while nobody but the person plays).
        quit: Leave the viewer.
        step_requests: Single steps asked for while paused.
        reset_requested: Start a new episode.
        screenshot_requested: Save the current frame as a PNG.
        human_key: A key the game reads, pressed during human takeover.
        human_click: A click on the game view during human takeover, in frame pixels.
    """

    overlays: tuple[str, ...] = ("none",)
    overlay: int = 0
    layer: int = 0
    n_layers: int = 0
    paused: bool = False
    speed: float = DEFAULT_SPEED
    human: bool = False
    greedy: bool = True
    can_take_over: bool = True
    quit: bool = False
    step_requests: int = 0
    reset_requested: bool = False
    screenshot_requested: bool = False
    human_key: str | None = None
    human_click: tuple[int, int] | None = None

    @property
    def overlay_name(self) -> str:
        """The name of the overlay shown."""
        return self.overlays[self.overlay]

    def cleared(self) -> ViewerState:
        """The state with every one-shot request done."""
        return dataclasses.replace(
            self, step_requests=0, reset_requested=False, screenshot_requested=False, human_key=None, human_click=None
        )


def _speed(state: ViewerState, direction: int) -> ViewerState:
    index = min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - state.speed))
    return dataclasses.replace(state, speed=SPEEDS[max(0, min(len(SPEEDS) - 1, index + direction))])


def _layer(state: ViewerState, direction: int) -> ViewerState:
    if state.n_layers == 0:
        return state
    return dataclasses.replace(state, layer=(state.layer + direction) % state.n_layers)


def _take_over(state: ViewerState) -> ViewerState:
    return dataclasses.replace(state, human=not state.human) if state.can_take_over else state


@dataclass(frozen=True)
class Binding:
    """Keys (pygame names), how the help line shows them, what it says they do, and the state change."""

    keys: tuple[str, ...]
    label: str
    help: str
    apply: Callable[[ViewerState], ViewerState]


BINDINGS: tuple[Binding, ...] = (
    Binding(("space",), "space", "pause", lambda s: dataclasses.replace(s, paused=not s.paused)),
    Binding(
        ("right",), "right", "step", lambda s: dataclasses.replace(s, paused=True, step_requests=s.step_requests + 1)
    ),
    Binding(("+", "=", "[+]"), "+/-", "speed", lambda s: _speed(s, +1)),
    Binding(("-", "[-]"), "", "", lambda s: _speed(s, -1)),  # shown with + above
    Binding(("o",), "o", "overlay", lambda s: dataclasses.replace(s, overlay=(s.overlay + 1) % len(s.overlays))),
    Binding(("]", "."), "[ ]", "layer", lambda s: _layer(s, +1)),
    Binding(("[", ","), "", "", lambda s: _layer(s, -1)),  # shown with ] above
    Binding(("g",), "g", "greedy/sample", lambda s: dataclasses.replace(s, greedy=not s.greedy)),
    Binding(("h",), "h", "human", _take_over),
    Binding(("r",), "r", "reset", lambda s: dataclasses.replace(s, reset_requested=True)),
    Binding(("s",), "s", "screenshot", lambda s: dataclasses.replace(s, screenshot_requested=True)),
    Binding(("q", "escape"), "q/Esc", "quit", lambda s: dataclasses.replace(s, quit=True)),
)
"""Every key of the viewer. During human takeover the game's own keys come first, except letters bound here
and Esc, so that g, h, r, s, o and q keep working (and WASD's "s" takes a screenshot: use the arrows)."""

_BY_KEY: dict[str, Binding] = {key: binding for binding in BINDINGS for key in binding.keys}
_RESERVED = frozenset(key for key in _BY_KEY if key.isalpha() and len(key) == 1) | {"escape"}


def help_line() -> str:
    """The controls, as the window shows them: "space pause  right step  +/- speed ..."."""
    return "  ".join(f"{b.label} {b.help}" for b in BINDINGS if b.label)


class Controls:
    """Maps input events to state changes.

    Args:
        game_keys: Key names the game reads during human takeover (arrows, WASD, digits, ...).
    """

    def __init__(self, game_keys: frozenset[str] | set[str] = frozenset()) -> None:
        self.game_keys = frozenset(game_keys) - _RESERVED

    def handle(self, state: ViewerState, event: InputEvent) -> ViewerState:
        """The state after ``event``; ``state`` itself is not changed."""
        if isinstance(event, Quit):
            return dataclasses.replace(state, quit=True)
        if isinstance(event, Click):
            return dataclasses.replace(state, human_click=event.pos) if state.human else state
        if state.human and event.name in self.game_keys:
            return dataclasses.replace(state, human_key=event.name)
        binding = _BY_KEY.get(event.name)
        return state if binding is None else binding.apply(state)

    def handle_all(self, state: ViewerState, events: list[InputEvent]) -> ViewerState:
        """The state after each of ``events`` in turn."""
        for event in events:
            state = self.handle(state, event)
        return state


def from_pygame(
    event: Any, window_size: tuple[int, int] | None = None, frame_size: tuple[int, int] | None = None
) -> InputEvent | None:
    """The viewer's event for a pygame event (key down, left click, window closed), or None for others.

    Clicks are mapped from window pixels to frame pixels when the window shows the frame at another size
    (``window_size`` and ``frame_size`` are ``(width, height)``).
    """
    import pygame

    if event.type == pygame.QUIT:
        return Quit()
    if event.type == pygame.KEYDOWN:
        return Key(pygame.key.name(event.key))
    if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
        x, y = event.pos
        if window_size and frame_size and min(window_size) > 0:
            x, y = x * frame_size[0] // window_size[0], y * frame_size[1] // window_size[1]
        return Click((int(x), int(y)))
    return None
