"""Observation layout: how a Box observation becomes the float tensor an encoder reads.

One place decides the three things every encoder needs to know about an observation: whether it is an
image (and where its channels are), how to scale its values to [0, 1], and what shape the encoder sees.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3.common.preprocessing import is_image_space
from torch import nn


@dataclass(frozen=True)
class ObservationLayout:
    """What an encoder needs to know about a Box observation.

    Attributes:
        shape: The observation's shape as the environment stores it (no batch dimension).
        image: True for 2-D (H, W) and 3-D (C, H, W or H, W, C) observations, False for vectors.
        channels_first: For 3-D images, whether the channel axis comes first. False for 2-D and vectors.
        scale: Factor that maps the raw values to [0, 1]: 1 / high for integer Boxes, 1 for float and bool.
    """

    shape: tuple[int, ...]
    image: bool
    channels_first: bool
    scale: float

    @property
    def chw(self) -> tuple[int, int, int]:
        """The (channels, height, width) an image encoder sees."""
        if not self.image:
            raise ValueError(f"observation of shape {self.shape} is a vector, not an image")
        if len(self.shape) == 2:
            return (1, *self.shape)
        c, h, w = self.shape if self.channels_first else (self.shape[2], self.shape[0], self.shape[1])
        return c, h, w


def describe_observation(
    space: spaces.Space, channels_first: bool | None = None, sb3_scaled_images: bool = False
) -> ObservationLayout:
    """Works out the layout and the scaling of an observation space.

    Args:
        space: A Box observation space.
        channels_first: Overrides the layout of 3-D observations. None: channels-first when the smallest
            dimension comes first, as stable-baselines3's ``is_image_space_channels_first`` decides.
        sb3_scaled_images: True when stable-baselines3's ``preprocess_obs`` has already divided uint8
            0..255 images by 255 (its stock policies do, ``normalize_images=True``); the scaling is then
            not applied twice.

    Returns:
        The layout.

    Raises:
        ValueError: For non-Box spaces.
    """
    if not isinstance(space, spaces.Box):
        raise ValueError(f"pixelarena encoders read Box observations, got {space}")
    shape = tuple(int(d) for d in space.shape)
    image = len(shape) in (2, 3)
    if len(shape) == 3 and channels_first is None:
        channels_first = int(np.argmin(shape)) == 0
    return ObservationLayout(
        shape=shape,
        image=image,
        channels_first=bool(len(shape) == 3 and channels_first),
        scale=_scale(space, sb3_scaled_images),
    )


def _scale(space: spaces.Box, sb3_scaled_images: bool) -> float:
    """Factor to [0, 1]: integer observations are divided by their Box high, so a uint8 0/1 grid is kept."""
    if not np.issubdtype(space.dtype, np.integer):
        return 1.0
    if sb3_scaled_images and is_image_space(space, check_channels=False):
        return 1.0
    high = float(np.max(space.high))
    return 1.0 / high if 0.0 < high < np.inf else 1.0


class ObservationToTensor(nn.Module):
    """Scales an observation batch to float and puts it in the layout the encoder reads.

    Images become (B, C, H, W); with ``flatten=True`` any observation becomes (B, D) instead.
    """

    def __init__(self, layout: ObservationLayout, flatten: bool = False) -> None:
        """Builds the module.

        Args:
            layout: The observation's layout, from :func:`describe_observation`.
            flatten: Flatten every observation to a vector (for the MLP) instead of making an image.
        """
        super().__init__()
        if not (flatten or layout.image):
            raise ValueError(
                f"a convolutional encoder needs an image observation (H x W x C, C x H x W or H x W), got "
                f"shape {layout.shape}; the mlp encoder reads vectors"
            )
        self.layout = layout
        self.flatten = flatten

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """Returns the scaled float batch, (B, C, H, W) or (B, D)."""
        x = obs.float()
        if self.layout.scale != 1.0:
            x = x * self.layout.scale
        if self.flatten:
            return x.flatten(1)
        if len(self.layout.shape) == 2:
            return x.unsqueeze(1)
        if not self.layout.channels_first:
            # Channels-last arrays (what the games render) become channels-first for Conv2d.
            x = x.permute(0, 3, 1, 2)
        return x
