"""The demonstration file: one recording of play, in every observation mode its game has.

A ``.npz`` archive (numpy's zip of ``.npy`` arrays, compressed), read with ``allow_pickle=False`` so that loading
never runs code from the file. Entries, for a recording of T steps:

    header            uint8 (bytes,)     UTF-8 JSON: format, version, env, settings, modes, counts, seeds, source,
                                         date, pixelarena's version, and the SHA-256 of every other entry
    obs_<mode>        (T, *shape)        the observation before each action, for every mode in ``modes``
                                         (pixels uint8 H x W x 3, grid uint8 K x H x W, vector / entities float32)
    actions           int64 (T, ...)     the action played (an int, or one per cell for per-cell games)
    rewards           float32 (T,)       the reward it earned
    terminated        bool (T,)          the game ended (caught, crashed)
    truncated         bool (T,)          the episode was cut off: the time limit, a person restarting or handing
                                         control back to the agent, or the end of the recording
    action_masks      bool (T, M)        games with action masks only: the valid actions, flattened as MaskablePPO
                                         reads them

Episodes lie one after another: a new one starts after every step that is terminated or truncated, and the last
step of a file always ends one. Every check on load fails with one line naming the file and what is wrong.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
import pickle
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from pixelarena import envs
from pixelarena.agents.checks import check_keys, checked_fields
from pixelarena.agents.run.run_dir import replace_atomically

FORMAT = "pixelarena-demos"
VERSION = 1
SOURCES = ("scripted", "human", "takeover")
"""Who played: the game's scripted policy, a person playing alone, a person taking over from a trained agent."""
HEADER = "header"
STEP_ARRAYS = ("actions", "rewards", "terminated", "truncated")
MASKS = "action_masks"
OBS_PREFIX = "obs_"


class DemoFileError(ValueError):
    """A demonstration file that cannot be used: not one, damaged, changed after recording, or inconsistent."""


NOT_SETTINGS = ("num_games", "obs", "view", "view_radius", "minimap")
"""Keyword arguments of a game that say how it is observed, not what is played: a recording holds every observation
mode on the map's frame, and serves every view (:func:`agents.demos.dataset.load_dataset` centres it)."""


