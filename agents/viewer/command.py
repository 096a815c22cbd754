"""`python play.py` and `pixelarena play`: one typed argument dataclass and what it runs.

Importing this module imports neither torch nor pygame, so ``play.py --env Chase --human`` starts fast and
works without torch; a run's viewer imports them when it opens.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import tyro


@dataclass
class PlayArgs:
    """Watch a trained agent play in a window, with its value estimate, action probabilities and overlays
    (action map, feature maps, saliency); record it to a video; or play a game yourself.

    Keys in the window: space pause, right arrow single step, +/- speed, o overlay, [ ] layer, h human takeover,
    r reset, s screenshot, q / Esc quit.
    """

    run: tyro.conf.Positional[Annotated[Path | None, tyro.conf.arg(metavar="[RUN]")]] = None
    """A run directory (runs/<run>): watch its trained agent. Without it, --env is played by you or a script."""
    record: str | None = None
    """Write the episodes to this .mp4 or .gif instead of opening a window (works with no display)."""
    overlay: str = "none"
    """Overlay shown first (o cycles): none, actions (click / per-cell / U-Net readout maps), features,
    saliency (of the chosen action), value-saliency."""
    layer: int = 0
    """Feature layer shown by the features overlay ([ ] change it); negative counts from the last."""
    episodes: int = 2
    """Episodes to record or, for a scripted policy, to show (a run's window plays until you quit)."""
    seed: int | None = None
    """Seed of the first episode."""
    scale: int = 24
    """Screen pixels per game cell (the window can also be resized); external envs' frames are enlarged to about
    12 cells of this size."""
    speed: float = 8.0
    """Agent steps per second in the window (+/- change it)."""
    human: bool = False
    """Play yourself: without RUN, --env with no agent; with RUN, start in human takeover (h toggles it)."""
    env: str = "Chase"
    """Without RUN: the game (Chase, Target, Swarm, Snake) or a registered Gymnasium id."""
    policy: Literal["random", "expert"] = "expert"
    """Without RUN or --human: who plays, a uniformly random policy or the game's scripted policy."""
    size: int | None = None
    """Without RUN: map size (cells per side); the game's default when omitted."""
    device: str = "cpu"
    """Torch device for the agent."""


def run_play(args: PlayArgs) -> None:
    """Open the viewer, record, or play, as ``args`` ask; bad input raises a one-line ValueError."""
    if args.episodes < 1:
        raise ValueError(f"--episodes must be at least 1, got {args.episodes}")
    if not 1 <= args.scale <= 64:
        raise ValueError(f"--scale must be between 1 and 64 pixels per cell, got {args.scale}")
    if args.run is None:
        _play_game(args)
        return
    if args.size is not None:
        raise ValueError("--size is for --env games; a run plays on its training settings")
    watch_run(
        args.run,
        record=args.record,
        overlay=args.overlay,
        layer=args.layer,
        episodes=args.episodes,
        seed=0 if args.seed is None else args.seed,
        scale=args.scale,
        speed=args.speed,
        human=args.human,
        device=args.device,
    )


def _play_game(args: PlayArgs) -> None:
    from agents.watch import watch_scripted
    from envs.human import play_human

    if args.overlay != "none":
        raise ValueError("--overlay needs a trained agent: python play.py runs/<run> --overlay ...")
    kwargs = {} if args.size is None else {"size": args.size}
    if args.human:
        play_human(args.env, seed=args.seed, scale=args.scale, **kwargs)
    else:
        watch_scripted(args.env, args.policy, args.episodes, args.seed, args.scale, args.record, **kwargs)


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
) -> Path | None:
    """A run's agent in the viewer window; or, with ``record`` or without a display, a video of ``episodes``
    episodes (``RUN/agent.gif`` when there is no display and no ``record``).

    Returns:
        The video written, or None after the window closed.
    """
    from agents.model import load_trained
    from agents.video import check_video_path
    from agents.viewer.loop import agent_viewer, record_video, run_window
    from agents.watch import has_display

    if record is not None:
        check_video_path(record)  # before loading anything: a wrong name is a quick one-line error
    windowed = record is None and has_display()
    if human and not windowed:
        raise ValueError("--human plays in a window: " + ("drop --record" if record else "no display was found"))
    config, model = load_trained(run_dir, device)
    viewer = agent_viewer(model, config, seed, scale, overlay, layer, speed, human, show_help=windowed,
                          screenshot_dir=Path(run_dir) / "screenshots")  # fmt: skip
    if windowed:
        print(f"Watching {viewer.title}. Keys: see the line under the panel; q or Esc quits.")
        run_window(viewer)
        return None
    path, frames = record_video(viewer, record or Path(run_dir) / "agent.gif", episodes)
    returns = ", ".join(f"{r:+.1f}" for r in viewer.session.returns)
    if record is None:
        print(f"No display found: the agent's play is in {path.resolve()}")
    else:
        print(f"Video written to {path.resolve()} ({frames} frames; episode returns {returns})")
    return path


def main(argv: list[str] | None = None, prog: str = "play.py") -> int:
    """Entry point of play.py: parse, run, and turn bad input into one line on stderr and exit code 2."""
    args = tyro.cli(PlayArgs, args=argv, prog=prog)
    try:
        run_play(args)
    except (ValueError, FileNotFoundError, RuntimeError) as error:  # bad input or no display: no traceback
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0
