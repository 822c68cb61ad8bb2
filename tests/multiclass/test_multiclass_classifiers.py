import jax
import numpy as np
import pytest
from scipy import special, stats
from sklearn.linear_model import LogisticRegression

from gmm_theory.twoclass.mixture import TwoClassMixture
from gmm_theory.multiclass.classifiers import (LinearClassifier, lda_classifier, least_squares_classifier,
                                               logistic_classifier)
from gmm_theory.multiclass.mixture import KClassMixture, sample
from gmm_theory.multiclass.quadratic import quadratic_class_risks, quadratic_scores
from gmm_theory.multiclass.risk import class_risks
from gmm_theory.twoclass.surrogate import logistic_rule

# Three overlapping classes in the plane with unequal covariances: every fit below has a
# unique finite population minimiser of moderate size.
MEANS = [[0.0, 0.0], [2.0, 0.5], [0.5, 2.0]]
COVARIANCES = [[[1.0, 0.3], [0.3, 0.6]], [[0.5, -0.2], [-0.2, 1.2]], [[1.5, 0.0], [0.0, 0.8]]]


def _plane(covariances=COVARIANCES) -> KClassMixture:
    # Built per test: the float64 fixture is only active inside tests.
    return KClassMixture(MEANS, covariances, [0.5, 0.3, 0.2])


def _centred(classifier) -> np.ndarray:
    """(W, b) in the gauge where rows and biases sum to zero, flattened."""
    weights, biases = np.asarray(classifier.weights), np.asarray(classifier.biases)
    return np.concatenate([(weights - weights.mean(0)).ravel(), biases - biases.mean()])


def _hermite_plane(order: int = 48):
    """Tensor Gauss-Hermite nodes z (n, 2) and weights (n,) for E f(z), z ~ N(0, I_2)."""
    nodes, weights = np.polynomial.hermite.hermgauss(order)
    grid = np.sqrt(2.0) * np.stack(np.meshgrid(nodes, nodes, indexing="ij"), axis=-1).reshape(-1, 2)
    return grid, np.outer(weights, weights).ravel() / np.pi


def _per_draw_gradient(mixture, weights, biases, z):
    """sum_k pi_k grad_(W, b) [logsumexp(W x + b) - (W x + b)_k] at x = mu_k + L_k z, for
    each standard normal z (n, d) shared by the classes: shape (n, K, d + 1)."""
    means, factors, priors = (np.asarray(a) for a in (mixture.means, mixture.cholesky, mixture.priors))
    total = 0.0
    for k, (mean, factor, prior) in enumerate(zip(means, factors, priors)):
        x = mean + z @ factor.T
        residual = special.softmax(x @ weights.T + biases, axis=-1) - np.eye(len(priors))[k]
        total = total + prior * residual[:, :, None] * np.concatenate([x, np.ones((len(x), 1))], axis=1)[:, None, :]
    return total


# --- population multinomial logistic regression -------------------------------------------


@pytest.mark.parametrize("ridge", [0.0, 0.4])
@pytest.mark.slow
def test_logistic_with_two_classes_is_the_two_class_population_logistic_rule(ridge):
    two = TwoClassMixture((-1.0, 1.0), (0.5, 1.5), (0.3, 0.7))
    fit = logistic_classifier(KClassMixture([[-1.0], [1.0]], [0.25, 2.25], [0.3, 0.7]), jax.random.key(0),
                              ridge=ridge)
    # In the zero-sum gauge W = (-w/2, w/2), so ridge ||W||^2 / 2 is the two-class l2 w^2 / 2
    # with l2 = ridge / 2.  The reference is a converged Gauss-Hermite Newton solve.
    reference = logistic_rule(two, l2=ridge / 2)
    # Over 20 keys the default 16384 draws give standard deviations of about 0.003 (weight)
    # and 0.004 (bias): allow 5 of them.
    assert float(fit.weights[1, 0] - fit.weights[0, 0]) == pytest.approx(float(reference.weight), abs=0.02)
    assert float(fit.biases[1] - fit.biases[0]) == pytest.approx(float(reference.bias), abs=0.02)


def test_logistic_gradient_of_the_population_loss_vanishes_at_the_fit():
    samples = 16384
    plane = _plane()
    fit = logistic_classifier(plane, jax.random.key(1), samples=samples)
    weights, biases = np.asarray(fit.weights), np.asarray(fit.biases)
    z, quadrature = _hermite_plane()

    def population_gradient(w, b):
        per_draw = _per_draw_gradient(plane, w, b, z)
        mean = np.einsum("n,nij->ij", quadrature, per_draw)
        return mean, np.einsum("n,nij->ij", quadrature, (per_draw - mean) ** 2)

    gradient, variance = population_gradient(weights, biases)
    # The fit zeroes the sample gradient, so the population gradient there is minus the
    # sampling error of the gradient, whose standard deviation is at most sqrt(variance / M)
    # (plain Monte Carlo; the antithetic, moment-matched draws only do better).
    standard_error = np.sqrt(variance / samples)
    assert np.all(np.abs(gradient) <= 5 * standard_error)
    # The check has power: it rejects a small move away from the fit.
    moved, _ = population_gradient(weights + 0.1 * np.array([[1.0, 0.0], [-1.0, 1.0], [0.0, -1.0]]), biases)
    assert np.any(np.abs(moved) > 5 * standard_error)


