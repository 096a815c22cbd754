"""The viewer (play.py RUN / pixelarena play): keys, overlays for every head type, the window loop with a tiny
trained agent, screenshots, recording, external envs, and one-line errors for bad run directories.

Everything runs headless (SDL's dummy video driver, set in conftest.py). Tiny agents are trained once per session:
a few hundred PPO steps, enough for real weights, not for good play.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import imageio.v2 as imageio
import numpy as np
import pygame
import pytest
import torch

from pixelarena.agents.run.config import PPOSettings, RunConfig
from pixelarena.agents.run.model import build_model, make_vec_env
from pixelarena.agents.viewer.controls import BINDINGS, SPEEDS, Click, Controls, Key, Quit, ViewerState, help_line
from pixelarena.agents.viewer.loop import agent_viewer, play_frames, record_video, run_window
from pixelarena.agents.viewer.overlays import features_width
from pixelarena.agents.viewer.panel import view_origin
from pixelarena.agents.viewer.viewer import Viewer

ROOT = Path(__file__).resolve().parents[1]
TINY_PPO = PPOSettings(n_steps=16, batch_size=64, n_epochs=1)
UNET = {"base_channels": 4, "depth": 1}

# One agent per kind of action head: flat Discrete (cnn), click Discrete(H*W) (unet), per-cell MultiDiscrete
# with masks (unet, MaskablePPO), Discrete through the unet's spatial-softmax readout.
HEADS = {
    "flat": RunConfig("Chase", "cnn", "grid", 256, 0, 8, "cpu", {"size": 8}, {"channels": (8, 8), "strides": (1, 2)}),
    "click": RunConfig("Target", "unet", "pixels", 256, 0, 8, "cpu", {"size": 8}, UNET),
    "cells": RunConfig("Swarm", "unet", "grid", 256, 0, 8, "cpu", {"size": 8}, UNET),
    "readout": RunConfig("Chase", "unet", "pixels", 256, 0, 8, "cpu", {"size": 8}, UNET),
}


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def _train(config: RunConfig):
    config = dataclasses.replace(config, ppo=TINY_PPO)
    model = build_model(config, make_vec_env(config, 8, seed=0))
    model.learn(256)
    return model, config


@pytest.fixture(scope="session")
def agents_by_head() -> dict[str, tuple]:
    torch.set_num_threads(1)
    return {head: _train(config) for head, config in HEADS.items()}


def even_width(game: int, cells: int = 8, panel: int = 240, gap: int = 6) -> int:
    """The width of a viewer frame of the run below (the chase-cnn preset's view, the whole map centred on the
    player): the game ``game`` pixels wide, a gap, the centred view of ``2 * cells - 1`` cells scaled to the game's
    height, the panel; even, for H.264."""
    side = 2 * cells - 1
    width = game + gap + side * (game // side) + panel
    return width + width % 2


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete run directory from `pixelarena train`'s own code path (1k steps, short episodes)."""
    from pixelarena.agents.training.options import TrainArgs
    from pixelarena.agents.training.resolve import resolve
    from pixelarena.agents.training.train import train

    args = TrainArgs(env="Chase", encoder="cnn", obs="grid", steps="1k", n_envs=8, n_steps=32, batch_size=128,
                     n_epochs=1, eval_episodes=2, env_kwargs=("size=8", "max_steps=25"), threads=1)  # fmt: skip
    return train(resolve(args), tmp_path_factory.mktemp("viewer") / "run")


def viewer_for(agents_by_head: dict, head: str, **kwargs) -> Viewer:
    model, config = agents_by_head[head]
    return agent_viewer(model, config, seed=1, scale=12, **kwargs)


def game_view(viewer: Viewer, frame: np.ndarray) -> np.ndarray:
    """The part of a frame that shows the game."""
    view = viewer.session.frame()
    x, y = view_origin(view.shape)
    return frame[y : y + view.shape[0], x : x + view.shape[1]]


# --------------------------------------------------------------------------------------------- controls (pure)
def test_help_line_lists_every_binding() -> None:
    expected = (
        "space pause  right step  +/- speed  o overlay  [ ] layer  g greedy/sample  h human  r reset  s screenshot  "
        "q/Esc quit"
    )
    assert help_line() == expected
    keys = {key for binding in BINDINGS for key in binding.keys}
    assert keys >= {"space", "right", "+", "-", "o", "[", "]", "h", "r", "s", "q", "escape"}


