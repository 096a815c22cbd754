"""`python -m pixelarena.agents.bench.web_viewer`: the viewer in a browser, measured in headless Chromium.

    python -m pixelarena.agents.bench.web_viewer [--run RUN] [--seconds 10] [--presses 20] [--speed 60]

Frames per second drawn by the page for one 12x12 Chase at the viewer's default cell size (24 px) with the agent
acting (a run's agent, or the chase-cnn preset's network untrained: the same work per step), input-to-frame latency
on localhost (a key pressed in the page until the page has drawn the frame that shows its move), and what each way
of sending a frame costs (raw pixels, zlib, PNG, JPEG: why the server sends zlib). Chromium comes from the system's
packages (Debian: apt-get install chromium); Playwright drives it and downloads nothing.

The browser helpers here are the browser test's too (tests/test_web_viewer.py).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import statistics
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
"""Browsers looked for on PATH (after $PIXELARENA_CHROMIUM): Debian's and Ubuntu's Chromium, Chrome."""


def find_chromium() -> str | None:
    """The Chromium (or Chrome) executable to drive: $PIXELARENA_CHROMIUM, else the first on PATH; None if none."""
    named = os.environ.get("PIXELARENA_CHROMIUM")
    if named:
        return named if Path(named).is_file() else None
    return next((path for path in map(shutil.which, CHROMIUM_NAMES) if path), None)


@contextlib.contextmanager
def chromium_page(executable: str, width: int = 1000, height: int = 560) -> Iterator[Any]:
    """A page of a headless Chromium (Playwright's ``Page``), closed with the block."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # --no-sandbox: Chromium refuses its sandbox when run as root (CI containers); the pages are our own.
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            yield browser.new_page(viewport={"width": width, "height": height})
        finally:
            browser.close()


def page_stats(page: Any) -> dict[str, Any]:
    """What the page has counted (``window.pixelarena`` in index.html)."""
    return page.evaluate("({frames: pixelarena.frames, changed: pixelarena.changed, facts: pixelarena.facts, "
                         "latencies: pixelarena.latencies, connected: pixelarena.connected})")  # fmt: skip


def wait_until(page: Any, check: Callable[[dict[str, Any]], bool], timeout: float = 20.0) -> dict[str, Any]:
    """Poll the page's stats until ``check`` holds; TimeoutError with the last stats otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        stats = page_stats(page)
        if stats["facts"] is not None and check(stats):
            return stats
        if time.monotonic() > deadline:
            facts = stats["facts"] or {}
            raise TimeoutError(f"the page did not get there in {timeout:g} s: {stats['frames']} frames, last facts "
                               f"step {facts.get('step')}, last action {facts.get('last_action')}")  # fmt: skip
        page.wait_for_timeout(20)


def cell_centre(page: Any, facts: dict[str, Any], row: int, col: int) -> tuple[float, float]:
    """Where on the page (CSS pixels) the middle of a game cell is drawn, from the frame's layout and the canvas."""
    box = page.locator("#frame").bounding_box()
    x, y, width, height = facts["view"]
    rows, cols = facts["grid"]
    frame_x = x + (col + 0.5) * width / cols
    frame_y = y + (row + 0.5) * height / rows
    return box["x"] + frame_x * box["width"] / facts["width"], box["y"] + frame_y * box["height"] / facts["height"]


UNTRAINED = "step 0 (the chase-cnn preset's network with its initial weights)"


def chase_server(run: Path | None = None, overlay: str = "none", speed: float = 8.0, scale: int = 24) -> Any:
    """A :class:`WebViewer` (port 0: a free one) of an agent on 12x12 Chase: ``run``'s, or the chase-cnn preset's
    network with its initial weights (the same work per step)."""
    from pixelarena.agents.viewer.web.server import WebViewer

    viewer, weights = chase_agent_viewer(run, overlay, speed, scale)
    return WebViewer(viewer, port=0, weights=weights)


def chase_agent_viewer(
    run: Path | None = None, overlay: str = "none", speed: float = 8.0, scale: int = 24
) -> tuple[Any, str]:
    """A viewer of an agent on 12x12 Chase (see :func:`chase_server`) and what its weights are."""
    import torch

    from pixelarena.agents.run.model import build_model, load_weights, make_vec_env
    from pixelarena.agents.training.options import TrainArgs
    from pixelarena.agents.training.resolve import resolve
    from pixelarena.agents.viewer.loop import agent_viewer

    torch.set_num_threads(1)
    if run is not None:
        config, model, step = load_weights(run)
        weights = f"step {step:,} (model.safetensors)"
    else:
        config = resolve(TrainArgs(env="Chase", n_envs=1, device="cpu", threads=1))
        model = build_model(config, make_vec_env(config, 1, seed=0))
        weights = UNTRAINED
    viewer = agent_viewer(model, config, seed=0, scale=scale, overlay=overlay, speed=speed, show_help=False)
    return viewer, weights


def encodings(frames: list[np.ndarray]) -> list[tuple[str, float, float]]:
    """Each way of sending a frame: (name, ms to encode one, kB per frame), over ``frames``."""
    from PIL import Image

    def pillow(kind: str, **options: Any) -> Callable[[np.ndarray], bytes]:
        def encode(frame: np.ndarray) -> bytes:
            buffer = io.BytesIO()
            Image.fromarray(frame).save(buffer, kind, **options)
            return buffer.getvalue()

        return encode

    ways: list[tuple[str, Callable[[np.ndarray], bytes]]] = [
        ("raw RGB", lambda frame: frame.tobytes()),
        ("raw RGB + zlib level 1 (sent)", lambda frame: zlib.compress(frame.tobytes(), 1)),
        ("raw RGB + zlib level 6", lambda frame: zlib.compress(frame.tobytes(), 6)),
        ("PNG (Pillow, compress_level 1)", pillow("PNG", compress_level=1)),
        ("PNG (Pillow, default level)", pillow("PNG")),
        ("JPEG quality 85 (lossy)", pillow("JPEG", quality=85)),
    ]
    rows = []
    for name, encode in ways:
        start = time.perf_counter()
        sizes = [len(encode(frame)) for frame in frames]
        rows.append((name, (time.perf_counter() - start) / len(frames) * 1e3, float(np.mean(sizes)) / 1e3))
    return rows


def measure(run: Path | None, seconds: float, presses: int, speed: float, executable: str) -> dict[str, Any]:
    """Frames/s drawn by the page with the agent acting, then input-to-frame latencies of ``presses`` key presses."""
    server = chase_server(run, speed=speed)
    viewer = server.hub.viewer
    frames = [viewer.frame()]
    for _ in range(59):
        viewer.advance()
        frames.append(viewer.frame())
    with server.in_thread() as url, chromium_page(executable) as page:
        page.goto(url)
        wait_until(page, lambda stats: stats["frames"] >= 10)
        page.wait_for_timeout(2000)  # warm up
        start_frames, start, start_made = page_stats(page)["frames"], time.monotonic(), server.hub.frames
        page.wait_for_timeout(seconds * 1000)
        elapsed = time.monotonic() - start
        fps = (page_stats(page)["frames"] - start_frames) / elapsed
        made = (server.hub.frames - start_made) / elapsed
        page.locator("#frame").focus()
        page.keyboard.press("h")  # the person plays: each arrow is one step of Chase, with its own frame
        for index in range(presses):
            page.keyboard.press("ArrowLeft" if index % 2 else "ArrowRight")
            wait_until(page, lambda stats, n=index + 1: len(stats["latencies"]) >= n + 1)  # the h press's too
            page.wait_for_timeout(100)
        latencies = page_stats(page)["latencies"][1:]
    return {"fps": fps, "made": made, "latencies": latencies, "encodings": encodings(frames), "frame": frames[0].shape}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=None, help="a run of 12x12 Chase (default: untrained chase-cnn)")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long frames are counted")
    parser.add_argument("--presses", type=int, default=20, help="key presses timed")
    parser.add_argument("--speed", type=float, default=60.0, help="agent steps per second asked for")
    args = parser.parse_args()
    executable = find_chromium()
    if executable is None:
        parser.error("no Chromium found: apt-get install chromium (or set PIXELARENA_CHROMIUM)")
    result = measure(args.run, args.seconds, args.presses, args.speed, executable)
    latencies = sorted(result["latencies"])
    height, width = result["frame"][:2]
    print(f"frame {width}x{height} px; cores: {os.cpu_count()}")
    print(f"frames/s drawn by the page, agent at {args.speed:g} steps/s asked: {result['fps']:.1f} (made by the "
          f"server: {result['made']:.1f})")  # fmt: skip
    print(f"input to frame, {len(latencies)} presses: median {statistics.median(latencies):.1f} ms, "
          f"max {latencies[-1]:.1f} ms")  # fmt: skip
    print("| frame as | encode ms | kB per frame |\n|---|---:|---:|")
    for name, ms, kilobytes in result["encodings"]:
        print(f"| {name} | {ms:.2f} | {kilobytes:.1f} |")


if __name__ == "__main__":
    main()
