import jax
import numpy as np
import pytest
from scipy import stats

from gmm_theory.twoclass.mixture import TwoClassMixture
from gmm_theory.multiclass.classifiers import lda_classifier, least_squares_classifier
from gmm_theory.multiclass.mixture import KClassMixture, sample
from gmm_theory.twoclass.surrogate import least_squares_threshold

import oracles


def _random_spd(rng, d):
    a = rng.normal(size=(d, d))
    return a @ a.T + 0.5 * np.eye(d)


@pytest.mark.parametrize("form", ["isotropic", "diagonal", "full"])
def test_covariance_forms_are_stored_full(form):
    rng = np.random.default_rng(0)
    means = rng.normal(size=(3, 2))
    given = {"isotropic": [0.5, 1.0, 2.0], "diagonal": [[1.0, 2.0], [0.5, 0.5], [3.0, 1.0]],
             "full": [_random_spd(rng, 2) for _ in range(3)]}[form]
    mixture = KClassMixture(means, given, [0.2, 0.3, 0.5])
    expected = {"isotropic": lambda: np.array(given)[:, None, None] * np.eye(2),
                "diagonal": lambda: np.stack([np.diag(v) for v in given]), "full": lambda: np.array(given)}[form]()
    np.testing.assert_allclose(mixture.covariances, expected)
    np.testing.assert_allclose(np.einsum("kij,klj->kil", mixture.cholesky, mixture.cholesky), expected, atol=1e-12)


@pytest.mark.parametrize(("means", "covariances", "priors", "message"), [
    ([[0.0, 0.0]], [1.0], [1.0], "at least 2 classes"),
    ([[0.0], [1.0]], [1.0, -1.0], [0.5, 0.5], r"covariances\[1\] must be positive"),
    ([[0.0, 0.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]], [0.5, 0.5], r"covariances\[0, 1\] \(a variance\)"),
    ([[0.0, 0.0], [1.0, 1.0]], [[[1, 2], [2, 1]], [[1, 0], [0, 1]]], [0.5, 0.5], r"covariances\[0\] must be positive definite"),
    ([[0.0, 0.0], [1.0, 1.0]], [[[1, 0.5], [0, 1]], [[1, 0], [0, 1]]], [0.5, 0.5], r"covariances\[0\] must be symmetric"),
    ([[0.0, 0.0], [1.0, 1.0]], np.ones((2, 3, 3)), [0.5, 0.5], "covariances must have shape"),
    ([[0.0, 0.0], [1.0, 1.0]], [1.0, 1.0], [0.5, 0.6], "priors must sum to 1"),
    ([[0.0, 0.0], [1.0, 1.0]], [1.0, 1.0], [0.5, 0.3, 0.2], "priors must have 2 entries"),
    ([[0.0, np.nan], [1.0, 1.0]], [1.0, 1.0], [0.5, 0.5], "means must be finite"),
])
def test_bad_specs_name_the_parameter(means, covariances, priors, message):
    with pytest.raises(ValueError, match=message):
        KClassMixture(means, covariances, priors)


def test_samples_have_the_specified_moments():
    rng = np.random.default_rng(1)
    covariances = [_random_spd(rng, 3) for _ in range(3)]
    mixture = KClassMixture(rng.normal(size=(3, 3)) * 3, covariances, [0.2, 0.3, 0.5])
    x, y = map(np.asarray, sample(mixture, jax.random.key(0), 200_000))
    counts = np.bincount(y, minlength=3)
    # Label counts within 5 binomial standard errors; class means within 5 standard errors.
    se = np.sqrt(200_000 * 0.2 * 0.8)
    assert abs(counts[0] - 40_000) < 5 * se
    for k in range(3):
        members = x[y == k]
        standard_error = np.sqrt(np.diag(covariances[k]) / members.shape[0])
        assert np.all(np.abs(members.mean(axis=0) - np.asarray(mixture.means[k])) < 5 * standard_error)
        np.testing.assert_allclose(np.cov(members.T), covariances[k], atol=0.05 * np.abs(covariances[k]).max())


def test_lda_is_the_bayes_rule_with_equal_covariances():
    rng = np.random.default_rng(2)
    shared = _random_spd(rng, 4)
    means = rng.normal(size=(5, 4))
    priors = rng.dirichlet(np.ones(5))
    mixture = KClassMixture(means, np.broadcast_to(shared, (5, 4, 4)), priors)
    points = rng.normal(size=(2000, 4)) * 2
    log_posterior = np.stack([np.log(p) + stats.multivariate_normal(m, shared).logpdf(points)
                              for m, p in zip(means, priors)], axis=-1)
    np.testing.assert_array_equal(lda_classifier(mixture).predict(points), log_posterior.argmax(-1))


def test_two_class_lda_in_one_dimension_is_the_lda_threshold():
    means, stds, priors = (-1.0, 2.0), (1.3, 1.3), (0.3, 0.7)
    rule = lda_classifier(KClassMixture([[means[0]], [means[1]]], [stds[0] ** 2, stds[1] ** 2], priors))
    slope = float(rule.weights[1, 0] - rule.weights[0, 0])
    threshold = -float(rule.biases[1] - rule.biases[0]) / slope
    assert slope > 0 and threshold == pytest.approx(oracles.risk_minimiser(means, stds, priors)[0], abs=1e-9)


