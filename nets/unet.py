"""U-Net encoder-decoder (Ronneberger et al. 2015): a feature map at the input's resolution."""

from __future__ import annotations

from typing import Any

import torch
from gymnasium import spaces
from torch import nn

from pixelarena.nets.encoder import PixelEncoder
from pixelarena.nets.pool import GlobalAvgMaxPool


def double_conv(in_channels: int, out_channels: int) -> nn.Sequential:
    """Two 3x3 convolutions with ReLU, keeping the spatial size."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, 3, padding=1),
        nn.ReLU(),
    )


class UNetEncoder(PixelEncoder):
    """Down path of double convolutions and 2x2 max-pools, a bottleneck, and an up path of 2x2 transposed
    convolutions, skip concatenations and double convolutions.

    Odd sizes are handled: pooling rounds up (7 -> 4 -> 2) and each upsampled map is cropped to its skip's
    size, so the output map always has the input's height and width. Every layer is convolutional, so the
    map follows the input size; it is translation-equivariant for shifts by multiples of ``2 ** depth``
    away from the borders.

    With ``return_map=True`` ``forward`` returns the (B, base_channels, H, W) map (the pixelarena policy
    heads read it); otherwise the map's global average and maximum, (B, 2 * base_channels), for stock
    stable-baselines3 policies.
    """

    name = "unet"
    output = "map"

    def __init__(
        self,
        observation_space: spaces.Space,
        base_channels: int = 16,
        depth: int = 2,
        return_map: bool = False,
        **reading: Any,
    ) -> None:
        """Builds the encoder.

        Args:
            observation_space: An image Box space (H x W x C, C x H x W or H x W).
            base_channels: Channels at full resolution; each level down doubles them.
            depth: Number of 2x downsamplings.
            return_map: Return the feature map instead of a pooled vector.
            **reading: How the observation is read (layout, stem, cell size, frame stack): see
                :class:`nets.encoder.PixelEncoder`.
        """
        if depth < 1:
            raise ValueError(f"depth must be at least 1, got {depth}")
        super().__init__(
            observation_space,
            base_channels if return_map else 2 * base_channels,
            **reading,
        )
        self.return_map = return_map
        widths = [base_channels * 2**level for level in range(depth + 1)]
        ins = [self.input_channels, *widths[: depth - 1]]
        self.down = nn.ModuleList(double_conv(n_in, n_out) for n_in, n_out in zip(ins, widths[:-1], strict=True))
        self.pool = nn.MaxPool2d(2, ceil_mode=True)
        self.bottleneck = double_conv(widths[-2], widths[-1])
        self.up = nn.ModuleList(
            nn.ConvTranspose2d(widths[level + 1], widths[level], 2, stride=2) for level in reversed(range(depth))
        )
        self.decode = nn.ModuleList(double_conv(2 * widths[level], widths[level]) for level in reversed(range(depth)))
        self.readout = GlobalAvgMaxPool()
        with torch.no_grad():
            out = self.forward_map(self.dummy_input())
        assert tuple(out.shape[2:]) == self.input_size, f"U-Net map {tuple(out.shape)} lost the input size"

    def receptive_field_layers(self) -> nn.Module:
        """The whole network: in call order, down path, bottleneck and up path are the longest path."""
        return self

    def forward_map(self, obs: torch.Tensor) -> torch.Tensor:
        """Returns the (B, base_channels, H, W) feature map (H, W: :attr:`input_size`)."""
        x = self.read(obs)
        skips = []
        for block in self.down:
            x = block(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottleneck(x)
        for up, decode, skip in zip(self.up, self.decode, reversed(skips), strict=True):
            # Pooling rounded odd sizes up, so the upsampled map can be one larger than its skip: crop it.
            x = up(x)[:, :, : skip.shape[2], : skip.shape[3]]
            x = decode(torch.cat([x, skip], dim=1))
        return x

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """Returns the map (``return_map=True``) or its pooled vector."""
        x = self.forward_map(obs)
        return x if self.return_map else self.readout(x)