def test_logistic_agrees_with_scikit_learn_on_a_large_sample():
    plane = _plane()
    fit = logistic_classifier(plane, jax.random.key(2))
    x, y = map(np.asarray, sample(plane, jax.random.key(3), 200_000))
    reference = LogisticRegression(C=np.inf, tol=1e-10, max_iter=1000).fit(x, y)
    # Measured over seeds: scikit-learn's estimate varies by about 0.011 (standard deviation
    # of the largest-varying parameter) at this n, the population fit by about 0.004;
    # parameters are of size 0.5 to 2.  Allow about 5 combined standard deviations.
    np.testing.assert_allclose(_centred(fit), _centred(LinearClassifier(reference.coef_, reference.intercept_)),
                               atol=0.06)


def test_logistic_is_the_lda_rule_when_covariances_are_equal():
    # With a shared covariance the class posteriors are softmax(LDA scores): logistic
    # regression is well specified and its population minimiser is the LDA rule.
    mixture = _plane([COVARIANCES[0]] * 3)
    fit = logistic_classifier(mixture, jax.random.key(4))
    lda = lda_classifier(mixture)
    # Over 20 keys the fitted parameters (of size 0.2 to 2.5) vary by at most 0.014 and the
    # class risks by at most 6e-4 (standard deviations), around the LDA values: allow 5.
    np.testing.assert_allclose(_centred(fit), _centred(lda), atol=0.07)
    logistic_risks, logistic_bounds = class_risks(mixture, fit, jax.random.key(5))
    lda_risks, lda_bounds = class_risks(mixture, lda, jax.random.key(5))
    assert np.all(np.abs(np.asarray(logistic_risks - lda_risks)) <= 3e-3 + np.asarray(logistic_bounds + lda_bounds))


@pytest.mark.slow
def test_logistic_is_deterministic_vmaps_over_training_priors_and_skips_absent_classes():
    plane = _plane()
    priors = np.array([[0.2, 0.3, 0.5], [0.6, 0.2, 0.2], [1 / 3, 1 / 3, 1 / 3]])
    batched = jax.vmap(lambda p: logistic_classifier(plane.with_priors(p), jax.random.key(6)))(priors)
    for i, p in enumerate(priors):
        single = logistic_classifier(plane.with_priors(p), jax.random.key(6))
        np.testing.assert_allclose(batched.weights[i], single.weights, atol=1e-9)
        np.testing.assert_allclose(batched.biases[i], single.biases, atol=1e-9)
    np.testing.assert_array_equal(logistic_classifier(plane, jax.random.key(6)).weights,
                                  logistic_classifier(plane, jax.random.key(6)).weights)

    absent = logistic_classifier(plane.with_priors(np.array([0.6, 0.4, 0.0])), jax.random.key(6))
    two = logistic_classifier(KClassMixture(MEANS[:2], COVARIANCES[:2], [0.6, 0.4]), jax.random.key(6))
    assert float(absent.biases[2]) == -np.inf
    np.testing.assert_array_equal(absent.weights[2], 0.0)
    np.testing.assert_allclose(_centred(LinearClassifier(absent.weights[:2], absent.biases[:2])), _centred(two),
                               atol=1e-6)


def test_logistic_returns_nan_when_the_solver_does_not_converge():
    fit = logistic_classifier(_plane(), jax.random.key(0), max_steps=2)
    assert np.all(np.isnan(fit.weights)) and np.all(np.isnan(fit.biases))


# --- the Bayes (QDA) rule -----------------------------------------------------------------


def test_quadratic_risks_are_the_lda_orthant_risks_when_covariances_are_equal():
    mixture = _plane([COVARIANCES[1]] * 3)
    training_priors = np.array([0.2, 0.3, 0.5])
    risks, errors = quadratic_class_risks(mixture, training_priors, jax.random.key(0))
    exact, bounds = class_risks(mixture, lda_classifier(mixture.with_priors(training_priors)), jax.random.key(1))
    assert np.all(np.asarray(errors) > 0)
    assert np.all(np.abs(np.asarray(risks) - exact) <= 4 * np.asarray(errors) + np.asarray(bounds))