def test_training_priors_change_only_the_biases():
    mixture = KClassMixture([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]], [1.0, 1.0, 1.0], [1 / 3] * 3)
    skewed = lda_classifier(mixture.with_priors(np.array([0.6, 0.3, 0.1])))
    balanced = lda_classifier(mixture)
    np.testing.assert_allclose(skewed.weights, balanced.weights)
    np.testing.assert_allclose(skewed.biases - balanced.biases, np.log([0.6, 0.3, 0.1]) - np.log(1 / 3))


def test_least_squares_matches_a_large_sample_fit():
    rng = np.random.default_rng(4)
    mixture = KClassMixture(rng.normal(size=(3, 2)) * 2, [_random_spd(rng, 2) for _ in range(3)], [0.2, 0.3, 0.5])
    x, y = map(np.asarray, sample(mixture, jax.random.key(0), 400_000))
    design = np.column_stack([x, np.ones(len(x))])
    coefficients, *_ = np.linalg.lstsq(design, np.eye(3)[y], rcond=None)
    rule = least_squares_classifier(mixture)
    # Sampling error of the fitted coefficients is about 1e-3 at this n.
    np.testing.assert_allclose(rule.weights, coefficients[:2].T, atol=1e-2)
    np.testing.assert_allclose(rule.biases, coefficients[2], atol=1e-2)


def test_two_class_least_squares_is_the_one_dimensional_threshold():
    means, stds, priors = (-1.0, 1.0), (0.5, 1.5), (0.3, 0.7)
    rule = least_squares_classifier(KClassMixture([[means[0]], [means[1]]], [stds[0] ** 2, stds[1] ** 2], priors))
    slope = float(rule.weights[1, 0] - rule.weights[0, 0])
    threshold = -float(rule.biases[1] - rule.biases[0]) / slope
    assert threshold == pytest.approx(float(least_squares_threshold(TwoClassMixture(means, stds, priors))), abs=1e-12)


def test_fit_mixture_recovers_a_known_mixture_from_a_large_sample():
    from gmm_theory.multiclass.mixture import fit_mixture

    rng = np.random.default_rng(5)
    truth = KClassMixture(rng.normal(size=(3, 4)), [_random_spd(rng, 4) for _ in range(3)], [0.5, 0.3, 0.2])
    x, y = map(np.asarray, sample(truth, jax.random.key(0), 200_000))
    fitted = fit_mixture(x, y, shrinkage=0.0)
    # All 4 principal directions keep the space; fitted parameters are then those of the
    # data in a rotated frame: compare rotation-invariant quantities.
    np.testing.assert_allclose(fitted.priors, np.bincount(y) / y.size)
    np.testing.assert_allclose(np.asarray(truth.priors), fitted.priors, atol=5 * np.sqrt(0.25 / y.size))
    true_gaps = np.linalg.norm(np.asarray(truth.means)[:, None] - np.asarray(truth.means)[None], axis=-1)
    fitted_gaps = np.linalg.norm(np.asarray(fitted.means)[:, None] - np.asarray(fitted.means)[None], axis=-1)
    np.testing.assert_allclose(fitted_gaps, true_gaps, atol=0.03)
    for k in range(3):
        np.testing.assert_allclose(np.linalg.eigvalsh(fitted.covariances[k]),
                                   np.linalg.eigvalsh(truth.covariances[k]), rtol=0.03)


def test_fit_mixture_shrinks_and_projects():
    from gmm_theory.multiclass.mixture import fit_mixture

    rng = np.random.default_rng(6)
    features = rng.normal(size=(60, 10)) * np.arange(1, 11)
    labels = np.repeat([0, 1, 2], 20)
    fitted = fit_mixture(features, labels, components=3, shrinkage=1.0)
    assert fitted.means.shape == (3, 3)
    # Full shrinkage leaves tr(S_k) / m times the identity.
    for k, covariance in enumerate(np.asarray(fitted.covariances)):
        np.testing.assert_allclose(covariance, np.trace(covariance) / 3 * np.eye(3), atol=1e-12)
    # The class means are those of scikit-learn's 3-component PCA scores (up to the signs of
    # the components, so compare distances between means).
    from sklearn.decomposition import PCA

    scores = PCA(3).fit_transform(features)
    expected = np.array([scores[labels == k].mean(axis=0) for k in range(3)])

    def distances(means):
        return np.linalg.norm(means[:, None] - means[None], axis=-1)

    np.testing.assert_allclose(distances(np.asarray(fitted.means)), distances(expected), atol=1e-10)


@pytest.mark.parametrize(("options", "message"), [({"components": 0}, "components"),
                                                 ({"components": 11}, "components"),
                                                 ({"shrinkage": 1.5}, "shrinkage")])
def test_fit_mixture_bad_input_names_the_parameter(options, message):
    from gmm_theory.multiclass.mixture import fit_mixture

    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=message):
        fit_mixture(rng.normal(size=(30, 10)), np.repeat([0, 1, 2], 10), **options)


def test_fit_mixture_needs_two_samples_in_every_class():
    from gmm_theory.multiclass.mixture import fit_mixture

    with pytest.raises(ValueError, match="class 1"):
        fit_mixture(np.random.default_rng(0).normal(size=(5, 2)), np.array([0, 0, 2, 2, 2]))


def test_a_mixture_beyond_the_memory_is_refused_before_allocation():
    from gmm_theory.multiclass.mixture import random_mixture

    with pytest.raises(ValueError, match="a mixture of 1000000000000 classes in 32 dimensions needs about"):
        random_mixture(0, 10**12, 32)
