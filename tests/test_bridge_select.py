import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gmm_theory.bridge import select


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 60), classes=st.integers(1, 4))
def test_top_within_classes_matches_sorting_each_class(seed, n, classes):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    scores = rng.integers(0, 5, n).astype(float)  # many ties
    counts = [rng.integers(0, np.sum(y == k) + 1) for k in range(classes)]
    kept = select.top_within_classes(y, scores, counts)
    expected = []
    for k in range(classes):
        members = sorted(np.flatnonzero(y == k), key=lambda i: (-scores[i], i))
        expected += members[:counts[k]]
    assert kept.tolist() == sorted(expected)


def test_nan_scores_are_rejected():
    with pytest.raises(ValueError, match=r"scores must not be NaN \(first at index 2\)"):
        select.top_within_classes([0, 0, 1], [0.1, 0.2, np.nan], [1, 1])


def test_global_top_keeps_the_highest_scores_lowest_index_first():
    assert select.global_top([0.5, 0.9, 0.5, 0.1, 0.9], 3).tolist() == [0, 1, 4]


@pytest.mark.parametrize("kind", ["linear", "exponential"])
def test_density_schedules_go_from_one_to_the_target(kind):
    schedule = select.density_schedule(0.25, 4, kind)
    assert schedule[-1] == pytest.approx(0.25) and np.all(np.diff(schedule) < 0) and schedule[0] < 1
    if kind == "linear":
        np.testing.assert_allclose(np.diff(np.concatenate([[1.0], schedule])), -0.1875)
    else:
        np.testing.assert_allclose(schedule[1:] / schedule[:-1], 0.25 ** 0.25)


def test_bad_schedules_are_named():
    with pytest.raises(ValueError, match="schedule must be one of"):
        select.density_schedule(0.5, 3, "cosine")
    with pytest.raises(ValueError, match="rounds must be an integer >= 1"):
        select.density_schedule(0.5, 0)


def test_smoothed_errors_are_the_rule_of_succession():
    errors = select.smoothed_errors([1.0, 0.5, 0.0], [8, 10, 3])
    np.testing.assert_allclose(errors, [1 / 10, 6 / 12, 4 / 5])


def test_iterated_round_meets_the_budget_within_what_classes_still_have():
    counts, priors = select.iterated_counts([40, 300, 60], 1000, 0.3, [0.2, 0.5, 0.3], [0.5, 0.1, 0.2], step=1.0)
    assert counts.sum() == 300 and np.all(counts <= [40, 300, 60])
    np.testing.assert_allclose(priors, np.array([0.1, 0.05, 0.06]) / 0.21)
    assert counts[0] == 40  # wants 0.476 * 300 but only 40 are left


def test_class_counts_refuses_multi_round_quoters():
    with pytest.raises(ValueError, match="'stratified' or 'drop'"):
        select.class_counts("none", [10, 10], 0.5)
    with pytest.raises(ValueError, match="quoter must be one of"):
        select.check_quoter("greedy")