@pytest.mark.parametrize("seed", [0, 1])
def test_quadratic_rule_has_the_smallest_average_risk_under_the_training_law(seed):
    rng = np.random.default_rng(seed)
    covariances = [np.diag([0.3, 2.0]), np.diag([2.0, 0.3]), np.array([[1.0, 0.8], [0.8, 1.0]])]
    mixture = KClassMixture(rng.normal(scale=0.7, size=(3, 2)), covariances, [1 / 3, 1 / 3, 1 / 3])
    training_priors = rng.dirichlet(np.ones(3) * 3)
    trained = mixture.with_priors(training_priors)
    risks, errors = quadratic_class_risks(mixture, training_priors, jax.random.key(seed))
    bayes = float(training_priors @ risks)
    bayes_error = float(np.sqrt(training_priors**2 @ errors**2))
    lda = lda_classifier(trained)
    rules = [lda, least_squares_classifier(trained), logistic_classifier(trained, jax.random.key(0))]
    rules += [LinearClassifier(lda.weights + 0.3 * rng.normal(size=(3, 2)), lda.biases + 0.3 * rng.normal(size=3))
              for _ in range(10)]
    rules += [LinearClassifier(rng.normal(size=(3, 2)), rng.normal(size=3)) for _ in range(10)]
    averages = [float(training_priors @ class_risks(mixture, rule, jax.random.key(1))[0]) for rule in rules]
    assert bayes <= min(averages) + 3 * bayes_error
    # These covariances differ a lot: no linear rule comes close (a test with power).
    assert bayes < averages[0] - 10 * bayes_error


def test_quadratic_risks_agree_with_a_brute_force_scipy_estimate():
    training_priors = np.array([0.2, 0.5, 0.3])
    risks, errors = map(np.asarray, quadratic_class_risks(_plane(), training_priors, jax.random.key(0)))
    rng = np.random.default_rng(7)
    count = 20_000
    laws = [stats.multivariate_normal(mean, covariance) for mean, covariance in zip(MEANS, COVARIANCES)]
    brute = np.empty(3)
    for k, law in enumerate(laws):
        x = law.rvs(size=count, random_state=rng)
        posterior = np.stack([np.log(p) + other.logpdf(x) for p, other in zip(training_priors, laws)], axis=1)
        brute[k] = np.mean(np.argmax(posterior, axis=1) != k)
    brute_errors = np.sqrt(brute * (1 - brute) / count)
    assert np.all(np.abs(risks - brute) <= 4 * np.sqrt(errors**2 + brute_errors**2))
    # The scores are the log joint densities up to the constant (d / 2) ln 2 pi.
    x = laws[0].rvs(size=50, random_state=rng)
    joint = np.stack([np.log(p) + law.logpdf(x) for p, law in zip(training_priors, laws)], axis=1)
    np.testing.assert_allclose(quadratic_scores(_plane(), training_priors, x) - np.log(2 * np.pi), joint, rtol=1e-12)


def test_quadratic_risks_of_an_absent_class_vmap_and_determinism():
    plane = _plane()
    risks, errors = quadratic_class_risks(plane, [0.5, 0.5, 0.0], jax.random.key(0))
    assert float(risks[2]) == 1.0 and float(errors[2]) == 0.0
    priors = np.array([[0.2, 0.3, 0.5], [0.6, 0.2, 0.2]])
    batched, _ = jax.vmap(lambda p: quadratic_class_risks(plane, p, jax.random.key(1)))(priors)
    for i, p in enumerate(priors):
        np.testing.assert_array_equal(batched[i], quadratic_class_risks(plane, p, jax.random.key(1))[0])


# --- input validation ---------------------------------------------------------------------


@pytest.mark.parametrize(("kwargs", "message"), [
    (dict(samples=0), "samples"), (dict(samples=7), "samples must be even"), (dict(samples=2), "samples"),
    (dict(samples=1.5e4), "samples"), (dict(ridge=-1.0), "ridge"), (dict(ridge=np.inf), "ridge"),
    (dict(tolerance=0.0), "tolerance"), (dict(max_steps=0), "max_steps"),
])
def test_logistic_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        logistic_classifier(_plane(), jax.random.key(0), **kwargs)


def test_logistic_rejects_training_priors_that_are_not_a_probability_vector():
    with pytest.raises(ValueError, match="mixture.priors"):
        logistic_classifier(_plane().with_priors(np.array([0.5, 0.6, -0.1])), jax.random.key(0))


@pytest.mark.parametrize(("priors", "kwargs", "message"), [
    ([0.5, 0.6, 0.1], {}, "training_priors must sum to 1"), ([1.2, -0.2, 0.0], {}, r"training_priors\[0\]"),
    ([0.5, 0.5], {}, "training_priors must have 3 entries"), ([0.5, np.nan, 0.5], {}, "training_priors"),
    ([0.2, 0.3, 0.5], dict(samples=0), "samples"), ([0.2, 0.3, 0.5], dict(samples=100.0), "samples"),
    ([0.2, 0.3, 0.5], dict(batch_size=-4), "batch_size"),
])
def test_quadratic_risks_reject_bad_arguments(priors, kwargs, message):
    with pytest.raises(ValueError, match=message):
        quadratic_class_risks(_plane(), priors, jax.random.key(0), **kwargs)
