"""The thread that owns the viewer: it applies the page's input, steps the game at the chosen speed, reloads a
followed run's newer weights and makes a frame whenever something changed.

One thread owns the :class:`Viewer`, so the game, the network and the frames never race; the server's event loop
only hands input in (a queue) and frames out (``publish``). With nobody watching it sleeps: a closed tab costs
nothing. Several tabs share the one game, and any of them can take the controls.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from pixelarena.agents.viewer.controls import Click, Key
from pixelarena.agents.viewer.panel import view_origin
from pixelarena.agents.viewer.viewer import Viewer
from pixelarena.agents.viewer.web.follow import Follower
from pixelarena.agents.viewer.web.protocol import encode_frame, pygame_key

MAX_FPS = 60
"""Frames a second at most (a frame is only made when something changed)."""
TAKEOVER_IDLE_SECONDS = 3.0
"""A takeover started by a game key or a click ends this long after the person's last input (``h`` keeps it)."""
MAX_CATCH_UP = 16.0
"""Steps owed after a slow frame that are still played (as the window does), the rest dropped."""


class Hub:
    """Runs ``viewer`` for the page.

    Args:
        viewer: The viewer (its session and agent); the hub's thread is its only user once started.
        publish: Called with each new frame message (from the hub's thread).
        follower: Reloads a run's newer weights (``--follow``), or None.
        weights: What the agent plays, when not followed: "step 50,000 (model.safetensors)".
        fps: Frames a second at most.
    """

    def __init__(
        self,
        viewer: Viewer,
        publish: Callable[[bytes], None],
        follower: Follower | None = None,
        weights: str | None = None,
        fps: float = MAX_FPS,
    ) -> None:
        self.viewer = viewer
        self.publish = publish
        self.follower = follower
        self.weights = weights
        self.fps = fps
        self.takeover_idle = TAKEOVER_IDLE_SECONDS
        """Seconds without input after which a takeover begun by a game key or a click ends."""
        self.frames = 0
        """Frames made so far."""
        self._inputs: queue.Queue[dict[str, Any]] = queue.Queue()
        self._watchers = 0
        self._wake = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._dirty = True
        self._input_seq = 0  # the last input applied, echoed in each frame (the page times its input with it)
        self._auto_takeover = False
        self._last_input = 0.0
        self.last_facts: dict[str, Any] = {}
        """The facts sent with the last frame (the status endpoint reads them from another thread)."""
        view = viewer.session.frame()  # where the game sits in the frame: the page maps clicks and the test aims
        x, y = view_origin(view.shape)
        self.view_box = (x, y, int(view.shape[1]), int(view.shape[0]))
        grid = viewer.session.grid or (viewer.agent.spec.grid if viewer.agent is not None else None)
        self.grid = None if grid is None else (int(grid[0]), int(grid[1]))

    # ------------------------------------------------------------------------------- from the server's loop
    def submit(self, message: dict[str, Any]) -> None:
        """Input from a page: ``{"type": "key", "key": KeyboardEvent.key, "seq": n}`` or ``{"type": "click",
        "x": x, "y": y, "seq": n}`` (frame pixels). Anything else is ignored."""
        self._inputs.put(message)
        with self._wake:
            self._wake.notify()

    def watching(self, change: int) -> None:
        """A page connected (+1) or left (-1)."""
        with self._wake:
            self._watchers += change
            self._dirty = True  # a new page gets a frame now, whatever the game is doing
            self._wake.notify()

    @property
    def watchers(self) -> int:
        return self._watchers

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="pixelarena-web-viewer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """End the thread and release the game (a recording of demonstrations is saved)."""
        self._stop.set()
        with self._wake:
            self._wake.notify()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.viewer.session.close()

    # ---------------------------------------------------------------------------------------- the thread
    def _run(self) -> None:
        period = 1.0 / self.fps
        due, next_tick = 0.0, time.monotonic()
        while not self._stop.is_set():
            with self._wake:
                while self._watchers == 0 and not self._stop.is_set():
                    self._wake.wait()  # nobody watches: no steps, no frames
                    due, next_tick = 0.0, time.monotonic()
            try:
                self._apply(self._inputs.get(timeout=max(0.0, next_tick - time.monotonic())))
                while True:
                    self._apply(self._inputs.get_nowait())
            except queue.Empty:
                pass
            now = time.monotonic()
            if now >= next_tick:
                next_tick = max(next_tick + period, now - period)
                due = self._tick(now, due)
            if self._dirty:
                self._frame()

    def _tick(self, now: float, due: float) -> float:
        viewer = self.viewer
        if self.follower is not None and self.follower.poll(now):
            viewer.weights_changed()
            self._dirty = True
        if self._auto_takeover and now - self._last_input > self.takeover_idle:
            self._auto_takeover = False
            if viewer.state.human:
                viewer.set_state(human=False)  # the person stopped: the agent takes back over
                self._dirty = True
        if viewer.state.paused:
            return 0.0
        due = min(due + viewer.state.speed / self.fps, MAX_CATCH_UP)
        while due >= 1.0:
            due -= 1.0
            self._dirty |= viewer.advance()
        return due

    def _apply(self, message: dict[str, Any]) -> None:
        viewer, state = self.viewer, self.viewer.state
        seq = message.get("seq")
        if isinstance(seq, int):
            self._input_seq = max(self._input_seq, seq)
        self._dirty = True
        kind = message.get("type")
        if kind == "key" and isinstance(message.get("key"), str):
            name = pygame_key(message["key"])
            if name is None:
                return
            if name in viewer.controls.game_keys:
                self._take_over()
            elif name == "h":
                self._auto_takeover = False  # h switches takeover for good, as in the window
            viewer.handle(Key(name))
        elif kind == "click" and all(isinstance(message.get(k), (int, float)) for k in ("x", "y")):
            x, y = int(message["x"]), int(message["y"])
            bx, by, bw, bh = self.view_box
            if bx <= x < bx + bw and by <= y < by + bh:
                self._take_over()
            viewer.handle(Click((x, y)))
        if state.quit or viewer.state.quit:
            viewer.set_state(quit=False)

    def _take_over(self) -> None:
        """A game key or a click on the game while the agent plays: the person takes over until they stop."""
        state = self.viewer.state
        self._last_input = time.monotonic()
        if not state.human and state.can_take_over:
            self.viewer.set_state(human=True)
            self._auto_takeover = True

    def _frame(self) -> None:
        self._dirty = False
        frame = self.viewer.frame()
        self.frames += 1
        self.last_facts = self.facts()
        self.publish(encode_frame(frame, self.last_facts))

    def facts(self) -> dict[str, Any]:
        """What the page shows beside the frame (and the test reads)."""
        viewer, state = self.viewer, self.viewer.state
        session = viewer.session
        last = None
        if viewer.last_played is not None:
            by_person, action = viewer.last_played
            action_value = action.tolist() if isinstance(action, np.ndarray) else int(action)
            names = session.action_names()
            known = names is not None and isinstance(action_value, int) and 0 <= action_value < len(names)
            name = names[action_value] if known else None
            last = {"by": "you" if by_person else "agent", "action": action_value, "name": name}
        weights = self.follower.describe() if self.follower is not None else self.weights
        return {
            "frame": self.frames,
            "input": self._input_seq,
            "episode": session.episode,
            "step": session.step,
            "returns": session.returns[-5:],
            "status": viewer.status(),
            "title": viewer.title,
            "human": state.human,
            "paused": state.paused,
            "speed": state.speed,
            "greedy": state.greedy,
            "overlay": state.overlay_name,
            "agent": viewer.agent is not None,
            "weights": weights,
            "following": self.follower is not None,
            "problem": self.follower.problem if self.follower is not None else None,
            "last_action": last,
            "view": list(self.view_box),
            "grid": None if self.grid is None else list(self.grid),
            "watchers": self._watchers,
        }
