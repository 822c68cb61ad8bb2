import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from gmm_theory.twoclass.mixture import TwoClassMixture
from gmm_theory.multiclass.classifiers import LinearClassifier, lda_classifier, least_squares_classifier
from gmm_theory.multiclass.mixture import KClassMixture, sample
from gmm_theory.multiclass.orthant import orthant_probability
from gmm_theory.multiclass.risk import class_risks, class_risks_and_gradients
from gmm_theory.twoclass.risk import linear_class_risks


@pytest.mark.parametrize("m", [2, 3, 6, 9])
@pytest.mark.slow
def test_orthant_probability_agrees_with_scipy_within_its_bound(m):
    rng = np.random.default_rng(m)
    factor = rng.normal(size=(m, m))
    upper = rng.normal(size=m) + 1.0
    probability, bound = orthant_probability(upper, factor, jax.random.key(0))
    reference = stats.multivariate_normal(np.zeros(m), factor @ factor.T).cdf(upper)
    # scipy's Genz integration is itself accurate to about 1e-5.
    assert abs(float(probability) - reference) <= float(bound) + 2e-5
    assert 0 <= float(bound) < 5e-4


def test_orthant_probability_handles_infinite_limits_and_singular_covariances():
    assert float(orthant_probability(np.array([np.inf, 0.0, np.inf]), np.eye(3), jax.random.key(0))[0]) == pytest.approx(0.5)
    assert float(orthant_probability(np.array([-np.inf, 0.0, 1.0]), np.eye(3), jax.random.key(0))[0]) == 0.0
    # Z = (u, u, -u) for one standard normal u: P(u <= 1, u <= 2, -u <= 0.5) = Phi(1) - Phi(-0.5).
    factor = np.array([[1.0], [1.0], [-1.0]])
    probability, _ = orthant_probability(np.array([1.0, 2.0, 0.5]), factor, jax.random.key(0))
    assert float(probability) == pytest.approx(stats.norm.cdf(1) - stats.norm.cdf(-0.5), abs=1e-12)


def _random_mixture(rng, classes, dimension):
    covariances = [(lambda a: a @ a.T + np.eye(dimension))(0.6 * rng.normal(size=(dimension, dimension)))
                   for _ in range(classes)]
    return KClassMixture(2 * rng.normal(size=(classes, dimension)), covariances, rng.dirichlet(np.ones(classes)))


@pytest.mark.parametrize(("classes", "dimension"), [(3, 2), (5, 8), (7, 3)])
@pytest.mark.slow
def test_class_risks_agree_with_large_sample_monte_carlo(classes, dimension):
    rng = np.random.default_rng(classes * 10 + dimension)
    mixture = _random_mixture(rng, classes, dimension)
    classifier = lda_classifier(mixture)
    risks, bounds = map(np.asarray, class_risks(mixture, classifier, jax.random.key(0)))
    x, y = map(np.asarray, sample(mixture, jax.random.key(1), 1_000_000))
    wrong = np.asarray(classifier.predict(x)) != y
    counts = np.bincount(y, minlength=classes)
    estimate = np.bincount(y, weights=wrong, minlength=classes) / counts
    standard_error = np.sqrt(np.maximum(estimate * (1 - estimate), 1e-12) / counts)
    # Monte Carlo noise (5 standard errors) plus the quadrature's own bound.
    assert np.all(np.abs(risks - estimate) <= 5 * standard_error + bounds + 1e-6)


def test_two_classes_reduce_to_the_one_dimensional_closed_form_of_the_projection():
    rng = np.random.default_rng(3)
    mixture = _random_mixture(rng, 2, 4)
    classifier = LinearClassifier(rng.normal(size=(2, 4)), rng.normal(size=2))
    risks, bounds = class_risks(mixture, classifier, jax.random.key(0))
    direction = np.asarray(classifier.weights[1] - classifier.weights[0])
    projected_means = np.asarray(mixture.means) @ direction
    projected_stds = np.sqrt(np.einsum("i,kij,j->k", direction, np.asarray(mixture.covariances), direction))
    projected = TwoClassMixture.unchecked(projected_means, projected_stds, np.asarray(mixture.priors))
    expected = linear_class_risks(projected, 1.0, float(classifier.biases[1] - classifier.biases[0]))
    np.testing.assert_allclose(risks, expected, atol=1e-12)
    np.testing.assert_array_equal(bounds, 4 * np.finfo(np.float64).eps)  # rounding only


def test_a_class_that_is_never_predicted_has_risk_one_and_costs_nobody_else():
    mixture = KClassMixture([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]], [1.0, 1.0, 1.0], [0.4, 0.3, 0.3])
    rule = lda_classifier(mixture.with_priors(np.array([0.5, 0.5, 0.0])))
    risks, _ = class_risks(mixture, rule, jax.random.key(0))
    two_class = lda_classifier(KClassMixture([[0.0, 0.0], [3.0, 0.0]], [1.0, 1.0], [0.5, 0.5]))
    reduced, _ = class_risks(KClassMixture([[0.0, 0.0], [3.0, 0.0]], [1.0, 1.0], [0.5, 0.5]), two_class,
                             jax.random.key(0))
    assert float(risks[2]) == 1.0
    np.testing.assert_allclose(risks[:2], reduced, atol=1e-12)


@pytest.mark.parametrize(("classes", "dimension", "rule", "tolerance"), [
    (4, 3, lda_classifier, 1e-7), (4, 3, least_squares_classifier, 1e-7), (5, 2, lda_classifier, 1e-4)])
@pytest.mark.slow
def test_the_reverse_mode_jacobian_matches_central_differences_of_the_risks(classes, dimension, rule, tolerance):
    # With the key fixed the quadrature estimate is a smooth function of the priors, so central
    # differences of class_risks (step 1e-5, error ~1e-9) check the chain rule through the
    # orthant integral and the rule.  d = 2 < K - 1 = 4 exercises the singular, trapezoidal
    # case, whose last variable takes the tightest of several limits: where the tightest row
    # switches at a lattice point the estimate has a kink, which the differences straddle.
    rng = np.random.default_rng(classes + dimension)
    mixture = _random_mixture(rng, classes, dimension)
    priors = jnp.asarray(rng.dirichlet(np.full(classes, 3.0)))
    key = jax.random.key(5)
    train = lambda p: rule(mixture.with_priors(p))
    risks, bounds, jacobian = jax.jit(lambda p: class_risks_and_gradients(mixture, train, p, key, 1024))(priors)
    plain_risks, plain_bounds = class_risks(mixture, train(priors), key, 1024)
    np.testing.assert_allclose(risks, plain_risks, rtol=0, atol=1e-14)
    np.testing.assert_allclose(bounds, plain_bounds, rtol=1e-9)
    step = 1e-5
    differences = np.array([(np.asarray(class_risks(mixture, train(priors + step * e), key, 1024)[0])
                             - np.asarray(class_risks(mixture, train(priors - step * e), key, 1024)[0])) / (2 * step)
                            for e in np.eye(classes)]).T
    np.testing.assert_allclose(jacobian, differences, atol=tolerance * np.abs(differences).max())
