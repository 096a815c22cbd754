"""Snake: eat apples with a body that grows behind you. Local decisions that must respect your own past."""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from pixelarena.envs.core import MOVES, BatchedGame, check_positive_int
from pixelarena.envs.render import Kind

# Headings and absolute actions share one numbering: 0 up, 1 down, 2 left, 3 right (core MOVES[1:]).
DIRS = MOVES[1:]
DIR_NAMES = ("up", "down", "left", "right")
REVERSE = np.array([1, 0, 3, 2], dtype=np.int64)
# Relative actions: TURN[heading, action] with 0 straight, 1 turn left, 2 turn right.
TURN = np.array([[0, 2, 3], [1, 3, 2], [2, 1, 0], [3, 0, 1]], dtype=np.int64)
# The relative action that turns `heading` into `direction` (a reversal counts as straight on).
TO_RELATIVE = np.array([[0, 0, 1, 2], [0, 0, 2, 1], [2, 1, 0, 0], [1, 2, 0, 0]], dtype=np.int64)
INITIAL_LENGTH = 3
DEFAULT_MAX_LENGTH = 32  # capped at the map's free cells on small maps
ROOM_AHEAD = 3  # free cells in front of a new snake's head (fewer on maps too small for that)


class Snake(BatchedGame):
    """Steer a snake to apples; every apple makes it longer, and it must never run into a wall or itself.

    ## Description
    The snake (a bright head followed by green blocks) moves one cell per step in its heading. Eating an apple
    (red disc) makes it one segment longer, up to ``max_length`` segments (head included; apples eaten at
    that length still score but no longer grow it), and the apple reappears on a random free cell. The tail
    moves out of its cell in the same step, so following your own tail is safe. A new snake has 3 segments, a
    random heading and at least 3 free cells ahead of it (fewer on maps smaller than 6). The decisions are
    local, but the obstacles are the snake's own recent path.

    ## Action Space
    ``Discrete(4)`` absolute directions: 0 up, 1 down, 2 left, 3 right; a move straight back into the neck is
    ignored (the snake keeps its heading). With ``relative_actions=True``, ``Discrete(3)``: 0 straight on,
    1 turn left, 2 turn right (relative to the heading).

    ## Observation Space
    Chosen by ``obs``: "pixels" ``(size*cell_px, size*cell_px, 3)`` uint8; "grid" ``(3, size, size)`` uint8
    with channels head, body, apple; "vector" float32 of ``3 * (max_length + n_apples) + 4`` entries: the
    ``(x, y, present)`` slots of the head, then of the ``max_length - 1`` body segments ordered from the neck
    to the tail (unused slots absent), then of the apples, then the heading one-hot ``heading_up``,
    ``heading_down``, ``heading_left``, ``heading_right`` (see ``envs.observations``); "entities" float32 of
    ``6 * (max_length - 1 + n_apples) + 6`` entries: a row per body segment and apple relative to the head,
    ``(dx, dy, distance, present, is_body, is_apple)``, nearest first (absent rows last, zeros), then the head's
    ``(x, y)`` and the heading one-hot (``game.entity_layout()`` names every entry).

    ## Rewards
    +1 per apple eaten, -1 for running into the map's edge or the snake's own body.

    ## Episode End
    Terminated on a collision; the snake then stays where it was before the fatal move (the final observation
    shows it facing the obstacle). Truncated after ``max_steps`` (default 200), and also after ``hunger``
    steps without an apple (default 100), so that a policy that only circles safely does not fill rollouts
    with empty steps.

    ## Arguments
    ``size`` (12), ``n_apples`` (1), ``max_length`` (32, less on maps too small for it: segments, head
    included; also the number of snake slots of the vector observation), ``hunger`` (100: steps without an
    apple before truncation; 0 disables it), ``relative_actions`` (False), plus ``obs``, ``cell_px``,
    ``max_steps``.

    Reference scores at the defaults (mean return, 2,000 episodes each, one per game of a batch seeded 0):
    random policy ``RANDOM_SCORE`` (-0.91, std 0.31; it crashes after 16 steps on average), scripted policy
    ``SOLVED_SCORE`` (21.2, std 2.2; greedy towards the nearest apple among moves that neither crash nor
    enter a region too small to hold the snake; it nearly always lasts the 200 steps).

    ## Registered Configurations
    * ``pixelarena/Snake-v0``: ``pixelarena.make("Snake")``, ``gym.make("pixelarena/Snake-v0")``; the batched
      vector env with ``pixelarena.make_vec("Snake", num_envs=N)``.
    * Presets (``agents/run/presets.py``): ``snake-cnn``, ``snake-impala``, ``snake-mlp``, ``snake-sets``; default
      encoder ``cnn`` on pixels on the 11x11 crop centred on the player (``view='ego', view_radius=5``).

    ## Examples
    >>> import pixelarena
    >>> {m: pixelarena.make("Snake", obs=m).observation_space.shape for m in ("pixels", "grid", "vector", "entities")}
    {'pixels': (12, 12, 3), 'grid': (3, 12, 12), 'vector': (103,), 'entities': (198,)}
    >>> pixelarena.make_vec("Snake", num_envs=4).reset(seed=0)[0].shape
    (4, 12, 12, 3)
    >>> pixelarena.make("Snake", view="ego", view_radius=5).observation_space  # 11x11 around the player
    Box(0, 255, (11, 11, 3), uint8)

    ## Version History
    * v0: initial release.
    """

    PLAYER = "head"
    KINDS = (Kind("head", (186, 255, 120), "full"), Kind("body", (46, 160, 67), "block"),
             Kind("apple", (232, 56, 56), "disc"))  # fmt: skip
    EXTRA_FEATURES = tuple(f"heading_{name}" for name in DIR_NAMES)
    RANDOM_SCORE = -0.9
    SOLVED_SCORE = 21.2
    HUMAN_KEYS = {"up": 0, "w": 0, "down": 1, "s": 1, "left": 2, "a": 2, "right": 3, "d": 3}
    HUMAN_FPS = 6

    def __init__(
        self,
        num_games: int = 1,
        *,
        n_apples: int = 1,
        max_length: int | None = None,
        hunger: int = 100,
        relative_actions: bool = False,
        **common,
    ) -> None:
        self.n_apples = check_positive_int("n_apples", n_apples, 1, 64)
        self._max_length = None if max_length is None else check_positive_int("max_length", max_length, 3, 1024)
        self.hunger = check_positive_int("hunger", hunger, 0)
        if not isinstance(relative_actions, bool):
            raise ValueError(f"relative_actions must be True or False, got {relative_actions!r}")
        self.relative_actions = relative_actions
        super().__init__(num_games, **common)

    def _allocate(self) -> None:
        n, h, cells = self.num_games, self.height, self.height * self.width
        # Resolved here, where the map size is known: the default shrinks to fit small maps.
        if self._max_length is None:
            self.max_length = max(INITIAL_LENGTH, min(DEFAULT_MAX_LENGTH, cells - self.n_apples))
        elif self._max_length + self.n_apples > cells:
            raise ValueError(
                f"max_length + n_apples must be at most {cells} (the cells of the map), "
                f"got {self._max_length + self.n_apples}"
            )
        else:
            self.max_length = self._max_length
        self.hy = np.zeros((n, 1), dtype=np.int64)
        self.hx = np.zeros((n, 1), dtype=np.int64)
        # Body segments from the neck to the tail; slots from `length - 1` on are parked on the hidden row.
        # One spare slot beyond the max_length - 1 shown ones: shifting the body by one every step pushes
        # the old tail into it, where it is parked (or kept, when the snake grows) without a bounds check.
        self.by = np.full((n, self.max_length), h, dtype=np.int64)
        self.bx = np.zeros((n, self.max_length), dtype=np.int64)
        self.ay = np.zeros((n, self.n_apples), dtype=np.int64)
        self.ax = np.zeros((n, self.n_apples), dtype=np.int64)
        self.heading = np.zeros(n, dtype=np.int64)
        self.length = np.full(n, INITIAL_LENGTH, dtype=np.int64)
        self.since_apple = np.zeros(n, dtype=np.int64)
        self._rows = np.arange(n)
        self._slot = np.arange(self.max_length)
        self._eye = np.eye(4, dtype=np.float32)

    def _action_space(self) -> gym.spaces.Space:
        return gym.spaces.Discrete(3 if self.relative_actions else 4)

    def _objects(self) -> list[tuple[np.ndarray, np.ndarray]]:
        shown = self.max_length - 1
        return [(self.hy, self.hx), (self.by[:, :shown], self.bx[:, :shown]), (self.ay, self.ax)]

    def _extras(self) -> np.ndarray:
        return self._eye[self.heading]

    def _reset_games(self, idx: np.ndarray) -> None:
        h, w, cells = self.height, self.width, self.height * self.width
        # One draw: the heading, the head's position, then a key per cell for the apples.
        u = self.rng.uniform(idx, 3 + cells)
        heading = (u[:, 0] * 4).astype(np.int64)
        d = DIRS[heading]  # (len(idx), 2)
        # The head's range along each axis: the two body cells fit behind it, ROOM_AHEAD cells in front.
        side = np.array([h, w])
        ahead = np.minimum(ROOM_AHEAD, side - INITIAL_LENGTH)
        lo = np.where(d < 0, ahead, np.where(d > 0, INITIAL_LENGTH - 1, 0))
        hi = np.where(d < 0, side - INITIAL_LENGTH, np.where(d > 0, side - 1 - ahead, side - 1))
        pos = lo + (u[:, 1:3] * (hi - lo + 1)).astype(np.int64)
        k = np.arange(1, INITIAL_LENGTH)
        self.heading[idx] = heading
        self.hy[idx, 0], self.hx[idx, 0] = pos[:, 0], pos[:, 1]
        self.by[idx], self.bx[idx] = h, 0
        self.by[idx, : INITIAL_LENGTH - 1] = pos[:, :1] - d[:, :1] * k
        self.bx[idx, : INITIAL_LENGTH - 1] = pos[:, 1:] - d[:, 1:] * k
        self.length[idx] = INITIAL_LENGTH
        self.since_apple[idx] = 0
        # Apples on distinct free cells: the largest keys win (a few argmax passes beat a sort).
        keys = u[:, 3:]
        keys[self.occupancy(idx, self._objects()[:2])] = -1.0
        rows = np.arange(len(idx))
        for slot in range(self.n_apples):
            cell = keys.argmax(axis=1)
            keys[rows, cell] = -2.0
            self.ay[idx, slot], self.ax[idx, slot] = np.divmod(cell, w)

    def _step_games(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        h, w = self.height, self.width
        if self.relative_actions:
            heading = TURN[self.heading, actions]
        else:
            heading = np.where(actions == REVERSE[self.heading], self.heading, actions)
        ny = self.hy[:, 0] + DIRS[heading, 0]
        nx = self.hx[:, 0] + DIRS[heading, 1]
        wall = (ny < 0) | (ny >= h) | (nx < 0) | (nx >= w)
        # The tail (slot length - 2) leaves its cell this step unless the snake grows, and it cannot grow
        # when the head enters the tail's cell (apples never lie on the snake), so the tail never blocks.
        on_body = (self.by == ny[:, None]) & (self.bx == nx[:, None]) & (self._slot < (self.length - 2)[:, None])
        dead = wall | on_body.any(axis=1)
        on_apple = (self.ay == ny[:, None]) & (self.ax == nx[:, None])
        eat = on_apple.any(axis=1) & ~dead
        grow = eat & (self.length < self.max_length)

        # Crashed games keep their state (the last frame shows the snake before the crash).
        crashed = np.flatnonzero(dead)
        saved = (self.by[crashed], self.bx[crashed]) if len(crashed) else None
        self.by[:, 1:] = self.by[:, :-1]
        self.bx[:, 1:] = self.bx[:, :-1]
        self.by[:, 0], self.bx[:, 0] = self.hy[:, 0], self.hx[:, 0]
        # Park the old tail unless the snake grew (a grown snake's spare slot is parked instead).
        tail = np.where(grow, self.max_length - 1, self.length - 1)
        self.by[self._rows, tail], self.bx[self._rows, tail] = h, 0
        if saved is not None:
            self.by[crashed], self.bx[crashed] = saved
        alive = ~dead
        self.hy[:, 0] = np.where(alive, ny, self.hy[:, 0])
        self.hx[:, 0] = np.where(alive, nx, self.hx[:, 0])
        self.heading[:] = np.where(alive, heading, self.heading)
        self.length += grow
        self.since_apple += 1
        self.since_apple[eat] = 0

        got = np.flatnonzero(eat)
        if len(got):
            which = on_apple[got].argmax(axis=1)
            cell = self.free_cells_pick(got, self.occupancy(got, self._objects()))
            self.ay[got, which], self.ax[got, which] = np.divmod(cell, w)
        reward = eat.astype(np.float32) - dead
        return reward, dead

    def _truncates(self) -> np.ndarray | bool:
        """Games that went ``hunger`` steps without an apple end (truncated), so no episode circles forever."""
        return self.since_apple >= self.hunger if self.hunger else False

    def human_action(self, key_action: int | None, click: tuple[int, int] | None) -> int:
        """Arrow keys / WASD steer; with no key pressed the snake keeps going (it moves in real time)."""
        heading = int(self.heading[0])
        direction = heading if key_action is None else key_action
        return int(TO_RELATIVE[heading, direction]) if self.relative_actions else direction

    def action_names(self) -> tuple[str, ...]:
        """Directions, or turns relative to the heading with ``relative_actions``."""
        return ("straight", "left", "right") if self.relative_actions else ("up", "down", "left", "right")

    def expert_actions(self) -> np.ndarray:
        """Greedy towards the nearest apple among the moves that neither crash nor lead into a small pocket.

        A move is safe if its cell is on the map and not on the body (the tail counts as free). Among safe
        moves, those from which fewer cells than the snake's length are reachable (a bounded flood fill on
        the free cells) are avoided when possible; then the move nearest to an apple wins, ties going to
        the one with more free neighbours.
        """
        n, h, w = self.num_games, self.height, self.width
        # Occupancy padded by a one-cell wall; parked body slots land on the bottom wall row.
        blocked = np.zeros((n, h + 2, w + 2), dtype=bool)
        blocked[:, 0], blocked[:, -1], blocked[:, :, 0], blocked[:, :, -1] = True, True, True, True
        tail_free = self._slot < (self.length - 2)[:, None]
        rows = self._rows[:, None]
        blocked[rows, np.where(tail_free, self.by, h) + 1, self.bx + 1] = True
        blocked[self._rows, self.hy[:, 0] + 1, self.hx[:, 0] + 1] = True

        cand = np.arange(4)
        cy = self.hy + DIRS[cand, 0] + 1  # (N, 4), padded coordinates
        cx = self.hx + DIRS[cand, 1] + 1
        safe = ~blocked[rows, cy, cx]
        safe &= cand != REVERSE[self.heading][:, None]
        # Bounded flood fill from each candidate: how many free cells it can reach in `reach` steps.
        reach = min(self.max_length, h * w)
        free = ~blocked
        region = np.zeros((n, 4, h + 2, w + 2), dtype=bool)
        region[rows, cand, cy, cx] = safe
        for _ in range(reach):
            grown = region.copy()
            grown[..., 1:, :] |= region[..., :-1, :]
            grown[..., :-1, :] |= region[..., 1:, :]
            grown[..., :, 1:] |= region[..., :, :-1]
            grown[..., :, :-1] |= region[..., :, 1:]
            grown &= free[:, None]
            region = grown
        room = region.sum(axis=(2, 3))
        roomy = room >= np.minimum(self.length, reach)[:, None]

        dist = np.abs(cy[:, :, None] - 1 - self.ay[:, None]) + np.abs(cx[:, :, None] - 1 - self.ax[:, None])
        nearest = dist.min(axis=2)
        neighbours = sum(~blocked[rows, (cy + dy).clip(0, h + 1), (cx + dx).clip(0, w + 1)] for dy, dx in DIRS)
        score = 1000.0 * safe + 100.0 * (safe & roomy) - nearest + 0.1 * neighbours + 0.001 * room
        best = score.argmax(axis=1)
        return TO_RELATIVE[self.heading, best] if self.relative_actions else best
