"""IMPALA ResNet encoder (Espeholt et al. 2018): stages of conv, 3x3 stride-2 max-pool, two residual blocks."""

from __future__ import annotations

from typing import Any

import torch
from gymnasium import spaces
from torch import nn

from pixelarena.nets.encoder import PixelEncoder
from pixelarena.nets.pool import make_pool


class ResidualBlock(nn.Module):
    """ReLU, 3x3 conv, ReLU, 3x3 conv, plus the input; keeps the shape."""

    def __init__(self, channels: int) -> None:
        """Builds the block for ``channels`` channels in and out."""
        super().__init__()
        self.conv0 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Returns a tensor of x's shape."""
        out = self.conv1(torch.relu(self.conv0(torch.relu(x))))
        assert out.shape == x.shape, f"residual block changed the shape {tuple(x.shape)} -> {tuple(out.shape)}"
        return x + out


class ImpalaStage(nn.Module):
    """3x3 conv to ``out_channels``, max-pool 3x3 stride 2 (halves the size, rounding up), two residual
    blocks."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        """Builds the stage."""
        super().__init__()
        self.out_channels = out_channels
        self.conv = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)
        self.res0 = ResidualBlock(out_channels)
        self.res1 = ResidualBlock(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C_in, H, W) -> (B, out_channels, ceil(H / 2), ceil(W / 2))."""
        out = self.res1(self.res0(self.pool(self.conv(x))))
        expected = (x.shape[0], self.out_channels, (x.shape[2] + 1) // 2, (x.shape[3] + 1) // 2)
        assert out.shape == expected, f"IMPALA stage gave {tuple(out.shape)}, expected {expected}"
        return out


class ImpalaEncoder(PixelEncoder):
    """IMPALA stages, ReLU, a global pool and one fully connected layer.

    Each stage halves the map (16x16 -> 8 -> 4 -> 2 with three stages); with a global pool (the default)
    the policy runs on any map size.
    """

    name = "impala"
    output = "vector"

    def __init__(
        self,
        observation_space: spaces.Space,
        features_dim: int = 256,
        widths: tuple[int, ...] = (16, 32, 32),
        pool: str = "avgmax",
        **reading: Any,
    ) -> None:
        """Builds the encoder.

        Args:
            observation_space: An image Box space (H x W x C, C x H x W or H x W).
            features_dim: Size of the output vector.
            widths: Output channels of each stage.
            pool: Readout of the last feature map, a name in :data:`nets.pool.POOLS`.
            **reading: How the observation is read (layout, stem, cell size, frame stack): see
                :class:`nets.encoder.PixelEncoder`.
        """
        if not widths:
            raise ValueError("widths needs at least one stage")
        super().__init__(
            observation_space,
            features_dim,
            **reading,
        )
        stages: list[nn.Module] = []
        n_in = self.input_channels
        for width in widths:
            stages.append(ImpalaStage(n_in, width))
            n_in = width
        self.stages = nn.Sequential(*stages, nn.ReLU())
        self.pool = make_pool(pool)
        with torch.no_grad():
            n_pooled = int(self.pool(self.stages(self.read(self.dummy_input()))).shape[1])
        self.linear = nn.Sequential(nn.Linear(n_pooled, features_dim), nn.ReLU())

    def receptive_field_layers(self) -> nn.Module:
        """The stem and the stages; in call order their convolutions and pools are the longest path (the skips
        are shorter)."""
        return nn.Sequential(self.stem, self.stages)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """Returns (B, features_dim)."""
        return self.linear(self.pool(self.stages(self.read(obs))))
