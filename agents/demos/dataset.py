"""Demonstrations as a run trains on them: every file of a directory (or one file), for the run's game, settings
and observation mode, with the discounted return of every step (the value head's target).

:func:`check_demos` checks the files against a run (resolve calls it, so a bad or mismatched file fails before a
run directory exists); :func:`load_dataset` reads them for cloning.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pixelarena import envs
from pixelarena.agents.demos.demo_file import (
    DemoFileError,
    DemoHeader,
    Demonstrations,
    game_settings,
    read_demos,
    read_header,
)
from pixelarena.envs import minimap as minimap_view
from pixelarena.envs.views import centre

SUFFIX = ".npz"


def demo_files(source: Path) -> list[Path]:
    """The demonstration files ``source`` names: itself when it is a file, else the ``.npz`` files in it, sorted."""
    source = Path(source)
    if source.is_file():
        return [source]
    if not source.is_dir():
        raise ValueError(f"--demos {source}: no such file or directory")
    files = sorted(path for path in source.iterdir() if path.suffix == SUFFIX and path.is_file())
    if not files:
        raise ValueError(f"--demos {source} holds no demonstration files (*{SUFFIX}); record some with pixelarena "
                         "demos or play.py --record-demos")  # fmt: skip
    return files


def _describe(settings: Mapping[str, Any]) -> str:
    return " ".join(f"{key}={value}" for key, value in settings.items()) or "the defaults"


def check_demos(
    source: Path, env: str, env_kwargs: Mapping[str, Any], obs: str | None, arrays: bool = False
) -> list[DemoHeader]:
    """The headers of ``source``'s files, each checked to be a recording of game ``env`` with the run's settings
    and observation mode (and with ``arrays``, every entry a run reads checked too: shapes, ranges, checksums);
    a one-line ValueError otherwise."""
    game = envs.find_game(env)
    if game is None:
        raise ValueError(f"--demos: demonstrations are recorded on pixelarena's games ({', '.join(envs.GAMES)}), "
                         f"not {env}")  # fmt: skip
    wanted = game_settings(game, env_kwargs)
    headers = []
    for path in demo_files(source):
        header = read_header(path)
        if header.env != env:
            raise ValueError(f"--demos: {path} was recorded on {header.env}, the run plays {env}")
        unknown = sorted(set(header.settings) - set(wanted))
        if unknown:  # no --env-kwargs can match a setting the game does not have
            raise ValueError(f"--demos: {path} was recorded with {', '.join(unknown)}, which {env} does not have "
                             f"(its settings: {', '.join(sorted(wanted)) or 'none'}))")  # fmt: skip
        if header.settings != wanted:
            differ = {key: header.settings.get(key) for key in set(wanted) | set(header.settings)
                      if header.settings.get(key) != wanted.get(key)}  # fmt: skip
            run = {key: wanted.get(key) for key in differ}
            raise ValueError(f"--demos: {path} was recorded with {_describe(differ)}, the run plays "
                             f"{_describe(run)} (give the run the same --env-kwargs)")  # fmt: skip
        if obs is not None and obs not in header.modes:
            raise ValueError(f"--demos: {path} holds no {obs!r} observations ({', '.join(header.modes)})")
        if arrays:
            _read(path, obs)
        headers.append(header)
    return headers


@dataclass
class DemoDataset:
    """The steps of one or more recordings, in one observation mode, episodes one after another."""

    files: list[Path]
    observations: np.ndarray
    actions: np.ndarray
    returns: np.ndarray
    """The discounted return from each step to its episode's end (float32); a cut-off episode counts only the
    rewards recorded (no estimate of what would have followed)."""
    episodes: np.ndarray
    """The index of each step's episode, 0, 1, ... over all files (int64)."""
    action_masks: np.ndarray | None

    def __len__(self) -> int:
        return len(self.actions)


def _read(path: Path, obs: str | None, also: tuple[str, ...] = ()) -> Demonstrations:
    try:
        return read_demos(path, modes=None if obs is None else [obs, *also])
    except DemoFileError as error:
        raise ValueError(f"--demos: {error}") from None


def _centred(recorded: dict[str, np.ndarray], game: envs.BatchedGame, obs: str) -> np.ndarray:
    """Map-frame observations in mode ``obs`` seen as ``game`` (made with ``view="ego"``) sees them, centred on the
    player's cell, which the packed vectors of the same steps hold (``<player>[0].x``, ``.y`` scaled to [0, 1]);
    with a minimap, the minimap of the recorded grids stacked on the crop (``envs.minimap``)."""
    layout = game.vector_layout()
    x, y = (recorded["vector"][:, layout.index(f"{game.PLAYER}[0].{axis}")] for axis in "xy")
    xs = np.rint(x * max(game.width - 1, 1)).astype(np.int64)
    ys = np.rint(y * max(game.height - 1, 1)).astype(np.int64)
    assert game.view_radius is not None
    crop = centre(recorded[obs], obs, ys, xs, game.view_radius, game.cell_px)
    if game.minimap is None:
        return crop
    painter = minimap_view.MinimapPainter(obs, game.KINDS, game.cell_px)
    pooled = minimap_view.minimap_from_grids(recorded["grid"], ys, xs, game.view_radius, game.minimap, painter)
    return minimap_view.stack(crop, pooled, obs)


def discounted_returns(rewards: np.ndarray, ends: np.ndarray, gamma: float) -> np.ndarray:
    """``G_t = r_t + gamma * G_{t+1}``, restarting after every step that ends an episode."""
    returns = np.zeros(len(rewards), dtype=np.float64)
    following = 0.0
    for t in range(len(rewards) - 1, -1, -1):
        following = float(rewards[t]) + (0.0 if ends[t] else gamma * following)
        returns[t] = following
    with np.errstate(over="ignore"):  # returns beyond float32 become inf, which cloning refuses in one line
        return returns.astype(np.float32)


def load_dataset(source: Path, env: str, env_kwargs: Mapping[str, Any], obs: str, gamma: float) -> DemoDataset:
    """Every recording ``source`` names, for game ``env`` with ``env_kwargs``, observed as ``obs``.

    Raises:
        ValueError: a file of another game or settings, without ``obs``, or failing the file's checks (one line).
    """
    check_demos(source, env, env_kwargs, obs)
    files = demo_files(source)
    run_game = envs.find_game(env)(1, obs=obs, **env_kwargs)
    if run_game.view_radius is None:
        parts = [_read(path, obs) for path in files]
    else:  # recorded on the map's frame: seen from the player, as the run sees
        # The player's cell is in the packed vector; a minimap is rebuilt from the recorded grids.
        also = ("vector", *(("grid",) if run_game.minimap is not None and obs != "grid" else ()))
        parts = [_read(path, obs, also=also) for path in files]
        for part in parts:
            part.observations[obs] = _centred(part.observations, run_game, obs)
    ends = np.concatenate([p.terminated | p.truncated for p in parts])
    rewards = np.concatenate([p.rewards for p in parts])
    masks = [p.action_masks for p in parts]
    return DemoDataset(
        files=files,
        observations=np.concatenate([p.observations[obs] for p in parts]),
        actions=np.concatenate([p.actions for p in parts]),
        returns=discounted_returns(rewards, ends, gamma),
        episodes=np.concatenate([[0], np.cumsum(ends[:-1])]).astype(np.int64),
        action_masks=None if masks[0] is None else np.concatenate(masks),  # type: ignore[arg-type]
    )
