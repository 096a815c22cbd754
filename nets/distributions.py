"""Multi-categorical distributions for MultiDiscrete([k] * n) actions, one Categorical over (batch, n, k).

stable-baselines3 and sb3-contrib build one Categorical per entry of a MultiDiscrete space and loop over
them in Python; with one choice per cell of a map (144 to thousands of entries) that loop dominates a
training step. When every entry has the same k the logits form a (batch, n, k) tensor and one
Categorical does the same work in a few tensor operations. Logit and mask layouts are unchanged
(entry-major, then choice), so these are drop-in replacements.
"""

from __future__ import annotations

from typing import TypeVar

import torch
from sb3_contrib.common.maskable.distributions import (
    MaskableCategorical,
    MaskableMultiCategoricalDistribution,
    MaybeMasks,
)
from stable_baselines3.common.distributions import MultiCategoricalDistribution
from torch.distributions import Categorical

SelfUniform = TypeVar("SelfUniform", bound="UniformMultiCategoricalDistribution")
SelfMaskableUniform = TypeVar("SelfMaskableUniform", bound="MaskableUniformMultiCategoricalDistribution")


class UniformMultiCategoricalDistribution(MultiCategoricalDistribution):
    """stable-baselines3's MultiCategoricalDistribution for ``n`` entries of ``k`` choices each, vectorized."""

    def __init__(self, n: int, k: int) -> None:
        """Builds the distribution for MultiDiscrete([k] * n)."""
        super().__init__([k] * n)
        self.n, self.k = n, k
        self.categorical: Categorical | None = None

    def proba_distribution(self: SelfUniform, action_logits: torch.Tensor) -> SelfUniform:
        """Sets the flat (batch, n * k) logits."""
        self.categorical = Categorical(logits=action_logits.view(-1, self.n, self.k))
        return self

    def log_prob(self, actions: torch.Tensor) -> torch.Tensor:
        """Sum over entries of the log-probabilities of (batch, n) actions."""
        return self.categorical.log_prob(actions.view(-1, self.n)).sum(dim=1)

    def entropy(self) -> torch.Tensor:
        """Sum over entries of the entropies."""
        return self.categorical.entropy().sum(dim=1)

    def sample(self) -> torch.Tensor:
        """(batch, n) sampled actions."""
        return self.categorical.sample()

    def mode(self) -> torch.Tensor:
        """(batch, n) most likely actions."""
        return self.categorical.logits.argmax(dim=2)


class MaskableUniformMultiCategoricalDistribution(MaskableMultiCategoricalDistribution):
    """sb3-contrib's MaskableMultiCategoricalDistribution for ``n`` entries of ``k`` choices, vectorized."""

    def __init__(self, n: int, k: int) -> None:
        """Builds the distribution for MultiDiscrete([k] * n)."""
        super().__init__([k] * n)
        self.n, self.k = n, k
        self.categorical: MaskableCategorical | None = None

    def proba_distribution(self: SelfMaskableUniform, action_logits: torch.Tensor) -> SelfMaskableUniform:
        """Sets the flat (batch, n * k) logits."""
        self.categorical = MaskableCategorical(logits=action_logits.view(-1, self.n, self.k))
        return self

    def apply_masking(self, masks: MaybeMasks) -> None:
        """Masks (batch, n * k) booleans, True where allowed; None removes the masks."""
        assert self.categorical is not None, "Must set distribution parameters"
        self.categorical.apply_masking(masks)

    # Same formulas as the unmasked version; MaskableCategorical handles the masks.
    log_prob = UniformMultiCategoricalDistribution.log_prob
    entropy = UniformMultiCategoricalDistribution.entropy
    sample = UniformMultiCategoricalDistribution.sample
    mode = UniformMultiCategoricalDistribution.mode
