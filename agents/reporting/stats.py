"""Statistics for reporting returns: bootstrap confidence intervals and the interquartile mean.

A comparison's final-score table follows rliable (Agarwal et al., 2021): the IQM over seeds with a percentile
bootstrap CI. rliable's stratified bootstrap resamples runs within each task; each experiment here is one game
(one task), where that is exactly ``bootstrap_ci(scores, statistic=iqm)``.
"""

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
    samples = x[_resample(len(x), resamples, seed)]
    stats = np.array([statistic(row) for row in samples])
    alpha = (1 - confidence) / 2
    return float(np.quantile(stats, alpha)), float(np.quantile(stats, 1 - alpha))


def bootstrap_ci_of_mean_curve(
    curves: np.ndarray, confidence: float = 0.95, resamples: int = 2000, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap confidence band of the mean curve over runs: ``curves`` is ``(runs, points)``.

    Whole runs are resampled (a run's points stay together), with the same draws as :func:`bootstrap_ci`, so
    the band at each point equals ``bootstrap_ci(curves[:, j])``; vectorized because a plot has hundreds of points.
    """
    x = np.asarray(curves, dtype=float)
    if x.ndim != 2 or len(x) == 0:
        raise ValueError(f"curves must be (runs, points) with at least one run, got shape {x.shape}")
    if len(x) == 1:
        return x[0].copy(), x[0].copy()
    means = x[_resample(len(x), resamples, seed)].mean(axis=1)  # (resamples, points)
    alpha = (1 - confidence) / 2
    return np.quantile(means, alpha, axis=0), np.quantile(means, 1 - alpha, axis=0)


def _resample(n: int, resamples: int, seed: int) -> np.ndarray:
    """Indices of ``resamples`` bootstrap samples of ``n`` values, drawn with replacement: ``(resamples, n)``."""
    return np.random.default_rng(seed).integers(0, n, size=(resamples, n))


def probability_of_improvement(x: Sequence[float], y: Sequence[float]) -> float:
    """P(X > Y) as rliable defines it for one task: the chance that a random run of X scores above a random run of
    Y, ties counting one half (the Mann-Whitney U statistic over ``len(x) * len(y)``)."""
    a, b = np.asarray(x, dtype=float)[:, None], np.asarray(y, dtype=float)[None, :]
    if a.size == 0 or b.size == 0:
        raise ValueError("probability of improvement needs runs on both sides")
    return float(((a > b) + 0.5 * (a == b)).mean())


def probability_of_improvement_ci(
    x: Sequence[float], y: Sequence[float], confidence: float = 0.95, resamples: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap CI of :func:`probability_of_improvement`, resampling the runs of each side on its own
    (rliable's stratified bootstrap with one task)."""
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    rows_a = a[_resample(len(a), resamples, seed)][:, :, None]
    rows_b = b[_resample(len(b), resamples, seed + 1)][:, None, :]
    stats = ((rows_a > rows_b) + 0.5 * (rows_a == rows_b)).mean(axis=(1, 2))
    alpha = (1 - confidence) / 2
    return float(np.quantile(stats, alpha)), float(np.quantile(stats, 1 - alpha))
