"""Statistics for reporting returns: bootstrap confidence intervals and the interquartile mean."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def iqm(values: Sequence[float]) -> float:
    """Interquartile mean as rliable computes it (``scipy.stats.trim_mean(x, 0.25)``): drop the lowest and
    highest ``floor(n / 4)`` values, average the rest."""
    x = np.sort(np.asarray(values, dtype=float))
    if len(x) == 0:
        raise ValueError("iqm of no values")
    cut = int(0.25 * len(x))
    return float(x[cut : len(x) - cut].mean())


def bootstrap_ci(
    values: Sequence[float],
    statistic: Callable[[np.ndarray], float] = np.mean,
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of ``statistic`` over ``values``."""
    x = np.asarray(values, dtype=float)
    if len(x) == 0:
        raise ValueError("confidence interval of no values")
    if len(x) == 1:
        return float(x[0]), float(x[0])
    rng = np.random.default_rng(seed)
    samples = x[rng.integers(0, len(x), size=(resamples, len(x)))]
    stats = np.array([statistic(row) for row in samples])
    alpha = (1 - confidence) / 2
    return float(np.quantile(stats, alpha)), float(np.quantile(stats, 1 - alpha))
