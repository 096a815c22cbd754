"""The viewer in a browser (play.py RUN --web): a real headless Chromium loads the page, frames arrive and change, a
pressed key and a click on Target play the person's move, and the token is required; the server without a
browser: tokens, a taken port, Ctrl-C, following a run's checkpoints, the command line's one-line errors.

The browser test needs a Chromium from the system's packages (Debian: apt-get install chromium; .ci/run installs
it) and Playwright's Python package (the dev extra); without them it is skipped, saying why.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("aiohttp", reason="the web viewer needs the web extra: pip install 'pixelarena[web]'")

from pixelarena.agents.bench.web_viewer import (
    cell_centre,
    chase_server,
    chromium_page,
    find_chromium,
    wait_until,
)
from pixelarena.agents.viewer.web.launch import game_server
from pixelarena.agents.viewer.web.protocol import decode_frame, encode_frame, pygame_key
from pixelarena.agents.viewer.web.server import free_port_after

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _without_token(url: str) -> str:
    return url.split("?")[0]


# ------------------------------------------------------------------------------------------- in a browser
def test_in_headless_chromium_frames_change_keys_and_clicks_play_and_the_token_is_required(tmp_path: Path) -> None:
    executable = find_chromium()
    if executable is None:
        pytest.skip("no Chromium installed (apt-get install chromium, or set PIXELARENA_CHROMIUM)")
    pytest.importorskip("playwright", reason="the browser test drives Chromium with Playwright (the dev extra)")
    chase = chase_server(overlay="saliency", speed=30.0)
    target = game_server("Target", port=0, seed=3)
    with chase.in_thread() as chase_url, target.in_thread() as target_url, chromium_page(executable) as page:
        refused = page.goto(_without_token(chase_url))
        assert refused is not None and refused.status == 403 and "token" in page.content()

        page.goto(chase_url)
        stats = wait_until(page, lambda s: s["frames"] >= 3 and s["changed"] >= 2)  # the agent plays: steps change
        assert stats["connected"] and stats["facts"]["agent"] and not stats["facts"]["human"]
        assert page.locator("#frame").evaluate("c => c.width") == stats["facts"]["width"]
        page.locator("#frame").focus()
        page.keyboard.press("ArrowLeft")  # a game key takes over: the person's move is played
        stats = wait_until(page, lambda s: (s["facts"]["last_action"] or {}).get("by") == "you")
        assert stats["facts"]["last_action"]["name"] == "left" and stats["facts"]["human"]
        assert "you play" in page.locator("#facts").inner_text() and "initial weights" in page.content()
        shot = page.locator("body").screenshot(path=str(tmp_path / "web-viewer.png"))
        assert shot[:8] == b"\x89PNG\r\n\x1a\n" and (tmp_path / "web-viewer.png").stat().st_size > 5000

        page.goto(target_url)
        facts = wait_until(page, lambda s: s["frames"] >= 1)["facts"]
        _, cols = facts["grid"]
        page.mouse.click(*cell_centre(page, facts, 2, 3))
        facts = wait_until(page, lambda s: s["facts"]["last_action"] is not None)["facts"]
        assert facts["last_action"] == {"by": "you", "action": 2 * cols + 3, "name": None} and facts["step"] == 1


# ------------------------------------------------------------------------------------------ the server
def test_the_server_needs_its_token_for_the_page_the_status_and_the_socket() -> None:
    import aiohttp

    server = game_server("Chase", port=0, seed=1, token="secret-token")
    with server.in_thread() as url:
        assert url.endswith("/?token=secret-token") and url.startswith("http://127.0.0.1:")
        base = _without_token(url)
        assert _get(base)[0] == 403 and _get(base + "?token=wrong")[0] == 403
        status, page = _get(url)
        assert status == 200 and "<canvas" in page and not re.search(r"(src|href)=\S*//", page)  # nothing from afar

        async def play() -> dict:
            async with aiohttp.ClientSession() as session:
                with pytest.raises(aiohttp.WSServerHandshakeError, match="403"):
                    await session.ws_connect(base + "ws?token=wrong")
                async with session.ws_connect(base + "ws?token=secret-token") as ws:
                    facts, frame = decode_frame(await ws.receive_bytes(timeout=20))
                    assert frame.shape == (facts["height"], facts["width"], 3) and frame.std() > 10
                    assert facts["step"] == 0 and facts["watchers"] == 1 and not facts["agent"]
                    async with session.ws_connect(base + "ws?token=secret-token") as other:  # a second tab
                        await ws.send_str(json.dumps({"type": "key", "key": "ArrowDown", "seq": 7}))
                        while facts["input"] < 7:
                            facts, _ = decode_frame(await ws.receive_bytes(timeout=20))
                        seen = {"input": 0}
                        while seen["input"] < 7:  # the other tab sees the same game
                            seen, _ = decode_frame(await other.receive_bytes(timeout=20))
                        assert seen["step"] == facts["step"] and seen["watchers"] == 2
                    return facts

        facts = asyncio.run(play())
        assert facts["step"] == 1 and facts["last_action"] == {"by": "you", "action": 2, "name": "down"}
        time.sleep(0.3)
        status = json.loads(_get(base + "status?token=secret-token")[1])
        assert status["watchers"] == 0  # the socket closed: nobody watches, the game waits
        frames = status["frames"]
        time.sleep(0.5)
        assert json.loads(_get(base + "status?token=secret-token")[1])["frames"] == frames


def test_a_key_takes_over_from_the_agent_which_takes_back_over_when_the_person_stops() -> None:
    import aiohttp

    server = chase_server(speed=30.0)
    server.hub.takeover_idle = 0.5
    with server.in_thread() as url:

        async def play() -> list[dict]:
            seen = []
            async with aiohttp.ClientSession() as session, session.ws_connect(url.replace("/?", "/ws?")) as ws:
                await ws.send_str(json.dumps({"type": "key", "key": "ArrowUp", "seq": 1}))
                start = time.monotonic()
                while time.monotonic() - start < 3 and not (seen and seen[-1]["input"] and not seen[-1]["human"]):
                    seen.append(decode_frame(await ws.receive_bytes(timeout=20))[0])
            return seen

        seen = asyncio.run(play())
    mine = [facts for facts in seen if facts["input"] == 1 and facts["human"]]
    assert mine and mine[0]["last_action"] == {"by": "you", "action": 1, "name": "up"}
    assert not seen[-1]["human"] and seen[-1]["status"].startswith("agent")  # the agent plays again


def test_a_taken_port_is_one_line_naming_the_next_free_one() -> None:
    first = game_server("Chase", port=0, seed=1)
    with first.in_thread():
        second = game_server("Chase", port=first.port, seed=1)
        taken = rf"^port {first.port} on 127\.0\.0\.1 is in use: try --port \d+$"
        with pytest.raises(ValueError, match=taken), second.in_thread():
            pass
    assert free_port_after("127.0.0.1", first.port) is not None


def test_frames_round_trip_and_browser_keys_become_the_viewers() -> None:
    frame = np.random.default_rng(0).integers(0, 255, (30, 50, 3), dtype=np.uint8)
    facts, back = decode_frame(encode_frame(frame, {"step": 3}))
    assert facts == {"step": 3, "width": 50, "height": 30} and np.array_equal(back, frame)
    assert [pygame_key(k) for k in ("ArrowUp", " ", "W", "+", "Escape", "q", "Shift")] == [
        "up", "space", "w", "+", None, None, None,
    ]  # fmt: skip


def test_following_a_run_reloads_its_newer_checkpoint(tmp_path: Path) -> None:
    import torch

    from pixelarena.agents.run.checkpoint import save_checkpoint
    from pixelarena.agents.run.config import PPOSettings, RunConfig
    from pixelarena.agents.run.model import build_model, make_vec_env
    from pixelarena.agents.run.run_dir import RunDir
    from pixelarena.agents.viewer.web.follow import Follower, newest_weights

    config = RunConfig("Chase", "cnn", "grid", 4096, 0, 1, "cpu", {"size": 6}, {"channels": (4,), "strides": (1,)},
                       ppo=PPOSettings(n_steps=16, batch_size=16))  # fmt: skip
    run = RunDir.create(tmp_path / "run", config)
    assert newest_weights(run) is None
    trainer = build_model(config, make_vec_env(config, 1, seed=0))
    spaces = (trainer.observation_space, trainer.action_space)
    save_checkpoint(run.checkpoint_file, trainer.policy, None, 64, *spaces)
    assert newest_weights(run) == ("latest", 64)
    watcher = build_model(config, make_vec_env(config, 1, seed=1))
    follower = Follower(run, watcher.policy, 64, run.checkpoint_file)
    assert not follower.poll(now=0.0)  # what was on disk plays already
    assert not follower.poll(now=0.5)  # within a second: not even looked at
    with torch.no_grad():
        for parameter in trainer.policy.parameters():
            parameter.add_(1.0)
    save_checkpoint(run.checkpoint_file, trainer.policy, None, 128, *spaces)
    assert follower.poll(now=10.0) and follower.describe() == "step 128 (checkpoints/latest.safetensors)"
    for mine, theirs in zip(watcher.policy.parameters(), trainer.policy.parameters()):
        assert torch.equal(mine, theirs)
    run.checkpoint_file.write_bytes(b"not a checkpoint")
    assert not follower.poll(now=20.0) and "not a readable pixelarena checkpoint" in (follower.problem or "")
    assert follower.step == 128
    save_checkpoint(run.path / RunDir.MODEL, trainer.policy, None, 128, *spaces)  # the final policy, same step
    assert follower.poll(now=30.0) and follower.describe() == "step 128 (model.safetensors)"


# ------------------------------------------------------------------------------------------ the command line
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--env", "Chase", "--web"], "--web shows a run's agent (python play.py runs/<run> --web) or your play"),
        (["--env", "Chase", "--human", "--follow"], "--follow reloads a run's newest weights in the browser viewer"),
        (["--env", "Chase", "--human", "--web", "--record", "a.gif"], "--web serves the viewer to a browser and"),
        (["--env", "Chase", "--human", "--web", "--port", "70000"], "--port must be between 0 (any free port)"),
        (["--env", "CartPole-v1", "--human", "--web"], "--human --web plays pixelarena's games"),
    ],
)
def test_web_options_that_do_not_fit_are_one_line_and_exit_code_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from pixelarena.agents.cli.play import main

    assert main(args) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"play.py: error: {message}"), lines


def test_web_play_records_demonstrations_as_the_window_does(tmp_path: Path) -> None:
    import aiohttp

    from pixelarena.agents.demos.demo_file import read_header

    server = game_server("Chase", port=0, seed=5, record_demos=tmp_path / "demos")
    with server.in_thread() as url:

        async def play() -> None:
            async with aiohttp.ClientSession() as session, session.ws_connect(url.replace("/?", "/ws?")) as ws:
                for seq, key in enumerate(("ArrowUp", "ArrowLeft", "ArrowDown"), start=1):
                    await ws.send_str(json.dumps({"type": "key", "key": key, "seq": seq}))
                facts = {"input": 0}
                while facts["input"] < 3:
                    facts, _ = decode_frame(await ws.receive_bytes(timeout=20))

        asyncio.run(play())
    (path,) = (tmp_path / "demos").iterdir()
    assert read_header(path).steps == 3


def test_play_web_serves_with_its_token_and_ctrl_c_ends_it_in_one_line() -> None:
    process = subprocess.Popen(
        [sys.executable, "play.py", "--env", "Snake", "--human", "--web", "--port", "0", "--seed", "1"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+/)\?token=(\S+)", line)
        assert match, line
        assert _get(match[1])[0] == 403 and _get(match[0])[0] == 200
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130 and out.strip() == "Web viewer stopped." and err == ""


def test_sampling_draws_each_entry_from_its_probabilities_and_never_a_masked_action() -> None:
    from pixelarena.agents.viewer.controls import Controls, Key, ViewerState
    from pixelarena.agents.viewer.introspect import Insight

    probs = np.array([[0.7, 0.3, 0.0], [0.0, 0.0, 1.0]])
    insight = Insight("cells", probs, probs > 0, np.array([0, 2]), 0.0)
    rng = np.random.default_rng(0)
    draws = np.array([insight.sample(rng) for _ in range(2000)])
    assert draws.dtype == np.int64 and set(draws[:, 1]) == {2} and set(draws[:, 0]) == {0, 1}
    assert abs((draws[:, 0] == 0).mean() - 0.7) < 0.05
    flat = Insight("discrete", probs[:1], probs[:1] > 0, np.array([0]), 0.0)
    assert isinstance(flat.sample(rng), int)
    assert not Controls().handle(ViewerState(), Key("g")).greedy  # g switches the agent to sampling
