"""The stable-baselines3 policies: an encoder chosen by name, heads chosen from the action space.

``PixelPolicy`` is for PPO / A2C, ``MaskablePixelPolicy`` for sb3-contrib's MaskablePPO (per-cell actions
with masks). The logic lives once, in :class:`PixelPolicyMixin`; the two classes only pick the base.

How the pieces sit in stable-baselines3's structure: ``features_extractor`` is the encoder (returning a map
for map encoders), ``mlp_extractor`` passes features through unchanged, ``action_net`` is the action head
(flat logits in the layout of SB3's categorical / multi-categorical distributions) and ``value_net`` the
value head. So SB3's own ``forward``, ``evaluate_actions``, ``get_distribution`` and ``predict_values``
run unmodified, and so do MaskablePPO's masks.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from sb3_contrib.common.maskable.distributions import MaskableMultiCategoricalDistribution
from sb3_contrib.common.maskable.policies import MaskableActorCriticPolicy
from stable_baselines3.common.distributions import MultiCategoricalDistribution
from stable_baselines3.common.policies import ActorCriticPolicy
from stable_baselines3.common.type_aliases import Schedule
from torch import nn

from pixelarena.nets.dict_encoder import DictEncoder, dict_problem, first_image_space
from pixelarena.nets.distributions import (
    MaskableUniformMultiCategoricalDistribution,
    UniformMultiCategoricalDistribution,
)
from pixelarena.nets.heads import ActionSpec, build_heads, resolve_action
from pixelarena.nets.layout import describe_observation
from pixelarena.nets.registry import encoder_class

# Constructor arguments of stable-baselines3 that the encoder choice replaces.
_REPLACED = {
    "features_extractor_class": "choose the encoder with encoder='cnn' etc.",
    "features_extractor_kwargs": "size the encoder with encoder_kwargs",
}

# stable-baselines3's per-entry loops -> one Categorical over (batch, n, k), for MultiDiscrete([k] * n).
_UNIFORM_DISTRIBUTIONS = {
    MultiCategoricalDistribution: UniformMultiCategoricalDistribution,
    MaskableMultiCategoricalDistribution: MaskableUniformMultiCategoricalDistribution,
}


@dataclass(frozen=True)
class PixelConfig:
    """The pixelarena part of a policy's configuration.

    Attributes:
        encoder: Registry name of the encoder.
        encoder_kwargs: Keyword arguments of the encoder class.
        action: The resolved action head specification.
        channels_first: The resolved observation layout.
    """

    encoder: str
    encoder_kwargs: dict[str, Any]
    action: ActionSpec
    channels_first: bool


class PassThrough(nn.Module):
    """Stands in for stable-baselines3's ``MlpExtractor``: actor and critic latents are the features."""

    def __init__(self, features_dim: int) -> None:
        """Records the latent sizes stable-baselines3 reads."""
        super().__init__()
        self.latent_dim_pi = features_dim
        self.latent_dim_vf = features_dim

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Returns the features for the actor and the critic."""
        return features, features

    def forward_actor(self, features: torch.Tensor) -> torch.Tensor:
        """Returns the features."""
        return features

    def forward_critic(self, features: torch.Tensor) -> torch.Tensor:
        """Returns the features."""
        return features


class PixelPolicyMixin:
    """Builds encoder and heads in place of stable-baselines3's feature extractor, MLP and output layers.

    Put it before the stable-baselines3 base class. Keyword arguments other than the ones below go to the
    base class unchanged (``ortho_init``, ``optimizer_kwargs``, ``share_features_extractor``, ...).
    Observations are scaled here (integer Boxes divided by their high), so stable-baselines3's own /255
    (``normalize_images``) is off.
    """

    pixel: PixelConfig

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Space,
        lr_schedule: Schedule,
        encoder: str = "cnn",
        encoder_kwargs: dict[str, Any] | None = None,
        action_map: bool | None = None,
        channels_first: bool | None = None,
        net_arch: list[int] | dict[str, list[int]] | None = None,
        normalize_images: bool = False,
        **kwargs: Any,
    ) -> None:
        """Builds the policy.

        Args:
            observation_space: A Box: image (H x W x C, C x H x W, H x W; uint8, float or bool) or vector
                (``mlp`` only); or a Dict of image and vector entries (:mod:`nets.dict_encoder`).
            action_space: Discrete or MultiDiscrete.
            lr_schedule: Learning-rate schedule, from the algorithm.
            encoder: A name in :data:`nets.registry.ENCODERS`.
            encoder_kwargs: Keyword arguments of the encoder class (widths, depth, ...).
            action_map: Lay actions out on the observation's grid (``click`` / ``cells`` heads): True,
                False, or None to detect.
            channels_first: Layout of 3-D observations; None guesses (smallest dimension first).
            net_arch: Not supported (no MLP between encoder and heads); must be None or empty.
            normalize_images: Must be False: the encoder scales observations itself.
            **kwargs: Passed to the stable-baselines3 base class.

        Raises:
            ValueError: For an unknown encoder, unsupported spaces or replaced arguments.
        """
        for key, why in _REPLACED.items():
            if key in kwargs:
                raise ValueError(f"{type(self).__name__} does not take {key}: {why}")
        if net_arch:
            raise ValueError(f"{type(self).__name__} has no MLP between encoder and heads; got net_arch={net_arch}")
        if normalize_images:
            raise ValueError("the encoder scales observations itself; normalize_images must be False")
        encoder_cls = encoder_class(encoder)
        dict_obs = isinstance(observation_space, spaces.Dict)
        if dict_obs and (problem := dict_problem(observation_space)):
            raise ValueError(problem)
        # A Dict's heads are laid out on its first image key (nets/dict_encoder.py).
        image_space = first_image_space(observation_space) if dict_obs else observation_space
        layout = describe_observation(image_space, channels_first)
        # Plain attribute before nn.Module.__init__: _build (called from the base __init__) reads it.
        self.pixel = PixelConfig(
            encoder=encoder,
            encoder_kwargs=dict(encoder_kwargs or {}),
            action=resolve_action(action_space, layout, action_map),
            channels_first=layout.channels_first,
        )
        features_extractor_kwargs = {
            **self.pixel.encoder_kwargs,
            "channels_first": layout.channels_first,
            "sb3_scaled_images": False,
        }
        if encoder_cls.output == "map":
            features_extractor_kwargs["return_map"] = True
        extractor_cls: type[nn.Module] = encoder_cls
        if dict_obs:
            # Each image key guesses its own layout unless the caller fixed one.
            features_extractor_kwargs.update(encoder_class=encoder_cls, channels_first=channels_first)
            extractor_cls = DictEncoder
        super().__init__(  # type: ignore[call-arg]
            observation_space,
            action_space,
            lr_schedule,
            net_arch=[],
            normalize_images=False,
            features_extractor_class=extractor_cls,
            features_extractor_kwargs=features_extractor_kwargs,
            **kwargs,
        )

    def _head_input(self) -> Any:
        """What the heads read (its ``features_dim`` and ``output``): the encoder here; a recurrent policy's LSTM."""
        return self.features_extractor

    def _build_mlp_extractor(self) -> None:
        self.mlp_extractor = PassThrough(self._head_input().features_dim)

    def _build(self, lr_schedule: Schedule) -> None:
        """Builds the heads, initialises weights as stable-baselines3 does, and makes the optimizer."""
        if type(self.action_dist) in _UNIFORM_DISTRIBUTIONS:
            nvec = np.asarray(self.action_space.nvec)
            if np.all(nvec == nvec[0]):
                self.action_dist = _UNIFORM_DISTRIBUTIONS[type(self.action_dist)](len(nvec), int(nvec[0]))
        self._build_mlp_extractor()
        self.action_net, self.value_net = build_heads(self._head_input(), self.pixel.action)
        if self.ortho_init:
            # stable-baselines3's gains: sqrt(2) for hidden layers, 0.01 for logits (near-uniform start).
            gains = {self.features_extractor: np.sqrt(2), self.action_net: 0.01, self.value_net: 1.0}
            if not self.share_features_extractor:
                gains[self.vf_features_extractor] = np.sqrt(2)
            for module, gain in gains.items():
                module.apply(partial(self.init_weights, gain=gain))
        self.optimizer = self.optimizer_class(self.parameters(), lr=lr_schedule(1), **self.optimizer_kwargs)

    def constructor_kwargs(self) -> dict[str, Any]:
        """The keyword arguments that build this policy again (on other spaces: ``nets.adapt.adapt_policy``)."""
        return self._get_constructor_parameters()

    def _get_constructor_parameters(self) -> dict[str, Any]:
        # stable-baselines3's hook (it saves these with a model), without the arguments this class fixes itself.
        data = super()._get_constructor_parameters()  # type: ignore[misc]
        for key in (*_REPLACED, "net_arch", "normalize_images"):
            del data[key]
        data.update(
            encoder=self.pixel.encoder,
            encoder_kwargs=dict(self.pixel.encoder_kwargs),
            action_map=self.pixel.action.action_map,
            channels_first=self.pixel.channels_first,
        )
        return data


