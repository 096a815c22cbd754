"""The batched game core: the state of N games in numpy arrays, stepped and observed in one vectorized pass.

A game subclasses :class:`BatchedGame` and fills in (the rest comes for free: the four observation modes, views
centred on the player, sprites, Gymnasium and vector adapters, video, demonstrations, human play):

Required class attributes:

- ``KINDS``: the kinds of objects, each a ``Kind(name, colour, sprite)`` (``envs.render``); colours distinct, the
  first frame of a game shows at least two of them besides the background;
- ``RANDOM_SCORE`` and ``SOLVED_SCORE``: the mean return of a random policy and of a good (scripted) one
  (``pixelarena bench --scores``), which reports and the README quote.

Required hooks:

- ``_allocate()``: create the state arrays, first axis = game index;
- ``_reset_games(idx)``: start new episodes for the games ``idx`` (an int array), drawing from ``self.rng``;
- ``_step_games(actions)``: advance every game one step, return ``(reward, terminated)``;
- ``_objects()``: ``(ys, xs)`` int arrays ``(N, max_count)`` per kind of ``KINDS``, absent objects at
  ``y == height``; pixels, grid and vector observations are all built from this one list;
- ``_action_space()``: the action space of one game.

Optional: ``PLAYER`` (the kind the agent moves: entity rows and ``view="ego"`` need it), ``EXTRA_FEATURES`` with
``_extras()``, ``DEFAULT_MAX_STEPS``, ``_truncates()``, ``HUMAN_KEYS`` (pygame key name -> action; arrows and
WASD by default) and ``HUMAN_FPS`` (None: the game waits for each key), ``human_action()`` (clicks on cells),
``HAS_ACTION_MASKS`` with ``action_masks()``, ``expert_actions()`` (a scripted policy), ``action_names()``.

The random-stream rule: each call of a hook draws the same count of numbers from ``self.rng`` for a game whatever
that game's state (``free_cells_pick`` does), so that game ``i`` of a batch seeded ``s`` plays exactly like a single
game seeded ``s + i``, and a reset instead of a step rewinds cleanly.

The single Gymnasium env and the vector env (``envs.adapters``) are views of this class with N = 1 and N = n.
Randomness comes from :class:`envs.rng.BatchRNG`, one stream per game.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import gymnasium as gym
import numpy as np

from pixelarena.envs import minimap as minimap_view
from pixelarena.envs.minimap import minimap_factor_of
from pixelarena.envs.observations import (
    ENTITY_FIELDS,
    OBS_MODES,
    Observer,
    entity_layout,
    observation_space,
    vector_layout,
)
from pixelarena.envs.render import Kind, render_frames
from pixelarena.envs.rng import BatchRNG
from pixelarena.envs.views import centre, view_radius_of

# The moves shared by the grid games: index -> (dy, dx).
MOVES = np.array([[0, 0], [-1, 0], [1, 0], [0, -1], [0, 1]], dtype=np.int64)
MOVE_NAMES = ("stay", "up", "down", "left", "right")
# Arrow keys and WASD for the five moves, as pygame key names.
MOVE_KEYS = {
    "space": 0, ".": 0, "up": 1, "w": 1, "down": 2, "s": 2, "left": 3, "a": 3, "right": 4, "d": 4,
}  # fmt: skip

MIN_SIZE = 5
MAX_SIZE = 256


def one_line(value: object, limit: int | None = 80) -> str:
    """``str(value)`` (a space, an array) on one line, cut to ``limit`` characters (None: whole), for errors."""
    text = " ".join(str(value).split())
    return text if limit is None or len(text) <= limit else text[: limit - 3] + "..."


def check_positive_int(name: str, value: object, minimum: int = 1, maximum: int | None = None) -> int:
    """Validate a game kwarg, raising a one-line ValueError that says what is allowed."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        raise ValueError(f"{name} must be {bound}, got {value}")
    return int(value)


