"""play.py: human play driven by posted events (no window), scripted play recorded to video, bad input."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import imageio.v2 as imageio
import pygame
import pytest

from pixelarena import envs
from pixelarena.envs.human import play_human

ROOT = Path(__file__).resolve().parents[1]


def test_human_play_steps_on_keys_and_quits_on_escape() -> None:
    pygame.display.init()
    pygame.event.clear()
    for key in [pygame.K_UP] * 3 + [pygame.K_r, pygame.K_LEFT]:
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key))
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_ESCAPE))
    session = play_human("Chase", seed=0, scale=8, size=8)
    assert session.steps == 4  # three ups and a left; r restarts without a step; Esc quits


def test_scripted_play_records_a_readable_video(tmp_path: Path) -> None:
    out = tmp_path / "snake.gif"
    result = subprocess.run(
        [sys.executable, "play.py", "--env", "Snake", "--episodes", "1", "--seed", "1", "--record", str(out),
         "--scale", "6"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert str(out) in result.stdout
    frames = imageio.mimread(out)
    assert len(frames) > 10 and frames[0].shape[:2] == (12 * 6, 12 * 6)


def test_unknown_env_is_one_line_and_exit_code_2() -> None:
    result = subprocess.run(
        [sys.executable, "play.py", "--env", "Snak"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"play.py: error: unknown env 'Snak': expected one of {', '.join(envs.GAMES)} or a registered Gymnasium "
        "id; did you mean 'Snake'?"
    ]


def test_real_time_human_play_steps_every_frame_without_keys() -> None:
    from pixelarena.envs.snake import Snake

    pygame.display.init()
    pygame.event.clear()
    pygame.time.set_timer(pygame.QUIT, 2000, loops=1)  # Snake ticks at 6 steps/s: a few ticks, then quit
    started = time.monotonic()
    session = play_human("Snake", seed=0, scale=8, size=8)
    elapsed = time.monotonic() - started
    # It steps without keys, but no faster than its pace over the time it actually ran: a loaded machine (a late
    # window, a late timer) changes the count, never the pace. pygame's clock waits whole milliseconds (166 for
    # 6 steps/s), hence 2% of slack; a loop that ignored the pace would step hundreds of times.
    assert 1 <= session.steps <= elapsed * Snake.HUMAN_FPS * 1.02 + 1, (session.steps, elapsed)


def test_human_play_without_a_display_is_a_one_line_error_not_a_hang() -> None:
    """pygame's dummy driver opens an invisible window that would wait for keys forever."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["SDL_VIDEODRIVER"] = "dummy"
    result = subprocess.run([sys.executable, "play.py", "--env", "Chase", "--human"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["play.py: error: --human plays in a window: no display was found"]


def test_a_wrong_video_name_is_refused_before_an_episode_is_played(monkeypatch: pytest.MonkeyPatch) -> None:
    from pixelarena.agents.cli.play import main

    def must_not_play(*args: object, **kwargs: object) -> None:
        raise AssertionError("an episode was played before the video name was checked")

    monkeypatch.setattr("pixelarena.agents.viewer.scripted.scripted_frames", must_not_play)
    assert main(["--env", "Chase", "--record", "y.avi"]) == 2
