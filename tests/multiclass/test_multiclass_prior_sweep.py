import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import special, stats

from gmm_theory.multiclass import orthant
from gmm_theory.multiclass.classifiers import lda_classifier
from gmm_theory.multiclass.mixture import KClassMixture
from gmm_theory.multiclass.prior_sweep import lda_risks_over_priors
from gmm_theory.multiclass.risk import class_risks


def _mixture(rng, classes, dimension, equal_covariances):
    def covariance():
        a = 0.5 * rng.normal(size=(dimension, dimension))
        return a @ a.T + np.eye(dimension)

    shared = covariance()
    covariances = [shared if equal_covariances else covariance() for _ in range(classes)]
    return KClassMixture(1.5 * rng.normal(size=(classes, dimension)), covariances, np.full(classes, 1 / classes))


def _lda_rule(means, covariances, priors):
    """The LDA rule by numpy, independently of lda_classifier."""
    weights = np.linalg.solve(np.einsum("k,kij->ij", priors, covariances), means.T).T
    return weights, -0.5 * np.sum(weights * means, axis=1) + np.log(priors)


def _per_prior_risks(mixture, priors, key, points):
    """Class risks and bounds of the LDA rule at each training prior, one orthant call each."""
    return map(np.asarray, jax.lax.map(
        lambda prior: class_risks(mixture, lda_classifier(mixture.with_priors(prior)), key, points, 8), priors))


@pytest.fixture(scope="module", params=[True, False], ids=["equal covariances", "unequal covariances"])
def sweep(request):
    """A K = 5, d = 4 mixture, 6 Dirichlet training priors and the fast risks at them."""
    rng = np.random.default_rng(11 if request.param else 12)
    mixture = _mixture(rng, 5, 4, request.param)
    priors = rng.dirichlet(np.full(5, 2.0), size=6)
    risks, bounds = lda_risks_over_priors(mixture, priors, jax.random.key(0), points=1024, refine=0.25)
    return mixture, priors, np.asarray(risks, np.float64), np.asarray(bounds, np.float64)


@pytest.mark.slow
def test_agrees_with_the_per_prior_class_risks_within_the_sum_of_bounds(sweep):
    mixture, priors, risks, bounds = sweep
    reference, reference_bounds = _per_prior_risks(mixture, priors, jax.random.key(1), 2048)
    # Each bound covers at least 99 % of errors (t_7(0.99975) standard errors over 8 shifts plus
    # a float32 rounding allowance); the sum of the two covers the difference as often.
    within = np.abs(risks - reference) <= bounds + reference_bounds
    assert np.mean(within) >= 0.95
    assert np.all(np.abs(risks - reference) <= 2 * (bounds + reference_bounds))


def test_agrees_with_large_sample_monte_carlo(sweep):
    mixture, priors, risks, bounds = sweep
    means, covariances = np.asarray(mixture.means), np.asarray(mixture.covariances)
    rng = np.random.default_rng(3)
    n = 250_000
    for p in (0, 3):
        weights, biases = _lda_rule(means, covariances, priors[p])
        for k in range(len(means)):
            x = rng.multivariate_normal(means[k], covariances[k], size=n)
            error = np.mean(np.argmax(x @ weights.T + biases, axis=1) != k)
            standard_error = np.sqrt(error * (1 - error) / n)
            assert abs(risks[p, k] - error) <= 4 * standard_error + bounds[p, k]


def test_two_classes_reduce_to_the_closed_form_with_rounding_bounds():
    rng = np.random.default_rng(5)
    mixture = _mixture(rng, 2, 2, equal_covariances=False)
    means, covariances = np.asarray(mixture.means), np.asarray(mixture.covariances)
    for prior, (dtype, tolerance) in itertools.product([[0.5, 0.5], [0.2, 0.8], [0.9, 0.1]],
                                                       [(jnp.float32, 2e-6), (jnp.float64, 1e-12)]):
        risks, bounds = lda_risks_over_priors(mixture, [prior], jax.random.key(0), points=64, dtype=dtype)
        weights, biases = _lda_rule(means, covariances, np.array(prior))
        direction, offset = weights[1] - weights[0], biases[1] - biases[0]
        # Class 0 errs where direction . x + offset > 0, class 1 where it is < 0.
        margins = (means @ direction + offset) / np.sqrt(np.einsum("i,kij,j->k", direction, covariances, direction))
        np.testing.assert_allclose(risks[0], [stats.norm.sf(-margins[0]), stats.norm.cdf(-margins[1])], atol=tolerance)
        # The exact formula's bound is its rounding allowance alone, 4 eps for its one constraint.
        np.testing.assert_array_equal(bounds, 4 * np.finfo(dtype).eps)


