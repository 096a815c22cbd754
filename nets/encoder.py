"""The base class of the pixelarena encoders."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from torch import nn

from pixelarena.nets.layout import ObservationToTensor, describe_observation
from pixelarena.nets.stems import is_rgb, make_stem


class PixelEncoder(BaseFeaturesExtractor):
    """A stable-baselines3 features extractor that scales and lays out the observation itself.

    Subclasses set the class attributes and build their layers. Each one is usable on its own with stock
    stable-baselines3 policies (``policy_kwargs=dict(features_extractor_class=CnnEncoder)``); its
    ``forward`` then returns a vector. Encoders with ``output == "map"`` return their feature map instead
    when built with ``return_map=True`` (what :class:`nets.policy.PixelPolicy` does).

    Every encoder reads its input through :meth:`read`: the observation scaled and laid out
    (:class:`nets.layout.ObservationToTensor`), then for images the stem of :mod:`nets.stems` (a colour stem on
    RGB images, a cell stem when ``cell_px > 1``), then flattened for the MLP.

    A subclass takes its own arguments and ``**reading``, the keyword arguments of how the observation is read
    (``channels_first``, ``sb3_scaled_images``, ``stem``, ``cell_px``, ``frames``, documented once here), and
    passes ``**reading`` on to this constructor unchanged; pixelarena's policy fills them in from the env. An
    encoder is its own arguments plus that::

        class TinyEncoder(PixelEncoder):
            name, output = "tiny", "vector"

            def __init__(self, observation_space, features_dim: int = 64, **reading: Any) -> None:
                super().__init__(observation_space, features_dim, **reading)
                self.linear = nn.LazyLinear(features_dim)

            def forward(self, obs):
                return torch.relu(self.linear(self.read(obs).flatten(1)))

    Attributes:
        name: The registry name (``encoder="cnn"``).
        output: "vector" when the policy heads read a vector, "map" when they read a feature map at the
            input's resolution.
    """

    name: ClassVar[str]
    output: ClassVar[Literal["vector", "map"]]
    reads_entity_rows: ClassVar[bool] = False
    """True for encoders of entity rows (``sets``), which read only such observations."""

    def __init__(
        self,
        observation_space: spaces.Space,
        features_dim: int,
        *,
        flatten: bool = False,
        channels_first: bool | None = None,
        sb3_scaled_images: bool = True,
        stem: str = "auto",
        cell_px: int = 1,
        frames: int = 1,
    ) -> None:
        """Sets up the observation preprocessing.

        Args:
            observation_space: A Box observation space.
            features_dim: Size of the vector (or channels of the map) that ``forward`` returns.
            flatten: Read every observation as a flat vector (MLP) instead of an image.
            channels_first: Layout of 3-D observations; None guesses as stable-baselines3 does.
            sb3_scaled_images: True (stock stable-baselines3 policies) when uint8 0..255 images arrive
                already divided by 255; the pixelarena policies turn that off and pass False.
            stem: Colour stem for RGB images, one of :data:`nets.stems.COLOUR_STEMS` ("auto": the measured best
                on RGB, nothing on other images).
            cell_px: Pixels per game cell of image observations: > 1 adds a convolution with kernel = stride =
                ``cell_px`` after the colour stem (pixelarena's training sets it from the env's metadata).
            frames: Frames stacked along the channel axis (``--frame-stack``; training sets it): a stack of RGB
                frames gets the colour stem on each frame, their outputs side by side.
        """
        super().__init__(observation_space, features_dim)
        self.layout = describe_observation(observation_space, channels_first, sb3_scaled_images)
        self.to_input = ObservationToTensor(self.layout, flatten=flatten and not self.layout.image)
        self.flatten = flatten
        if not self.layout.image and (stem not in ("auto", "rgb") or cell_px != 1):
            raise ValueError(f"stem={stem!r} and cell_px={cell_px} apply to images; this observation is a vector")
        integer_high = (
            int(np.max(observation_space.high)) if np.issubdtype(observation_space.dtype, np.integer) else None
        )
        self.stem = (
            make_stem(self.layout, is_rgb(observation_space, self.layout, frames), stem, cell_px, integer_high, frames)
            if self.layout.image
            else None
        )

    @property
    def input_channels(self) -> int:
        """Channels of the image the encoder's own layers read (after the stem)."""
        return self.stem.out_channels if self.stem is not None else self.layout.chw[0]

    @property
    def input_size(self) -> tuple[int, int]:
        """Height and width of the image the encoder's own layers read (the observation's, / ``cell_px``)."""
        _, height, width = self.layout.chw
        return height // self.cell_px, width // self.cell_px

    @property
    def cell_px(self) -> int:
        """Observation pixels per position of the map the encoder's own layers read."""
        return self.stem.cell_px if self.stem is not None else 1

    def read(self, obs: torch.Tensor) -> torch.Tensor:
        """The observation batch as the encoder's own layers read it: (B, C, H, W) images or (B, D) for the MLP."""
        x = self.to_input(obs)
        if self.stem is not None:
            x = self.stem(x)
            if self.flatten:
                x = x.flatten(1)
        return x

    def receptive_field_layers(self) -> nn.Module | None:
        """The module whose Conv2d / pooling / transposed-conv layers, in call order, form the longest path to
        the output; None when every output sees the whole input (fully connected)."""
        return None

    def dummy_input(self) -> torch.Tensor:
        """A zero observation batch of one on the CPU, for inferring shapes with a dummy forward."""
        return torch.zeros((1, *self.layout.shape))