def game_settings(game: type[envs.BatchedGame], kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Every setting of ``game`` (its keyword arguments but :data:`NOT_SETTINGS`), the defaults filled in, so that
    two recordings, or a recording and a run, compare as equal exactly when they play the same game."""
    settings: dict[str, Any] = {}
    for klass in game.__mro__:
        if "__init__" not in vars(klass):
            continue
        params = list(inspect.signature(klass.__init__).parameters.values())[1:]
        for param in params:
            if param.default is not param.empty and param.name not in NOT_SETTINGS:
                settings.setdefault(param.name, param.default)
        if not any(param.kind == inspect.Parameter.VAR_KEYWORD for param in params):
            break
    given = {key: value for key, value in kwargs.items() if key not in NOT_SETTINGS}
    check_keys("game settings", game.__name__, given, list(settings))
    settings.update(given)
    if settings.get("max_steps") is None:  # None means the game's own limit: name it, so 200 and None compare equal
        settings["max_steps"] = game.DEFAULT_MAX_STEPS
    return settings


@dataclass(frozen=True)
class DemoHeader:
    """What a demonstration file says about itself (its JSON header, without format, version and digests)."""

    env: str
    """The game's name (a name of ``envs.GAMES``)."""
    settings: dict[str, Any]
    """Every game setting (:func:`game_settings`): size, object counts, cell_px, max_steps, ..."""
    modes: tuple[str, ...]
    """The observation modes recorded."""
    steps: int
    episodes: int
    """Episodes in the file, the cut-off ones included (each ends with terminated or truncated)."""
    games: int
    """Games played side by side while recording (their steps are stored one game after another)."""
    seeds: tuple[int, ...]
    """The first episode's seed of each game; later episodes continue each game's random stream."""
    source: str
    """Who played: one of :data:`SOURCES`."""
    recorded: str
    """When, as an ISO date and time."""
    pixelarena: str
    """The version of pixelarena that recorded it."""

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data.update(modes=list(self.modes), seeds=list(self.seeds))
        return data

    @classmethod
    def from_json(cls, data: Any, where: str) -> DemoHeader:
        """A header read from a file, every field checked (a file from elsewhere is data only)."""
        try:
            fields = checked_fields(cls, data, f"{where} header")
        except ValueError as error:
            raise DemoFileError(str(error)) from None
        seeds = fields["seeds"]
        if not isinstance(seeds, list) or not all(type(s) is int and 0 <= s < 2**64 for s in seeds):
            raise DemoFileError(f"{where}: header seeds must be a list of non-negative integers")
        if not all(isinstance(mode, str) for mode in fields["modes"]):
            raise DemoFileError(f"{where}: header modes must be names of observation modes")
        header = cls(**{**fields, "modes": tuple(fields["modes"]), "seeds": tuple(seeds)})
        if header.source not in SOURCES:
            raise DemoFileError(f"{where}: source {header.source!r} is not one of {', '.join(SOURCES)}")
        if envs.find_game(header.env) is None:
            raise DemoFileError(f"{where}: env {header.env!r} is not a pixelarena game ({', '.join(envs.GAMES)})")
        if min(header.steps, header.episodes, header.games) < 1 or len(header.seeds) != header.games:
            raise DemoFileError(f"{where}: header counts are inconsistent (steps, episodes and games must be positive, "
                                "one seed per game)")  # fmt: skip
        return header


@dataclass
class Demonstrations:
    """A recording, loaded: the header and the arrays of :mod:`agents.demos.demo_file`'s docstring (only the
    observation modes asked for)."""

    header: DemoHeader
    observations: dict[str, np.ndarray]
    actions: np.ndarray
    rewards: np.ndarray
    terminated: np.ndarray
    truncated: np.ndarray
    action_masks: np.ndarray | None = None

    def arrays(self) -> dict[str, np.ndarray]:
        """Every entry but the header, by its name in the file."""
        arrays = {f"{OBS_PREFIX}{mode}": obs for mode, obs in self.observations.items()}
        arrays.update(actions=self.actions, rewards=self.rewards, terminated=self.terminated, truncated=self.truncated)
        if self.action_masks is not None:
            arrays[MASKS] = self.action_masks
        return arrays


def _digest(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).data).hexdigest()


def write_demos(path: Path, demos: Demonstrations) -> Path:
    """Write ``demos`` to ``path`` (a temporary file renamed into place: never half a file).

    Raises:
        ValueError: an entry that is not an array of numbers or booleans (nothing is written).
        RunWriteError: the disk refused; ``path`` keeps what it held.
    """
    arrays = demos.arrays()
    for name, array in arrays.items():
        if not isinstance(array, np.ndarray) or array.dtype.kind not in "biuf":
            raise ValueError(f"demonstrations: {name} must be an array of numbers or booleans")
    header = {"format": FORMAT, "version": VERSION, **demos.header.to_json(),
              "digests": {name: _digest(array) for name, array in arrays.items()}}  # fmt: skip
    arrays[HEADER] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as handle:  # a file object: given a name, numpy would append ".npz" to it
            np.savez_compressed(handle, allow_pickle=False, **arrays)

    return replace_atomically(Path(path), write)


# What np.load and reading an entry raise on a file that is not a good .npz (pickled data included).
_READ_ERRORS = (OSError, ValueError, EOFError, zipfile.BadZipFile, pickle.UnpicklingError, KeyError)


