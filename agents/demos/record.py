"""Recording play as demonstrations: the scripted policy (``pixelarena demos``) or a person in the viewer
(``play.py --env Chase --human --record-demos DIR``, and the steps a person plays in a takeover of a trained agent).

A :class:`DemoRecorder` sits between a player and a batched game: it observes the game in every observation mode
before each step, steps it, and keeps what happened. Steps it does not see (the agent's, in a takeover) and
restarts cut the episode being recorded: its last recorded step is marked truncated.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from pixelarena import envs
from pixelarena.agents.demos.demo_file import SOURCES, DemoHeader, Demonstrations, game_settings, write_demos


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pixelarena")
    except PackageNotFoundError:
        return "unknown"


class DemoRecorder:
    """Records the steps of ``game`` (N games side by side) that go through :meth:`step`.

    Args:
        game: The game being played (made with any observation mode: every mode it has is recorded).
        env: Its name (Chase, ...).
        settings: The keyword arguments it was made with (``obs`` aside); the defaults are filled in.
        source: Who plays: one of :data:`agents.demos.demo_file.SOURCES`.
        seeds: The first episode's seed of each game.
    """

    def __init__(
        self, game: envs.BatchedGame, env: str, settings: Mapping[str, Any], source: str, seeds: list[int]
    ) -> None:
        if source not in SOURCES:
            raise ValueError(f"source must be one of {', '.join(SOURCES)}, got {source!r}")
        self.game = game
        self.env, self.source, self.seeds = env, source, [int(s) for s in seeds]
        self.settings = game_settings(type(game), settings)
        self.modes = game.observation_modes
        self._obs: dict[str, list[np.ndarray]] = {mode: [] for mode in self.modes}
        self._masks: list[np.ndarray] = []
        self._actions: list[np.ndarray] = []
        self._rewards: list[np.ndarray] = []
        self._terminated: list[np.ndarray] = []
        self._truncated: list[np.ndarray] = []

    @property
    def steps(self) -> int:
        """Steps recorded so far, over all games."""
        return len(self._actions) * self.game.num_games

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Observe the games, step them with ``actions`` (N of them) and record it; returns ``game.step``'s
        reward, terminated and truncated. Resetting ended games is the caller's (as without a recorder)."""
        game = self.game
        actions = game.check_actions(np.asarray(actions)).copy()
        for mode in self.modes:
            self._obs[mode].append(game.observe_as(mode))
        if game.HAS_ACTION_MASKS:
            self._masks.append(game.action_masks().copy())
        reward, terminated, truncated = game.step(actions)
        self._actions.append(actions)
        self._rewards.append(reward.astype(np.float32))
        self._terminated.append(terminated.copy())
        self._truncated.append(truncated.copy())
        return reward, terminated, truncated

    def cut(self) -> None:
        """The episodes being recorded stop here (a restart, the agent playing on, the end of the recording):
        their last recorded step is marked truncated. Harmless when they have just ended."""
        if self._actions:
            self._truncated[-1] |= ~(self._terminated[-1] | self._truncated[-1])

    def demonstrations(self, limit: int | None = None) -> Demonstrations | None:
        """What was recorded (None when nothing was), game after game so that each game's episodes lie one
        after another; ``limit`` keeps only the first that many steps (the last one then ends its episode)."""
        if not self._actions:
            return None
        self.cut()

        def by_game(rows: list[np.ndarray]) -> np.ndarray:
            stacked = np.stack(rows)  # (T, N, ...)
            flat = stacked.swapaxes(0, 1).reshape(-1, *stacked.shape[2:])
            return flat[:limit] if limit is not None else flat

        terminated, truncated = by_game(self._terminated), by_game(self._truncated)
        truncated[-1] |= ~terminated[-1]  # a limit may fall inside an episode: it is cut off there
        steps = len(terminated)
        header = DemoHeader(
            env=self.env,
            settings=self.settings,
            modes=self.modes,
            steps=steps,
            episodes=int((terminated | truncated).sum()),
            games=self.game.num_games,
            seeds=tuple(self.seeds),
            source=self.source,
            recorded=datetime.datetime.now().isoformat(timespec="seconds"),
            pixelarena=_version(),
        )
        return Demonstrations(
            header=header,
            observations={mode: by_game(rows) for mode, rows in self._obs.items()},
            actions=by_game(self._actions),
            rewards=by_game(self._rewards),
            terminated=terminated,
            truncated=truncated,
            action_masks=by_game(self._masks) if self._masks else None,
        )

    def save(self, path: Path, limit: int | None = None) -> Demonstrations | None:
        """Write what was recorded to ``path`` (atomically); None, and no file, when nothing was recorded."""
        demos = self.demonstrations(limit)
        if demos is not None:
            write_demos(path, demos)
        return demos


