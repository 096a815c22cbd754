"""MLP encoder: flattens any observation (the packed-vector baseline, and MLP-on-pixels)."""

from __future__ import annotations

from typing import Any

import torch
from gymnasium import spaces
from torch import nn

from pixelarena.nets.encoder import PixelEncoder


class MlpEncoder(PixelEncoder):
    """Flatten, then fully connected layers with ReLU.

    Every unit sees the whole observation, so its first layer is bound to the observation's size: a policy
    on pixels does not transfer to other map sizes (on a fixed-length vector it does).
    """

    name = "mlp"
    output = "vector"

    def __init__(
        self,
        observation_space: spaces.Space,
        hidden_sizes: tuple[int, ...] = (256, 256),
        **reading: Any,
    ) -> None:
        """Builds the encoder.

        Args:
            observation_space: Any Box observation space.
            hidden_sizes: Width of each hidden layer; the last one is the feature size.
            **reading: How the observation is read (layout, stem, cell size, frame stack): see
                :class:`nets.encoder.PixelEncoder`.
        """
        if not hidden_sizes:
            raise ValueError("hidden_sizes needs at least one layer")
        super().__init__(
            observation_space,
            hidden_sizes[-1],
            flatten=True,
            **reading,
        )
        self.hidden_sizes = tuple(hidden_sizes)
        layers: list[nn.Module] = []
        n_in = int(self.read(self.dummy_input()).shape[1])
        for n_out in self.hidden_sizes:
            layers += [nn.Linear(n_in, n_out), nn.ReLU()]
            n_in = n_out
        self.net = nn.Sequential(*layers)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """Returns (B, hidden_sizes[-1])."""
        return self.net(self.read(obs))
