"""A counter-based random generator with one independent stream per game of a batch.

Why not ``numpy.random.Generator``: a batch of N games would need N generator objects and a Python loop per
draw. Here every game's stream is a pure function of ``(key, counter)`` (splitmix64 in counter mode), so one
numpy expression draws for any subset of the batch, and game ``i`` sees exactly the numbers it would see alone:
its counter moves only when *it* draws, whatever the other games do.
"""

from __future__ import annotations

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_INV_2_53 = 1.0 / (1 << 53)


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, in place on ``z``: a bijection on uint64 with good avalanche."""
    z ^= z >> np.uint64(30)
    z *= _MIX1
    z ^= z >> np.uint64(27)
    z *= _MIX2
    z ^= z >> np.uint64(31)
    return z


class BatchRNG:
    """N independent random streams, drawn from together.

    Args:
        num_streams: number of games in the batch.
    """

    def __init__(self, num_streams: int) -> None:
        self.keys = np.zeros(num_streams, dtype=np.uint64)
        self.counters = np.zeros(num_streams, dtype=np.uint64)

    def seed(self, seeds: np.ndarray, index: np.ndarray | slice = slice(None)) -> None:
        """Restart the streams at ``index`` from integer ``seeds`` (one per stream)."""
        seeds = np.atleast_1d(np.asarray(seeds, dtype=np.uint64))
        self.keys[index] = _mix(seeds * _GOLDEN + _GOLDEN)
        self.counters[index] = 0

    def bits(self, index: np.ndarray | slice, k: int) -> np.ndarray:
        """``k`` raw uint64 draws for each selected stream, shape ``(len(index), k)``."""
        keys = self.keys[index]
        counters = self.counters[index]
        self.counters[index] = counters + np.uint64(k)
        z = counters[:, None] + np.arange(1, k + 1, dtype=np.uint64)
        z *= _GOLDEN
        z += keys[:, None]
        return _mix(z)

    def uniform(self, index: np.ndarray | slice, k: int) -> np.ndarray:
        """``k`` floats in [0, 1) for each selected stream, shape ``(len(index), k)``."""
        return (self.bits(index, k) >> np.uint64(11)).astype(np.float64) * _INV_2_53

    def integers(self, index: np.ndarray | slice, k: int, high: int) -> np.ndarray:
        """``k`` integers in ``[0, high)`` for each selected stream (int64)."""
        return (self.uniform(index, k) * high).astype(np.int64)

    def state(self) -> tuple[np.ndarray, np.ndarray]:
        """Copies of (keys, counters), enough to replay every stream."""
        return self.keys.copy(), self.counters.copy()