def test_each_key_does_what_the_help_line_says() -> None:
    controls = Controls()
    start = ViewerState(overlays=("none", "features", "saliency"), n_layers=3)
    press = controls.handle
    assert press(start, Key("space")).paused and not press(press(start, Key("space")), Key("space")).paused
    stepped = press(press(start, Key("right")), Key("right"))
    assert stepped.paused and stepped.step_requests == 2
    faster, slower = press(start, Key("+")), press(start, Key("-"))
    assert faster.speed > start.speed > slower.speed and press(start, Key("=")).speed == faster.speed
    assert controls.handle_all(start, [Key("+")] * 20).speed == SPEEDS[-1]  # clamped at the ends
    assert controls.handle_all(start, [Key("o")] * 2).overlay_name == "saliency"
    assert controls.handle_all(start, [Key("o")] * 3).overlay_name == "none"  # cycles
    assert press(start, Key("]")).layer == 1 and press(start, Key("[")).layer == 2  # wraps around
    assert press(start, Key("h")).human and not press(press(start, Key("h")), Key("h")).human
    assert press(start, Key("r")).reset_requested and press(start, Key("s")).screenshot_requested
    assert press(start, Key("q")).quit and press(start, Key("escape")).quit and press(start, Quit()).quit
    assert press(start, Key("x")) == start  # unbound keys change nothing
    assert press(start, Key("r")).cleared() == start  # requests are one-shot


def test_human_takeover_gives_game_keys_to_the_game_but_keeps_h_s_q() -> None:
    controls = Controls({"up", "right", "space", "s", "w"})
    human = ViewerState(human=True)
    assert controls.handle(human, Key("right")).human_key == "right"  # a move, not a single step
    assert controls.handle(human, Key("space")).human_key == "space" and not controls.handle(human, Key("space")).paused
    assert controls.handle(human, Key("s")).screenshot_requested  # letters of the viewer stay the viewer's
    assert not controls.handle(human, Key("h")).human and controls.handle(human, Key("q")).quit
    assert controls.handle(human, Click((5, 7))).human_click == (5, 7)
    assert controls.handle(ViewerState(), Click((5, 7))).human_click is None  # the agent plays: clicks do nothing
    assert not controls.handle(ViewerState(can_take_over=False), Key("h")).human


# ------------------------------------------------------------------------------------- introspection, overlays
@pytest.mark.parametrize("head", list(HEADS))
def test_insight_is_the_policy_greedy_choice_with_probabilities(agents_by_head: dict, head: str) -> None:
    model, _ = agents_by_head[head]
    viewer = viewer_for(agents_by_head, head)
    for _ in range(3):
        insight = viewer.insight()
        session = viewer.session
        masks = session.action_masks()
        expected, _ = model.predict(session.observation(), deterministic=True,
                                    **({"action_masks": masks} if masks is not None else {}))  # fmt: skip
        assert np.array_equal(np.asarray(insight.env_action()).ravel(), np.asarray(expected).ravel())
        assert np.allclose(insight.probs.sum(axis=1), 1.0, atol=1e-5)
        assert (insight.probs[~insight.allowed] == 0).all()  # masked moves get no probability
        assert np.isfinite(insight.value)
        viewer.advance()


EXPECTED_OVERLAYS = {
    "flat": ("none", "features", "saliency", "value-saliency"),  # a flat head has no action map
    "click": ("none", "actions", "features", "saliency", "value-saliency"),
    "cells": ("none", "actions", "features", "saliency", "value-saliency"),
    "readout": ("none", "actions", "features", "saliency", "value-saliency"),
}


@pytest.mark.parametrize("head", list(HEADS))
def test_each_overlay_draws_over_the_game(agents_by_head: dict, head: str) -> None:
    viewer = viewer_for(agents_by_head, head)
    viewer.advance()
    assert viewer.state.overlays == EXPECTED_OVERLAYS[head]
    plain = viewer.frame()
    assert plain.std() > 0
    for index, name in enumerate(viewer.state.overlays[1:], start=1):
        viewer.set_state(overlay=index)
        frame = viewer.frame()
        changed = np.any(game_view(viewer, frame) != game_view(viewer, plain), axis=2)
        if name == "features":  # beside the game, which stays as it is
            height = viewer.session.frame().shape[0]
            assert frame.shape[1] - plain.shape[1] in (features_width(height), features_width(height) + 1)
            assert not changed.any()
            beside = frame[: plain.shape[0], viewer.session.frame().shape[1] + 6 : -240]
            assert beside.std() > 0, "the feature maps are drawn beside the game"
            continue
        assert frame.shape == plain.shape
        if head == "cells" and name == "actions":  # an arrow (or a "stay" box) on each unit's cell, nothing else
            units = viewer.insight().deciding()
            assert len(units) == 5  # Swarm's five units; every other cell is masked to "stay"
            cells = changed.reshape(8, 12, 8, 12).any(axis=(1, 3)).ravel()
            assert set(np.flatnonzero(cells)) >= set(units.tolist())
        else:
            assert changed.mean() > 0.05, f"overlay {name} changed {changed.mean():.1%} of the game view"
    insight = viewer.insight()
    if head == "readout":
        assert insight.attention is not None and np.isclose(insight.attention.sum(), 1.0, atol=1e-5)


