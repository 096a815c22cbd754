"""Deep Sets entity encoder: a vector observation read as rows of entities, pooled so that their order does not
matter (Zaheer et al., 2017; the entity encoders of OpenAI Five and AlphaStar are of this kind).

The observation is a 1-D Box whose first ``rows * row_features`` entries are ``rows`` entity rows and whose rest
(the agent's own features) is read as it is. A row of zeros is padding: it is left out of the pools. pixelarena's
games declare their rows in the env's metadata (``entity_rows``, ``entity_features``; training passes them on);
any env whose observation has this layout can use it with ``--encoder-kwargs rows=R row_features=F``.
"""

from __future__ import annotations

import itertools
from typing import Any

import torch
from gymnasium import spaces
from torch import nn

from pixelarena.nets.encoder import PixelEncoder


def _mlp(sizes: tuple[int, ...]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for n_in, n_out in itertools.pairwise(sizes):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()]
    return nn.Sequential(*layers)


class SetsEncoder(PixelEncoder):
    """A shared MLP per entity row, sum and max pooling over the rows present, an MLP on top (with the agent's
    own features beside the pools). Permuting the rows leaves the output unchanged, and the number of rows may
    differ between envs of the same row width."""

    name = "sets"
    output = "vector"
    reads_entity_rows = True

    def __init__(
        self,
        observation_space: spaces.Space,
        rows: int | None = None,
        row_features: int | None = None,
        row_hidden: tuple[int, ...] = (64, 64),
        hidden_sizes: tuple[int, ...] = (256, 256),
        **reading: Any,
    ) -> None:
        """Builds the encoder.

        Args:
            observation_space: A 1-D Box: ``rows * row_features`` row entries, then the agent's own features.
            rows, row_features: The entity rows' count and width (from the env's metadata in training).
            row_hidden: Widths of the per-row MLP; the last is the width of each pool.
            hidden_sizes: Widths of the MLP on the pools and the own features; the last is the feature size.
            **reading: How the observation is read (layout, stem, cell size, frame stack): see
                :class:`nets.encoder.PixelEncoder` (for vectors only the defaults apply).
        """
        if rows is None or row_features is None:
            raise ValueError("the sets encoder reads entity rows: the env declares them in its metadata "
                             "(entity_rows, entity_features; pixelarena's games do with obs=entities), or pass "
                             "--encoder-kwargs rows=R row_features=F")  # fmt: skip
        if len(getattr(observation_space, "shape", ())) != 1:
            raise ValueError(f"the sets encoder reads a vector of entity rows, not shape {observation_space.shape}: "
                             "use it with obs=entities")  # fmt: skip
        if rows < 1 or row_features < 1 or rows * row_features > observation_space.shape[0]:
            raise ValueError(f"{rows} rows of {row_features} features do not fit an observation of "
                             f"{observation_space.shape[0]} entries")  # fmt: skip
        if not row_hidden or not hidden_sizes:
            raise ValueError("row_hidden and hidden_sizes need at least one layer each")
        super().__init__(observation_space, hidden_sizes[-1], flatten=True, **reading)
        self.rows, self.row_features = rows, row_features
        self.own_features = observation_space.shape[0] - rows * row_features
        self.row_net = _mlp((row_features, *row_hidden))
        self.top = _mlp((2 * row_hidden[-1] + self.own_features, *hidden_sizes))

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """Returns (B, hidden_sizes[-1])."""
        x = self.read(obs)
        # -1, not len(x): an ONNX export traces len(x) as a constant and would fix the batch size.
        table = x[:, : self.rows * self.row_features].reshape(-1, self.rows, self.row_features)
        present = (table != 0).any(dim=2, keepdim=True)  # (B, R, 1): rows of zeros are padding
        embedded = self.row_net(table) * present
        pooled_sum = embedded.sum(dim=1)
        # Max over the present rows; a batch element without any row pools to zeros.
        pooled_max = embedded.masked_fill(~present, float("-inf")).amax(dim=1)
        pooled_max = torch.where(present.any(dim=1), pooled_max, torch.zeros_like(pooled_max))
        return self.top(torch.cat([pooled_sum, pooled_max, x[:, self.rows * self.row_features :]], dim=1))
