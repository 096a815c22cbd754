"""Stems: what an encoder does to an image before its own layers, so that RGB pixels learn as well as object grids.

Why a stem. A small CNN whose first layer reads three colour channels learns Chase from binary object channels
but not from the game's RGB frames (greedy +5.75 vs -0.84 after 561k steps): the coin (250, 204, 60) and the
enemy (232, 72, 72) share a strong red channel, so at initialisation the network sees them as nearly the same
input (their colours less the background have a cosine similarity of 0.90) and PPO's gradients do not pull them
apart. The same frames with pure red / green / blue sprites learn (+4.62). A *colour stem* turns each pixel's
colour into channels in which different colours are different directions, whatever the palette, with no
knowledge of the game; a *cell stem* reads ``k x k`` pixel cells with one strided convolution, so a frame drawn
at ``cell_px=k`` costs what ``cell_px=1`` costs. docs/pixels.md has the measured ablation of these stems.

Colour stems (``stem=``), applied to RGB images only (3 channels, integer values up to 255): grids, grey
images and vectors pass through unchanged under ``"auto"``.

- ``"rgb"``: the colour channels scaled to [0, 1], as stable-baselines3 reads images.
- ``"mlp"``: a learned per-pixel MLP (two 1x1 convolutions with ReLU) from RGB to 32 channels.
- ``"palette"``: each distinct colour gets a one-hot channel; the palette is collected from the observations
  the network trains on (up to ``palette_size`` colours, in the order they are first seen), later colours go to
  one "other" channel. The palette is a buffer, saved with the weights.
- ``"lookup"``: each channel quantised to ``levels`` levels and the colour looked up in a learned embedding
  table (``levels ** 3`` rows): a palette that needs no fitting, with random, nearly orthogonal starting
  vectors for different colours. Colours closer than a quantisation step share a row.
- ``"foreground"`` (what ``"auto"`` picks): the lookup, with each frame's most common colour bin (its
  background) read as zero, so that the frame reaches the convolutions the way an object grid does: empty cells
  are zero, like the convolutions' zero padding, and a global max-pool sees objects, not the background. A frame
  without one dominant colour only loses its most common bin.

For images whose channels are integer *codes*, not colours (MiniGrid's 7 x 7 x 3 view: object, colour and state
numbers), ``"codes"`` gives each channel's value its own learned embedding row and sums the channels' rows (a
one-hot per channel followed by a 1x1 convolution); it reads any integer image, of any channel count. An env can
ask for it by declaring ``metadata["image_codes"] = True`` (pixelarena does for MiniGrid).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from gymnasium import spaces
from torch import nn

from pixelarena.nets.layout import ObservationLayout

ColourStem = Literal["auto", "rgb", "mlp", "palette", "lookup", "foreground", "codes"]
COLOUR_STEMS: tuple[str, ...] = ("auto", "rgb", "mlp", "palette", "lookup", "foreground", "codes")
AUTO_STEM = "foreground"
"""What ``stem="auto"`` uses on RGB images (docs/pixels.md: the ablation that chose it)."""


def is_rgb(space: spaces.Box, layout: ObservationLayout, frames: int = 1) -> bool:
    """Whether an observation is an RGB colour image (or a stack of ``frames`` of them): 3 channels per frame of
    integers up to 255."""
    integer = np.issubdtype(space.dtype, np.integer)
    return layout.image and layout.chw[0] == 3 * frames and integer and float(np.max(space.high)) == 255


def _colour_codes(x: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) colours in [0, 1] -> (B, H, W) int64 codes ``r * 65536 + g * 256 + b`` of the 0..255 values."""
    q = torch.round(x * 255).long().clamp_(0, 255)
    return (q[:, 0] << 16) | (q[:, 1] << 8) | q[:, 2]


