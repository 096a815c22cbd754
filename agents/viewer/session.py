"""The game the viewer shows, one episode after another: a built-in pixelarena game or any external env.

Both kinds give the viewer the same things: the observation the policy reads, its action masks, an RGB frame to
show, a step that says when an episode ended, and the actions a person's keys and clicks stand for.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from gymnasium import spaces

from pixelarena.agents.environments.env_spec import EnvSpec
from pixelarena.agents.environments.external import ATARI_PREFIX
from pixelarena.agents.run.config import RunConfig

if TYPE_CHECKING:
    from pixelarena.agents.demos.record import SessionRecorder

VIEW_CELLS = 12
"""External frames are enlarged (by a whole factor) to at least ``scale * VIEW_CELLS`` pixels on their long side,
the size a default 12x12 built-in game is shown at."""


class GameSession(ABC):
    """One game played episode after episode, with the counters the side panel shows.

    Attributes:
        episode: The episode being played (1 for the first).
        step: Steps taken in this episode.
        episode_return: Reward summed over this episode so far.
        returns: Returns of the finished episodes.
        done: The episode has ended; the next :meth:`advance` starts a new one.
        human_keys: Key names the game reads during human takeover.
        human_fps: None when the game waits for the person's every input; else its steps per second.
        title: What is being played, for the window and panel.
    """

    human_keys: frozenset[str] = frozenset()
    human_fps: int | None = None
    title: str = ""
    recording: bool = False
    """The steps played now are a person's (the viewer sets it in human takeover): a recorder records them."""

    def __init__(self) -> None:
        self.episode = 1
        self.step = 0
        self.episode_return = 0.0
        self.returns: list[float] = []
        self.done = False

    # ------------------------------------------------------------------------------------------ for the viewer
    def advance(self, action: int | np.ndarray) -> bool:
        """Play ``action`` (or, after an episode ended, start the next one instead). True when an episode ends."""
        if self.done:
            self.new_episode()
            return False
        reward, ended, episode_return = self._step(action)
        self.step += 1
        self.episode_return += reward
        if ended:
            self.returns.append(self.episode_return if episode_return is None else episode_return)
            self.done = True
        return ended

    def new_episode(self) -> None:
        """Abandon the episode being played (if any) and start the next one."""
        if not self.done:
            self._reset()
        self.episode += 1
        self.step = 0
        self.episode_return = 0.0
        self.done = False

    def close(self) -> None:  # noqa: B027 - most sessions hold nothing to release
        """Release the env."""

    # ----------------------------------------------------------------------------------------------- hooks
    @property
    @abstractmethod
    def grid(self) -> tuple[int, int] | None:
        """``(rows, cols)`` of the game's cells when it has a grid the frame shows, else None."""

    frame_shows_observation: bool = True
    """Whether :meth:`frame` shows what the observation shows (so maps over its pixels, saliency, can be drawn
    over it); False for an env declaring ``metadata["observation_view"] = "agent"`` (MiniGrid's 7 x 7 view)."""

    @abstractmethod
    def observation(self) -> np.ndarray:
        """The observation the policy reads, a batch of one."""

    def network_view(self, height: int) -> np.ndarray | None:
        """What the network sees, drawn about ``height`` pixels high, when that is not :meth:`frame` (a view
        centred on the player, ``view="ego"``): overlays over the observation are drawn on it. None otherwise."""
        return None

    def network_minimap(self, height: int) -> np.ndarray | None:
        """The minimap the network sees beside its crop (``minimap=k``), drawn about ``height`` pixels high; None
        without one."""
        return None

    @abstractmethod
    def action_masks(self) -> np.ndarray | None:
        """The action masks for :meth:`observation` (batch of one), or None without masks."""

    @abstractmethod
    def frame(self) -> np.ndarray:
        """The game as an ``(H, W, 3)`` uint8 image at display size."""

    @abstractmethod
    def action_names(self) -> tuple[str, ...] | None:
        """Names of Discrete actions, or None."""

    @abstractmethod
    def human_action(self, key: str | None, cell: tuple[int, int] | None) -> int | np.ndarray | None:
        """The action for a key (by pygame name) or a clicked cell; with neither, the idle action of a real-time
        game; None to wait."""

    @abstractmethod
    def _step(self, action: int | np.ndarray) -> tuple[float, bool, float | None]:
        """Step; return the reward, whether the episode ended and, when the env knows it, the episode's return."""

    @abstractmethod
    def _reset(self) -> None:
        """Start a new episode in the env."""


