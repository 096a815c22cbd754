"""The encoders by name, for ``encoder="cnn"`` and for the command line's listing."""

from __future__ import annotations

import difflib

from nets.cnn import CnnEncoder
from nets.encoder import PixelEncoder
from nets.impala import ImpalaEncoder
from nets.mlp import MlpEncoder
from nets.unet import UNetEncoder

ENCODERS: dict[str, type[PixelEncoder]] = {
    cls.name: cls for cls in (MlpEncoder, CnnEncoder, ImpalaEncoder, UNetEncoder)
}
"""Encoder name -> class. Each class's ``output`` says whether heads read a vector or a map."""


def encoder_class(name: str) -> type[PixelEncoder]:
    """Looks an encoder up by name.

    Raises:
        ValueError: For an unknown name, suggesting the closest one.
    """
    if name in ENCODERS:
        return ENCODERS[name]
    close = difflib.get_close_matches(name, list(ENCODERS), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ValueError(f"unknown encoder {name!r}: choose one of {', '.join(ENCODERS)}{hint}")
