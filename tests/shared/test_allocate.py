"""Tests of the class-quota allocator against independent oracles.

Oracles: brentq on the water-filling equation, brute force over integer vectors for the
rounding, an exact rational (Fraction) re-derivation with the iterative capping loop for the
tie-breaks, and brentq on the equal-error condition for iterated DRoP.
"""

from __future__ import annotations

import itertools
import warnings
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

from gmm_theory.allocate import (
    RULES,
    SEMANTICS,
    Allocation,
    allocate,
    rule_weights,
    water_fill,
)

SETTINGS = settings(max_examples=200, deadline=None)


def quiet(function, *args, **kwargs):
    """Call ``function`` ignoring the all-zero-weights warning (hypothesis draws zeros); any
    other warning, such as a numpy overflow, is an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", "all class weights are zero", RuntimeWarning)
        return function(*args, **kwargs)


def allocate_weights(sizes, weights, budget, semantics) -> np.ndarray:
    allocation = quiet(allocate, sizes, budget=budget, rule="weights", weights=weights,
                       semantics=semantics)
    return allocation.counts


weight_values = st.one_of(
    st.just(0.0),
    st.integers(0, 3).map(float),
    st.floats(1e-3, 10.0, allow_nan=False, allow_infinity=False),
)


@st.composite
def problems(draw, max_classes=10, max_size=500, weights=weight_values):
    k = draw(st.integers(1, max_classes))
    sizes = np.array(draw(st.lists(st.integers(1, max_size), min_size=k, max_size=k)))
    w = np.array(draw(st.lists(weights, min_size=k, max_size=k)))
    budget = draw(st.integers(0, int(sizes.sum())))
    semantics = draw(st.sampled_from(SEMANTICS))
    return sizes, w, budget, semantics


def demand(sizes, weights, semantics):
    return weights * sizes if semantics == "density" else weights


# --- oracles -------------------------------------------------------------------------------


def brentq_fill(capacities, demands, target):
    """Quotas min(cap, lam * c) summing to target, lam found by bracketing root search."""
    capacities, demands = np.asarray(capacities, float), np.asarray(demands, float)
    quotas = np.zeros_like(capacities)
    active = (demands > 0) & (capacities > 0)
    if target <= 0 or not active.any():
        return quotas
    cap, dem = capacities[active], demands[active]
    if target >= cap.sum():
        quotas[active] = cap
        return quotas
    excess = lambda lam: np.minimum(cap, lam * dem).sum() - target  # noqa: E731
    lam = brentq(excess, 0.0, (cap / dem).max(), xtol=1e-15, rtol=1e-15, maxiter=500)
    quotas[active] = np.minimum(cap, lam * dem)
    return quotas


def brentq_water_fill(capacities, weights, budget, semantics):
    """The documented two-stage rule (positive weights, then unit weights on the zeros)."""
    capacities, weights = np.asarray(capacities, float), np.asarray(weights, float)
    positive = weights > 0
    if not positive.any():
        weights, positive = np.ones_like(weights), np.ones_like(positive)
    first = brentq_fill(capacities, demand(capacities, np.where(positive, weights, 0.0), semantics),
                        budget)
    leftover = budget - capacities[positive].sum()
    second = brentq_fill(capacities, demand(capacities, (~positive).astype(float), semantics),
                         leftover)
    return first + second


def exact_allocation(sizes, weights, budget, semantics):
    """Exact rational allocation: iterative capping, then Hamilton with the documented ties.

    Weights are Fractions (e.g. Fraction("0.1")), so the quotas are what the user means, not
    what binary floats happen to give.
    """
    k = len(sizes)

    def fill(members, unit, target):
        quotas = [Fraction(0)] * k
        w = [Fraction(1) if unit else weights[i] for i in range(k)]
        c = {i: w[i] * sizes[i] if semantics == "density" else w[i] for i in members}
        free = {i for i in members if c[i] > 0}
        while free and target > 0:
            rest = target - sum(sizes[i] for i in set(members) - free if c[i] > 0)
            lam = rest / sum(c[i] for i in free)
            capped = {i for i in free if lam * c[i] >= sizes[i]}
            if not capped:
                for i in free:
                    quotas[i] = lam * c[i]
                break
            free -= capped
        for i in members:
            if c[i] > 0 and i not in free:
                quotas[i] = Fraction(sizes[i])
        return quotas

    positive = [i for i in range(k) if weights[i] > 0]
    zeros = [i for i in range(k) if weights[i] == 0]
    if not positive:
        quotas = fill(zeros, True, Fraction(budget))
    else:
        quotas = fill(positive, False, Fraction(budget))
        leftover = budget - sum(sizes[i] for i in positive)
        if leftover > 0:
            second = fill(zeros, True, Fraction(leftover))
            quotas = [a + b for a, b in zip(quotas, second)]
    counts = [q.numerator // q.denominator for q in quotas]
    seats = budget - sum(counts)
    priority = sorted(
        range(k),
        key=lambda i: (-(quotas[i] - counts[i]), -weights[i],
                       -Fraction(sizes[i] - counts[i], sizes[i]), i),
    )
    for i in priority[:seats]:
        counts[i] += 1
    return np.array(counts)


# --- water_fill ----------------------------------------------------------------------------


@SETTINGS
@given(problems())
def test_water_fill_matches_brentq_oracle(problem):
    sizes, weights, budget, semantics = problem
    quotas = quiet(water_fill, sizes, weights, budget, semantics)
    expected = brentq_water_fill(sizes, weights, budget, semantics)
    np.testing.assert_allclose(quotas, expected, rtol=0, atol=1e-9)
    assert quotas.sum() == pytest.approx(budget, abs=1e-9)


@SETTINGS
@given(
    st.lists(st.floats(0.01, 1.0), min_size=1, max_size=10),
    st.lists(weight_values, min_size=10, max_size=10),
    st.floats(0.0, 1.0),
    st.sampled_from(SEMANTICS),
)
def test_water_fill_population_level_real_capacities(raw_priors, raw_weights, density, semantics):
    priors = np.array(raw_priors) / np.sum(raw_priors)
    weights = np.array(raw_weights[: priors.size])
    quotas = quiet(water_fill, priors, weights, density, semantics)
    np.testing.assert_allclose(quotas, brentq_water_fill(priors, weights, density, semantics),
                               rtol=0, atol=1e-9)
    assert np.all((quotas >= 0) & (quotas <= priors))


@SETTINGS
@given(problems(weights=st.floats(1e-3, 10.0)))
def test_water_fill_kkt_conditions(problem):
    """An unsaturated class has the largest ratio q_k / c_k: nobody gets more than its share."""
    sizes, weights, budget, semantics = problem
    quotas = water_fill(sizes, weights, budget, semantics)
    ratio = quotas / demand(sizes, weights, semantics)
    unsaturated = quotas < sizes - 1e-9
    if unsaturated.any():
        assert ratio[unsaturated].min() >= ratio.max() * (1 - 1e-12)
        assert np.ptp(ratio[unsaturated]) <= 1e-12 * ratio.max()


def test_water_fill_zero_weights_only_get_the_leftover():
    # The positive-weight classes hold 50 in all; the other 20 go to the zero-weight classes
    # by size (density semantics with unit weights) or evenly (count semantics).
    quotas = water_fill([10, 20, 40, 10], [1.0, 0.0, 2.0, 0.0], 50 + 20)
    assert quotas.tolist() == pytest.approx([10, 40 / 3, 40, 20 / 3])
    quotas = water_fill([10, 20, 40, 10], [1.0, 0.0, 2.0, 0.0], 50 + 20, "count")
    assert quotas.tolist() == pytest.approx([10, 10, 40, 10])
    quotas = water_fill([10, 20, 40], [1.0, 0.0, 2.0], 30)
    assert quotas.tolist() == pytest.approx([10 / 3, 0, 80 / 3])


def test_water_fill_semantics_differ_on_unbalanced_data():
    # Density: kept fractions equal (10 / 100 = 1 / 10); count: kept numbers equal.
    assert water_fill([100, 10], [1, 1], 11).tolist() == pytest.approx([10, 1])
    assert water_fill([100, 10], [1, 1], 11, "count").tolist() == pytest.approx([5.5, 5.5])


# --- allocate: properties ------------------------------------------------------------------


@SETTINGS
@given(problems())
def test_allocate_budget_bounds_and_distance_to_quota(problem):
    sizes, weights, budget, semantics = problem
    counts = allocate_weights(sizes, weights, budget, semantics)
    quotas = quiet(water_fill, sizes, weights, budget, semantics)
    assert counts.dtype == np.int64
    assert counts.sum() == budget
    assert np.all((counts >= 0) & (counts <= sizes))
    assert np.all(np.abs(counts - quotas) < 1)
    assert np.all(counts[quotas == 0] == 0)


@SETTINGS
@given(problems())
def test_allocate_no_class_below_capacity_is_short_changed(problem):
    """Integer water-filling: if n_k < N_k then no class j got more than a seat above its share.

    With lam the water level, n_j < lam c_j + 1 for all j and n_k > lam c_k - 1 for an
    unsaturated k, so (n_j - 1) / c_j < (n_k + 1) / c_k; zero-weight classes get nothing then.
    """
    sizes, weights, budget, semantics = problem
    counts = allocate_weights(sizes, weights, budget, semantics)
    positive = weights > 0
    if not positive.any():
        return
    c = demand(sizes, weights, semantics)
    below = np.flatnonzero(positive & (counts < sizes))
    for k in below:
        assert np.all((counts[positive] - 1) / c[positive] < (counts[k] + 1) / c[k] * (1 + 1e-12))
    if below.size:
        assert np.all(counts[~positive] == 0)


def remainder_ties(sizes, weights, budget, semantics):
    """True if two classes tie on remainder and weight, so the later tie-breaks decide."""
    quotas = quiet(water_fill, sizes, weights, budget, semantics)
    remainder = quotas - np.floor(quotas + 1e-9)
    for i, j in itertools.combinations(range(sizes.size), 2):
        close = abs(remainder[i] - remainder[j]) < 1e-6
        if remainder[i] > 1e-9 and close and weights[i] == weights[j]:
            return True
    return False


@SETTINGS
@given(problems(weights=st.integers(0, 3).map(float)), st.randoms(use_true_random=False))
def test_allocate_permutation_equivariance(problem, random):
    sizes, weights, budget, semantics = problem
    perm = np.array(random.sample(range(sizes.size), sizes.size))
    counts = allocate_weights(sizes, weights, budget, semantics)
    permuted = allocate_weights(sizes[perm], weights[perm], budget, semantics)
    if not remainder_ties(sizes, weights, budget, semantics):
        np.testing.assert_array_equal(permuted, counts[perm])
    elif np.unique(sizes).size == 1:
        # Tied classes are identical, so a relabelling can only move the extra seats around.
        np.testing.assert_array_equal(np.sort(permuted), np.sort(counts))


@SETTINGS
@given(problems(), st.data())
def test_allocate_is_monotone_in_the_weights(problem, data):
    sizes, weights, budget, semantics = problem
    k = data.draw(st.integers(0, sizes.size - 1))
    raised = weights.copy()
    raised[k] += data.draw(st.floats(1e-3, 5.0))
    before = allocate_weights(sizes, weights, budget, semantics)
    after = allocate_weights(sizes, raised, budget, semantics)
    assert after[k] >= before[k]


@SETTINGS
@given(st.lists(weight_values, min_size=1, max_size=10), st.integers(1, 500), st.data())
def test_semantics_agree_on_balanced_data(weights, size, data):
    weights = np.array(weights)
    sizes = np.full(weights.size, size)
    budget = data.draw(st.integers(0, int(sizes.sum())))
    density = allocate_weights(sizes, weights, budget, "density")
    count = allocate_weights(sizes, weights, budget, "count")
    np.testing.assert_array_equal(density, count)


@SETTINGS
@given(st.integers(1, 10), st.integers(1, 500), st.floats(0.0, 1.0), st.sampled_from(SEMANTICS))
def test_equal_weights_on_equal_sizes_give_counts_within_one(k, size, density, semantics):
    counts = allocate([size] * k, density=density, semantics=semantics).counts
    assert np.ptp(counts) <= 1
    # Hamilton with ties broken by index: the extra seats go to the first classes.
    assert np.all(np.diff(counts) <= 0)


@SETTINGS
@given(problems(weights=st.integers(0, 5).map(float)))
def test_equal_weights_count_semantics_within_one_among_unsaturated(problem):
    sizes, _, budget, _ = problem
    counts = allocate(sizes, budget=budget, semantics="count").counts
    unsaturated = counts < sizes
    if unsaturated.sum() > 1:
        assert np.ptp(counts[unsaturated]) <= 1
        # Full classes are the small ones: none exceeds the unsaturated level by more than 1.
        assert np.all(sizes[~unsaturated] <= counts[unsaturated].min() + 1)


@SETTINGS
@given(problems(max_classes=4, max_size=6))
def test_rounding_matches_brute_force_oracle(problem):
    """Among integer vectors with the budget, the bounds and |n - q| < 1, the answer has the
    least squared deviation from the quotas."""
    sizes, weights, budget, semantics = problem
    quotas = quiet(water_fill, sizes, weights, budget, semantics)
    counts = allocate_weights(sizes, weights, budget, semantics)
    best = np.inf
    for candidate in itertools.product(*(range(n + 1) for n in sizes)):
        candidate = np.array(candidate)
        if candidate.sum() == budget and np.all(np.abs(candidate - quotas) < 1):
            best = min(best, float(((candidate - quotas) ** 2).sum()))
    assert np.isfinite(best)
    assert float(((counts - quotas) ** 2).sum()) <= best + 1e-9


decimal_weights = st.sampled_from(["0", "0.1", "0.2", "0.3", "0.5", "0.6", "0.7", "1", "3"])


@SETTINGS
@given(
    st.lists(st.tuples(st.integers(1, 40), decimal_weights), min_size=1, max_size=6),
    st.floats(0.0, 1.0),
    st.sampled_from(SEMANTICS),
)
def test_exact_rational_oracle_with_decimal_weights(classes, fraction, semantics):
    """Float noise never changes the answer: decimal weights such as 0.1 + 0.2 give the same
    counts, tie-breaks included, as an exact rational computation."""
    sizes = [n for n, _ in classes]
    exact = [Fraction(w) for _, w in classes]
    budget = int(fraction * sum(sizes))
    counts = allocate_weights(sizes, [float(w) for w in exact], budget, semantics)
    np.testing.assert_array_equal(counts, exact_allocation(sizes, exact, budget, semantics))


@SETTINGS
@given(problems(weights=st.floats(0.0, 1e300, allow_subnormal=True)))
def test_extreme_weights_still_meet_the_budget(problem):
    sizes, weights, budget, semantics = problem
    counts = allocate_weights(sizes, weights, budget, semantics)
    assert counts.sum() == budget
    assert np.all((counts >= 0) & (counts <= sizes))


# --- allocate: worked examples and official-code regressions ---------------------------------


def test_worked_example_largest_remainder():
    # Stratified quotas 31 * (10, 20, 30) / 60 = (5.17, 10.33, 15.5): the one leftover seat goes
    # to the largest remainder, 0.5.
    allocation = allocate([10, 20, 30], budget=31)
    assert allocation.counts.tolist() == [5, 10, 16]
    assert allocation.budget == 31
    assert allocation.densities.dtype == np.float64
    np.testing.assert_allclose(allocation.densities, [0.5, 0.5, 16 / 30])


@pytest.mark.parametrize(
    ("sizes", "weights", "budget", "expected"),
    [
        ([10, 10], [1.0, 3.0], 2, [0, 2]),  # quotas (0.5, 1.5): larger weight wins the tie
        ([10, 20], [1.0, 1.0], 3, [1, 2]),  # quotas (1.5, 1.5): 19/20 left unkept beats 9/10
        ([10, 10], [1.0, 1.0], 3, [2, 1]),  # full tie: lower index
    ],
)
def test_tie_breaks_count_semantics(sizes, weights, budget, expected):
    assert allocate_weights(sizes, weights, budget, "count").tolist() == expected


def test_equal_errors_get_equal_counts_despite_consecutive_saturation():
    """Official code: capping in a loop that removed saturated classes from the list it was
    iterating over skipped the class after each removal, so equal errors got unequal counts."""
    sizes = [10, 10, 10, 100, 100, 100]
    errors = [1.0, 1.0, 1.0, 0.5, 0.5, 0.5]
    # count: demands (1, 1, 1, .5, .5, .5); small classes saturate, lam = (90 - 30) / 1.5 = 40.
    counts = allocate(sizes, budget=90, rule="drop", errors=errors, semantics="count").counts
    assert counts.tolist() == [10, 10, 10, 20, 20, 20]
    # density: demands (10, 10, 10, 50, 50, 50); lam = (240 - 30) / 150 = 1.4.
    counts = allocate(sizes, budget=240, rule="drop", errors=errors).counts
    assert counts.tolist() == [10, 10, 10, 70, 70, 70]


@pytest.mark.parametrize("semantics", SEMANTICS)
def test_all_recalls_one_falls_back_to_stratified_with_warning(semantics):
    """Official code: divided by the sum of errors, zero when every recall is 1."""
    with pytest.warns(RuntimeWarning, match="stratified"):
        allocation = allocate([30, 50, 20], density=0.4, rule="drop", errors=[0.0, 0.0, 0.0],
                              semantics=semantics)
    expected = allocate([30, 50, 20], density=0.4, semantics=semantics)
    np.testing.assert_array_equal(allocation.counts, expected.counts)
    assert allocation.rule == "drop"


def test_zero_quota_selects_nothing():
    """Official code: ``idxs[-n:]`` with n = 0 kept the whole class."""
    allocation = allocate([50, 50, 50], budget=30, rule="drop", errors=[0.0, 0.2, 0.4])
    assert allocation.counts.tolist() == [0, 10, 20]
    assert allocation.densities[0] == 0.0
    assert allocate([50, 50, 50], budget=0).counts.tolist() == [0, 0, 0]
    assert allocate([5, 7], density=0.0).counts.tolist() == [0, 0]


def test_exact_budget_without_random_refill_is_deterministic():
    """Official code: refilled the samples lost to flooring at random, ignoring class."""
    sizes = [97, 13, 250, 41, 8, 120]
    errors = [0.31, 0.07, 0.52, 0.18, 0.9, 0.33]
    results = [allocate(sizes, density=0.37, rule="drop", errors=errors).counts for _ in range(5)]
    assert all(np.array_equal(results[0], other) for other in results)
    assert results[0].sum() == int(np.floor(0.37 * sum(sizes) + 0.5))


def test_float_noise_does_not_break_ties():
    # Quotas are (1.5, 4, 4.5) analytically but the last is computed as 4.500000000000001:
    # the remainders still tie, weights tie, and 1/2 left unkept beats 2/6.
    counts = allocate_weights([2, 4, 6], [0.1, 0.6, 0.1], 10, "density")
    assert counts.tolist() == [2, 4, 4]


def test_analytically_integer_quotas_are_exact():
    counts = allocate([100, 100, 100], budget=60, rule="drop", errors=[0.1, 0.2, 0.3],
                      semantics="count").counts
    assert counts.tolist() == [10, 20, 30]


def test_density_rounds_half_up_and_full_density_keeps_everything():
    assert allocate([5], density=0.5).budget == 3  # 2.5 -> 3
    assert allocate([3, 4], density=1.0).counts.tolist() == [3, 4]
    assert allocate([10, 20, 30], density=0.3).budget == 18


def test_allocation_is_frozen_and_read_only():
    allocation = allocate([4, 6], budget=5)
    assert isinstance(allocation, Allocation)
    with pytest.raises(AttributeError):
        allocation.rule = "drop"
    with pytest.raises(ValueError):
        allocation.counts[0] = 0
    assert allocation.sizes.dtype == np.int64


def test_rule_weights():
    assert rule_weights("stratified", 3).tolist() == [1.0, 1.0, 1.0]
    assert rule_weights("drop", 2, errors=[0.25, 0.0]).tolist() == [0.25, 0.0]
    assert rule_weights("weights", 2, weights=[3, 0]).tolist() == [3.0, 0.0]
    assert RULES == ("stratified", "drop", "weights")
    assert SEMANTICS == ("density", "count")


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(sizes=[]), r"sizes must have at least one class"),
        (dict(sizes=[5, 0, 3]), r"sizes\[1\] must be an integer >= 1"),
        (dict(sizes=[5, 2.5]), r"sizes\[1\] must be an integer >= 1"),
        (dict(sizes=[[1, 2]]), r"sizes must be one-dimensional"),
        (dict(sizes=[5, float("nan")]), r"sizes\[1\] must be finite"),
        (dict(density=None), r"exactly one of density and budget.*neither"),
        (dict(budget=3), r"exactly one of density and budget.*both"),
        (dict(density=1.5), r"density must lie in \[0, 1\]"),
        (dict(density=-0.1), r"density must lie in \[0, 1\]"),
        (dict(density=float("nan")), r"density must lie in \[0, 1\]"),
        (dict(density=None, budget=21), r"budget must be an integer in \[0, 20\]"),
        (dict(density=None, budget=-1), r"budget must be an integer in \[0, 20\]"),
        (dict(density=None, budget=2.5), r"budget must be an integer in \[0, 20\]"),
        (dict(rule="greedy"), r"rule must be one of 'stratified', 'drop', 'weights'"),
        (dict(semantics="mass"), r"semantics must be one of 'density', 'count'"),
        (dict(rule="drop"), r"rule='drop' requires errors"),
        (dict(rule="weights"), r"rule='weights' requires weights"),
        (dict(errors=[0.1, 0.2]), r"errors is not used by rule='stratified'"),
        (dict(weights=[1, 2]), r"weights is not used by rule='stratified'"),
        (dict(rule="drop", errors=[0.1, 0.2], weights=[1, 2]),
         r"weights is not used by rule='drop'"),
        (dict(rule="weights", weights=[1, 2], errors=[0.1, 0.2]),
         r"errors is not used by rule='weights'"),
        (dict(rule="drop", errors=[0.1, 1.2]), r"errors\[1\] must lie in \[0, 1\]"),
        (dict(rule="drop", errors=[-0.1, 0.2]), r"errors\[0\] must lie in \[0, 1\]"),
        (dict(rule="drop", errors=[float("nan"), 0.2]), r"errors\[0\] must be finite"),
        (dict(rule="drop", errors=[0.1]), r"errors must have 2 entries, got 1"),
        (dict(rule="weights", weights=[1.0, -0.1]), r"weights\[1\] must be non-negative, got -0.1"),
        (dict(rule="weights", weights=[float("inf"), 1.0]), r"weights\[0\] must be finite"),
        (dict(rule="weights", weights=[1.0, 2.0, 3.0]), r"weights must have 2 entries, got 3"),
    ],
)
def test_allocate_rejects_bad_input(kwargs, match):
    arguments = dict(sizes=[8, 12], density=0.5) | kwargs
    with pytest.raises(ValueError, match=match):
        allocate(arguments.pop("sizes"), **arguments)


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (([1, 2], [1, 1], 4), {}, r"budget must lie in \[0, sum\(capacities\)\]"),
        (([1, 2], [1, 1], -1), {}, r"budget must lie in \[0, sum\(capacities\)\]"),
        (([1, -2], [1, 1], 0), {}, r"capacities\[1\] must be non-negative"),
        (([], [], 0), {}, r"capacities must have at least one entry"),
        (([1, 2], [1, -1], 1), {}, r"weights\[1\] must be non-negative"),
        (([1, 2], [1], 1), {}, r"weights must have 2 entries"),
        (([1, 2], [1, 1], 1), {"semantics": "mass"}, r"semantics must be one of"),
    ],
)
def test_water_fill_rejects_bad_input(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        water_fill(*args, **kwargs)


def test_rule_weights_rejects_bad_num_classes():
    with pytest.raises(ValueError, match=r"num_classes must be >= 1"):
        rule_weights("stratified", 0)
