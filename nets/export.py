"""A trained policy as a plain module for export (ONNX): observation in, action logits and value out.

``ExportedPolicy`` runs exactly what stable-baselines3's ``ActorCriticPolicy.forward`` runs up to the
distribution (features, latents, ``action_net``, ``value_net``) and returns the logits instead of sampling, so a
game engine picks the greedy action itself: the argmax of the logits (Discrete, including click maps of H*W
cells), or per cell of ``logits.reshape(N, cells, choices)`` (per-cell MultiDiscrete), after setting the logits
of masked actions to -inf (games with action masks).
"""

from __future__ import annotations

import torch
from stable_baselines3.common.policies import ActorCriticPolicy
from torch import nn


class ExportedPolicy(nn.Module):
    """``(N, *observation)`` in the env's own layout and dtype -> ``(logits (N, A), value (N,))``.

    Args:
        policy: The trained policy (in eval mode).
        channels_last_input: The env gives H x W x C images that the policy reads as C x H x W (SB3 transposed
            them in training); the exported graph takes the env's layout and transposes itself.
    """

    def __init__(self, policy: ActorCriticPolicy, channels_last_input: bool = False) -> None:
        super().__init__()
        self.policy = policy
        self.channels_last_input = channels_last_input

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.channels_last_input:
            obs = obs.permute(0, 3, 1, 2)
        policy = self.policy
        features = policy.extract_features(obs.float())
        if policy.share_features_extractor:
            latent_pi, latent_vf = policy.mlp_extractor(features)
        else:
            pi_features, vf_features = features
            latent_pi = policy.mlp_extractor.forward_actor(pi_features)
            latent_vf = policy.mlp_extractor.forward_critic(vf_features)
        return policy.action_net(latent_pi), policy.value_net(latent_vf).squeeze(-1)
