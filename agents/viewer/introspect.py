"""What a policy thinks, for one observation: action probabilities, value, where it looks, what its filters
respond to (feature maps through forward hooks) and which pixels matter (saliency through autograd).

Works on any stable-baselines3 actor-critic policy whose heads are pixelarena's (``nets.PixelPolicy`` and
``nets.MaskablePixelPolicy``), with every encoder: feature maps come from the encoder's Conv2d and
ConvTranspose2d layers, saliency from the gradient with respect to the image as the encoder reads it (the output
of its colour stem, ``nets.stems``, at the observation's resolution), so both need nothing from the encoder beyond
being a pixelarena encoder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3.common.policies import ActorCriticPolicy
from torch import nn

from pixelarena.nets.heads import ActionKind, SpatialSoftmaxHead
from pixelarena.nets.recurrent import initial_state, is_recurrent, step_latents

FEATURE_LAYERS = (nn.Conv2d, nn.ConvTranspose2d)
"""Layers whose output maps the "features" overlay shows."""

SALIENCY_TARGETS = ("action", "value")
"""What saliency differentiates: the chosen action's logit(s) or the value estimate."""


@dataclass
class Insight:
    """The policy on one observation.

    Attributes:
        kind: The action head's kind (``discrete``, ``click``, ``cells``, ``multi``; see ``nets.heads``).
        probs: ``(entries, k)`` action probabilities, one row per entry of the action (1 for Discrete, one per
            cell for per-cell actions); rows of entries with fewer than ``k`` choices are padded with 0.
        allowed: ``(entries, k)`` bool, the actions the mask allows (all real ones without a mask).
        action: ``(entries,)`` the greedy choice of each entry (what ``predict(deterministic=True)`` plays).
        value: The value estimate.
        grid: ``(rows, cols)`` of the action map for ``click`` and ``cells`` heads, else None.
        attention: ``(H, W)`` weights of a spatial-softmax readout (where a U-Net looks), else None.
        features: ``(C, h, w)`` output of the requested layer, else None.
        saliency: ``(H, W)`` absolute gradient of the saliency target w.r.t. the encoder's colour-stem output at
            each observation pixel (max over channels), else None.
    """

    kind: ActionKind
    probs: np.ndarray
    allowed: np.ndarray
    action: np.ndarray
    value: float
    grid: tuple[int, int] | None = None
    attention: np.ndarray | None = None
    features: np.ndarray | None = None
    saliency: np.ndarray | None = None

    def env_action(self) -> int | np.ndarray:
        """The greedy action in the env's format: an int for Discrete, an int64 array for MultiDiscrete."""
        return int(self.action[0]) if self.kind in ("discrete", "click") else self.action.astype(np.int64)

    def sample(self, rng: np.random.Generator) -> int | np.ndarray:
        """An action drawn from the probabilities (each entry on its own), in the env's format like
        :meth:`env_action`: the stochastic play of training rather than the greedy choice."""
        cumulative = np.cumsum(self.probs, axis=1)
        draws = rng.random(len(cumulative))[:, None] * cumulative[:, -1:]
        action = np.minimum((cumulative <= draws).sum(axis=1), self.probs.shape[1] - 1)
        return int(action[0]) if self.kind in ("discrete", "click") else action.astype(np.int64)

    def deciding(self) -> np.ndarray:
        """Indices of the entries with a real choice (more than one allowed action): Swarm's units."""
        return np.flatnonzero(self.allowed.sum(axis=1) > 1)


