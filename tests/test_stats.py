"""IQM and bootstrap confidence intervals against values computed by hand."""

import numpy as np
import pytest

from agents.config import parse_env_kwargs, parse_steps
from agents.stats import bootstrap_ci, iqm


def test_iqm_drops_the_outer_quarters() -> None:
    assert iqm([1, 2, 3, 4, 5, 6, 7, 8]) == 4.5  # mean of 3, 4, 5, 6
    assert iqm([100, 1, 2, 3, 4]) == 3.0  # floor(5/4) = 1 cut each side: mean of 2, 3, 4
    assert iqm([7]) == 7.0


def test_bootstrap_ci_brackets_the_mean_and_shrinks_with_more_data() -> None:
    rng = np.random.default_rng(0)
    small, large = rng.normal(5, 1, 20), rng.normal(5, 1, 2000)
    lo_s, hi_s = bootstrap_ci(small)
    lo_l, hi_l = bootstrap_ci(large)
    assert lo_s < small.mean() < hi_s and lo_l < large.mean() < hi_l
    assert hi_l - lo_l < (hi_s - lo_s) / 5
    # The normal approximation: half-width ~ 1.96 * sd / sqrt(n) = 0.0438 for n = 2000, sd = 1.
    assert (hi_l - lo_l) / 2 == pytest.approx(1.96 * large.std() / np.sqrt(2000), rel=0.1)
    assert bootstrap_ci([3.0, 3.0, 3.0]) == (3.0, 3.0)


def test_step_counts_and_env_kwargs_parse() -> None:
    assert parse_steps("500k") == 500_000 and parse_steps("2M") == 2_000_000 and parse_steps("1500") == 1500
    assert parse_steps("1.5k") == 1500
    for bad in ("10q", "0", "-5k", "1.2345k"):
        with pytest.raises(ValueError):
            parse_steps(bad)
    assert parse_env_kwargs(["size=24", "drift=0.5", "name=abc"]) == {"size": 24, "drift": 0.5, "name": "abc"}
    with pytest.raises(ValueError, match="key=value"):
        parse_env_kwargs(["size"])