_TRANSFER_DOC = """
    Size transfer: a policy whose every layer is convolutional or pooled runs on other map sizes through
    :func:`nets.adapt.adapt_policy`. That holds for ``cnn`` and ``impala`` (with a global ``pool``, the
    default) with Discrete(k) actions, and for ``unet`` with every action kind (Discrete(k), click and
    per-cell maps follow the new size). It does not hold for ``mlp`` on images, ``pool="flatten"``, or
    ``cnn`` / ``impala`` with click or per-cell actions (their flat linear head is bound to the cell
    count); ``mlp`` on a vector observation transfers when the vector's length stays the same.
"""


class PixelPolicy(PixelPolicyMixin, ActorCriticPolicy):
    __doc__ = (
        """Actor-critic policy for PPO / A2C with a pixelarena encoder, e.g.
    ``PPO(PixelPolicy, env, policy_kwargs=dict(encoder="impala", encoder_kwargs=dict(widths=(16, 32))))``.

    See :class:`PixelPolicyMixin` for the arguments.
"""
        + _TRANSFER_DOC
    )


class MaskablePixelPolicy(PixelPolicyMixin, MaskableActorCriticPolicy):
    __doc__ = (
        """Actor-critic policy for sb3-contrib's MaskablePPO with a pixelarena encoder; the env's
    ``action_masks()`` (flat, cell-major then action for per-cell actions) mask the logits.

    See :class:`PixelPolicyMixin` for the arguments.
"""
        + _TRANSFER_DOC
    )
