"""IQM and bootstrap confidence intervals against values computed by hand."""

import numpy as np
import pytest

from pixelarena.agents.checks import parse_kwargs, parse_steps
from pixelarena.agents.reporting.stats import bootstrap_ci, bootstrap_ci_of_mean_curve, iqm


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
    assert parse_kwargs(["size=24", "drift=0.5", "name=abc"]) == {"size": 24, "drift": 0.5, "name": "abc"}
    with pytest.raises(ValueError, match="key=value"):
        parse_kwargs(["size"])


def test_iqm_cuts_floor_of_a_quarter_each_side() -> None:
    assert iqm([1, 2, 3, 10]) == 2.5  # n = 4: cut 1 each side, mean of 2 and 3
    assert iqm([1, 2, 3, 4, 5, 100]) == 3.5  # n = 6: cut 1 each side, mean of 2, 3, 4, 5
    assert iqm([0, 0, 3]) == 1.0  # n = 3: nothing cut


def test_bootstrap_cis_of_mean_and_iqm_match_the_exact_bootstrap_distribution() -> None:
    # [0, 0, 0, 1]: a resample holds k ones, k ~ Binomial(4, 1/4): P(k <= 2) = 243/256 = 0.949 < 0.975 and
    # P(k <= 3) = 255/256, so the mean's 95% CI is (0, 3/4). The IQM of 4 values is the mean of the middle two:
    # 0 for k <= 1 (P = 189/256 = 0.74), 1/2 for k = 2, 1 for k >= 3 (P = 13/256 = 0.051 > 0.025): CI (0, 1).
    assert bootstrap_ci([0, 0, 0, 1]) == (0.0, 0.75)
    assert bootstrap_ci([0, 0, 0, 1], statistic=iqm) == (0.0, 1.0)
    # [1, 2, 3, 10]: the IQM is 1 when at least three of the four draws are 1, P = 13/256 > 0.025, and 10 when
    # at least three are 10 (the same): the CI is (1, 10) around an IQM of 2.5.
    assert bootstrap_ci([1, 2, 3, 10], statistic=iqm) == (1.0, 10.0)
    # [0, 0, 3] (nothing cut: the mean): k draws of 3, k ~ Binomial(3, 1/3); P(k = 0) = 8/27 > 0.025 and
    # P(k <= 2) = 26/27 = 0.963 < 0.975: CI (0, 3).
    assert bootstrap_ci([0, 0, 3], statistic=iqm) == (0.0, 3.0)


def test_mean_curve_band_is_the_bootstrap_ci_of_every_point() -> None:
    curves = np.random.default_rng(1).normal(size=(5, 7)).cumsum(axis=1)
    low, high = bootstrap_ci_of_mean_curve(curves)
    for j in range(curves.shape[1]):
        assert (low[j], high[j]) == pytest.approx(bootstrap_ci(curves[:, j]))
    one = bootstrap_ci_of_mean_curve(curves[:1])
    assert (one[0] == curves[0]).all() and (one[1] == curves[0]).all()


def test_probability_of_improvement_counts_pairs_and_ties() -> None:
    from pixelarena.agents.reporting.stats import probability_of_improvement, probability_of_improvement_ci

    assert probability_of_improvement([3.0, 4.0], [1.0, 2.0]) == 1.0
    assert probability_of_improvement([1.0, 2.0], [3.0, 4.0]) == 0.0
    # pairs (1,1) tie, (1,2) loss, (3,1) win, (3,2) win: (0.5 + 0 + 1 + 1) / 4
    assert probability_of_improvement([1.0, 3.0], [1.0, 2.0]) == 0.625
    low, high = probability_of_improvement_ci([1.0, 3.0, 5.0], [0.0, 2.0, 4.0])
    assert 0.0 <= low <= probability_of_improvement([1.0, 3.0, 5.0], [0.0, 2.0, 4.0]) <= high <= 1.0
    assert probability_of_improvement_ci([5.0, 6.0], [1.0, 2.0]) == (1.0, 1.0)
