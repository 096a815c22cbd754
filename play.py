"""Watch a game being played, or play it yourself, in a pygame window; record video when there is no display.

python play.py --env Chase --human                  # you play (arrow keys / WASD; Target: mouse)
python play.py --env Snake --policy expert          # watch the scripted policy
python play.py --env Chase --record chase.gif       # no window: write a video and say where
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Literal

import tyro


@dataclass
class PlayArgs:
    """Watch or play a pixelarena game."""

    env: str = "Chase"
    """Game name (Chase, Target, Swarm, Snake) or a registered Gymnasium id."""
    human: bool = False
    """Play yourself with the keyboard (or the mouse for Target)."""
    policy: Literal["random", "expert"] = "expert"
    """Who plays when you don't: a uniformly random policy or the game's scripted policy."""
    record: str | None = None
    """Write the episodes to this .mp4 or .gif instead of opening a window."""
    episodes: int = 2
    """Episodes to show or record."""
    seed: int | None = None
    """Seed of the first episode."""
    scale: int = 24
    """Screen pixels per game cell."""
    size: int | None = None
    """Map size (cells per side); the game's default when omitted."""


def main(argv: list[str] | None = None) -> int:
    args = tyro.cli(PlayArgs, args=argv)
    from agents.watch import watch_scripted
    from envs.human import play_human

    kwargs = {} if args.size is None else {"size": args.size}
    try:
        if args.human:
            play_human(args.env, seed=args.seed, scale=args.scale, **kwargs)
        else:
            watch_scripted(args.env, args.policy, args.episodes, args.seed, args.scale, args.record, **kwargs)
    except (ValueError, RuntimeError) as error:  # bad input or no display: one line, no traceback
        print(f"play.py: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
