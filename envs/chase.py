"""Chase: collect coins while enemies close in. Local, reactive decisions."""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from pixelarena.envs.core import MOVE_NAMES, MOVES, BatchedGame, check_fraction, check_positive_int
from pixelarena.envs.render import Kind


class Chase(BatchedGame):
    """Collect coins on a square map while enemies chase you.

    ## Description
    The player (blue disc) moves one cell per step. Enemies (red crosses) step towards the player, but only
    on a fraction ``enemy_speed`` of the steps and sometimes at random (``enemy_noise``), so a player who keeps
    watching the enemies near it can always escape. Coins (yellow diamonds) reappear on a random free cell when
    collected. The decisions that matter are local: which way to dodge the enemy that is getting close.

    ## Action Space
    ``Discrete(5)``: 0 stay, 1 up, 2 down, 3 left, 4 right. Moves into the map's edge leave the player in place.

    ## Observation Space
    Chosen by ``obs``: "pixels" ``(size*cell_px, size*cell_px, 3)`` uint8; "grid" ``(3, size, size)`` uint8
    with channels coin, enemy, player; "vector" float32 of ``3 * (n_coins + n_enemies + 1)`` entries: the
    ``(x, y, present)`` slots of coins, then enemies, then the player (see ``envs.observations``); "entities"
    float32 of ``6 * (n_coins + n_enemies) + 2`` entries: a row per coin and enemy relative to the player,
    ``(dx, dy, distance, present, is_coin, is_enemy)``, nearest first, then the player's ``(x, y)``
    (``game.entity_layout()`` names every entry).

    ## Rewards
    +1 per coin collected, -1 when an enemy reaches the player's cell.

    ## Episode End
    Terminated when caught; truncated after ``max_steps`` (default 200).

    ## Arguments
    ``size`` (12), ``n_enemies`` (3), ``n_coins`` (2), ``enemy_speed`` (0.5: chance an enemy moves on a step),
    ``enemy_noise`` (0.2: chance a moving enemy steps at random), ``spawn_distance`` (4: enemies start at least
    this Manhattan distance away), plus ``obs``, ``cell_px``, ``max_steps``.

    Reference scores at the defaults (mean return of 1,000 episodes, ``pixelarena bench --scores``): a random
    policy -0.93 ± 0.28 (``RANDOM_SCORE``), the scripted flee-and-collect policy 9.8 ± 6.3 (``SOLVED_SCORE``).

    ## Registered Configurations
    * ``pixelarena/Chase-v0``: ``pixelarena.make("Chase")``, ``gym.make("pixelarena/Chase-v0")``; the batched
      vector env with ``pixelarena.make_vec("Chase", num_envs=N)``.
    * Presets (``agents/run/presets.py``): ``quickstart``, ``chase-cnn``, ``chase-impala``, ``chase-unet``,
      ``chase-mlp``, ``chase-sets``; default encoder ``cnn`` on pixels on the 11x11 crop centred on the player
      (``view='ego', view_radius=5``).

    ## Examples
    >>> import pixelarena
    >>> {m: pixelarena.make("Chase", obs=m).observation_space.shape for m in ("pixels", "grid", "vector", "entities")}
    {'pixels': (12, 12, 3), 'grid': (3, 12, 12), 'vector': (18,), 'entities': (32,)}
    >>> pixelarena.make_vec("Chase", num_envs=4).reset(seed=0)[0].shape
    (4, 12, 12, 3)
    >>> pixelarena.make("Chase", view="ego", view_radius=5).observation_space  # 11x11 around the player
    Box(0, 255, (11, 11, 3), uint8)

    ## Version History
    * v0: initial release.
    """

    PLAYER = "player"
    KINDS = (Kind("coin", (250, 204, 60), "diamond"), Kind("enemy", (232, 72, 72), "cross"),
             Kind("player", (86, 156, 255), "disc"))  # fmt: skip
    RANDOM_SCORE = -0.9
    SOLVED_SCORE = 9.8  # the scripted policy's mean return (1,000 episodes)

    def __init__(
        self,
        num_games: int = 1,
        *,
        n_enemies: int = 3,
        n_coins: int = 2,
        enemy_speed: float = 0.5,
        enemy_noise: float = 0.2,
        spawn_distance: int = 4,
        **common,
    ) -> None:
        self.n_enemies = check_positive_int("n_enemies", n_enemies, 0, 64)
        self.n_coins = check_positive_int("n_coins", n_coins, 0, 64)
        self.enemy_speed = check_fraction("enemy_speed", enemy_speed)
        self.enemy_noise = check_fraction("enemy_noise", enemy_noise)
        self.spawn_distance = check_positive_int("spawn_distance", spawn_distance, 0)
        super().__init__(num_games, **common)
        cells = self.height * self.width
        if 1 + self.n_enemies + self.n_coins > cells:
            raise ValueError(f"{1 + self.n_enemies + self.n_coins} objects do not fit a {self.height}x{self.width} map")

    def _allocate(self) -> None:
        n = self.num_games
        self.py = np.zeros((n, 1), dtype=np.int64)
        self.px = np.zeros((n, 1), dtype=np.int64)
        self.ey = np.zeros((n, self.n_enemies), dtype=np.int64)
        self.ex = np.zeros((n, self.n_enemies), dtype=np.int64)
        self.cy = np.zeros((n, self.n_coins), dtype=np.int64)
        self.cx = np.zeros((n, self.n_coins), dtype=np.int64)
        self._lower = np.tril(np.ones((self.n_enemies, self.n_enemies), dtype=bool), k=-1)
        self._others = ~np.eye(self.n_enemies, dtype=bool)
        self._speed_threshold = np.uint64(round(self.enemy_speed * (1 << 24)))
        self._noise_threshold = np.uint64(round(self.enemy_noise * (1 << 24)))
        # |row - r| and |col - c| for every cell, looked up by r and c (Manhattan distance = their sum).
        cell_y, cell_x = np.divmod(np.arange(self.height * self.width), self.width)
        self._row_distance = np.abs(cell_y - np.arange(self.height)[:, None]).astype(np.int16)
        self._col_distance = np.abs(cell_x - np.arange(self.width)[:, None]).astype(np.int16)

    def _action_space(self) -> gym.spaces.Space:
        return gym.spaces.Discrete(5)

    def _objects(self) -> list[tuple[np.ndarray, np.ndarray]]:
        return [(self.cy, self.cx), (self.ey, self.ex), (self.py, self.px)]

    def _reset_games(self, idx: np.ndarray) -> None:
        w, cells = self.width, self.height * self.width
        # One draw per cell gives two independent 24-bit placement keys (high and low bits).
        bits = self.rng.bits(idx, cells)
        first = (bits >> np.uint64(40)).astype(np.float32)
        second = (bits & np.uint64(0xFFFFFF)).astype(np.float32)
        # Player anywhere; enemies at least spawn_distance away (near cells rank after every far one);
        # coins on the remaining cells.
        player = first.argmax(axis=1)
        py, px = np.divmod(player, w)
        near = self._row_distance[py] + self._col_distance[px] < self.spawn_distance
        first[near] -= 1 << 25
        rows = np.arange(len(idx))
        second[rows, player] = -1.0
        for slot in range(self.n_enemies):  # a few argmax passes beat argpartition on short rows
            cell = first.argmax(axis=1)
            first[rows, cell] = second[rows, cell] = -np.inf
            self.ey[idx, slot], self.ex[idx, slot] = np.divmod(cell, w)
        for slot in range(self.n_coins):
            cell = second.argmax(axis=1)
            second[rows, cell] = -np.inf
            self.cy[idx, slot], self.cx[idx, slot] = np.divmod(cell, w)
        self.py[idx, 0], self.px[idx, 0] = py, px

    def _step_games(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        h, w = self.height, self.width
        move = MOVES[actions]
        np.clip(self.py[:, 0] + move[:, 0], 0, h - 1, out=self.py[:, 0])
        np.clip(self.px[:, 0] + move[:, 1], 0, w - 1, out=self.px[:, 0])
        caught = ((self.ey == self.py) & (self.ex == self.px)).any(axis=1)

        on_coin = (self.cy == self.py) & (self.cx == self.px)
        reward = on_coin.any(axis=1).astype(np.float32)
        got = np.flatnonzero(reward)
        if len(got):
            which = on_coin[got].argmax(axis=1)
            occupied = self.occupancy(got, self._objects())
            cell = self.free_cells_pick(got, occupied)
            self.cy[got, which], self.cx[got, which] = np.divmod(cell, w)

        self._move_enemies()
        caught |= ((self.ey == self.py) & (self.ex == self.px)).any(axis=1)
        reward -= caught
        return reward, caught

    def _move_enemies(self) -> None:
        """Each enemy steps towards the player with chance enemy_speed, at random a fraction of the time."""
        e, w = self.n_enemies, self.width
        if e == 0:
            return
        # One 64-bit draw per enemy, split into independent fields: move?, noisy?, tie-break and direction.
        bits = self.rng.bits(slice(None), e)
        moves = (bits >> np.uint64(40)) < self._speed_threshold
        noisy = ((bits >> np.uint64(16)) & np.uint64(0xFFFFFF)) < self._noise_threshold
        tie = (bits & np.uint64(1)).astype(bool)
        random_dir = ((bits >> np.uint64(1)) & np.uint64(3)).astype(np.int64) + 1
        dy, dx = self.py - self.ey, self.px - self.ex
        ady, adx = np.abs(dy), np.abs(dx)
        vertical = (ady > adx) | ((ady == adx) & tie)
        step_y = np.where(noisy, MOVES[random_dir, 0], np.sign(dy) * vertical) * moves
        step_x = np.where(noisy, MOVES[random_dir, 1], np.sign(dx) * ~vertical) * moves
        ty = np.clip(self.ey + step_y, 0, self.height - 1)
        tx = np.clip(self.ex + step_x, 0, w - 1)
        # No two enemies share a cell: a move is cancelled if its target holds another enemy now, or is
        # the target of a lower-numbered enemy. Cancelled enemies stay where no one else may go.
        here, there = self.ey * w + self.ex, ty * w + tx
        blocked = (there[:, :, None] == here[:, None, :]) & self._others
        blocked |= (there[:, :, None] == there[:, None, :]) & self._lower
        blocked = blocked.any(axis=2)
        self.ey[:] = np.where(blocked, self.ey, ty)
        self.ex[:] = np.where(blocked, self.ex, tx)

    def action_names(self) -> tuple[str, ...]:
        """stay, up, down, left, right."""
        return MOVE_NAMES

    def expert_actions(self) -> np.ndarray:
        """Flee-and-collect: of the five moves, the one that keeps enemies farthest and nears a coin."""
        cand_y = np.clip(self.py + MOVES[:, 0], 0, self.height - 1)  # (N, 5)
        cand_x = np.clip(self.px + MOVES[:, 1], 0, self.width - 1)
        score = np.zeros(cand_y.shape)
        if self.n_enemies:
            d_enemy = np.abs(cand_y[:, :, None] - self.ey[:, None]) + np.abs(cand_x[:, :, None] - self.ex[:, None])
            score -= 100.0 * (d_enemy <= 1).any(axis=2) + 4.0 * np.exp(-0.7 * d_enemy).sum(axis=2)
        if self.n_coins:
            d_coin = np.abs(cand_y[:, :, None] - self.cy[:, None]) + np.abs(cand_x[:, :, None] - self.cx[:, None])
            score -= 0.5 * d_coin.min(axis=2)
        # Edges and corners are traps: prefer open space a little.
        edge = np.minimum.reduce([cand_y, cand_x, self.height - 1 - cand_y, self.width - 1 - cand_x])
        score += 0.3 * np.minimum(edge, 2)
        return score.argmax(axis=1)
