"""The encoders by name, for ``encoder="cnn"`` and for the command line's listing."""

from __future__ import annotations

import difflib

from pixelarena.nets.cnn import CnnEncoder
from pixelarena.nets.encoder import PixelEncoder
from pixelarena.nets.impala import ImpalaEncoder
from pixelarena.nets.mlp import MlpEncoder
from pixelarena.nets.sets import SetsEncoder
from pixelarena.nets.unet import UNetEncoder

ENCODERS: dict[str, type[PixelEncoder]] = {
    cls.name: cls for cls in (MlpEncoder, CnnEncoder, ImpalaEncoder, UNetEncoder, SetsEncoder)
}
"""Encoder name -> class. Each class's ``output`` says whether heads read a vector or a map."""

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
    alias = ENCODER_ALIASES.get(name.lower())
    close = [alias] if alias else difflib.get_close_matches(name, list(ENCODERS), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ValueError(f"unknown encoder {name!r}: choose one of {', '.join(ENCODERS)}{hint}")
