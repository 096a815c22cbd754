"""The base class of the pixelarena encoders."""

from __future__ import annotations

from typing import ClassVar, Literal

import torch
from gymnasium import spaces
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from torch import nn

from nets.layout import ObservationToTensor, describe_observation


class PixelEncoder(BaseFeaturesExtractor):
    """A stable-baselines3 features extractor that scales and lays out the observation itself.

    Subclasses set the class attributes and build their layers. Each one is usable on its own with stock
    stable-baselines3 policies (``policy_kwargs=dict(features_extractor_class=CnnEncoder)``); its
    ``forward`` then returns a vector. Encoders with ``output == "map"`` return their feature map instead
    when built with ``return_map=True`` (what :class:`nets.policy.PixelPolicy` does).

    Attributes:
        name: The registry name (``encoder="cnn"``).
        output: "vector" when the policy heads read a vector, "map" when they read a feature map at the
            input's resolution.
    """

    name: ClassVar[str]
    output: ClassVar[Literal["vector", "map"]]

    def __init__(
        self,
        observation_space: spaces.Space,
        features_dim: int,
        *,
        flatten: bool = False,
        channels_first: bool | None = None,
        sb3_scaled_images: bool = True,
    ) -> None:
        """Sets up the observation preprocessing.

        Args:
            observation_space: A Box observation space.
            features_dim: Size of the vector (or channels of the map) that ``forward`` returns.
            flatten: Read every observation as a flat vector (MLP) instead of an image.
            channels_first: Layout of 3-D observations; None guesses as stable-baselines3 does.
            sb3_scaled_images: True (stock stable-baselines3 policies) when uint8 0..255 images arrive
                already divided by 255; the pixelarena policies turn that off and pass False.
        """
        super().__init__(observation_space, features_dim)
        self.layout = describe_observation(observation_space, channels_first, sb3_scaled_images)
        self.to_input = ObservationToTensor(self.layout, flatten=flatten)

    def receptive_field_layers(self) -> nn.Module | None:
        """The module whose Conv2d / pooling / transposed-conv layers, in call order, form the longest path to
        the output; None when every output sees the whole input (fully connected)."""
        return None

    def dummy_input(self) -> torch.Tensor:
        """A zero observation batch of one on the CPU, for inferring shapes with a dummy forward."""
        return torch.zeros((1, *self.layout.shape))