class Introspector:
    """Looks inside a policy while it plays.

    Args:
        policy: A pixelarena actor-critic policy (``model.policy`` of a loaded run).
    """

    def __init__(self, policy: ActorCriticPolicy) -> None:
        self.policy = policy
        policy.set_training_mode(False)
        self.spec = policy.pixel.action
        self.layout = policy.features_extractor.layout
        space = policy.action_space
        self.nvec = [int(space.n)] if isinstance(space, spaces.Discrete) else [int(n) for n in space.nvec]
        self.layers: list[tuple[str, nn.Module]] = [
            (name, module)
            for name, module in policy.features_extractor.named_modules()
            if isinstance(module, FEATURE_LAYERS)
        ]
        head = policy.action_net
        self.readout: nn.Module | None = head.attention if isinstance(head, SpatialSoftmaxHead) else None
        # A recurrent policy's LSTM state before the current observation, and after it (once inspected): inspecting
        # the same observation again (another overlay) starts from the same state; remember() moves it on.
        self.recurrent = is_recurrent(policy)
        self._memory: tuple[torch.Tensor, ...] | None = None
        self._next_memory: tuple[torch.Tensor, ...] | None = None

    def remember(self) -> None:
        """The inspected observation was played: the policy's memory moves on to the next one."""
        self._memory = self._next_memory

    def forget(self) -> None:
        """A new episode begins: the policy's memory starts afresh."""
        self._memory = self._next_memory = None

    @property
    def has_action_map(self) -> bool:
        """Whether the actions can be drawn over the game: click / per-cell heads, or a spatial-softmax readout."""
        return self.spec.grid is not None or self.readout is not None

    @property
    def image_input(self) -> bool:
        """Whether the observation is an image (saliency is then a map over it)."""
        return self.layout.image

    def layer_name(self, index: int) -> str:
        """A readable name of feature layer ``index``: "convs.2 (Conv2d, 32 ch)"."""
        name, module = self.layers[index]
        return f"{name} ({type(module).__name__}, {module.out_channels} ch)"

    def inspect(
        self,
        observation: np.ndarray,
        masks: np.ndarray | None = None,
        layer: int | None = None,
        saliency: str | None = None,
    ) -> Insight:
        """Runs the policy on one observation.

        Args:
            observation: A batch of one observation, as the env returns it.
            masks: The env's action masks for it (flat bool, batch of one), or None.
            layer: Index into :attr:`layers` whose output to keep, or None.
            saliency: One of :data:`SALIENCY_TARGETS`, or None for no gradient.

        Returns:
            The insight; ``features`` and ``saliency`` only when asked for.
        """
        if saliency is not None and saliency not in SALIENCY_TARGETS:
            raise ValueError(f"saliency target must be one of {SALIENCY_TARGETS}, got {saliency!r}")
        policy = self.policy
        obs, _ = policy.obs_to_tensor(observation)
        grad = saliency is not None and self.image_input
        kept: dict[str, torch.Tensor] = {}
        hooks = []
        if layer is not None and self.layers:
            hooks.append(self.layers[layer % len(self.layers)][1].register_forward_hook(_keep(kept, "features")))
        if self.readout is not None:
            hooks.append(self.readout.register_forward_hook(_keep(kept, "attention")))
        if grad:
            # Saliency is taken on the image as the encoder reads it, at the observation's resolution: the colour
            # stem's output. Its input would not do: a palette or lookup stem quantises colours (no gradient).
            hooks.append(policy.features_extractor.stem[0].register_forward_hook(_differentiate(kept, "read")))
        try:
            with torch.set_grad_enabled(grad):
                logits, value = self._forward(obs if isinstance(obs, dict) else obs.float())  # a Dict: as it is
        finally:
            for hook in hooks:
                hook.remove()
        probs, allowed = self._probabilities(logits.detach()[0].cpu(), masks)
        action = probs.argmax(axis=1)
        insight = Insight(
            kind=self.spec.kind,
            probs=probs,
            allowed=allowed,
            action=action,
            value=float(value.detach()[0, 0]),
            grid=self.spec.grid,
        )
        if "features" in kept:
            insight.features = kept["features"][0].detach().cpu().numpy()
        if "attention" in kept:
            weights = torch.softmax(kept["attention"][0, 0].detach().flatten(), dim=0)
            insight.attention = weights.view(kept["attention"].shape[2:]).cpu().numpy()
        if grad:
            target = value[0, 0] if saliency == "value" else self._chosen_logits(logits[0], insight)
            (gradient,) = torch.autograd.grad(target, kept["read"])
            insight.saliency = gradient[0].abs().amax(dim=0).cpu().numpy()  # (C, H, W) -> (H, W)
        return insight

    def _forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Flat logits (1, n_logits) and value (1, 1), along stable-baselines3's own path."""
        policy = self.policy
        features = policy.extract_features(x)
        pi_features, vf_features = features if isinstance(features, tuple) else (features, features)
        if self.recurrent:  # sb3-contrib's recurrent policies share their encoder
            memory = self._memory if self._memory is not None else initial_state(policy, 1)
            latent_pi, latent_vf, after = step_latents(policy, pi_features, memory)  # type: ignore[arg-type]
            self._next_memory = tuple(t.detach() for t in after)
        else:
            latent_pi = policy.mlp_extractor.forward_actor(pi_features)
            latent_vf = policy.mlp_extractor.forward_critic(vf_features)
        return policy.action_net(latent_pi), policy.value_net(latent_vf)

    def _probabilities(self, logits: torch.Tensor, masks: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Per-entry softmax of the flat logits under the masks, padded to ``(entries, max k)``."""
        k = max(self.nvec)
        entries = len(self.nvec)
        flat_allowed = (
            np.ones(sum(self.nvec), dtype=bool) if masks is None else np.asarray(masks, dtype=bool).reshape(-1)
        )
        if all(n == k for n in self.nvec):  # one reshape for uniform actions (Swarm's 144 cells)
            table = logits.view(entries, k)
            allowed = flat_allowed.reshape(entries, k)
        else:
            table = torch.full((entries, k), -torch.inf)
            allowed = np.zeros((entries, k), dtype=bool)
            start = 0
            for row, n in enumerate(self.nvec):
                table[row, :n] = logits[start : start + n]
                allowed[row, :n] = flat_allowed[start : start + n]
                start += n
        table = table.masked_fill(~torch.as_tensor(allowed), -torch.inf)
        return torch.softmax(table, dim=1).cpu().numpy(), allowed

    def _chosen_logits(self, logits: torch.Tensor, insight: Insight) -> torch.Tensor:
        """The sum of the chosen actions' logits over the entries that decide something (all for Discrete)."""
        starts = np.concatenate([[0], np.cumsum(self.nvec)[:-1]])
        rows = insight.deciding() if len(self.nvec) > 1 else np.arange(1)
        if len(rows) == 0:
            rows = np.arange(len(self.nvec))
        index = torch.as_tensor(starts[rows] + insight.action[rows], device=logits.device)
        return logits[index].sum()


def _keep(store: dict[str, torch.Tensor], key: str) -> Callable[..., None]:
    """A forward hook that keeps the module's output under ``key``."""

    def hook(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        store[key] = output

    return hook


def _differentiate(store: dict[str, torch.Tensor], key: str) -> Callable[..., torch.Tensor]:
    """A forward hook that makes the module's output a leaf to differentiate with respect to, kept under ``key``."""

    def hook(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> torch.Tensor:
        store[key] = output.detach().requires_grad_(True)
        return store[key]

    return hook
