"""In a checkout, the subpackages of ``pixelarena`` are the folders beside this package (envs/, nets/, agents/), which
an install maps under the name (setup.py). Imported first by ``pixelarena/__init__.py``, this makes the same names
resolve from a checkout that was not installed, or from another checkout put on PYTHONPATH. An installed wheel holds
the subpackages inside the package's own folder, which is searched first, so there this adds nothing."""

import sys
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent
if not (_PACKAGE / "envs").is_dir() and (_CHECKOUT / "pyproject.toml").is_file():
    sys.modules["pixelarena"].__path__.append(str(_CHECKOUT))