def test_feature_layers_and_saliency_follow_the_keys(agents_by_head: dict, tmp_path: Path) -> None:
    viewer = viewer_for(agents_by_head, "click", overlay="features", screenshot_dir=tmp_path)
    first = viewer.frame()
    assert viewer.insight().features.shape[0] == viewer.agent.layers[0][1].out_channels
    viewer.handle(Key("]"))
    assert viewer.state.layer == 1
    assert viewer.insight().features.shape[0] == viewer.agent.layers[1][1].out_channels
    assert np.any(viewer.frame() != first)
    viewer.handle(Key("o"))
    assert viewer.state.overlay_name == "saliency"
    saliency = viewer.insight().saliency
    assert saliency.shape == viewer.session.game.render(1)[0].shape[:2] and saliency.max() > 0


# ------------------------------------------------------------------------------------------- the viewer's keys
def test_viewer_keys_step_reset_screenshot_and_take_over(agents_by_head: dict, tmp_path: Path) -> None:
    viewer = viewer_for(agents_by_head, "flat", screenshot_dir=tmp_path)
    session = viewer.session
    viewer.handle(Key("right"))
    viewer.handle(Key("right"))
    assert viewer.state.paused and session.step == 2
    viewer.handle(Key("r"))
    assert session.episode == 2 and session.step == 0
    viewer.handle(Key("s"))
    (shot,) = viewer.screenshots
    image = imageio.imread(shot)
    assert shot.suffix == ".png" and image.shape == viewer.frame().shape and image.std() > 10
    viewer.handle(Key("h"))
    assert viewer.state.human and viewer.status().startswith("you play")
    viewer.handle(Key("up"))  # Chase waits for the person's move: one key, one step
    assert session.step == 1 and viewer.insight() is not None  # the agent's choice keeps showing
    assert not viewer.advance()  # no input, no step
    viewer.handle(Key("q"))
    assert viewer.state.quit


def test_clicks_play_target_in_human_takeover(agents_by_head: dict) -> None:
    viewer = viewer_for(agents_by_head, "click", human=True)
    view = viewer.session.frame()
    x, y = view_origin(view.shape)
    viewer.handle(Click((x + 12 * 3 + 6, y + 12 * 2 + 6)))  # the middle of cell (row 2, col 3) at 12 px per cell
    assert viewer.session.step == 1
    viewer.handle(Click((x + view.shape[1] + 50, y)))  # on the panel: not a cell
    assert viewer.session.step == 1


def test_real_time_games_move_on_their_own_in_human_takeover() -> None:
    config = RunConfig("Snake", "cnn", "grid", 256, 0, 4, "cpu", {"size": 8}, {"channels": (8,), "strides": (1,)})
    model, config = _train(config)
    viewer = agent_viewer(model, config, seed=0, scale=8, human=True)
    head = viewer.session.game.heading[0]
    assert viewer.advance() and viewer.session.step == 1  # no key: the snake keeps its heading
    assert viewer.session.game.heading[0] == head
    viewer.handle(Key("down" if head in (2, 3) else "left"))  # a turn waits for the next tick of the game
    assert viewer.session.step == 1
    viewer.advance()
    assert viewer.session.game.heading[0] != head


def _post_keys(*keys: int) -> None:
    pygame.display.init()
    pygame.event.clear()
    for key in keys:
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key))


def test_window_runs_frames_with_a_trained_agent(agents_by_head: dict) -> None:
    viewer = viewer_for(agents_by_head, "cells", overlay="actions", speed=120)
    _post_keys(pygame.K_o)
    assert run_window(viewer, fps=60, max_frames=20) == 20
    assert viewer.state.overlay_name == "features"  # the posted key reached the controls
    assert viewer.session.step + 150 * len(viewer.session.returns) >= 20  # two steps a frame at 120 steps/s


def test_window_in_human_takeover_steps_on_keys_and_quits_on_escape(agents_by_head: dict) -> None:
    viewer = viewer_for(agents_by_head, "flat", human=True)
    _post_keys(pygame.K_UP, pygame.K_LEFT, pygame.K_SPACE, pygame.K_ESCAPE)
    frames = run_window(viewer, fps=60, max_frames=100)
    assert viewer.state.quit and frames < 100
    assert viewer.session.step == 3  # up, left and space (stay) moved the game; the agent did not


# ---------------------------------------------------------------------------------------------- recording, CLI
def test_recording_writes_the_frames_it_played(agents_by_head: dict, tmp_path: Path) -> None:
    viewer = viewer_for(agents_by_head, "readout", overlay="saliency", show_help=False)
    path, frames = record_video(viewer, tmp_path / "agent.mp4", episodes=1)
    assert path == tmp_path / "agent.mp4" and len(viewer.session.returns) == 1
    video = imageio.mimread(path)
    assert len(video) == frames > 1 and video[0].shape[2] == 3 and video[0].std() > 10


