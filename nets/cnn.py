"""Small all-convolutional CNN: strided 3x3 convolutions instead of pooling; works on 8x8 inputs and up."""

from __future__ import annotations

from typing import Any

import torch
from gymnasium import spaces
from torch import nn

from pixelarena.nets.encoder import PixelEncoder
from pixelarena.nets.pool import make_pool


class CnnEncoder(PixelEncoder):
    """Strided convolutions with ReLU, a global pool, then one fully connected layer.

    Unlike stable-baselines3's NatureCNN (8x8 stride-4 first layer, 36x36 minimum input) every layer pads,
    so any input of at least one pixel gives a feature map; on 16x16 the defaults give a 4x4 map. With a
    global pool (the default) no layer depends on the input size and the policy runs on any map size.
    """

    name = "cnn"
    output = "vector"

    def __init__(
        self,
        observation_space: spaces.Space,
        features_dim: int = 256,
        channels: tuple[int, ...] = (16, 32, 64),
        strides: tuple[int, ...] = (1, 2, 2),
        kernel_size: int = 3,
        pool: str = "avgmax",
        **reading: Any,
    ) -> None:
        """Builds the encoder.

        Args:
            observation_space: An image Box space (H x W x C, C x H x W or H x W).
            features_dim: Size of the output vector.
            channels: Output channels of each convolution.
            strides: Stride of each convolution (same length as ``channels``).
            kernel_size: Odd kernel size of every convolution.
            pool: Readout of the last feature map, a name in :data:`nets.pool.POOLS`; "flatten" binds the
                linear layer to the input size.
            **reading: How the observation is read (layout, stem, cell size, frame stack): see
                :class:`nets.encoder.PixelEncoder`.
        """
        if len(channels) != len(strides):
            raise ValueError(f"channels {channels} and strides {strides} need the same length")
        super().__init__(
            observation_space,
            features_dim,
            **reading,
        )
        layers: list[nn.Module] = []
        n_in = self.input_channels
        for n_out, stride in zip(channels, strides, strict=True):
            layers += [nn.Conv2d(n_in, n_out, kernel_size, stride, padding=kernel_size // 2), nn.ReLU()]
            n_in = n_out
        self.convs = nn.Sequential(*layers)
        self.pool = make_pool(pool)
        with torch.no_grad():
            n_pooled = int(self.pool(self.convs(self.read(self.dummy_input()))).shape[1])
        self.linear = nn.Sequential(nn.Linear(n_pooled, features_dim), nn.ReLU())

    def receptive_field_layers(self) -> nn.Module:
        """The stem and the convolution stack (the global pool after them sees everything)."""
        return nn.Sequential(self.stem, self.convs)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """Returns (B, features_dim)."""
        return self.linear(self.pool(self.convs(self.read(obs))))
