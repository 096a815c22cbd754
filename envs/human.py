"""Human play: pygame events -> a game's actions, kept apart from the event loop so tests can feed events."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from pixelarena.envs.core import BatchedGame


class HumanInput:
    """Maps pygame events to actions for game 0 of ``game``.

    Keys come from the game's ``HUMAN_KEYS`` (pygame key names), clicks are turned into the clicked cell.

    Args:
        game: the game being played.
        view_size: ``(width, height)`` in screen pixels of the area showing the game, to map clicks to cells.
    """

    def __init__(self, game: BatchedGame, view_size: tuple[int, int]) -> None:
        import pygame

        self._pg = pygame
        self.game = game
        self.view_size = view_size
        self.key_codes = {pygame.key.key_code(name): action for name, action in game.HUMAN_KEYS.items()}

    def handle(self, event: Any) -> np.ndarray | int | None:
        """The action an event asks for, or None when it asks for none."""
        pg = self._pg
        if event.type == pg.KEYDOWN and event.key in self.key_codes:
            return self.game.human_action(self.key_codes[event.key], None)
        if event.type == pg.MOUSEBUTTONDOWN and event.button == 1:
            cell = cell_at(event.pos, self.view_size, (self.game.height, self.game.width))
            if cell is not None:
                return self.game.human_action(None, cell)
        return None

    def idle(self) -> np.ndarray | int | None:
        """The action of a real-time game's tick with no input (e.g. Snake keeps its heading)."""
        return self.game.human_action(None, None)


def cell_at(pos: tuple[int, int], view_size: tuple[int, int], grid: tuple[int, int]) -> tuple[int, int] | None:
    """The ``(row, col)`` of a ``(rows, cols)`` grid under pixel ``pos`` of a view of ``(width, height)`` pixels
    showing it, or None outside the view."""
    x, y = pos
    col = int(x * grid[1] // max(view_size[0], 1))
    row = int(y * grid[0] // max(view_size[1], 1))
    return (row, col) if 0 <= row < grid[0] and 0 <= col < grid[1] and x >= 0 and y >= 0 else None


QUIT_KEYS = ("escape", "q")


class Recorder(Protocol):
    """Records a person's play (agents/demos/record.py's ``SessionRecorder``): it steps the game itself."""

    def step(self, game: BatchedGame, action: np.ndarray | int) -> tuple[float, bool, bool]:
        """Step game 0, recording it; return its reward, terminated, truncated."""

    def cut(self) -> None:
        """The episode being recorded stops here (a restart)."""

    def close(self) -> Path | None:
        """Save the recording."""


@dataclass
class PlaySession:
    """What happened in a human play session."""

    steps: int = 0
    returns: list[float] = field(default_factory=list)


def play_human(
    env_name: str, seed: int | None = None, scale: int = 32, recorder: Recorder | None = None, **game_kwargs: Any
) -> PlaySession:
    """Play a game yourself in a pygame window. Esc / q quits, r restarts; ``recorder`` records every step.

    Games with ``HUMAN_FPS = None`` step once per key press or click; real-time games step at that rate,
    with the game's idle action (e.g. Snake keeps its heading) when no key was pressed.
    """
    import pygame

    from pixelarena.envs.registration import make
    from pixelarena.envs.window import Window

    env = make(env_name, **game_kwargs)
    game: BatchedGame = env.unwrapped.game
    env.reset(seed=seed)
    window = Window(f"pixelarena: {type(game).__name__} (you play)", (game.width * scale, game.height * scale))
    human = HumanInput(game, window.size)
    quit_keys = {pygame.key.key_code(name) for name in QUIT_KEYS}
    session, episode_return = PlaySession(), 0.0
    print(f"Playing {type(game).__name__}: {describe_controls(game)}; r restarts, Esc or q quits.")

    def step(action: np.ndarray | int) -> None:
        nonlocal episode_return
        if recorder is None:
            _, reward, terminated, truncated, _ = env.step(action)
        else:
            reward, terminated, truncated = recorder.step(game, action)
        session.steps += 1
        episode_return += reward
        if terminated or truncated:
            print(f"episode return {episode_return:+.1f}")
            session.returns.append(episode_return)
            episode_return = 0.0
            env.reset()

    try:
        while True:
            window.show(game.render(scale)[0], fps=game.HUMAN_FPS or 30)
            human.view_size = window.size
            pending = None
            for event in window.events():
                if event.type == pygame.QUIT or (event.type == pygame.KEYDOWN and event.key in quit_keys):
                    return session
                if event.type == pygame.KEYDOWN and event.key == pygame.K_r:
                    if recorder is not None:
                        recorder.cut()
                    env.reset()
                    episode_return = 0.0
                    continue
                action = human.handle(event)
                if action is not None and game.HUMAN_FPS is None:
                    step(action)
                elif action is not None:
                    pending = action  # real time: the last key of this frame steers
            if game.HUMAN_FPS is not None:
                step(human.idle() if pending is None else pending)
    finally:
        window.close()
        env.close()
        if recorder is not None:
            recorder.close()


def describe_controls(game: BatchedGame) -> str:
    """A one-line description of a game's human controls."""
    if not game.HUMAN_KEYS:
        return "click a cell to act there"
    keys = ", ".join(f"{name}" for name in game.HUMAN_KEYS)
    pace = "the game waits for you" if game.HUMAN_FPS is None else f"real time at {game.HUMAN_FPS} steps/s"
    return f"keys {keys} ({pace})"
