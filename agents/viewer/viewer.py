"""The viewer itself, without a window: a game session, the agent looking at it, and the controls' state.

It makes frames (game view + overlay + side panel) and steps the game, by the agent's choice or, in human
takeover, by the person's keys and clicks. The window loop and the headless recorder (``agents.viewer.loop``)
both drive this one class, so they show the same thing.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from pathlib import Path

import numpy as np

from pixelarena.agents.viewer.controls import DEFAULT_SPEED, Controls, InputEvent, ViewerState, help_line
from pixelarena.agents.viewer.introspect import Insight, Introspector
from pixelarena.agents.viewer.overlays import OVERLAYS, available_overlays, check_overlay
from pixelarena.agents.viewer.panel import PanelInfo, compose, view_origin
from pixelarena.agents.viewer.session import GameSession
from pixelarena.envs.human import cell_at

VALUE_HISTORY = 120
"""Value estimates the sparkline shows."""


class Viewer:
    """Shows ``session`` played by ``agent`` (or by a person when there is none).

    Args:
        session: The game.
        agent: The policy's introspector; None when only a person plays.
        title: The panel's and window's title.
        overlay: The overlay shown first (one of :func:`available_overlays`).
        layer: The feature layer shown first by the "features" overlay (negative counts from the last).
        speed: Agent steps per second in the window.
        human: Start in human takeover (always on without an agent).
        show_help: Draw the help line under the panel (the window does; videos need not).
        screenshot_dir: Where ``s`` saves PNGs.
    """

    def __init__(
        self,
        session: GameSession,
        agent: Introspector | None,
        title: str,
        overlay: str = "none",
        layer: int = 0,
        speed: float = DEFAULT_SPEED,
        human: bool = False,
        show_help: bool = True,
        screenshot_dir: Path = Path("."),
    ) -> None:
        self.session = session
        self.agent = agent
        self.title = title
        self.show_help = show_help
        self.screenshot_dir = Path(screenshot_dir)
        self.screenshots: list[Path] = []
        overlays = available_overlays(agent, session.frame_shows_observation)
        n_layers = len(agent.layers) if agent is not None else 0
        if n_layers and not -n_layers <= layer < n_layers:
            raise ValueError(f"layer must be in {-n_layers}..{n_layers - 1} (this encoder has {n_layers}), got {layer}")
        if speed <= 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self.controls = Controls(session.human_keys)
        self.state = ViewerState(
            overlays=overlays,
            overlay=overlays.index(check_overlay(overlay, agent, session.frame_shows_observation)),
            layer=layer % n_layers if n_layers else 0,
            n_layers=n_layers,
            speed=speed,
            human=human or agent is None,
            can_take_over=agent is not None,
        )
        self.values: deque[float] = deque(maxlen=VALUE_HISTORY)
        self._version = 0  # bumped whenever the observation changes, to know when the insight is stale
        self._cached: tuple[tuple[int, str, int], Insight] | None = None
        self._pending: int | np.ndarray | None = None  # a real-time game's next human action
        self._rng = np.random.default_rng(0)  # the agent's draws when it samples (g) instead of playing greedily
        self.last_played: tuple[bool, int | np.ndarray] | None = None
        """The last action played and whether the person played it (True) or the agent (False)."""

    # ------------------------------------------------------------------------------------------------ input
    def handle(self, event: InputEvent) -> None:
        """Apply one input event and carry out what it asks for (steps, reset, screenshot, human input)."""
        state = self.controls.handle(self.state, event)
        self.state = state.cleared()
        if state.reset_requested:
            self.session.new_episode()
            self._new_episode()
        if state.screenshot_requested:
            self.screenshot()
        if state.human_key is not None or state.human_click is not None:
            self._human_input(state.human_key, state.human_click)
        for _ in range(state.step_requests):
            self.advance()

    def _human_input(self, key: str | None, click: tuple[int, int] | None) -> None:
        cell = None
        if click is not None:
            view = self.session.frame()
            grid = self.session.grid or (self.agent.spec.grid if self.agent is not None else None)
            if grid is None:
                return
            x, y = view_origin(view.shape)
            cell = cell_at((click[0] - x, click[1] - y), (view.shape[1], view.shape[0]), grid)
            if cell is None:
                return
        action = self.session.human_action(key, cell)
        if action is None and cell is not None and self.agent is not None and self.agent.spec.kind == "click":
            action = cell[0] * self.agent.spec.grid[1] + cell[1]  # a click head's action is the cell's index
        if action is None:
            return
        if self.session.human_fps is None:  # the game waits for each input: play it now
            self._play(action)
        else:
            self._pending = action

    # ----------------------------------------------------------------------------------------------- play
    def advance(self) -> bool:
        """One tick of play: the agent's action (or in human takeover the person's last input, or a real-time
        game's idle action). Returns whether the game moved; turn-based human play waits for input."""
        session = self.session
        if session.done:
            session.new_episode()
            self._new_episode()
            return True
        if self.state.human:
            action, self._pending = self._pending, None
            if action is None and session.human_fps is not None:
                action = session.human_action(None, None)
            if action is None:
                return False
        else:
            insight = self.insight()
            action = insight.env_action() if self.state.greedy else insight.sample(self._rng)
        self._play(action)
        return True

    def _play(self, action: int | np.ndarray) -> None:
        insight = self.insight()
        if insight is not None:
            self.values.append(insight.value)
        self.session.recording = self.state.human  # a recorder (--record-demos) keeps the person's steps only
        starts_episode = self.session.done  # the session then starts the next episode instead of playing
        self.session.advance(action)
        self.last_played = (self.state.human, action)
        if self.agent is not None:  # a recurrent policy's memory moves on with the game, or starts afresh
            if starts_episode:
                self.agent.forget()
            else:
                self.agent.remember()
        self._changed()

    def _new_episode(self) -> None:
        if self.agent is not None:
            self.agent.forget()
        self._changed()

    def _changed(self) -> None:
        self._version += 1

    def weights_changed(self) -> None:
        """The agent's weights were replaced (a newer checkpoint): what it thinks of the game is worked out anew."""
        self._changed()

    def insight(self) -> Insight | None:
        """The agent on the current observation, with what the shown overlay needs (cached until it changes)."""
        if self.agent is None:
            return None
        overlay = OVERLAYS[self.state.overlay_name]
        key = (self._version, overlay.name, self.state.layer if overlay.layer else -1)
        if self._cached is None or self._cached[0] != key:
            insight = self.agent.inspect(
                self.session.observation(),
                self.session.action_masks(),
                layer=self.state.layer if overlay.layer else None,
                saliency=overlay.saliency,
            )
            self._cached = (key, insight)
        return self._cached[1]

    # ---------------------------------------------------------------------------------------------- frames
    def frame(self) -> np.ndarray:
        """The frame to show: the game with the overlay, the side panel and (in the window) the help line."""
        session, state = self.session, self.state
        view = session.frame()
        seen = session.network_view(view.shape[0])  # a view centred on the player: shown beside the map
        insight = self.insight()
        overlay = OVERLAYS[state.overlay_name]
        if insight is not None:
            seen, view = (None, overlay.draw(view, insight)) if seen is None else (overlay.draw(seen, insight), view)
        if seen is not None:
            view = beside(view, seen)
            minimap = session.network_minimap(view.shape[0])  # the screen-plus-minimap view's second part
            if minimap is not None:
                view = beside(view, minimap)
        layer = self.agent.layer_name(state.layer) if overlay.layer and self.agent is not None else None
        info = PanelInfo(
            title=self.title,
            episode=session.episode,
            step=session.step,
            episode_return=session.episode_return,
            last_return=session.returns[-1] if session.returns else None,
            insight=insight,
            values=list(self.values),
            action_names=session.action_names(),
            overlay=state.overlay_name,
            layer=layer,
            status=self.status(),
        )
        return compose(view, info, help_line() if self.show_help else None)

    def status(self) -> str:
        """Who plays, and how fast: "agent, 8 steps/s", "paused", "you play (agent's choice shown)"."""
        state = self.state
        if state.human:
            return "you play (agent's choice shown)" if self.agent is not None else "you play"
        if state.paused:
            return "paused (right arrow steps)"
        return f"agent, {state.speed:g} steps/s" + ("" if state.greedy else ", sampling")

    def screenshot(self) -> Path:
        """Save the current frame as a PNG in ``screenshot_dir``; returns its path."""
        import imageio.v2 as imageio

        name = self.title.split(" ")[0].replace("/", "_").replace(":", "_").lower()
        path = self.screenshot_dir / f"{name}_ep{self.session.episode}_step{self.session.step}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        imageio.imwrite(path, self.frame())
        self.screenshots.append(path)
        print(f"Screenshot saved to {path.resolve()}")
        return path

    def set_state(self, **changes: object) -> None:
        """Change the controls' state directly (what keys would do), e.g. ``set_state(overlay=2)``."""
        self.state = dataclasses.replace(self.state, **changes)


def beside(game: np.ndarray, seen: np.ndarray, gap: int = 6) -> np.ndarray:
    """The game (left, where clicks land) and what the network sees (right), top-aligned on one canvas."""
    height = max(game.shape[0], seen.shape[0])
    canvas = np.zeros((height, game.shape[1] + gap + seen.shape[1], 3), dtype=np.uint8)
    canvas[: game.shape[0], : game.shape[1]] = game
    canvas[: seen.shape[0], game.shape[1] + gap :] = seen
    return canvas