def check_fraction(name: str, value: object) -> float:
    """Validate a probability-like kwarg in [0, 1]."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating) or not 0 <= value <= 1:
        raise ValueError(f"{name} must be a number in [0, 1], got {value!r}")
    return float(value)


class BatchedGame(ABC):
    """N games of one kind, stepped together.

    Args:
        num_games: N, the batch size.
        size: map side length in cells (square maps), 5..256.
        obs: observation mode, one of "pixels", "grid", "vector", "entities" (games with a player; see
            ``envs.observations``).
        cell_px: pixels per cell in "pixels" observations (sprites are distinguishable from 3 up).
        max_steps: episode length limit (truncation); ``None`` takes the game's default.
        view: the frame of reference of pixels and grid observations: "map" (the map, fixed) or "ego" (centred on
            the player, what lies beyond the map drawn as wall; games with a player). See ``envs.views``.
        view_radius: with ``view="ego"``, see only ``view_radius`` cells around the player (a square of
            ``2 * view_radius + 1`` cells, the same shape on every map size); None sees the whole map.
        minimap: with ``view_radius``, stack the whole map pooled by this odd factor (``minimap`` x ``minimap``
            cells per minimap cell), centred on the player, onto the crop: the screen-plus-minimap view
            (``envs.minimap``); None: the crop alone.
    """

    KINDS: ClassVar[tuple[Kind, ...]]
    PLAYER: ClassVar[str | None] = None
    """The name of the kind the agent moves (Chase's player, Snake's head): the origin of ``obs="entities"``."""
    EXTRA_FEATURES: ClassVar[tuple[str, ...]] = ()
    DEFAULT_MAX_STEPS: ClassVar[int] = 200
    # Documented reference scores (mean episode return), measured with `pixelarena bench --scores`.
    RANDOM_SCORE: ClassVar[float]
    SOLVED_SCORE: ClassVar[float]
    # Human play: pygame key name -> action; None fps means the game waits for each input.
    HUMAN_KEYS: ClassVar[dict[str, int]] = MOVE_KEYS
    HUMAN_FPS: ClassVar[int | None] = None
    HAS_ACTION_MASKS: ClassVar[bool] = False

    def __init__(
        self,
        num_games: int = 1,
        *,
        size: int = 12,
        obs: str = "pixels",
        cell_px: int = 1,
        max_steps: int | None = None,
        view: str = "map",
        view_radius: int | None = None,
        minimap: int | None = None,
    ) -> None:
        self.num_games = check_positive_int("num_games", num_games)
        self.height = self.width = check_positive_int("size", size, MIN_SIZE, MAX_SIZE)
        self.cell_px = check_positive_int("cell_px", cell_px, 1, 64)
        self.max_steps = check_positive_int("max_steps", self.DEFAULT_MAX_STEPS if max_steps is None else max_steps)
        self.obs_mode = obs
        self.view = view
        self.rng = BatchRNG(self.num_games)
        self.steps = np.zeros(self.num_games, dtype=np.int64)
        self._allocate()
        player = [kind.name for kind in self.KINDS].index(self.PLAYER) if self.PLAYER else None
        if obs == "entities" and player is None:
            raise ValueError(f"obs='entities' is relative to a player, and {type(self).__name__} has none: choose "
                             "pixels, grid or vector")  # fmt: skip
        self._player = player
        self.view_radius = view_radius_of(type(self).__name__, view, view_radius, obs, player is not None, self.height)
        """The radius of the view centred on the player, None for the map's frame."""
        self.minimap = minimap_factor_of(minimap, None if view_radius is None else self.view_radius, self.height)
        """The minimap's pooling factor, None without one."""
        self._observer = self._make_observer(obs, self.view_radius, self.minimap)
        self._other_observers: dict[str, Observer] = {}  # observe_as's, made on first use
        self.slot_counts = tuple(ys.shape[1] for ys, _ in self._objects())
        self.single_action_space = self._action_space()
        length = len(self.entity_layout() if obs == "entities" else self.vector_layout())
        self.single_observation_space = observation_space(
            obs, self.height, self.width, self.cell_px, len(self.KINDS), length, self.view_radius, self.minimap
        )
        self._seeded = False

    @property
    def metadata(self) -> dict[str, int]:
        """What the env adapters add to their Gymnasium ``metadata``: ``cell_px`` for pixel observations, so that
        an encoder can read one game cell per position (``nets.stems``), and ``image_frames`` = 2 when a minimap's
        RGB is stacked on the crop's (a colour stem per frame); the row count and width of entities
        observations, so that an entity encoder can read their rows; nothing for grid or vector ones."""
        if self.obs_mode == "entities":
            rows = sum(count for k, count in enumerate(self.slot_counts) if k != self._player)
            return {"entity_rows": rows, "entity_features": len(ENTITY_FIELDS) + len(self.KINDS) - 1}
        if self.obs_mode != "pixels":
            return {}
        return {"cell_px": self.cell_px, **({"image_frames": 2} if self.minimap is not None else {})}

    # ----------------------------------------------------------------------------------------- hooks
    @abstractmethod
    def _allocate(self) -> None:
        """Create the state arrays (first axis: game)."""

    @abstractmethod
    def _reset_games(self, idx: np.ndarray) -> None:
        """Start new episodes for the games ``idx``."""

    @abstractmethod
    def _step_games(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Advance every game one step with validated ``actions``; return float32 reward, bool terminated."""

    @abstractmethod
    def _objects(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """``(ys, xs)`` per kind of ``KINDS``, each ``(N, max_count)``; absent objects at ``y == height``."""

    @abstractmethod
    def _action_space(self) -> gym.spaces.Space:
        """The action space of one game."""

    def _extras(self) -> np.ndarray | None:
        """Extra vector features ``(N, len(EXTRA_FEATURES))`` in [-1, 1], or None."""
        return None

    def _truncates(self) -> np.ndarray | bool:
        """Game-specific truncation besides ``max_steps`` (e.g. Snake's hunger), bool ``(N,)``; False if none."""
        return False

    def expert_actions(self) -> np.ndarray:
        """A scripted good policy's actions for every game (the reference for the "solved" score)."""
        raise NotImplementedError(f"{type(self).__name__} has no scripted policy")

    def action_masks(self) -> np.ndarray:
        """Valid actions per game, flattened as sb3-contrib's MaskablePPO expects."""
        raise NotImplementedError(f"{type(self).__name__} has no action masks")

    def action_names(self) -> tuple[str, ...] | None:
        """Names of the actions of a ``Discrete(k)`` move space, for displays; None when actions are cells."""
        return None

    def human_action(self, key_action: int | None, click: tuple[int, int] | None) -> np.ndarray | int | None:
        """Game 0's action for a human input (a key's action, or a clicked ``(row, col)``), or None to wait."""
        return key_action

    # ------------------------------------------------------------------------------------------ API
    def reset(self, idx: np.ndarray | None = None, seeds: np.ndarray | None = None) -> None:
        """Start new episodes for games ``idx`` (all when None); ``seeds`` restarts their random streams."""
        idx = np.arange(self.num_games) if idx is None else np.asarray(idx, dtype=np.int64)
        if seeds is not None:
            self.rng.seed(np.asarray(seeds, dtype=np.uint64), idx)
            self._seeded = True
        elif not self._seeded:
            # Unseeded use still gets distinct, fresh streams per game.
            base = np.random.SeedSequence().generate_state(1, dtype=np.uint64)[0]
            self.rng.seed(base + np.arange(self.num_games, dtype=np.uint64))
            self._seeded = True
        self.steps[idx] = 0
        if len(idx):
            self._reset_games(idx)

    def step(
        self, actions: np.ndarray, reset_instead: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Step every game; return float32 reward, bool terminated, bool truncated, each ``(N,)``.

        ``reset_instead`` (bool mask) makes those games start a new episode *instead* of stepping, with zero
        reward and no termination, as Gymnasium's next-step autoreset wants. They are stepped with the rest
        (one vectorized pass), then their random streams are rewound and their state overwritten by a reset,
        so each game's random stream is exactly what it would be alone.
        """
        actions = self.check_actions(actions)
        redo = None if reset_instead is None or not reset_instead.any() else np.flatnonzero(reset_instead)
        saved = None if redo is None else self.rng.counters[redo].copy()
        reward, terminated = self._step_games(actions)
        self.steps += 1
        truncated = ((self.steps >= self.max_steps) | self._truncates()) & ~terminated
        if redo is not None:
            self.rng.counters[redo] = saved
            self.reset(redo)
            reward[redo], terminated[redo], truncated[redo] = 0.0, False, False
        return reward, terminated, truncated

    def get_state(self) -> dict[str, np.ndarray]:
        """Copies of every array of the games' state (positions, step counters, random streams), by name. With
        :meth:`set_state` another batch of the same settings continues exactly where this one is."""
        state = {name: value.copy() for name, value in vars(self).items() if isinstance(value, np.ndarray)}
        state["rng.keys"], state["rng.counters"] = self.rng.state()
        state["seeded"] = np.array(self._seeded)
        return state

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        """Continue from a :meth:`get_state` of a batch with the same settings.

        Raises:
            ValueError: One line, when ``state`` holds other arrays, shapes or dtypes than this batch's.
        """
        own = self.get_state()
        if set(state) != set(own):
            raise ValueError(f"game state has arrays {sorted(state)}, {type(self).__name__} has {sorted(own)}")
        for name, value in state.items():
            if value.shape != own[name].shape or value.dtype != own[name].dtype:
                raise ValueError(f"game state {name} is {value.dtype} {value.shape}, {type(self).__name__} with these "
                                 f"settings has {own[name].dtype} {own[name].shape}")  # fmt: skip
        for name, value in state.items():
            if name == "seeded":
                self._seeded = bool(value)
            elif name.startswith("rng."):
                getattr(self.rng, name.removeprefix("rng."))[...] = value
            else:
                getattr(self, name)[...] = value
        # Observations are drawn from the state (pixels incrementally): new observers draw them in full.
        self._observer = self._make_observer(self.obs_mode, self.view_radius, self.minimap)
        self._other_observers = {}

    def _make_observer(self, mode: str, radius: int | None = None, minimap: int | None = None) -> Observer:
        return Observer(mode, self.num_games, self.height, self.width, self.cell_px, self.KINDS, self._player, radius,
                        minimap)  # fmt: skip

    def observe(self) -> np.ndarray:
        """Observations of all games, a fresh array ``(N, *single_observation_space.shape)``."""
        return self._observer(self._objects(), self._extras())

    @property
    def observation_modes(self) -> tuple[str, ...]:
        """The observation modes this game has (``entities`` only with a player)."""
        return tuple(mode for mode in OBS_MODES if mode != "entities" or self._player is not None)

    def observe_as(self, mode: str) -> np.ndarray:
        """Observations of all games in ``mode`` on the map's frame, whatever mode and view the game was made with:
        a recording of the play then serves every mode and every view (agents/demos, ``envs.views.centre``)."""
        if mode == self.obs_mode and self.view_radius is None:
            return self.observe()
        if mode not in self.observation_modes:
            raise ValueError(f"{type(self).__name__} has no {mode!r} observations: {', '.join(self.observation_modes)}")
        if mode not in self._other_observers:
            self._other_observers[mode] = self._make_observer(mode)
        return self._other_observers[mode](self._objects(), self._extras())

    def player_cells(self) -> tuple[np.ndarray, np.ndarray] | None:
        """``(ys, xs)`` of the player of every game (None for a game with no player): the centre of ``view="ego"``."""
        if self._player is None:
            return None
        ys, xs = self._objects()[self._player]
        return np.minimum(ys[:, 0], self.height - 1), xs[:, 0].copy()

    def render(self, cell_px: int = 24) -> np.ndarray:
        """RGB frames of all games at ``cell_px`` pixels per cell, uint8 ``(N, H * cell_px, W * cell_px, 3)``."""
        return render_frames(self._objects(), self.num_games, self.height, self.width, cell_px, self.KINDS)

    def render_centred(self, cell_px: int = 24) -> np.ndarray:
        """RGB frames of the view the network sees (``view="ego"``: centred on the player, walls beyond the map)
        at ``cell_px`` pixels per cell, uint8 ``(N, side * cell_px, side * cell_px, 3)``, side = 2 * radius + 1."""
        if self.view_radius is None:
            raise ValueError(f"{type(self).__name__} was made with view='map': its view is the map (render())")
        ys, xs = self.player_cells()  # type: ignore[misc]
        return centre(self.render(cell_px), "pixels", ys, xs, self.view_radius, cell_px)

    def render_minimap(self, cell_px: int = 24) -> np.ndarray | None:
        """RGB frames of the minimap the network sees beside its crop (``minimap=k``), at ``cell_px`` pixels per
        minimap cell, uint8 ``(N, side * cell_px, side * cell_px, 3)``; None for a game made without one."""
        if self.minimap is None:
            return None
        assert self.view_radius is not None
        ys, xs = self.player_cells()  # type: ignore[misc]
        cells = minimap_view.MinimapCells(self.num_games, self.height, self.width, len(self.KINDS), self.view_radius,
                                          self.minimap)  # fmt: skip
        return minimap_view.MinimapPainter("pixels", self.KINDS, cell_px)(cells(self._objects(), ys, xs))

    def vector_layout(self) -> list[str]:
        """Names of the entries of a "vector" observation."""
        return vector_layout(self.KINDS, self.slot_counts, self.EXTRA_FEATURES)

    def entity_layout(self) -> list[str]:
        """Names of the entries of an "entities" observation (games with a player)."""
        assert self._player is not None
        return entity_layout(self.KINDS, self.slot_counts, self._player, self.EXTRA_FEATURES)

    def check_actions(self, actions: np.ndarray) -> np.ndarray:
        """Return ``actions`` as an int64 array ``(N, ...)``, or raise ValueError naming the expected space."""
        space = self.single_action_space
        shape = (self.num_games, *space.shape)
        arr = np.asarray(actions)
        if arr.shape != shape or arr.dtype.kind not in "iu":
            raise ValueError(
                f"invalid actions: expected integers of shape {shape} (a batch of {one_line(space, None)}), "
                f"got {arr.dtype} array of shape {arr.shape}"
            )
        high = space.nvec if isinstance(space, gym.spaces.MultiDiscrete) else space.n
        if (arr < 0).any() or (arr >= high).any():
            raise ValueError(
                f"invalid actions: each must lie in {one_line(space, None)}, got values {arr.min()}..{arr.max()}"
            )
        return arr.astype(np.int64, copy=False)

    # --------------------------------------------------------------------------------- for subclasses
    def free_cells_pick(self, idx: np.ndarray, occupied: np.ndarray) -> np.ndarray:
        """One random free cell per game of ``idx`` (``occupied``: bool ``(len(idx), H*W)``); flat index.

        Draws exactly ``H * W`` numbers from each game's stream, whatever is occupied, so the streams stay
        aligned between batched and single games. A game with no free cell gets its first cell.
        """
        keys = self.rng.uniform(idx, self.height * self.width)
        keys[occupied] = -1.0
        return keys.argmax(axis=1)

    def occupancy(self, idx: np.ndarray, objects: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """Bool ``(len(idx), H*W)``: cells of games ``idx`` holding any of ``objects`` (``(ys, xs)`` pairs)."""
        occ = np.zeros((len(idx), (self.height + 1) * self.width), dtype=bool)
        rows = np.arange(len(idx))[:, None]
        for ys, xs in objects:
            occ[rows, ys[idx] * self.width + xs[idx]] = True
        return occ[:, : self.height * self.width]