class BuiltinSession(GameSession):
    """A pixelarena game, drawn by its own numpy renderer at ``scale`` pixels per cell.

    Args:
        spec: The game with its settings and observation mode.
        seed: Seed of the first episode (later ones continue its random stream, as evaluation does).
        scale: Screen pixels per cell.
    """

    def __init__(self, spec: EnvSpec, seed: int, scale: int) -> None:
        super().__init__()
        self.game = spec.make_game(1)
        self.game.reset(seeds=np.array([seed], dtype=np.uint64))
        self.scale = scale
        self.human_keys = frozenset(self.game.HUMAN_KEYS)
        self.human_fps = self.game.HUMAN_FPS
        self.title = spec.name
        self.recorder: SessionRecorder | None = None
        """Records the person's steps (``--record-demos``); the agent's steps and resets cut its episode."""

    @property
    def grid(self) -> tuple[int, int]:
        return self.game.height, self.game.width

    def observation(self) -> np.ndarray:
        return self.game.observe()

    def action_masks(self) -> np.ndarray | None:
        return self.game.action_masks() if self.game.HAS_ACTION_MASKS else None

    def frame(self) -> np.ndarray:
        return self.game.render(self.scale)[0]

    def network_view(self, height: int) -> np.ndarray | None:
        if self.game.view_radius is None:
            return None
        return self.game.render_centred(max(2, height // (2 * self.game.view_radius + 1)))[0]

    def network_minimap(self, height: int) -> np.ndarray | None:
        if self.game.minimap is None:
            return None
        return self.game.render_minimap(max(2, height // (2 * self.game.view_radius + 1)))[0]  # type: ignore[index,operator]

    def action_names(self) -> tuple[str, ...] | None:
        return self.game.action_names()

    def human_action(self, key: str | None, cell: tuple[int, int] | None) -> int | np.ndarray | None:
        key_action = None if key is None else self.game.HUMAN_KEYS.get(key)
        if key is not None and key_action is None:
            return None
        return self.game.human_action(key_action, cell)

    def _step(self, action: int | np.ndarray) -> tuple[float, bool, float | None]:
        if self.recorder is not None and self.recording:
            reward, terminated, truncated = self.recorder.step(self.game, action)
            return reward, terminated or truncated, None
        if self.recorder is not None:
            self.recorder.cut()
        rewards, terminateds, truncateds = self.game.step(np.asarray(action, dtype=np.int64)[None])
        return float(rewards[0]), bool(terminateds[0] or truncateds[0]), None

    def new_episode(self) -> None:
        if self.done:  # unlike an SB3 vector env, a batched game does not start its next episode by itself
            self._reset()
        super().new_episode()

    def _reset(self) -> None:
        if self.recorder is not None:
            self.recorder.cut()
        self.game.reset(np.array([0]))

    def close(self) -> None:
        if self.recorder is not None:
            self.recorder.close()


class ExternalSession(GameSession):
    """Any env pixelarena trains on (Gymnasium id, ``module:Class``, Atari), built as training built it.

    Frames come from the env's ``render()`` when it renders ``rgb_array`` images, else from the observation
    (channels shown as colours, the last of a frame stack as grey), enlarged to a visible size.

    Args:
        spec: The env with its settings.
        seed: Seed of the first episode.
        scale: With :data:`VIEW_CELLS`, the size frames are enlarged to.
    """

    def __init__(self, spec: EnvSpec, seed: int, scale: int) -> None:
        super().__init__()
        spec = dataclasses.replace(spec, vec_env="dummy")  # one env watched, in this process (its frames are read)
        try:  # the frames a person expects to see are render()'s, when the env takes a render mode
            self.vec = spec.with_kwargs({"render_mode": "rgb_array"}).make_vec_env(1, seed)
        except (ValueError, TypeError):
            self.vec = spec.make_vec_env(1, seed)
        self._renders = getattr(self.vec, "render_mode", None) == "rgb_array"
        self.frame_shows_observation = self.vec.metadata.get("observation_view") != "agent" or not self._renders
        self._obs = self.vec.reset()
        self._atari = spec.name.startswith(ATARI_PREFIX)
        self.min_side = scale * VIEW_CELLS
        self.title = spec.name
        space = self.vec.action_space
        if isinstance(space, spaces.Discrete) and space.n <= 10:
            self.human_keys = frozenset(str(i) for i in range(space.n))
        self._names = self._action_meanings()

    def _action_meanings(self) -> tuple[str, ...] | None:
        """Atari's (and any env's) ``get_action_meanings()``: "NOOP", "FIRE", ...; None when it has none."""
        try:
            return tuple(str(name) for name in self.vec.env_method("get_action_meanings", indices=[0])[0])
        except (AttributeError, TypeError):
            return None

    @property
    def grid(self) -> tuple[int, int] | None:
        return None

    def observation(self) -> np.ndarray:
        return self._obs

    def action_masks(self) -> np.ndarray | None:
        from sb3_contrib.common.maskable.utils import get_action_masks, is_masking_supported

        return get_action_masks(self.vec) if is_masking_supported(self.vec) else None

    def frame(self) -> np.ndarray:
        image = self.vec.get_images()[0] if self._renders else None
        if image is None or np.ndim(image) != 3 or np.shape(image)[2] != 3:
            image = observation_image(_first_image(self._obs, self.vec.observation_space)[0])
        return enlarge(np.asarray(image, dtype=np.uint8), self.min_side)

    def action_names(self) -> tuple[str, ...] | None:
        return self._names

    def human_action(self, key: str | None, cell: tuple[int, int] | None) -> int | np.ndarray | None:
        return int(key) if key is not None and key in self.human_keys else None

    def _step(self, action: int | np.ndarray) -> tuple[float, bool, float | None]:
        self._obs, reward, done, infos = self.vec.step(np.asarray(action)[None])
        info = infos[0]
        # Atari ends an SB3 "episode" at each lost life; Monitor's info["episode"] marks the real end.
        ended = bool(done[0]) and ("episode" in info or not self._atari)
        episode_return = float(info["episode"]["r"]) if ended and "episode" in info else None
        return float(reward[0]), ended, episode_return

    def _reset(self) -> None:
        self._obs = self.vec.reset()

    def close(self) -> None:
        self.vec.close()


def _first_image(obs: np.ndarray | dict[str, np.ndarray], space: spaces.Space) -> np.ndarray:
    """A batch of observations, or of a Dict's first image entry (what the policy's heads are laid out on)."""
    if not isinstance(space, spaces.Dict):
        return obs
    from pixelarena.nets.dict_encoder import first_image_key

    return obs[first_image_key(space)]


def observation_image(obs: np.ndarray) -> np.ndarray:
    """An RGB uint8 picture of one observation: an image as it is (3 channels), 1 or 2 channels as colours, a
    stack of more than 3 as its last channel in grey, a vector as a strip of grey cells."""
    obs = np.asarray(obs)
    values = obs.astype(np.float32)
    high = float(values.max(initial=0.0))
    if obs.dtype == np.uint8 and high > 1:
        values = values / 255.0
    elif high > 0:
        values = values / max(high, 1.0)
    if values.ndim == 1:
        values = values[None, :, None]
    elif values.ndim == 2:
        values = values[:, :, None]
    elif values.shape[0] < min(values.shape[1:]):  # channels first, as smallest-dimension-first says
        values = values.transpose(1, 2, 0)
    channels = values.shape[2]
    if channels > 3:
        values = values[:, :, -1:]
    if values.shape[2] == 1:
        values = np.repeat(values, 3, axis=2)
    elif values.shape[2] == 2:
        values = np.concatenate([values, np.zeros_like(values[:, :, :1])], axis=2)
    return (np.clip(values, 0.0, 1.0) * 255).astype(np.uint8)


def enlarge(image: np.ndarray, min_side: int) -> np.ndarray:
    """``image`` repeated by the smallest whole factor that makes its long side at least ``min_side`` (crisp)."""
    factor = max(1, -(-min_side // max(image.shape[:2])))
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1) if factor > 1 else image


def record_demos(session: GameSession, config: RunConfig, out_dir: Path, seed: int) -> None:
    """Record the steps a person plays in ``session`` (takeovers of the agent) into ``out_dir``."""
    if not isinstance(session, BuiltinSession):
        raise ValueError(f"--record-demos records pixelarena's games without --frame-stack, not {session.title}")
    from pixelarena.agents.demos.record import SessionRecorder

    session.recorder = SessionRecorder(out_dir, config.env, config.env_kwargs, "takeover", seed)


def open_session(config: RunConfig, seed: int, scale: int) -> GameSession:
    """The session for a run's env, on its training settings."""
    spec = config.env_spec()
    if spec.builtin and spec.frame_stack == 1:
        return BuiltinSession(spec, seed, scale)
    return ExternalSession(spec, seed, scale)  # any env through its vector env (and its frame stack)
