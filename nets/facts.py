"""Architecture facts computed from the modules: parameters, receptive field, FLOPs, size transfer."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import torch
from gymnasium import spaces
from torch import nn

from pixelarena.nets.adapt import can_transfer, resize_spaces
from pixelarena.nets.policy import PixelPolicy


@dataclass(frozen=True)
class ArchitectureFacts:
    """Facts about one encoder + heads on given spaces.

    Attributes:
        encoder: Encoder name.
        observation_shape: The observation's shape as stored.
        feature_shape: What the encoder hands the heads, per sample: (D,) or (C, H, W).
        action_kind: ``discrete``, ``click``, ``cells`` or ``multi``.
        action_head: Class name of the action head.
        params: Trainable parameters of the whole policy.
        encoder_params: Of which in the encoder.
        receptive_field: Side in input pixels of the region one output position of the encoder depends on;
            None for fully connected encoders (everything sees everything).
        receptive_field_note: What the number is measured on.
        flops: Floating-point operations (2 x multiply-accumulates of convolutions and linear layers) of one
            forward pass of one observation through encoder and both heads.
        transfers: Whether the policy runs on a larger map (4 cells wider and taller) with copied weights;
            None for vector observations, which have no map size.
        transfer_note: Why (not).
    """

    encoder: str
    observation_shape: tuple[int, ...]
    feature_shape: tuple[int, ...]
    action_kind: str
    action_head: str
    params: int
    encoder_params: int
    receptive_field: int | None
    receptive_field_note: str
    flops: int
    transfers: bool | None
    transfer_note: str


def _conv_rule(m: nn.Conv2d | nn.MaxPool2d) -> tuple[int, Fraction]:
    """Growth of the receptive field in units of the input jump, and the jump's factor."""
    k, s, d = (_first(v) for v in (m.kernel_size, m.stride, m.dilation))
    return (k - 1) * d, Fraction(s)


def _avg_pool_rule(m: nn.AvgPool2d) -> tuple[int, Fraction]:
    k, s = _first(m.kernel_size), _first(m.stride)
    return k - 1, Fraction(s)


def _conv_transpose_rule(m: nn.ConvTranspose2d) -> tuple[int, Fraction]:
    # An output position reads ceil(span / stride) input positions; the jump shrinks by the stride.
    k, s, d = _first(m.kernel_size), _first(m.stride), _first(m.dilation)
    return math.ceil(((k - 1) * d + 1) / s) - 1, Fraction(1, s)


def _first(value: int | tuple[int, ...]) -> int:
    return value if isinstance(value, int) else value[0]


_RF_RULES: dict[type[nn.Module], Callable[[Any], tuple[int, Fraction]]] = {
    nn.Conv2d: _conv_rule,
    nn.MaxPool2d: _conv_rule,
    nn.AvgPool2d: _avg_pool_rule,
    nn.ConvTranspose2d: _conv_transpose_rule,
}


def receptive_field(module: nn.Module, run: Callable[[], object]) -> int:
    """Receptive field of the layers of ``module`` in the order ``run()`` calls them.

    Uses r += growth * jump, jump *= stride over the call order, which is the longest path for chains,
    residual blocks (the skip is shorter) and U-Nets (down, bottleneck, up).
    """
    calls: list[nn.Module] = []
    hooks = [
        m.register_forward_hook(lambda mod, _inp, _out: calls.append(mod))
        for m in module.modules()
        if type(m) in _RF_RULES
    ]
    try:
        with torch.no_grad():
            run()
    finally:
        for hook in hooks:
            hook.remove()
    field, jump = Fraction(1), Fraction(1)
    for layer in calls:
        growth, factor = _RF_RULES[type(layer)](layer)
        field += growth * jump
        jump *= factor
    return math.ceil(field)


