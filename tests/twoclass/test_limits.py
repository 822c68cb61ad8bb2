import warnings

import numpy as np
import pytest
from scipy import stats

import gmm_theory as gt
from gmm_theory.drop import IteratedDrop
from gmm_theory.twoclass import limits

import oracles


@pytest.fixture
def mixture():
    return gt.TwoClassMixture()


PAPER = ((-1.0, 1.0), (0.5, 1.5), (0.5, 0.5))


@pytest.mark.parametrize("training_prior_0", [0.1, 0.177, 0.25, 0.5, 0.9])
def test_trained_class_risks_match_the_scipy_minimiser(mixture, training_prior_0):
    priors = (training_prior_0, 1 - training_prior_0)
    expected = oracles.trained_class_risks(PAPER[0], PAPER[1], priors)
    np.testing.assert_allclose(limits.trained_class_risks(mixture, np.array(priors)), expected, atol=1e-9)


def test_one_drop_step_is_the_papers_skewed_prior(mixture):
    errors = oracles.trained_class_risks(*PAPER)
    expected = oracles.drop_step(PAPER[2], errors)
    np.testing.assert_allclose(limits.drop_priors(mixture, 0.5), expected, atol=1e-9)
    assert expected[0] == pytest.approx(0.177, abs=5e-4)


def test_drop_step_caps_a_class_at_full_density(mixture):
    # d_k proportional to e_k would need d_1 > 1 at density 0.9: class 1 is kept whole and
    # class 0 gets the rest, d_0 = (0.9 - 0.5) / 0.5.
    priors = limits.drop_priors(mixture, 0.9)
    np.testing.assert_allclose(priors, [0.5 * 0.8 / 0.9, 0.5 / 0.9], atol=1e-12)


@pytest.mark.parametrize("step", [1.0, 0.5])
def test_iterated_drop_converges_to_equal_class_errors(mixture, step):
    trajectory = limits.iterated_drop_priors(mixture, 0.5, IteratedDrop(rounds=60, step=step))
    assert trajectory.shape == (61, 2)
    np.testing.assert_allclose(trajectory[0], PAPER[2])
    limit = trajectory[-1]
    errors = oracles.trained_class_risks(PAPER[0], PAPER[1], limit)
    assert errors[0] == pytest.approx(errors[1], abs=1e-6)
    # Paper B.2: the minimax priors are proportional to the stds.
    np.testing.assert_allclose(limit, [0.25, 0.75], atol=1e-6)


def test_iterated_drop_that_falls_to_a_constant_rule_stays_there_silently():
    # Small gap, sigma ratio 1.5: the first damped step lands where t* is a constant rule;
    # the class with zero error is dropped and the iteration sits at that corner.
    mixture = gt.TwoClassMixture((-0.25, 0.25), (1.0, 1.5), (0.5, 0.5))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trajectory = limits.iterated_drop_priors(mixture, 0.5, IteratedDrop(rounds=10, step=0.5))
    corner = trajectory[-1]
    assert np.isin(corner, [0.0, 1.0]).all()
    np.testing.assert_array_equal(trajectory[-3:], np.broadcast_to(corner, (3, 2)))


def test_optimal_quotas_reach_the_optimum_until_a_class_saturates(mixture):
    np.testing.assert_allclose(limits.optimal_quota_priors(mixture, 0.5), [0.25, 0.75], atol=1e-12)
    # At density 0.9 the optimum would need d_1 = 0.9 * 0.75 / 0.5 > 1: class 1 is kept whole.
    np.testing.assert_allclose(limits.optimal_quota_priors(mixture, 0.9), [0.4 / 0.9, 0.5 / 0.9], atol=1e-12)


@pytest.mark.parametrize("density", [0.05, 0.3, 0.7, 0.99])
def test_ssp_margin_keeps_the_requested_density(mixture, density):
    margin = limits.ssp_margin(mixture, density)
    kept = sum(p * 2 * stats.norm.sf(margin / s) for p, s in zip(PAPER[2], PAPER[1]))
    assert kept == pytest.approx(density, abs=1e-10)
    assert limits.ssp_margin(mixture, 1.0) == 0.0


@pytest.mark.parametrize("density", [0.0, -0.1, 1.5, float("nan")])
def test_bad_density_names_the_parameter(mixture, density):
    with pytest.raises(ValueError, match="density must lie in"):
        limits.ssp_margin(mixture, density)


@pytest.mark.parametrize("density", [0.2, 0.45, 0.8])
def test_ssp_limit_is_the_brute_force_minimiser_of_the_pruned_law(mixture, density):
    margin = limits.ssp_margin(mixture, density)
    risks = limits.policy_class_risks(mixture, density, "class-blind")
    grid = np.concatenate([[-np.inf, np.inf], np.linspace(-8, 8, 16001)])
    pruned = oracles.ssp_pruned_risk(PAPER[0], PAPER[1], PAPER[2], margin, grid)
    best = grid[np.argmin(pruned)]
    np.testing.assert_allclose(risks, oracles.class_risks(PAPER[0], PAPER[1], best), atol=2e-3)


def test_policy_names_and_fits_are_checked(mixture):
    with pytest.raises(ValueError, match="policy must be one of"):
        limits.policy_class_risks(mixture, 0.5, "global")
    with pytest.raises(ValueError, match="fit='threshold' only"):
        limits.policy_class_risks(mixture, 0.5, "class-blind", fit="logistic")
    with pytest.raises(ValueError, match="fit must be one of"):
        limits.policy_class_risks(mixture, 0.5, "drop", fit="hinge")


@pytest.mark.parametrize("fit", ["least-squares", "logistic"])
def test_surrogate_limits_use_the_surrogate_population_rule(mixture, fit):
    full = limits.policy_class_risks(mixture, 0.5, "stratified", fit=fit)
    rule = limits.population_rule(mixture, fit)
    threshold = float(-rule.bias / rule.weight)
    np.testing.assert_allclose(full, oracles.class_risks(PAPER[0], PAPER[1], threshold), atol=1e-12)