@pytest.fixture(scope="module")
def coarse():
    """A K = 6, d = 8 mixture, 10 training priors and first-pass risks on 61-point lattices."""
    rng = np.random.default_rng(7)
    mixture = _mixture(rng, 6, 8, equal_covariances=True)
    priors = rng.dirichlet(np.full(6, 2.0), size=10)
    risks, bounds = lda_risks_over_priors(mixture, priors, jax.random.key(2), points=64, refine=0.0)
    return mixture, priors, np.asarray(risks, np.float64), np.asarray(bounds, np.float64)


@pytest.mark.slow
def test_bounds_are_honest_against_a_far_more_accurate_reference(coarse):
    mixture, priors, risks, bounds = coarse
    reference, reference_bounds = _per_prior_risks(mixture, priors, jax.random.key(3), 8192)
    assert np.all(reference_bounds <= 0.2 * bounds)
    # Each bound is t_7(0.99975) = 6.08 standard errors over the 8 shifts plus 4 m eps (float32,
    # m = K - 1 = 5).  The errors in standard errors follow about Student's t with 7 degrees of
    # freedom (root mean square 1.18; somewhat more for a lattice rule), and at least 99 % of
    # the errors lie within the bound.
    standard_errors = (bounds - 4 * 5 * np.finfo(np.float32).eps) / special.stdtrit(7, 0.99975)
    ratio = (risks - reference) / standard_errors
    assert 0.6 < np.sqrt(np.mean(ratio**2)) < 2.5
    assert np.mean(np.abs(risks - reference) <= bounds + reference_bounds) >= 0.95


@pytest.mark.slow
def test_refinement_shrinks_the_largest_bounds(coarse):
    mixture, priors, _, plain = coarse
    _, refined = map(np.asarray, lda_risks_over_priors(mixture, priors, jax.random.key(2), points=64, refine=0.25))
    assert refined.max() < 0.6 * plain.max()
    assert np.mean(np.isclose(refined, plain, rtol=1e-4, atol=0)) >= 0.7  # the others keep their first estimates


def test_a_class_with_training_prior_zero_has_risk_one_and_costs_nobody_else():
    mixture = KClassMixture([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]], [1.0, 1.0, 1.0], [0.4, 0.3, 0.3])
    risks, bounds = lda_risks_over_priors(mixture, [[0.5, 0.5, 0.0]], jax.random.key(0), points=64)
    assert float(risks[0, 2]) == 1.0 and float(bounds[0, 2]) == 0.0
    # Classes 0 and 1 face only each other: the midpoint rule between means 3 apart.
    np.testing.assert_allclose(risks[0, :2], stats.norm.cdf(-1.5), atol=2e-6)


def test_same_key_same_result_and_clear_errors():
    mixture = KClassMixture([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]], [1.0, 1.0, 1.0], [0.4, 0.3, 0.3])
    priors = [[0.2, 0.3, 0.5]]
    first = lda_risks_over_priors(mixture, priors, jax.random.key(4), points=64)
    second = lda_risks_over_priors(mixture, priors, jax.random.key(4), points=64)
    np.testing.assert_array_equal(first, second)
    with pytest.raises(ValueError, match="training_priors must have shape"):
        lda_risks_over_priors(mixture, [[0.5, 0.5]], jax.random.key(0))
    with pytest.raises(ValueError, match=r"training_priors\[1\] must sum to 1"):
        lda_risks_over_priors(mixture, [[0.2, 0.3, 0.5], [0.2, 0.3, 0.4]], jax.random.key(0))
    with pytest.raises(ValueError, match="refine"):
        lda_risks_over_priors(mixture, priors, jax.random.key(0), refine=1.5)
    with pytest.raises(ValueError, match="shifts"):
        lda_risks_over_priors(mixture, priors, jax.random.key(0), shifts=1)


def test_the_fast_cbc_construction_makes_the_brute_force_choice_at_every_step():
    size, dimension = 101, 6
    points = np.arange(size)

    def kernel(z):  # 2 pi^2 B_2({z k / n}) for every k
        x = z * points % size / size
        return 2 * np.pi**2 * (x * x - x + 1 / 6)

    vector = orthant._generating_vector(size, dimension)
    products = np.ones(size)
    for j, chosen in enumerate(vector):
        errors = {z: np.sum(products * (1 + kernel(z) / (j + 1) ** 2)) for z in range(1, size)}
        assert errors[int(chosen)] <= min(errors.values()) * (1 + 1e-12)
        products *= 1 + kernel(int(chosen)) / (j + 1) ** 2
    assert orthant.lattice_size(128) == 127 and orthant.lattice_size(2) == 2
