"""Memory: sb3-contrib's recurrent policy (RecurrentPPO) with a pixelarena encoder, and one step of it.

``RecurrentPixelPolicy`` puts an LSTM between any encoder with a vector output and the flat heads: encoder ->
LSTM (one for the actor, one for the critic, sb3-contrib's default) -> action and value heads. Its state dict is
plain tensors, so checkpoints stay safetensors. Heads that read a feature map (a U-Net's pixel-to-pixel heads)
have no vector to feed an LSTM, and sb3-contrib's recurrent PPO has no action masks: :func:`recurrent_problem`
says so before anything is built.

:func:`step_latents` is one step of the policy with its LSTM state carried by the caller (the viewer's
introspection and the ONNX export), the same computation as sb3-contrib's ``forward`` for a sequence of one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from gymnasium import spaces
from sb3_contrib.common.recurrent.policies import RecurrentActorCriticPolicy
from torch import nn

from pixelarena.nets.policy import PixelPolicyMixin
from pixelarena.nets.registry import encoder_class

LSTM_HIDDEN_SIZE = 128
"""CleanRL's ppo_atari_lstm width; sb3-contrib's default is 256."""


def recurrent_problem(encoder: str, masked: bool) -> str:
    """Why ``encoder`` cannot take an LSTM ('' when it can): map outputs and action masks are not supported yet."""
    if encoder_class(encoder).output == "map":
        return (f"--recurrent puts an LSTM before flat heads; the {encoder} encoder's heads read its feature map "
                "(pixel-to-pixel): use cnn, impala, mlp or sets")  # fmt: skip
    if masked:
        return "--recurrent has no action masks (sb3-contrib's RecurrentPPO): games with masks need MaskablePPO"
    return ""


@dataclass(frozen=True)
class _LatentShape:
    """What the heads read in a recurrent policy: the LSTM's output vector, not the encoder's."""

    features_dim: int
    output: str = "vector"


class RecurrentPixelPolicy(PixelPolicyMixin, RecurrentActorCriticPolicy):
    """Recurrent actor-critic policy for sb3-contrib's RecurrentPPO with a pixelarena encoder, e.g.
    ``RecurrentPPO(RecurrentPixelPolicy, env, policy_kwargs=dict(encoder="cnn"))``.

    See :class:`nets.policy.PixelPolicyMixin` for the arguments; ``lstm_hidden_size``, ``n_lstm_layers``,
    ``shared_lstm`` and ``enable_critic_lstm`` are sb3-contrib's. Encoders with a map output are refused.
    """

    def __init__(self, observation_space: spaces.Space, action_space: spaces.Space, lr_schedule: Any,
                 encoder: str = "cnn", lstm_hidden_size: int = LSTM_HIDDEN_SIZE, **kwargs: Any) -> None:  # fmt: skip
        """Builds the policy; a ValueError for an encoder whose heads read a map."""
        problem = recurrent_problem(encoder, masked=False)
        if problem:
            raise ValueError(problem)
        super().__init__(observation_space, action_space, lr_schedule, encoder=encoder,
                         lstm_hidden_size=lstm_hidden_size, **kwargs)  # fmt: skip

    def _head_input(self) -> Any:
        # sb3-contrib sets lstm_output_dim before its base builds the heads: they read the LSTM's output.
        return _LatentShape(self.lstm_output_dim)


State = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]
"""An LSTM state as (actor h, actor c, critic h, critic c), each ``(layers, N, hidden)``."""


def initial_state(policy: RecurrentActorCriticPolicy, n: int) -> State:
    """The zero state of ``n`` envs (a new episode)."""
    layers, _, hidden = policy.lstm_hidden_state_shape
    zeros = torch.zeros(layers, n, hidden, device=policy.device)
    return zeros, zeros.clone(), zeros.clone(), zeros.clone()


def step_latents(policy: nn.Module, features: torch.Tensor, state: State) -> tuple[torch.Tensor, torch.Tensor, State]:
    """Actor and critic latents of one step from ``features`` (N, F) and the state before it; and the state after.

    The critic follows sb3-contrib's three cases: its own LSTM, the actor's (shared), or a linear layer.
    """
    h_pi, c_pi, h_vf, c_vf = state
    out_pi, (h_pi, c_pi) = policy.lstm_actor(features.unsqueeze(0), (h_pi, c_pi))
    latent_pi = out_pi[0]
    if policy.lstm_critic is not None:
        out_vf, (h_vf, c_vf) = policy.lstm_critic(features.unsqueeze(0), (h_vf, c_vf))
        latent_vf = out_vf[0]
    elif policy.shared_lstm:
        latent_vf, h_vf, c_vf = latent_pi, h_pi, c_pi
    else:
        latent_vf, h_vf, c_vf = policy.critic(features), h_pi, c_pi
    return (policy.mlp_extractor.forward_actor(latent_pi), policy.mlp_extractor.forward_critic(latent_vf),
            (h_pi, c_pi, h_vf, c_vf))  # fmt: skip


def is_recurrent(policy: nn.Module) -> bool:
    """Whether ``policy`` carries an LSTM state from step to step."""
    return isinstance(policy, RecurrentActorCriticPolicy)