class MlpColourStem(nn.Module):
    """Two learned 1x1 convolutions with ReLU: (B, 3, H, W) -> (B, channels, H, W)."""

    def __init__(self, channels: int = 32) -> None:
        """Builds the stem."""
        super().__init__()
        self.out_channels = channels
        self.net = nn.Sequential(nn.Conv2d(3, channels, 1), nn.ReLU(), nn.Conv2d(channels, channels, 1), nn.ReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Returns (B, channels, H, W)."""
        return self.net(x)


class PaletteStem(nn.Module):
    """One-hot channels of the colours seen in training, plus an "other" channel: (B, 3, H, W) -> (B, K + 1, H, W).

    While in training mode (stable-baselines3's PPO updates) every colour not yet in the palette is added until
    ``palette_size`` colours are known; in eval mode (rollouts, evaluation, a loaded run) the palette is fixed.
    """

    def __init__(self, palette_size: int = 16) -> None:
        """Builds the stem with an empty palette."""
        super().__init__()
        if palette_size < 1:
            raise ValueError(f"palette_size must be at least 1, got {palette_size}")
        self.out_channels = palette_size + 1
        self.register_buffer("palette", torch.full((palette_size,), -1, dtype=torch.int64))

    @torch.no_grad()
    def _learn_colours(self, codes: torch.Tensor) -> None:
        known = self.palette[self.palette >= 0]
        free = len(self.palette) - len(known)
        if free == 0:
            return
        seen = torch.unique(codes)
        new = seen[~torch.isin(seen, known)][:free]
        self.palette[len(known) : len(known) + len(new)] = new

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Returns (B, palette_size + 1, H, W) of 0 / 1."""
        codes = _colour_codes(x)
        if self.training and torch.is_grad_enabled():  # PPO's update, not a shape-inferring dummy forward
            self._learn_colours(codes)
        one_hot = (codes.unsqueeze(1) == self.palette.view(1, -1, 1, 1)).float()
        other = 1.0 - one_hot.sum(dim=1, keepdim=True)
        return torch.cat([one_hot, other], dim=1)


class LookupColourStem(nn.Module):
    """Quantised colour -> learned embedding: (B, 3, H, W) -> (B, dim, H, W).

    Equivalent to a one-hot of ``levels ** 3`` colour bins followed by a 1x1 convolution, computed as a table
    lookup. The table starts as N(0, 1) rows, so different colours start as nearly orthogonal vectors.
    """

    def __init__(self, levels: int = 8, dim: int = 16, zero_background: bool = False) -> None:
        """Builds the stem; with ``zero_background`` each frame's most common colour bin reads as zero."""
        super().__init__()
        if not 2 <= levels <= 256:
            raise ValueError(f"levels must be in 2 .. 256, got {levels}")
        self.levels = levels
        self.out_channels = dim
        self.zero_background = zero_background
        self.table = nn.Embedding(levels**3, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Returns (B, dim, H, W)."""
        q = torch.clamp((x * self.levels).long(), 0, self.levels - 1)
        index = (q[:, 0] * self.levels + q[:, 1]) * self.levels + q[:, 2]
        if torch.onnx.is_in_onnx_export():
            return self._dense(index, x.dtype)
        # A batch holds few distinct colours: a one-hot over those times their table rows is the same lookup as
        # F.embedding, but its backward is one small matrix product instead of a scatter-add per pixel (~10x
        # faster on a CPU for 36x36 frames).
        used = torch.bincount(index.flatten(), minlength=self.levels**3).nonzero().squeeze(1)
        slot = torch.empty(self.levels**3, dtype=torch.long, device=x.device)
        slot[used] = torch.arange(len(used), device=x.device)
        one_hot = F.one_hot(slot[index], len(used)).to(x.dtype)  # (B, H, W, colours in the batch)
        if self.zero_background:
            background = one_hot.sum(dim=(1, 2)).argmax(dim=1)  # each frame's most common colour
            one_hot = one_hot * (1 - F.one_hot(background, len(used)).to(x.dtype))[:, None, None, :]
        return (one_hot @ self.table.weight[used]).permute(0, 3, 1, 2)

    def _dense(self, index: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        """The same output from ops an ONNX graph has (no data-dependent sizes): a lookup of every pixel's row, and
        the background found among all ``levels ** 3`` bins (ties go to the lowest bin, as above)."""
        rows = F.embedding(index, self.table.weight).to(dtype)  # (B, H, W, dim)
        if self.zero_background:
            counts = F.one_hot(index.flatten(1), self.levels**3).sum(dim=1)  # (B, bins)
            background = counts.argmax(dim=1)
            rows = rows * (index != background[:, None, None]).unsqueeze(-1).to(dtype)
        return rows.permute(0, 3, 1, 2)


class CodeStem(nn.Module):
    """Integer codes -> learned embedding per channel, summed: (B, C, H, W) -> (B, dim, H, W).

    The input arrives divided by the Box's high (by ``nets.layout``, or by SB3's /255 for 0..255 images);
    ``high`` undoes that. Codes above ``max_codes - 1`` share the last row.
    """

    def __init__(self, channels: int, high: int, dim: int = 16, max_codes: int = 256) -> None:
        """Builds one table of ``min(high + 1, max_codes)`` rows per channel."""
        super().__init__()
        self.out_channels = dim
        self.high = high
        self.codes = min(high + 1, max_codes)
        self.register_buffer("offsets", torch.arange(channels).view(1, channels, 1, 1) * self.codes)
        self.table = nn.Embedding(channels * self.codes, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Returns (B, dim, H, W)."""
        codes = torch.round(x * self.high).long().clamp_(0, self.codes - 1) + self.offsets
        return F.embedding(codes, self.table.weight).sum(dim=1).permute(0, 3, 1, 2)


class PerFrameStem(nn.Module):
    """One colour stem applied to each of ``frames`` stacked RGB frames (channels ``3 * frames``, frame by frame,
    as ``--frame-stack`` stacks them): (B, 3K, H, W) -> (B, K * stem.out_channels, H, W)."""

    def __init__(self, stem: nn.Module, frames: int) -> None:
        """Wraps ``stem``; its weights are shared by every frame."""
        super().__init__()
        self.stem, self.frames = stem, frames
        self.out_channels = frames * stem.out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Returns (B, K * channels, H, W), frame 0's channels first."""
        _, _, height, width = x.shape
        out = self.stem(x.reshape(-1, 3, height, width))  # -1: the batch stays dynamic in an exported graph
        return out.reshape(-1, self.out_channels, height, width)


class PassStem(nn.Module):
    """No colour stem: the scaled channels as they are."""

    def __init__(self, channels: int) -> None:
        """Records the channel count."""
        super().__init__()
        self.out_channels = channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Returns x."""
        return x


class CellStem(nn.Module):
    """One convolution with kernel = stride = ``cell_px`` and ReLU: reads each ``cell_px x cell_px`` cell once,
    so the layers after it work at one position per game cell. (B, C, H, W) -> (B, channels, H / k, W / k)."""

    def __init__(self, in_channels: int, cell_px: int, channels: int | None = None) -> None:
        """Builds the stem; ``channels`` defaults to ``max(in_channels, 16)``, so the layers after it cost what
        they cost on a one-pixel-per-cell image."""
        super().__init__()
        channels = max(in_channels, 16) if channels is None else channels
        self.out_channels = channels
        self.cell_px = cell_px
        self.conv = nn.Conv2d(in_channels, channels, cell_px, stride=cell_px)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Returns (B, channels, H / cell_px, W / cell_px)."""
        return torch.relu(self.conv(x))


def make_stem(
    layout: ObservationLayout,
    rgb: bool,
    stem: str = "auto",
    cell_px: int = 1,
    integer_high: int | None = None,
    frames: int = 1,
) -> nn.Sequential:
    """The stem of an image encoder: a colour stem (RGB only), then a cell stem when ``cell_px > 1``.

    Args:
        layout: The observation's layout.
        rgb: Whether the observation is an RGB image (:func:`is_rgb`).
        stem: One of :data:`COLOUR_STEMS`; "codes" needs an integer image, the others but "auto" and "rgb" an RGB
            image.
        cell_px: Pixels per game cell; the image's height and width must be multiples of it.
        integer_high: The largest value of an integer observation (its Box's high), None for float or bool ones;
            "codes" needs it.
        frames: RGB frames stacked along the channels (``rgb`` then means every frame is RGB): the colour stem
            reads each frame.

    Returns:
        A module with ``out_channels`` (channels it hands the encoder) and ``cell_px`` (its downsampling).

    Raises:
        ValueError: For an unknown stem, a colour stem on a non-RGB image, or a cell size that does not tile it.
    """
    if stem not in COLOUR_STEMS:
        raise ValueError(f"unknown stem {stem!r}: choose one of {', '.join(COLOUR_STEMS)}")
    channels, height, width = layout.chw
    if stem == "codes" and not integer_high:
        raise ValueError(f"stem='codes' reads integer images; this observation of shape {layout.shape} is not one")
    if stem not in ("auto", "rgb", "codes") and not rgb:
        raise ValueError(
            f"stem={stem!r} reads RGB images (3 channels of integers 0..255); this observation has shape "
            f"{layout.shape} and is not one (use stem=auto or rgb)"
        )
    if cell_px < 1 or height % cell_px or width % cell_px:
        raise ValueError(f"cell_px={cell_px} must be a positive divisor of the image size {height}x{width}")
    chosen = AUTO_STEM if stem == "auto" and rgb else stem
    colour = {
        "mlp": lambda: MlpColourStem(),
        "palette": lambda: PaletteStem(),
        "lookup": lambda: LookupColourStem(),
        "foreground": lambda: LookupColourStem(zero_background=True),
        "codes": lambda: CodeStem(channels, integer_high),
    }.get(chosen, lambda: PassStem(channels))()
    if frames > 1 and not isinstance(colour, PassStem | CodeStem):
        colour = PerFrameStem(colour, frames)
    modules: list[nn.Module] = [colour]
    if cell_px > 1:
        modules.append(CellStem(colour.out_channels, cell_px))
    sequence = nn.Sequential(*modules)
    sequence.out_channels = modules[-1].out_channels
    sequence.cell_px = cell_px
    return sequence