class _Archive:
    """An open ``.npz`` whose entries are read one at a time, each failure turned into one line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.is_file():
            raise DemoFileError(f"{path}: no such demonstration file")
        try:
            self.npz = np.load(path, allow_pickle=False)
        except _READ_ERRORS as error:
            raise DemoFileError(f"{path} is not a demonstration file (a .npz archive): {_reason(error)}") from None
        if not isinstance(self.npz, np.lib.npyio.NpzFile):
            raise DemoFileError(f"{path} is not a demonstration file: it holds one array, not a .npz archive")

    def __enter__(self) -> _Archive:
        return self

    def __exit__(self, *_: object) -> None:
        self.npz.close()

    @property
    def names(self) -> set[str]:
        return set(self.npz.files)

    def read(self, name: str) -> np.ndarray:
        try:
            return self.npz[name]
        except _READ_ERRORS as error:
            raise DemoFileError(f"{self.path}: entry {name} cannot be read: {_reason(error)}") from None


def _reason(error: BaseException) -> str:
    return " ".join(str(error).split())[:120] or type(error).__name__


def _read_header(archive: _Archive) -> tuple[DemoHeader, dict[str, str]]:
    path = archive.path
    if HEADER not in archive.names:
        raise DemoFileError(f"{path} is not a pixelarena demonstration file: it has no {HEADER} entry")
    raw = archive.read(HEADER)
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise DemoFileError(f"{path}: the {HEADER} entry must be UTF-8 JSON bytes (uint8), got {raw.dtype} {raw.shape}")
    try:
        data = json.loads(raw.tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DemoFileError(f"{path}: the header is not valid JSON: {_reason(error)}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise DemoFileError(f"{path} is not a pixelarena demonstration file (header format is not {FORMAT!r})")
    if data.get("version") != VERSION:
        raise DemoFileError(f"{path}: demonstration format version {data.get('version')!r}; this pixelarena reads "
                            f"version {VERSION} (a newer pixelarena wrote it?)")  # fmt: skip
    digests = data.pop("digests", None)
    if not isinstance(digests, dict) or not all(isinstance(v, str) for v in digests.values()):
        raise DemoFileError(f"{path}: the header lacks the digests of its entries")
    del data["format"], data["version"]
    return DemoHeader.from_json(data, str(path)), digests


def read_header(path: Path) -> DemoHeader:
    """A file's header alone (quick: no arrays are read), checked."""
    with _Archive(Path(path)) as archive:
        return _read_header(archive)[0]


class _Spec:
    """What the arrays of a recording of ``header`` must look like, from one game built with its settings."""

    def __init__(self, header: DemoHeader, path: Path) -> None:
        game_class = envs.find_game(header.env)
        try:
            games = {mode: game_class(1, obs=mode, **header.settings) for mode in header.modes}
        except (ValueError, TypeError) as error:
            raise DemoFileError(f"{path}: its settings do not build {header.env}: {_reason(error)}") from None
        if not games or set(header.modes) - set(next(iter(games.values())).observation_modes):
            raise DemoFileError(f"{path}: modes {list(header.modes)} are not observation modes of {header.env}")
        game = next(iter(games.values()))
        self.spaces = {mode: g.single_observation_space for mode, g in games.items()}
        self.action_space = game.single_action_space
        self.masked = game.HAS_ACTION_MASKS
        if self.masked:
            game.reset(seeds=np.zeros(1, dtype=np.uint64))
            self.mask_size = game.action_masks().shape[1]


def read_demos(path: Path, modes: Iterable[str] | None = None) -> Demonstrations:
    """A demonstration file with the observations of ``modes`` (default: all it has), every entry checked: its
    shape, type and range against the game its header names, episodes that end, and its SHA-256 against the
    header's (a file changed after it was recorded is refused).

    Raises:
        DemoFileError: one line naming the file and what is wrong.
    """
    path = Path(path)
    with _Archive(path) as archive:
        header, digests = _read_header(archive)
        wanted = header.modes if modes is None else tuple(modes)
        for mode in wanted:
            if mode not in header.modes:
                raise DemoFileError(f"{path} was recorded without {mode!r} observations (it has "
                                    f"{', '.join(header.modes)})")  # fmt: skip
        expected = {f"{OBS_PREFIX}{mode}" for mode in header.modes} | {*STEP_ARRAYS, HEADER}
        spec = _Spec(header, path)
        if spec.masked:
            expected.add(MASKS)
        if archive.names != expected:
            extra, missing = sorted(archive.names - expected), sorted(expected - archive.names)
            raise DemoFileError(f"{path}: entries do not match its header (unexpected {extra}, missing {missing})")
        if set(digests) != expected - {HEADER}:
            raise DemoFileError(f"{path}: the header's digests do not name its entries")

        def entry(name: str) -> np.ndarray:
            array = archive.read(name)
            if _digest(array) != digests[name]:
                raise DemoFileError(f"{path}: entry {name} does not match the SHA-256 in the header (the file was "
                                    "changed after it was recorded)")  # fmt: skip
            return array

        demos = Demonstrations(
            header=header,
            observations={mode: entry(f"{OBS_PREFIX}{mode}") for mode in wanted},
            actions=entry("actions"),
            rewards=entry("rewards"),
            terminated=entry("terminated"),
            truncated=entry("truncated"),
            action_masks=entry(MASKS) if spec.masked else None,
        )
    _check_arrays(demos, spec, path)
    return demos


