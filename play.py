"""Watch a trained agent play, or a game being played, in a pygame window; record video when there is no display.

python play.py runs/<run>                               # the agent plays, with value, probabilities, overlays
python play.py runs/<run> --record agent.mp4 --overlay saliency --episodes 3   # headless video
python play.py --env Chase --human                      # you play (arrow keys / WASD; Target: mouse)
python play.py --env Snake --policy scripted            # watch the game's scripted policy
python play.py --env Chase --record chase.gif           # no window: write a video and say where

The same options are `pixelarena play`; see agents/cli/options.py (PlayArgs).
"""

from __future__ import annotations

import sys

from pixelarena.agents.cli.play import PlayArgs, main

__all__ = ["PlayArgs", "main"]

if __name__ == "__main__":
    sys.exit(main())
