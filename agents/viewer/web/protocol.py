"""What goes over the WebSocket: frames out, input in.

A frame travels as one binary message: a 4-byte little-endian length, a JSON header (the frame's size and the
facts the page shows beside it), then the RGB pixels compressed with zlib. Raw pixels with zlib won a measurement
against PNG and JPEG (docs/performance.md, "The viewer in a browser"): about the size of a PNG at a quarter of its
encoding time, lossless where JPEG blurs the sprites, and the browser inflates it with its own DecompressionStream.
"""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

import numpy as np

DEFAULT_HOST = "127.0.0.1"
"""Where the server listens unless ``--host`` says otherwise: this machine only."""
DEFAULT_PORT = 8765

ZLIB_LEVEL = 1
"""The fastest level: the frames are flat colours, so higher levels save little (measured) and cost more time."""

BROWSER_KEYS = {
    "ArrowUp": "up",
    "ArrowDown": "down",
    "ArrowLeft": "left",
    "ArrowRight": "right",
    " ": "space",
    "Enter": "return",
}
"""Browser ``KeyboardEvent.key`` values that pygame names otherwise; single characters are the same in both."""

NOT_ON_THE_WEB = frozenset({"q", "escape"})
"""Keys that quit the window: a tab is closed instead (the server goes on for the other tabs until Ctrl-C)."""


def pygame_key(browser_key: str) -> str | None:
    """The viewer's key name (pygame's) for a browser key, or None for a key the viewer does not read."""
    name = BROWSER_KEYS.get(browser_key)
    if name is None and len(browser_key) == 1:
        name = browser_key.lower()
    return None if name is None or name in NOT_ON_THE_WEB else name


def encode_frame(frame: np.ndarray, facts: dict[str, Any]) -> bytes:
    """One message: ``frame`` (``(H, W, 3)`` uint8) and ``facts`` (JSON-able), as the page reads them."""
    height, width = frame.shape[:2]
    header = json.dumps({**facts, "width": width, "height": height}, separators=(",", ":")).encode()
    pixels = zlib.compress(np.ascontiguousarray(frame, dtype=np.uint8).tobytes(), ZLIB_LEVEL)
    return struct.pack("<I", len(header)) + header + pixels


def decode_frame(message: bytes) -> tuple[dict[str, Any], np.ndarray]:
    """The facts and the frame of a message from :func:`encode_frame` (what the page does, for tests and the bench)."""
    (length,) = struct.unpack_from("<I", message)
    facts = json.loads(message[4 : 4 + length])
    pixels = np.frombuffer(zlib.decompress(message[4 + length :]), dtype=np.uint8)
    return facts, pixels.reshape(facts["height"], facts["width"], 3)