def test_play_records_a_run_headless(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "agent.gif"
    result = subprocess.run(
        [sys.executable, "play.py", str(run_dir), "--record", str(out), "--episodes", "2", "--overlay", "saliency",
         "--scale", "10"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    frames = imageio.mimread(out)
    assert f"Video written to {out.resolve()} ({len(frames)} frames; episode returns" in result.stdout
    assert 2 < len(frames) <= 2 * 26 + 1  # two episodes of at most 25 steps, plus the first frame
    assert frames[0].shape[:2] == (336, even_width(8 * 10))  # the game, what the network sees, the panel; no help


def test_frames_for_the_training_video_have_the_panel(run_dir: Path) -> None:
    from pixelarena.agents.run.model import load_trained
    from pixelarena.agents.viewer.agent_video import DISPLAY_CELL_PX, agent_frames

    config, model = load_trained(run_dir)
    frames = agent_frames(model, config, episodes=1, max_frames=10)
    assert 1 < len(frames) <= 10 and frames[0].shape[1] == even_width(8 * DISPLAY_CELL_PX)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: tmp / "missing", "run directory {run} does not exist"),
        (lambda tmp: tmp, "{run} is not a pixelarena run (no config.json)"),
    ],
)
def test_a_bad_run_directory_is_one_line_and_exit_code_2(tmp_path: Path, make, message: str) -> None:
    run = make(tmp_path)
    result = subprocess.run([sys.executable, "play.py", str(run)], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"play.py: error: {message.format(run=run)}"]


def test_a_run_without_a_checkpoint_is_one_line_and_exit_code_2(run_dir: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "config.json").write_text((run_dir / "config.json").read_text())
    result = subprocess.run([sys.executable, "-m", "pixelarena", "play", str(empty)], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)  # fmt: skip
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"pixelarena: error: {empty} has not finished (trained to step 0")


def test_human_takeover_without_a_window_is_a_value_error(run_dir: Path, tmp_path: Path) -> None:
    from pixelarena.agents.viewer.watch import watch_run

    with pytest.raises(ValueError, match="--human plays in a window: drop --record"):
        watch_run(run_dir, record=tmp_path / "a.gif", human=True)
    with pytest.raises(ValueError, match=r"video file must end in \.mp4 or \.gif"):
        watch_run(run_dir, record=tmp_path / "a.avi")


def test_an_overlay_that_does_not_apply_is_a_value_error(agents_by_head: dict) -> None:
    with pytest.raises(ValueError, match="overlay 'actions' does not apply to this agent; choose one of none, "):
        viewer_for(agents_by_head, "flat", overlay="actions")
    with pytest.raises(ValueError, match="'heat' is not an overlay"):
        viewer_for(agents_by_head, "flat", overlay="heat")


# -------------------------------------------------------------------------------------------------- external env
@pytest.mark.parametrize("env", ["tests.user_envs:ChannelsLastEnv", "tests.user_envs:ChannelsFirstEnv"])
def test_external_envs_show_their_frames_with_image_overlays(env: str) -> None:
    config = RunConfig(env, "cnn", None, 256, 0, 4, "cpu", {}, {"channels": (8,), "strides": (1,)}, TINY_PPO)
    model = build_model(config, make_vec_env(config, 4, seed=0))
    model.learn(64)
    viewer = agent_viewer(model, config, scale=12)
    assert viewer.state.overlays == ("none", "features", "saliency", "value-saliency")
    frames = list(play_frames(viewer, episodes=1, max_frames=25))
    assert len(frames) > 1 and len(viewer.session.returns) == 1
    view = viewer.session.frame()
    assert min(view.shape[:2]) >= 12 * 12 and view.std() > 0  # enlarged to the size of a 12-cell game at scale 12
    viewer.set_state(overlay=2)
    assert np.any(game_view(viewer, viewer.frame()) != view)
    viewer.session.close()


def test_mp4_becomes_a_gif_when_ffmpeg_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pixelarena.agents.viewer.video import write_video

    real = imageio.get_writer

    def no_ffmpeg(path, *args, **kwargs):
        if str(path).endswith(".mp4"):
            raise RuntimeError("No ffmpeg exe could be found")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(imageio, "get_writer", no_ffmpeg)
    frames = [np.full((10, 14, 3), 40 * i, dtype=np.uint8) for i in range(4)]
    path = write_video(tmp_path / "clip.mp4", frames)
    assert path == tmp_path / "clip.gif" and not (tmp_path / "clip.mp4").exists()
    assert len(imageio.mimread(path)) == 4
