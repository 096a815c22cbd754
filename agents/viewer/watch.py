"""A trained run in the viewer: a window, or without a display (or with ``record``) a video file.

Importing this module imports neither torch nor pygame, so ``play.py --env Chase --human`` starts fast and
works without torch; a run's viewer imports them when it opens.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pixelarena.agents.run.model import Weights


def watch_run(
    run_dir: Path,
    record: str | Path | None = None,
    overlay: str = "none",
    layer: int = 0,
    episodes: int = 3,
    seed: int = 0,
    scale: int = 24,
    speed: float = 8.0,
    human: bool = False,
    device: str = "cpu",
    record_demos: Path | None = None,
    weights: Weights = "final",
) -> Path | None:
    """A run's agent in the viewer window; or, with ``record`` or without a display, a video of ``episodes``
    episodes (``RUN/agent.gif`` when there is no display and no ``record``). ``weights``: which of the run's
    (:attr:`agents.run.run_dir.RunDir.WEIGHTS`).

    With ``record_demos`` (a directory), the steps a person plays in takeovers are recorded as demonstrations.

    Returns:
        The video written, or None after the window closed.
    """
    from pixelarena.agents.run.model import load_weights
    from pixelarena.agents.run.run_dir import RunDir
    from pixelarena.agents.viewer.loop import agent_viewer, record_video, run_window
    from pixelarena.agents.viewer.scripted import check_human_window, has_display
    from pixelarena.agents.viewer.video import check_video_path

    if record is not None:
        check_video_path(record)  # before loading anything: a wrong name is a quick one-line error
    windowed = record is None and has_display()
    if human:
        check_human_window(record)
    config, model, step = load_weights(run_dir, device, weights)
    viewer = agent_viewer(model, config, seed, scale, overlay, layer, speed, human, show_help=windowed,
                          screenshot_dir=RunDir(run_dir).screenshots)  # fmt: skip
    if record_demos is not None:
        from pixelarena.agents.viewer.session import record_demos as attach_recorder

        attach_recorder(viewer.session, config, record_demos, seed)
    if windowed:
        print(f"Watching {viewer.title}. Keys: see the line under the panel; q or Esc quits.")
        run_window(viewer)
        return None
    path, frames = record_video(viewer, record or RunDir(run_dir).video_file, episodes)
    returns = ", ".join(f"{r:+.1f}" for r in viewer.session.returns)
    if record is None:
        print(f"No display found: the agent's play is in {path.resolve()}")
    else:
        print(
            f"Video written to {path.resolve()} ({frames} frames; episode returns {returns}; weights "
            f"{RunDir(run_dir).weights_file(weights)}, step {step:,})"
        )
    return path
