import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gmm_theory as gt
from gmm_theory.twoclass import landscape
from gmm_theory.twoclass.montecarlo import engine as simulate

import oracles

PAPER = ((-1.0, 1.0), (0.5, 1.5), (0.5, 0.5))


@pytest.fixture
def mixture():
    return gt.TwoClassMixture()


def test_prior_curve_matches_the_scipy_minimiser(mixture):
    priors = np.array([0.05, 0.2, 0.25, 0.6, 0.95])
    curve = np.asarray(landscape.prior_curve(mixture, priors))
    for p, risks in zip(priors, curve):
        np.testing.assert_allclose(risks, oracles.trained_class_risks(PAPER[0], PAPER[1], (p, 1 - p)), atol=1e-9)


def test_prior_curve_rejects_priors_outside_the_unit_interval(mixture):
    with pytest.raises(ValueError, match=r"training_prior_0\[1\] must lie in \[0, 1\]"):
        landscape.prior_curve(mixture, [0.5, 1.5])


@settings(max_examples=60, deadline=None)
@given(prior_0=st.floats(0.05, 0.95), density=st.floats(0.05, 1.0))
def test_feasible_range_is_what_a_brute_force_search_reaches(prior_0, density):
    priors = np.array([prior_0, 1 - prior_0])
    low, high = landscape.feasible_prior_range(priors, density)
    # Every d_0 in [0, 1] with d_1 = (d - phi_0 d_0) / phi_1 in [0, 1] is an allocation.
    d0 = np.linspace(0, 1, 200_001)
    d1 = (density - priors[0] * d0) / priors[1]
    reachable = priors[0] * d0[(d1 >= 0) & (d1 <= 1)] / density
    assert low == pytest.approx(reachable.min(), abs=1e-4)
    assert high == pytest.approx(reachable.max(), abs=1e-4)


def test_allocations_for_priors_keep_the_density_and_the_prior():
    priors = np.array([0.3, 0.7])
    wanted = np.array([0.1, 0.3, 0.6])
    allocations = landscape.allocations_for_priors(priors, wanted, 0.4)
    np.testing.assert_allclose(allocations @ priors, 0.4, atol=1e-12)
    np.testing.assert_allclose(priors[0] * allocations[:, 0] / 0.4, wanted, atol=1e-12)
    assert np.all((allocations >= 0) & (allocations <= 1))


def test_unreachable_priors_and_bad_densities_are_rejected():
    with pytest.raises(ValueError, match=r"training_prior_0 must lie in \[0.2, 0.8\]"):
        landscape.allocations_for_priors([0.5, 0.5], [0.1], 0.625)
    with pytest.raises(ValueError, match="density must lie in"):
        landscape.feasible_prior_range([0.5, 0.5], 0.0)
    with pytest.raises(ValueError, match="priors must sum to 1"):
        landscape.feasible_prior_range([0.5, 0.6], 0.5)
    with pytest.raises(ValueError, match="points must be an integer >= 2"):
        landscape.iso_density_allocations([0.5, 0.5], [0.5], 1)


def test_iso_density_lines_span_the_feasible_range():
    priors = np.array([0.5, 0.5])
    lines = landscape.iso_density_allocations(priors, [0.25, 0.75], 5)
    assert lines.shape == (2, 5, 2)
    np.testing.assert_allclose(lines @ priors, [[0.25] * 5, [0.75] * 5], atol=1e-12)
    np.testing.assert_allclose(lines[1, 0], [0.5, 1.0])  # d = 0.75: from d_1 = 1 ...
    np.testing.assert_allclose(lines[1, -1], [1.0, 0.5])  # ... to d_0 = 1


def test_best_allocations_skip_failed_fits():
    allocations = np.arange(12.0).reshape(2, 3, 2)
    values = np.array([[0.3, np.nan, 0.1], [np.nan, 0.2, 0.4]])
    best, value = landscape.best_allocations(allocations, values)
    np.testing.assert_array_equal(best, [[4.0, 5.0], [8.0, 9.0]])
    np.testing.assert_array_equal(value, [0.1, 0.2])
    with pytest.raises(ValueError, match="non-NaN entry"):
        landscape.best_allocations(allocations, np.full((2, 3), np.nan))


def test_population_best_path_trains_at_the_clipped_worst_class_optimum(mixture):
    # Worst-class risk is quasi-convex in the training prior with its minimum at the
    # std-proportional prior (paper B.2), so the best allocation at each density trains at
    # that prior clipped into the feasible range.
    densities = np.array([0.2, 0.5, 0.7, 0.9])
    lines = landscape.iso_density_allocations(PAPER[2], densities, 401)
    risks = simulate.population_class_risks(mixture, lines.reshape(-1, 2))
    best, _ = landscape.best_allocations(lines, np.asarray(risks).max(-1).reshape(4, 401))
    for density, allocation in zip(densities, best):
        low, high = landscape.feasible_prior_range(PAPER[2], density)
        step = (high - low) / 400
        assert 0.5 * allocation[0] / density == pytest.approx(np.clip(0.25, low, high), abs=step)
