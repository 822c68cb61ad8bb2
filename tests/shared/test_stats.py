import numpy as np
import pytest
from scipy import stats

from gmm_theory._stats import t_interval


@pytest.mark.parametrize("seed, count, level", [(0, 5, 0.95), (1, 2, 0.9), (2, 30, 0.99)])
def test_t_interval_matches_scipys_one_sample_t_test(seed, count, level):
    values = np.random.default_rng(seed).normal(3.0, 2.0, count)
    interval = t_interval(values, level)
    expected = stats.ttest_1samp(values, 0.0).confidence_interval(level)
    np.testing.assert_allclose([interval.low, interval.high], [expected.low, expected.high], rtol=1e-12)
    assert interval.mean == pytest.approx(values.mean()) and interval.count == count


def test_t_interval_covers_the_mean_at_its_level():
    rng = np.random.default_rng(3)
    covered = [not t_interval(rng.normal(1.0, 1.0, 5)).excludes(1.0) for _ in range(4000)]
    # 95 % coverage; binomial standard error of the rate is about 0.0034
    assert abs(np.mean(covered) - 0.95) < 4 * np.sqrt(0.95 * 0.05 / 4000)


def test_t_interval_of_one_value_has_no_bounds_and_bad_input_is_named():
    interval = t_interval([2.0])
    assert interval.mean == 2.0 and np.isnan(interval.low) and np.isnan(interval.high)
    for bad in ([], [1.0, np.nan], [[1.0, 2.0]]):
        with pytest.raises(ValueError, match="values must be a non-empty 1-d array"):
            t_interval(bad)
    with pytest.raises(ValueError, match="level must lie in"):
        t_interval([1.0, 2.0], level=1.0)
