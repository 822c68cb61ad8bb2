import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp
from scipy.stats import norm

from gmm_theory.bridge import select


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 60), classes=st.integers(1, 4))
@pytest.mark.slow
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
    priors = np.array([0.1, 0.05, 0.06]) / 0.21
    counts = select.iterated_counts([40, 300, 60], 1000, 0.3, priors)
    assert counts.sum() == 300 and np.all(counts <= [40, 300, 60])
    assert counts[0] == 40  # wants 0.476 * 300 but only 40 are left


def test_class_counts_refuses_multi_round_quoters():
    with pytest.raises(ValueError, match="'stratified', 'drop' or 'adjusted'"):
        select.class_counts("class-blind", [10, 10], 0.5)
    with pytest.raises(ValueError, match="quoter must be one of"):
        select.check_quoter("greedy")


def _brute_force_errors(log_probabilities, y, training_priors, grid):
    """Smoothed class errors (G, K) of argmax(log p + ln q - ln pi) for every row q of ``grid``."""
    sizes = np.bincount(y)
    errors = []
    for target in grid:
        predictions = np.argmax(log_probabilities + np.log(target) - np.log(training_priors), axis=1)
        wrong = np.array([np.sum(predictions[y == k] != k) for k in range(sizes.size)])
        errors.append((wrong + 1) / (sizes + 2))
    return np.array(errors)


def _brute_force_minimax(log_probabilities, y, training_priors, density, grid):
    """The smallest worst error over the realisable rows of ``grid`` (d q_k <= pi_k), and its row."""
    worst = _brute_force_errors(log_probabilities, y, training_priors, grid).max(axis=1)
    worst[np.any(density * grid > training_priors, axis=1)] = np.inf
    return worst.min(), grid[np.argmin(worst)]


def _two_gaussians(n=2000):
    """Validation log-probabilities of the Bayes rule at priors (0.8, 0.2) for x | 0 ~ N(-1, 1),
    x | 1 ~ N(1, 4), computed with a pooled variance 1.5: the log-odds are 4x/3 + ln(pi_1/pi_0)."""
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], n)
    x = np.where(y == 0, rng.normal(-1, 1, 2 * n), rng.normal(1, 2, 2 * n))
    priors = np.array([0.8, 0.2])
    logits = np.log(priors) - np.stack([(x + 1) ** 2, (x - 1) ** 2], axis=1) / 3
    return logits - logsumexp(logits, axis=1, keepdims=True), y, priors


def _three_gaussian_logits(n=400):
    """Log-probabilities log_softmax(z + ln pi) with z | y ~ N(a_y e_y, I), a = (3, 2, 1.5)."""
    rng = np.random.default_rng(1)
    y = np.repeat([0, 1, 2], n)
    priors = np.array([0.5, 0.3, 0.2])
    logits = rng.normal(size=(3 * n, 3)) + np.array([3.0, 2.0, 1.5])[y, None] * np.eye(3)[y] + np.log(priors)
    return logits - logsumexp(logits, axis=1, keepdims=True), y, priors


def test_adjusted_priors_equalise_two_class_errors_as_brute_force_and_the_population():
    log_probabilities, y, priors = _two_gaussians()
    grid = np.stack([1 - np.linspace(0.001, 0.999, 999), np.linspace(0.001, 0.999, 999)], axis=1)
    target = select.adjusted_priors(log_probabilities, y, priors, 0.3)
    errors = _brute_force_errors(log_probabilities, y, priors, [target])[0]
    best, _ = _brute_force_minimax(log_probabilities, y, priors, 0.3, grid)
    assert errors.max() <= best + 1e-12 and np.ptp(errors) <= 2 / 2002
    # Population: equal errors at the threshold x = -1/3, i.e. ln(pi'_1 / pi'_0) = 4/9.
    assert target[1] == pytest.approx(np.exp(4 / 9) / (1 + np.exp(4 / 9)), abs=0.02)
    assert errors.max() == pytest.approx(norm.cdf(-2 / 3), abs=0.02)


def test_adjusted_priors_stop_at_the_cap_when_the_worst_class_is_capped():
    log_probabilities, y, priors = _two_gaussians()
    np.testing.assert_allclose(select.adjusted_priors(log_probabilities, y, priors, 0.5), [0.6, 0.4])


def test_adjusted_priors_match_a_brute_force_simplex_search_on_three_classes():
    log_probabilities, y, priors = _three_gaussian_logits()
    grid_1d = np.arange(0.005, 1, 0.005)
    grid = np.array([(a, b, 1 - a - b) for a in grid_1d for b in grid_1d if 1 - a - b > 0.0025])
    target = select.adjusted_priors(log_probabilities, y, priors, 0.3)
    errors = _brute_force_errors(log_probabilities, y, priors, [target])[0]
    best, _ = _brute_force_minimax(log_probabilities, y, priors, 0.3, grid)
    assert abs(errors.max() - best) <= 1 / 402 and np.ptp(errors) <= 1 / 402
    assert np.ptp(_brute_force_errors(log_probabilities, y, priors, [priors])[0]) > 0.05  # not equal unadjusted


@pytest.mark.parametrize("density", [0.1, 0.3, 0.5, 0.7, 0.9, 1.0])
def test_adjusted_priors_are_realisable_and_give_counts_on_budget(density):
    log_probabilities, y, priors = _three_gaussian_logits()
    target = select.adjusted_priors(log_probabilities, y, priors, density)
    assert target.sum() == pytest.approx(1) and np.all(target > 0)
    assert np.all(density * target <= priors * (1 + 1e-12))
    sizes = np.array([500, 300, 200])
    counts = select.class_counts("adjusted", sizes, density, priors=target)
    assert counts.sum() == select.budget(1000, density) and np.all(counts <= sizes)
    assert np.all(np.abs(counts - density * 1000 * target) < 1)
    if density == 1.0:
        np.testing.assert_allclose(target, priors)
