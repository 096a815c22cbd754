"""A trained policy as a plain module for export (ONNX): observation in, action logits and value out.

``ExportedPolicy`` runs exactly what stable-baselines3's ``ActorCriticPolicy.forward`` runs up to the
distribution (features, latents, ``action_net``, ``value_net``) and returns the logits instead of sampling, so a
game engine picks the greedy action itself: the argmax of the logits (Discrete, including click maps of H*W
cells), or per cell of ``logits.reshape(N, cells, choices)`` (per-cell MultiDiscrete), after setting the logits
of masked actions to -inf (games with action masks).

``ExportedRecurrentPolicy`` is a recurrent policy's step: the LSTM state goes in and out beside the observation
(sb3-contrib's ``forward`` for a sequence of one), and ``episode_start`` zeroes the state of envs whose episode
begins with this observation, as sb3-contrib does.
"""

from __future__ import annotations

import torch
from stable_baselines3.common.policies import ActorCriticPolicy
from torch import nn

from pixelarena.nets.recurrent import step_latents


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

    def features(self, obs: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """The encoder's output on observations in the env's layout."""
        if self.channels_last_input:
            obs = obs.permute(0, 3, 1, 2)
        return self.policy.extract_features(obs.float())

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        policy = self.policy
        features = self.features(obs)
        if policy.share_features_extractor:
            latent_pi, latent_vf = policy.mlp_extractor(features)
        else:
            pi_features, vf_features = features
            latent_pi = policy.mlp_extractor.forward_actor(pi_features)
            latent_vf = policy.mlp_extractor.forward_critic(vf_features)
        return policy.action_net(latent_pi), policy.value_net(latent_vf).squeeze(-1)


class ExportedRecurrentPolicy(ExportedPolicy):
    """``(obs (N, ...), episode_start (N,), h_pi, c_pi, h_vf, c_vf)`` -> ``(logits, value, h_pi, c_pi, h_vf, c_vf)``;
    each state ``(layers, N, hidden)``, zeros at the first step. ``episode_start`` is 1.0 where an episode begins
    (the state coming in is then ignored), else 0.0."""

    def forward(self, obs: torch.Tensor, episode_start: torch.Tensor, *state: torch.Tensor) -> tuple[torch.Tensor, ...]:  # type: ignore[override]
        keep = (1.0 - episode_start).view(1, -1, 1)
        features = self.features(obs)
        latent_pi, latent_vf, after = step_latents(self.policy, features, tuple(keep * s for s in state))  # type: ignore[arg-type]
        return self.policy.action_net(latent_pi), self.policy.value_net(latent_vf).squeeze(-1), *after
