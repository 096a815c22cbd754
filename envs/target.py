"""Target: click the targets, not the decoys. Acting *where* something is (pixels in, a cell out)."""

from __future__ import annotations

from typing import ClassVar

import gymnasium as gym
import numpy as np

from pixelarena.envs.core import MOVES, BatchedGame, check_fraction, check_positive_int
from pixelarena.envs.render import Kind

# Candidate cells drawn per respawn before falling back to a draw over every cell (see _pick_free_cells).
RESPAWN_TRIES = 8


class Target(BatchedGame):
    """Click the targets on a square map and avoid the decoys.

    ## Description
    Targets (green discs) and decoys (red rings) sit on distinct cells. Each step the agent clicks one cell:
    clicking a target scores and moves that target to a random free cell; clicking a decoy costs and moves
    that decoy; clicking an empty cell does nothing. After the click each target drifts to a neighbouring
    free cell with probability ``drift``, so a good policy has to look where the targets are *now*. The
    action is a place on the map, so a policy has to map the position of a sprite in the image to the
    matching action: the pixels-to-pixels skill that a global-pooling encoder lacks.

    ## Action Space
    ``Discrete(size * size)``: click the cell ``action = row * size + col``.

    ## Observation Space
    Chosen by ``obs``: "pixels" ``(size*cell_px, size*cell_px, 3)`` uint8; "grid" ``(2, size, size)`` uint8
    with channels target, decoy; "vector" float32 of ``3 * (n_targets + n_decoys)`` entries: the
    ``(x, y, present)`` slots of targets, then decoys (see ``envs.observations``).

    ## Rewards
    +1 for clicking a target, -1 for clicking a decoy, 0 for an empty cell.

    ## Episode End
    Never terminated; truncated after ``max_steps`` (default 100).

    ## Arguments
    ``size`` (12), ``n_targets`` (2), ``n_decoys`` (3), ``drift`` (0.1: chance per step that each target
    steps to a random neighbouring cell; moves into the edge or onto another object are cancelled), plus
    ``obs``, ``cell_px``, ``max_steps``.

    Reference scores at the defaults (mean return, 1,000 episodes, measured by ``pixelarena bench --scores``):
    random policy ``RANDOM_SCORE`` (in expectation ``(n_targets - n_decoys) / size**2 * max_steps``),
    scripted click-a-target policy ``SOLVED_SCORE`` (the maximum, one target per step). In a trial with stock
    PPO on pixels, a small fully convolutional policy (one logit per cell) reached about 80 in 300k steps,
    while a CNN with a flattened readout to a linear head was still at random level after 400k.

    ## Registered Configurations
    * ``pixelarena/Target-v0``: ``pixelarena.make("Target")``, ``gym.make("pixelarena/Target-v0")``; the batched
      vector env with ``pixelarena.make_vec("Target", num_envs=N)``.
    * Presets (``agents/run/presets.py``): ``target-unet``, ``target-cnn``, ``target-impala``, ``target-mlp``;
      default encoder ``unet`` on pixels.

    ## Examples
    >>> import pixelarena
    >>> {m: pixelarena.make("Target", obs=m).observation_space.shape for m in ("pixels", "grid", "vector")}
    {'pixels': (12, 12, 3), 'grid': (2, 12, 12), 'vector': (15,)}
    >>> pixelarena.make_vec("Target", num_envs=4).reset(seed=0)[0].shape
    (4, 12, 12, 3)

    ## Version History
    * v0: initial release.
    """

    KINDS = (Kind("target", (80, 200, 110), "disc"), Kind("decoy", (232, 72, 72), "ring"))
    DEFAULT_MAX_STEPS = 100
    RANDOM_SCORE = -0.7
    SOLVED_SCORE = 100.0
    # Play with the mouse: a click is the action, keys do nothing, and the game waits for each click.
    HUMAN_KEYS: ClassVar[dict[str, int]] = {}
    HUMAN_FPS = None

    def __init__(
        self,
        num_games: int = 1,
        *,
        n_targets: int = 2,
        n_decoys: int = 3,
        drift: float = 0.1,
        **common,
    ) -> None:
        self.n_targets = check_positive_int("n_targets", n_targets, 1, 64)
        self.n_decoys = check_positive_int("n_decoys", n_decoys, 0, 64)
        self.drift = check_fraction("drift", drift)
        super().__init__(num_games, **common)
        # Strictly fewer objects than cells: a clicked object must always have another free cell to go to.
        if self.n_targets + self.n_decoys >= self.height * self.width:
            raise ValueError(
                f"{self.n_targets + self.n_decoys} objects do not fit a {self.height}x{self.width} map "
                "with a free cell to spare"
            )

    def _allocate(self) -> None:
        n = self.num_games
        self.ty = np.zeros((n, self.n_targets), dtype=np.int64)
        self.tx = np.zeros((n, self.n_targets), dtype=np.int64)
        self.dy = np.zeros((n, self.n_decoys), dtype=np.int64)
        self.dx = np.zeros((n, self.n_decoys), dtype=np.int64)
        t = self.n_targets
        # Drift conflicts: target i compared with every object j (targets, then decoys); itself excluded.
        self._not_self = ~np.eye(t, t + self.n_decoys, dtype=bool)
        self._lower = np.tril(np.ones((t, t), dtype=bool), k=-1)

    def _action_space(self) -> gym.spaces.Space:
        return gym.spaces.Discrete(self.height * self.width)

    def _objects(self) -> list[tuple[np.ndarray, np.ndarray]]:
        return [(self.ty, self.tx), (self.dy, self.dx)]

    def _reset_games(self, idx: np.ndarray) -> None:
        # One draw per cell; the highest keys are the objects' cells, all distinct.
        keys = self.rng.uniform(idx, self.height * self.width)
        cells = np.argsort(-keys, axis=1)[:, : self.n_targets + self.n_decoys]
        self.ty[idx], self.tx[idx] = np.divmod(cells[:, : self.n_targets], self.width)
        self.dy[idx], self.dx[idx] = np.divmod(cells[:, self.n_targets :], self.width)

    def _step_games(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ay, ax = np.divmod(actions, self.width)
        ay, ax = ay[:, None], ax[:, None]
        hit_target = (self.ty == ay) & (self.tx == ax)
        hit_decoy = (self.dy == ay) & (self.dx == ax)
        got_target = hit_target.any(axis=1)
        got_decoy = hit_decoy.any(axis=1)
        reward = got_target.astype(np.float32) - got_decoy
        # Objects never share a cell, so a click hits at most one; only the games that hit something draw.
        self._respawn(np.flatnonzero(got_target), hit_target, self.ty, self.tx)
        self._respawn(np.flatnonzero(got_decoy), hit_decoy, self.dy, self.dx)
        if self.drift > 0:
            self._drift_targets()
        return reward, np.zeros(self.num_games, dtype=bool)

    def _respawn(self, got: np.ndarray, hit: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> None:
        """Move the clicked object of each game in ``got`` to a random free cell (never its own)."""
        if not len(got):
            return
        which = hit[got].argmax(axis=1)
        cell = self._pick_free_cells(got)
        ys[got, which], xs[got, which] = np.divmod(cell, self.width)

    def _pick_free_cells(self, got: np.ndarray) -> np.ndarray:
        """One uniformly random free cell per game of ``got``, by rejection sampling.

        A good policy respawns a target in every game on every step, and ``free_cells_pick`` draws one number
        per cell (16x16: 256 per game, ~16 ms per step for 1024 games). Here each game draws
        ``RESPAWN_TRIES`` candidate cells and takes the first free one: the first free candidate of i.i.d.
        uniform cells is uniform over the free cells. Only a game whose candidates are all taken (a crowded
        map) falls back to ``free_cells_pick``; either way a game's draws depend on its own state alone.
        """
        w = self.width
        cand = self.rng.integers(got, RESPAWN_TRIES, self.height * w)
        taken = np.zeros(cand.shape, dtype=bool)
        for ys, xs in self._objects():
            taken |= (cand[:, :, None] == (ys[got] * w + xs[got])[:, None]).any(axis=2)
        cell = cand[np.arange(len(got)), taken.argmin(axis=1)]
        stuck = np.flatnonzero(taken.all(axis=1))
        if len(stuck):
            cell[stuck] = self.free_cells_pick(got[stuck], self.occupancy(got[stuck], self._objects()))
        return cell

    def _drift_targets(self) -> None:
        """Each target steps to a random neighbour with chance ``drift``, unless that cell is taken."""
        t = self.n_targets
        u = self.rng.uniform(slice(None), 2 * t)
        move = MOVES[1 + (u[:, t:] * 4).astype(np.int64)] * (u[:, :t] < self.drift)[..., None]
        ny, nx = self.ty + move[..., 0], self.tx + move[..., 1]
        oy = np.concatenate([self.ty, self.dy], axis=1)
        ox = np.concatenate([self.tx, self.dx], axis=1)
        # Cancelled: off the map, onto a cell that holds another object now, or onto the cell a
        # lower-numbered target is heading for. Cancelled targets stay where no one else may go.
        blocked = (ny < 0) | (ny >= self.height) | (nx < 0) | (nx >= self.width)
        taken = (ny[:, :, None] == oy[:, None]) & (nx[:, :, None] == ox[:, None]) & self._not_self
        blocked |= taken.any(axis=2)
        if t > 1:
            same = (ny[:, :, None] == ny[:, None]) & (nx[:, :, None] == nx[:, None]) & self._lower
            blocked |= same.any(axis=2)
        np.copyto(self.ty, ny, where=~blocked)
        np.copyto(self.tx, nx, where=~blocked)

    def expert_actions(self) -> np.ndarray:
        """Click the first target: it is always on the map, so this scores every step."""
        return self.ty[:, 0] * self.width + self.tx[:, 0]

    def human_action(self, key_action: int | None, click: tuple[int, int] | None) -> np.ndarray | int | None:
        """A click on ``(row, col)`` clicks that cell; anything else waits."""
        if click is None:
            return None
        row, col = click
        if not (0 <= row < self.height and 0 <= col < self.width):
            return None
        return int(row) * self.width + int(col)
