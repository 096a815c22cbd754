"""Dict observations (an image plus a few numbers, as MiniGrid and many games give): one pixelarena encoder per
image key, a small MLP for the other keys, concatenated.

This is stable-baselines3's ``CombinedExtractor`` pattern with pixelarena's encoders in place of NatureCNN. Keys
are read in sorted order (as SB3's Dict spaces store them). Which keys are images is decided from their spaces:
a Box of 2 or 3 dimensions is an image, anything else a vector; vector keys arrive from SB3's ``preprocess_obs``
as floats (Discrete and MultiDiscrete one-hot, MultiBinary and Box as they are), so their sizes are SB3's
``get_flattened_obs_dim``.

With a map encoder (the U-Net), the spatial heads still read the image's feature map: there must be exactly one
image key, and the vector features are added to every position of its map (a learned per-channel bias), so the
map keeps its channels and resolution.

The attributes other parts of pixelarena read from an encoder (``layout``, ``stem``, ``cell_px``,
``input_size``, ``receptive_field_layers``) are the first image key's.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import torch
from gymnasium import spaces
from stable_baselines3.common.preprocessing import get_flattened_obs_dim
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from torch import nn

from pixelarena.nets.encoder import PixelEncoder
from pixelarena.nets.layout import ObservationLayout

VECTOR_DIM = 64
"""Width of the MLP that reads the vector keys."""

_VECTOR_SPACES = (spaces.Box, spaces.Discrete, spaces.MultiDiscrete, spaces.MultiBinary)


def is_image_key(space: spaces.Space) -> bool:
    """Whether a Dict entry is read by an image encoder: a Box of 2 (H x W) or 3 (C x H x W, H x W x C) dims."""
    return isinstance(space, spaces.Box) and len(space.shape) in (2, 3)


def dict_problem(space: spaces.Dict) -> str | None:
    """Why pixelarena's policies cannot read this Dict observation, or None. Names the key and what to do."""
    if not space.spaces:
        return "the Dict observation has no keys"
    for key, sub in space.spaces.items():
        if isinstance(sub, spaces.Dict):
            return f"Dict key {key!r} is itself a Dict (nested Dicts are not read): flatten it with a wrapper"
        if not isinstance(sub, _VECTOR_SPACES):
            return (f"Dict key {key!r} is a {type(sub).__name__} space, which the policies cannot read: leave it out "
                    f"with --obs {','.join(k for k in space.spaces if k != key)} or turn it into a Box with a "
                    f"wrapper")  # fmt: skip
        if isinstance(sub, spaces.Box) and (len(sub.shape) > 3 or 0 in sub.shape):
            return f"Dict key {key!r} has shape {sub.shape}, not an image (2-D, 3-D) or a vector"
    if not any(is_image_key(sub) for sub in space.spaces.values()):
        return "the Dict observation has no image key (a 2-D or 3-D Box): use a Box observation and --encoder mlp"
    return None


def first_image_key(space: spaces.Dict) -> str:
    """The first image entry of a Dict: the one the action heads are laid out on and the viewer shows."""
    return next(key for key, sub in space.spaces.items() if is_image_key(sub))


def first_image_space(space: spaces.Dict) -> spaces.Box:
    """The space of :func:`first_image_key`."""
    return space[first_image_key(space)]


class DictEncoder(BaseFeaturesExtractor):
    """Image keys through ``encoder_class`` (one encoder each), vector keys through one MLP, concatenated.

    ``forward`` takes SB3's dict of tensors and returns (B, features_dim), or, with a map encoder and
    ``return_map``, the image's (B, channels, H, W) map with the vector features added at every position.
    """

    name: ClassVar[str] = "dict"

    def __init__(
        self,
        observation_space: spaces.Dict,
        encoder_class: type[PixelEncoder],
        vector_dim: int = VECTOR_DIM,
        return_map: bool = False,
        **encoder_kwargs: Any,
    ) -> None:
        """Builds the encoders.

        Args:
            observation_space: A Dict with at least one image key (see :func:`dict_problem`).
            encoder_class: The pixelarena encoder for each image key.
            vector_dim: Width of the MLP over the vector keys.
            return_map: With a map encoder: return the image's feature map (what the pixelarena policy asks).
            **encoder_kwargs: Passed to every image encoder (``channels_first``, ``stem``, widths, ...).
        """
        problem = dict_problem(observation_space)
        if problem:
            raise ValueError(problem)
        image_keys = [key for key, sub in observation_space.spaces.items() if is_image_key(sub)]
        vector_keys = [key for key in observation_space.spaces if key not in image_keys]
        map_output = encoder_class.output == "map" and return_map
        if map_output and len(image_keys) > 1:
            raise ValueError(
                f"the {encoder_class.name} encoder's spatial heads read one image's map; this Dict has image keys "
                f"{image_keys}: keep one with --obs, or use a vector encoder (cnn, impala)"
            )
        if map_output:
            encoder_kwargs["return_map"] = True
        images = {key: encoder_class(observation_space[key], **encoder_kwargs) for key in image_keys}
        n_vector = sum(get_flattened_obs_dim(observation_space[key]) for key in vector_keys)
        image_dim = sum(encoder.features_dim for encoder in images.values())
        features_dim = image_dim if map_output else image_dim + (vector_dim if vector_keys else 0)
        super().__init__(observation_space, features_dim)
        self.output: Literal["vector", "map"] = "map" if map_output else "vector"
        self.image_keys, self.vector_keys = image_keys, vector_keys
        self.images = nn.ModuleDict(images)
        self.vectors = nn.Sequential(nn.Linear(n_vector, vector_dim), nn.ReLU()) if vector_keys else None
        # Map output: the vector features become a per-channel bias added at every position of the image's map.
        self.to_map = nn.Linear(vector_dim, image_dim) if map_output and vector_keys else None

    @property
    def primary(self) -> PixelEncoder:
        """The first image key's encoder: what the heads, the viewer and ``pixelarena list`` look at."""
        return self.images[self.image_keys[0]]

    @property
    def layout(self) -> ObservationLayout:
        return self.primary.layout

    @property
    def stem(self) -> nn.Module | None:
        return self.primary.stem

    @property
    def cell_px(self) -> int:
        return self.primary.cell_px

    @property
    def input_size(self) -> tuple[int, int]:
        return self.primary.input_size

    def receptive_field_layers(self) -> nn.Module | None:
        return self.primary.receptive_field_layers()

    def dummy_input(self) -> dict[str, torch.Tensor]:
        """A zero observation batch of one per key, as SB3's ``preprocess_obs`` hands it over (floats)."""
        spaces_ = self._observation_space.spaces
        return {
            key: torch.zeros((1, *space.shape) if key in self.image_keys else (1, get_flattened_obs_dim(space)))
            for key, space in spaces_.items()
        }

    def forward(self, obs: dict[str, torch.Tensor]) -> torch.Tensor:
        """Returns (B, features_dim), or (B, C, H, W) for a map encoder with ``return_map``."""
        images = [self.images[key](obs[key]) for key in self.image_keys]
        if self.vectors is None:
            return images[0] if self.output == "map" else torch.cat(images, dim=1)
        vector = self.vectors(torch.cat([obs[key].reshape(len(obs[key]), -1).float() for key in self.vector_keys], 1))
        if self.output == "map":
            return images[0] + self.to_map(vector)[:, :, None, None]
        return torch.cat([*images, vector], dim=1)