def demo_file_name(env: str, source: str, seed: int, steps: int | None = None) -> str:
    """``chase-scripted-50000-s1000.npz`` (the same command names the same file), or for a person's session
    ``chase-human-s7-20261203-142501.npz`` (each session a file of its own)."""
    if steps is not None:
        return f"{env.lower()}-{source}-{steps}-s{seed}.npz"
    return f"{env.lower()}-{source}-s{seed}-{datetime.datetime.now():%Y%m%d-%H%M%S}.npz"


def record_scripted(
    env: str, steps: int, seed: int, n_games: int, out_dir: Path, settings: Mapping[str, Any] | None = None
) -> tuple[Path, Demonstrations]:
    """Record ``steps`` steps of the game's scripted policy on ``n_games`` games side by side (seeded ``seed``,
    ``seed + 1``, ...; an ended game starts its next episode at once) into a new file in ``out_dir``.

    Raises:
        ValueError: a game without a scripted policy, bad settings, or a file of that name already there.
    """
    from tqdm import tqdm

    game_class = envs.find_game(env)
    settings = dict(settings or {})
    path = Path(out_dir) / demo_file_name(env, "scripted", seed, steps)
    if path.exists():
        raise ValueError(f"{path} already exists (the same recording); choose another directory or --seed")
    if Path(out_dir).exists() and not Path(out_dir).is_dir():
        raise ValueError(f"{out_dir} is a file, not a directory of demonstrations")
    n_games = min(n_games, steps)
    game = game_class(n_games, **settings)
    game.reset(seeds=np.uint64(seed) + np.arange(n_games, dtype=np.uint64))
    recorder = DemoRecorder(game, env, settings, "scripted", [seed + i for i in range(n_games)])
    rounds = math.ceil(steps / n_games)
    with tqdm(total=rounds * n_games, desc="recording", unit="step", unit_scale=True, mininterval=0.5) as bar:
        for _ in range(rounds):
            _, terminated, truncated = recorder.step(game.expert_actions())
            ended = np.flatnonzero(terminated | truncated)
            if len(ended):
                game.reset(ended)
            bar.update(n_games)
    demos = recorder.save(path, limit=steps)
    assert demos is not None
    return path, demos


class SessionRecorder:
    """A person's play of one game recorded into a file of its own in ``out_dir``: saved after every episode that
    ends and when the session closes, so that a crash loses at most the episode being played.

    The game is bound at the first step (the player makes it). This is what ``play_human`` and the viewer's
    game session take as their recorder: :meth:`step`, :meth:`cut` and :meth:`close`.

    Args:
        out_dir: The directory of demonstrations (made when the first file is written).
        env: The game's name.
        settings: The game's keyword arguments (``obs`` aside).
        source: ``human`` (playing alone) or ``takeover`` (taking over from a trained agent).
        seed: The first episode's seed.
    """

    def __init__(self, out_dir: Path, env: str, settings: Mapping[str, Any], source: str, seed: int) -> None:
        out_dir = Path(out_dir)
        if out_dir.exists() and not out_dir.is_dir():
            raise ValueError(f"--record-demos {out_dir} is a file, not a directory")
        self.path = out_dir / demo_file_name(env, source, seed)
        self.env, self.settings, self.source, self.seed = env, dict(settings), source, seed
        self.recorder: DemoRecorder | None = None
        self._closed = False

    def step(self, game: envs.BatchedGame, action: np.ndarray | int) -> tuple[float, bool, bool]:
        """Step game 0 with ``action``, recording it; returns its reward, terminated and truncated."""
        if self.recorder is None:
            self.recorder = DemoRecorder(game, self.env, self.settings, self.source, [self.seed])
        reward, terminated, truncated = self.recorder.step(np.asarray(action, dtype=np.int64)[None])
        if terminated[0] or truncated[0]:
            self.recorder.save(self.path)
        return float(reward[0]), bool(terminated[0]), bool(truncated[0])

    def cut(self) -> None:
        """The episode being recorded stops here (a restart, or the agent playing on)."""
        if self.recorder is not None:
            self.recorder.cut()

    def close(self) -> Path | None:
        """Save what was recorded; returns the file, or None (and says so) when nothing was."""
        if self._closed:  # the window and the session may both close it
            return self.path if self.recorder is not None else None
        self._closed = True
        demos = self.recorder.save(self.path) if self.recorder is not None else None
        if demos is None:
            print("No steps were recorded: no demonstration file written.")
            return None
        print(f"Recorded {demos.header.steps:,} steps ({demos.header.episodes} episodes) in {self.path}")
        return self.path