def _check_arrays(demos: Demonstrations, spec: _Spec, path: Path) -> None:
    steps = demos.header.steps

    def expect(name: str, array: np.ndarray, shape: tuple[int, ...], dtype: np.dtype | type) -> None:
        if array.shape != shape or array.dtype != np.dtype(dtype):
            raise DemoFileError(f"{path}: {name} must be {np.dtype(dtype)} of shape {shape} for {steps} steps, got "
                                f"{array.dtype} of shape {array.shape}")  # fmt: skip

    for mode, obs in demos.observations.items():
        space = spec.spaces[mode]
        expect(f"{OBS_PREFIX}{mode}", obs, (steps, *space.shape), space.dtype)
        if obs.dtype != np.uint8 and not np.all((obs >= space.low) & (obs <= space.high)):
            raise DemoFileError(f"{path}: {OBS_PREFIX}{mode} has values outside {space.low.min()}..{space.high.max()}")
        if mode == "grid" and obs.max(initial=0) > 1:
            raise DemoFileError(f"{path}: {OBS_PREFIX}grid must hold 0 and 1 only")
    space = spec.action_space
    expect("actions", demos.actions, (steps, *space.shape), np.int64)
    high = np.asarray(space.nvec if isinstance(space, gym.spaces.MultiDiscrete) else space.n)
    if demos.actions.size and ((demos.actions < 0).any() or (demos.actions >= high).any()):
        raise DemoFileError(f"{path}: actions outside the action space {space}")
    expect("rewards", demos.rewards, (steps,), np.float32)
    if not np.isfinite(demos.rewards).all():
        raise DemoFileError(f"{path}: rewards must be finite")
    expect("terminated", demos.terminated, (steps,), np.bool_)
    expect("truncated", demos.truncated, (steps,), np.bool_)
    ends = demos.terminated | demos.truncated
    if (demos.terminated & demos.truncated).any() or not ends[-1]:
        raise DemoFileError(f"{path}: episode ends are inconsistent (a step both terminated and truncated, or a last "
                            "step that ends no episode)")  # fmt: skip
    if int(ends.sum()) != demos.header.episodes:
        raise DemoFileError(f"{path}: the header counts {demos.header.episodes} episodes, the steps end {ends.sum()}")
    if demos.action_masks is not None:
        expect(MASKS, demos.action_masks, (steps, spec.mask_size), np.bool_)
        if not allowed(demos.actions, demos.action_masks, space).all():
            raise DemoFileError(f"{path}: actions that their action masks forbid")


def allowed(actions: np.ndarray, masks: np.ndarray, space: gym.Space) -> np.ndarray:
    """Whether each action is one its mask allows: bool ``(T,)`` for Discrete, ``(T, n)`` for MultiDiscrete (masks
    flattened as MaskablePPO reads them: each entry's choices one after another)."""
    if isinstance(space, gym.spaces.MultiDiscrete):
        nvec = np.asarray(space.nvec).reshape(-1)
        offsets = np.concatenate([[0], np.cumsum(nvec)[:-1]])
        index = offsets + actions.reshape(len(actions), -1)
    else:
        index = actions.reshape(len(actions), 1)
    return np.take_along_axis(masks, index, axis=1).reshape(actions.shape)
