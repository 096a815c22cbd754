"""``python -m pixelarena``: the same command line as the ``pixelarena`` console script."""

import sys

from pixelarena.agents.cli.main import main

sys.exit(main())