def _conv_macs(m: nn.Conv2d, inp: torch.Tensor, out: torch.Tensor) -> int:
    return out[0].numel() * (m.in_channels // m.groups) * math.prod(m.kernel_size)


def _conv_transpose_macs(m: nn.ConvTranspose2d, inp: torch.Tensor, out: torch.Tensor) -> int:
    return inp[0].numel() * (m.out_channels // m.groups) * math.prod(m.kernel_size)


def _linear_macs(m: nn.Linear, inp: torch.Tensor, out: torch.Tensor) -> int:
    return out[0].numel() * m.in_features


_MACS: dict[type[nn.Module], Callable[[Any, torch.Tensor, torch.Tensor], int]] = {
    nn.Conv2d: _conv_macs,
    nn.ConvTranspose2d: _conv_transpose_macs,
    nn.Linear: _linear_macs,
}


def count_flops(module: nn.Module, run: Callable[[], object]) -> int:
    """2 x multiply-accumulates of the Conv2d, ConvTranspose2d and Linear layers of ``module`` during
    ``run()``, for the first sample of each batch."""
    macs = [0]

    def hook(mod: nn.Module, inputs: tuple[torch.Tensor, ...], out: torch.Tensor) -> None:
        macs[0] += _MACS[type(mod)](mod, inputs[0], out)

    hooks = [m.register_forward_hook(hook) for m in module.modules() if type(m) in _MACS]
    try:
        with torch.no_grad():
            run()
    finally:
        for handle in hooks:
            handle.remove()
    return 2 * macs[0]


class _NoOptimizer:
    """Stands in for the policy's optimizer where nothing is trained."""

    def __init__(self, params: Any, **kwargs: Any) -> None:
        pass


def architecture_facts(
    encoder: str,
    observation_space: spaces.Box,
    action_space: spaces.Space,
    *,
    action_map: bool | None = None,
    **encoder_kwargs: Any,
) -> ArchitectureFacts:
    """Builds the policy and measures it.

    Args:
        encoder: A name in :data:`nets.registry.ENCODERS`.
        observation_space: The observation space (FLOPs are for this input size).
        action_space: The action space.
        action_map: As for :class:`nets.policy.PixelPolicy`.
        **encoder_kwargs: Keyword arguments of the encoder class.
    """
    policy = PixelPolicy(
        observation_space,
        action_space,
        lambda _: 0.0,
        encoder=encoder,
        encoder_kwargs=encoder_kwargs,
        action_map=action_map,
        # The facts are of the structure: orthogonal init (a QR per layer) and Adam (whose first construction
        # imports torch._dynamo) took most of `pixelarena list`'s seconds and change none of them.
        ortho_init=False,
        optimizer_class=_NoOptimizer,
    )
    policy.set_training_mode(False)
    extractor = policy.features_extractor
    obs = extractor.dummy_input()

    def forward() -> None:
        features = extractor(obs)  # the dummy input is already what SB3's preprocessing hands the extractor
        policy.action_net(features)
        policy.value_net(features)

    with torch.no_grad():
        feature_shape = tuple(extractor(obs).shape[1:])
    rf_layers = extractor.receptive_field_layers()
    if rf_layers is None:
        field, field_note = None, "fully connected: every feature sees the whole input"
    else:
        field = receptive_field(rf_layers, lambda: extractor(obs))
        field_note = f"one position of the {encoder} encoder's last feature map, longest path" + (
            " (down path, bottleneck, up path)"
            if extractor.output == "map"
            else "; the global pool after it sees everything"
        )
    transfers, transfer_note = _transfer_check(policy)
    return ArchitectureFacts(
        encoder=encoder,
        observation_shape=tuple(extractor.layout.shape),  # a Dict's: its first image key's
        feature_shape=feature_shape,
        action_kind=policy.pixel.action.kind,
        action_head=type(policy.action_net).__name__,
        params=sum(p.numel() for p in policy.parameters() if p.requires_grad),
        encoder_params=sum(p.numel() for p in extractor.parameters() if p.requires_grad),
        receptive_field=field,
        receptive_field_note=field_note,
        flops=count_flops(policy, forward),
        transfers=transfers,
        transfer_note=transfer_note,
    )


def _transfer_check(policy: PixelPolicy) -> tuple[bool | None, str]:
    layout = policy.features_extractor.layout
    if isinstance(policy.observation_space, spaces.Dict):
        return None, "Dict observation: moving it to another map size is not supported"
    if not layout.image:
        return None, "vector observation: transfers to other settings only if its length stays the same"
    spec = policy.pixel.action
    encoder = policy.features_extractor
    # In cells: the action grid's, or the positions the encoder reads (pixels / its stem's cell_px).
    height, width = spec.grid if spec.grid is not None else encoder.input_size
    bigger = resize_spaces(
        policy.observation_space,
        policy.action_space,
        height + 4,
        width + 4,
        cell_px=None if spec.grid is not None else encoder.cell_px,
        channels_first=policy.pixel.channels_first,
    )
    return can_transfer(policy, *bigger)
