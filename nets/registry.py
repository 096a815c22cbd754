"""The encoders by name, for ``encoder="cnn"`` and for the command line's listing.

Adding an encoder is two files: its own (a :class:`PixelEncoder` subclass taking its arguments and ``**reading``)
and its line in :data:`BUILTIN`. From outside the repository: ``--encoder mymodule:MyEncoder``, or an entry point
of an installed package, which joins the built-in encoders by name::

    [project.entry-points."pixelarena.encoders"]
    tiny = "tiny_encoder:TinyEncoder"

A plugin that fails to import or breaks the contract is skipped with one line on stderr naming it.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import inspect
import os
import sys
from importlib.metadata import entry_points

from pixelarena.nets.cnn import CnnEncoder
from pixelarena.nets.encoder import PixelEncoder
from pixelarena.nets.impala import ImpalaEncoder
from pixelarena.nets.mlp import MlpEncoder
from pixelarena.nets.sets import SetsEncoder
from pixelarena.nets.unet import UNetEncoder

BUILTIN: dict[str, type[PixelEncoder]] = {
    cls.name: cls for cls in (MlpEncoder, CnnEncoder, ImpalaEncoder, UNetEncoder, SetsEncoder)
}
"""The encoders of this repository: a new encoder is one line here."""
ENCODER_GROUP = "pixelarena.encoders"


def check_encoder(encoder: object, where: str) -> type[PixelEncoder]:
    """``encoder`` if it keeps the encoder contract (a ``PixelEncoder`` subclass with ``output`` "vector" or
    "map"), else a one-line ValueError naming ``where`` it came from."""
    if not (inspect.isclass(encoder) and issubclass(encoder, PixelEncoder)):
        raise ValueError(f"{where} is not a pixelarena.nets.PixelEncoder subclass")
    if getattr(encoder, "output", None) not in ("vector", "map"):
        raise ValueError(f"{where} ({encoder.__name__}) sets no output = 'vector' or 'map' (see PixelEncoder)")
    return encoder


def _plugins() -> dict[str, type[PixelEncoder]]:
    found = {}
    for entry in entry_points(group=ENCODER_GROUP):
        try:
            found[entry.name] = check_encoder(entry.load(), f"plugin encoder {entry.name!r} ({entry.value})")
        except Exception as error:  # someone else's package: one line, and the built-ins keep working
            print(f"pixelarena: skipped plugin encoder {entry.name!r}: {' '.join(str(error).split())}", file=sys.stderr)
    return found


ENCODERS: dict[str, type[PixelEncoder]] = {**_plugins(), **BUILTIN}
"""Encoder name -> class, the built-in ones and those installed packages declare (a plugin never replaces one).
Each class's ``output`` says whether heads read a vector or a map."""

ENCODER_ALIASES: dict[str, str] = {
    "resnet": "impala",  # the IMPALA encoder is a ResNet (Espeholt et al., 2018)
    "impala-cnn": "impala",
    "nature": "cnn",
    "naturecnn": "cnn",
    "nature-cnn": "cnn",
    "conv": "cnn",
    "convnet": "cnn",
    "u-net": "unet",
    "deepsets": "sets",
    "deep-sets": "sets",
    "entities": "sets",
    "fc": "mlp",
    "dense": "mlp",
    "linear": "mlp",
}
"""Well-known names of architectures (lower case) -> the encoder that is one; used only to suggest a name."""


def encoder_class(name: str) -> type[PixelEncoder]:
    """Looks an encoder up by name.

    Raises:
        ValueError: For an unknown name, suggesting the closest one.
    """
    if name in ENCODERS:
        return ENCODERS[name]
    if ":" in name:  # module:Class, imported as --env module:Class is (also from the current directory)
        module_name, _, attr = name.partition(":")
        if os.getcwd() not in sys.path and importlib.util.find_spec(module_name.split(".")[0]) is None:
            sys.path.append(os.getcwd())  # appended: a local file must not shadow installed packages
        try:
            target = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as error:
            raise ValueError(f"encoder {name!r}: cannot import it: {error}") from None
        return check_encoder(target, f"encoder {name!r}")
    alias = ENCODER_ALIASES.get(name.lower())
    close = [alias] if alias else difflib.get_close_matches(name, list(ENCODERS), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ValueError(f"unknown encoder {name!r}: choose one of {', '.join(ENCODERS)}{hint}")
