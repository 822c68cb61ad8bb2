import numpy as np
import pytest
from scipy import stats

import oracles
from gmm_theory import (
    TwoClassMixture,
    average_risk,
    class_risks,
    risk_minimising_threshold,
    std_proportional_priors,
    trained_worst_class_risk,
    worst_class_optimal_priors,
    worst_class_optimal_risk,
    worst_class_threshold,
)


def _assert_threshold_matches(t, t_ref, scale):
    if np.isinf(t_ref):
        assert t == t_ref
    else:
        assert abs(t - t_ref) <= 1e-8 * (scale + abs(t_ref))


def test_risk_minimiser_matches_brute_force_on_random_models():
    rng = np.random.default_rng(1)
    near_ties = 0
    for _ in range(300):
        means, stds, priors = oracles.random_parameters(rng)
        t = float(risk_minimising_threshold(TwoClassMixture(means, stds, priors)))
        t_ref, risk_ref, gap = oracles.risk_minimiser(means, stds, priors)
        # The risk attained is the global minimum whatever the conditioning...
        risk = oracles.average_risk(means, stds, priors, t)
        assert risk == pytest.approx(risk_ref, rel=1e-9, abs=1e-13)
        # ...and the threshold is the minimiser wherever that is well defined.
        if gap > 1e-9:
            _assert_threshold_matches(t, t_ref, max(stds))
        else:
            near_ties += 1
    assert near_ties < 30


@pytest.mark.parametrize("sigma_1", [0.5, 1.5])
def test_equal_stds_give_the_lda_threshold_without_nan(sigma_1):
    means, stds, priors = (-1.0, 1.0), (sigma_1, sigma_1), (0.3, 0.7)
    t = float(risk_minimising_threshold(TwoClassMixture(means, stds, priors)))
    t_ref, _, _ = oracles.risk_minimiser(means, stds, priors)
    assert t == pytest.approx(t_ref, abs=1e-12)


def test_both_orderings_of_the_stds_are_mirror_images():
    # Reflecting x -> -x swaps the classes: t*(swapped) = -t*(original).
    rng = np.random.default_rng(2)
    for _ in range(50):
        means, stds, priors = oracles.random_parameters(rng, extreme_priors=False)
        t = float(risk_minimising_threshold(TwoClassMixture(means, stds, priors)))
        mirrored = TwoClassMixture((-means[1], -means[0]), stds[::-1], priors[::-1])
        assert float(risk_minimising_threshold(mirrored)) == pytest.approx(-t, rel=1e-10, abs=1e-10)


def test_trivial_rule_wins_when_the_stationary_point_is_worse():
    # sigma ratio 100, tiny gap: the quadratic has a root, but predicting class 1 everywhere
    # (risk phi_0 = 0.2) beats it.
    means, stds, priors = (0.0, 0.1), (1.0, 100.0), (0.2, 0.8)
    t = float(risk_minimising_threshold(TwoClassMixture(means, stds, priors)))
    t_ref, _, gap = oracles.risk_minimiser(means, stds, priors)
    assert gap > 1e-3 and t_ref == -np.inf and t == -np.inf


@pytest.mark.parametrize("priors, expected", [((1.0, 0.0), np.inf), ((0.0, 1.0), -np.inf)])
def test_a_single_class_gives_the_rule_that_predicts_it(priors, expected):
    assert float(risk_minimising_threshold(TwoClassMixture(priors=priors))) == expected


def test_worst_class_threshold_equalises_the_class_risks():
    rng = np.random.default_rng(3)
    for _ in range(200):
        means, stds, priors = oracles.random_parameters(rng)
        mixture = TwoClassMixture(means, stds, priors)
        t_w = float(worst_class_threshold(mixture))
        assert t_w == pytest.approx(oracles.worst_class_threshold(means, stds), rel=1e-9, abs=1e-9 * max(stds))
        common = max(oracles.class_risks(means, stds, t_w))
        assert float(worst_class_optimal_risk(mixture)) == pytest.approx(common, rel=1e-8, abs=1e-14)
        # No threshold does better (brute force over a grid).
        grid = oracles.threshold_grid(means, stds)
        assert np.max(oracles.class_risks(means, stds, grid), axis=0).min() >= common - 1e-12


def test_paper_example():
    # The paper's example (Appendix B.2): t* = -0.1635 at equal priors; at priors (0.25, 0.75)
    # the learned rule is t_w = -0.5 with both class errors 0.158655.
    mixture = TwoClassMixture((-1.0, 1.0), (0.5, 1.5), (0.5, 0.5))
    assert float(risk_minimising_threshold(mixture)) == pytest.approx(-0.1635, abs=5e-5)
    np.testing.assert_allclose(worst_class_optimal_priors(mixture), [0.25, 0.75], atol=1e-12)
    t = float(risk_minimising_threshold(mixture.with_priors((0.25, 0.75))))
    assert t == pytest.approx(-0.5, abs=1e-12)
    np.testing.assert_allclose(class_risks(mixture, t), [0.158655, 0.158655], atol=1e-6)


def _oracle_trained_worst_risk(means, stds, phi_0):
    t, _, _ = oracles.risk_minimiser(means, stds, (phi_0, 1 - phi_0))
    return max(oracles.class_risks(means, stds, t))


@pytest.mark.parametrize(
    "means, stds",
    [((-1.0, 1.0), (0.5, 1.5)), ((-1.0, 1.0), (1.0, 3.0)), ((0.0, 0.5), (2.0, 1.0)),
     ((0.0, 2.0), (1.0, 5.0)), ((1.0, 4.0), (3.0, 0.3)), ((0.0, 1.0), (1.0, 1.0))],
)
@pytest.mark.slow
def test_worst_class_optimal_priors_are_not_beaten_by_any_prior(means, stds):
    mixture = TwoClassMixture(means, stds, (0.5, 0.5))
    best = np.asarray(worst_class_optimal_priors(mixture))
    achieved = _oracle_trained_worst_risk(means, stds, best[0])
    assert float(trained_worst_class_risk(mixture, best)) == pytest.approx(achieved, rel=1e-9)
    grid = np.concatenate([np.linspace(0.002, 0.998, 500), best[0] + np.linspace(-1e-3, 1e-3, 41)])
    grid = grid[(grid > 0) & (grid < 1)]
    assert achieved <= min(_oracle_trained_worst_risk(means, stds, p) for p in grid) + 1e-9
    proportional = np.asarray(std_proportional_priors(mixture))
    trained_at_proportional = _oracle_trained_worst_risk(means, stds, proportional[0])
    common = stats.norm.cdf(-(means[1] - means[0]) / sum(stds))
    if trained_at_proportional == pytest.approx(common, rel=1e-9):
        # The paper's case: std-proportional priors train t_w.
        np.testing.assert_allclose(best, proportional, atol=1e-12)
    else:
        # The local minimum loses to a trivial rule there; the optimum is worse than t_w's risk.
        assert achieved > common


def test_trained_worst_class_risk_at_the_original_priors():
    mixture = TwoClassMixture()
    t = float(risk_minimising_threshold(mixture))
    assert float(trained_worst_class_risk(mixture, mixture.priors)) == pytest.approx(
        max(oracles.class_risks((-1, 1), (0.5, 1.5), t)), rel=1e-12)
    assert float(average_risk(mixture, t)) == pytest.approx(
        oracles.risk_minimiser((-1, 1), (0.5, 1.5), (0.5, 0.5))[1], rel=1e-10)
