import jax
import numpy as np
import pytest
from scipy import optimize, stats

from gmm_theory.twoclass import limits
from gmm_theory.twoclass.mixture import TwoClassMixture
from gmm_theory.multiclass.allocators import (
    ALLOCATORS,
    Quadrature,
    allocate_model,
    optimal_priors,
    trained_class_risks,
)
from gmm_theory.drop import IteratedDrop
from gmm_theory.multiclass.mixture import KClassMixture, random_mixture

QUADRATURE = Quadrature(jax.random.key(0), points=512, shifts=8)


def test_two_equal_variance_classes_in_one_dimension_match_the_two_class_limits():
    # With equal variances the LDA rule is the Bayes threshold t*, the two-class population rule.
    means, stds, priors = np.array([-1.0, 1.0]), np.array([1.0, 1.0]), np.array([0.3, 0.7])
    two_class = TwoClassMixture(means, stds, priors)
    mixture = KClassMixture(means[:, None], stds**2, priors)
    for semantics in ("density", "count"):
        allocated = allocate_model(mixture, [0.4, 0.7], QUADRATURE, allocators=("stratified", "drop"),
                                   semantics=semantics)
        for policy in ("stratified", "drop"):
            for i, density in enumerate((0.4, 0.7)):
                expected_priors = limits.policy_priors(two_class, density, policy, semantics=semantics)
                np.testing.assert_allclose(allocated[policy].priors[i], expected_priors, atol=1e-10)
                np.testing.assert_allclose(allocated[policy].class_risks[i],
                                           limits.trained_class_risks(two_class, expected_priors), atol=1e-10)


def test_two_class_optimum_is_the_threshold_with_equal_risks_found_by_root_finding():
    means, stds, priors = np.array([-1.0, 1.0]), np.array([1.0, 1.5]), np.array([0.4, 0.6])
    mixture = KClassMixture(means[:, None], stds**2, priors)
    # Independent: scipy finds the threshold with equal class risks, then the training prior
    # whose LDA threshold (pooled variance s2: t = s2 ln(p0 / p1) / 2) it is.
    threshold = optimize.brentq(lambda t: stats.norm.sf((t + 1) / 1.0) - stats.norm.cdf((t - 1) / 1.5), -1, 1)

    def lda_threshold(p):
        pooled = p * 1.0 + (1 - p) * 1.5**2
        return pooled * np.log(p / (1 - p)) / 2

    prior = optimize.brentq(lambda p: lda_threshold(p) - threshold, 1e-6, 1 - 1e-6)
    np.testing.assert_allclose(optimal_priors(mixture, 0.5, QUADRATURE).priors, [prior, 1 - prior], atol=1e-6)
    allocated = allocate_model(mixture, [0.5], QUADRATURE, allocators=("optimal",))
    np.testing.assert_allclose(allocated["optimal"].class_risks[0], stats.norm.cdf((threshold - 1) / 1.5), atol=1e-6)


@pytest.mark.slow
def test_with_equal_covariances_one_adjusted_query_reaches_the_optimum():
    mixture = random_mixture(1, 4, 3, heterogeneity=0.0)
    adjusted = optimal_priors(mixture, 0.5, QUADRATURE, adjust=True)
    np.testing.assert_allclose(adjusted.priors, optimal_priors(mixture, 0.5, QUADRATURE).priors, atol=1e-6)


@pytest.mark.slow
def test_the_realisable_optimum_is_not_beaten_by_random_realisable_priors():
    mixture = random_mixture(0, 4, 3, heterogeneity=0.8)
    density = 0.6
    solution = optimal_priors(mixture, density, QUADRATURE)
    caps = np.asarray(mixture.priors) / density
    assert np.all(solution.priors <= caps + 1e-12) and np.isclose(solution.priors.sum(), 1.0)
    assert solution.gap < 1e-6
    # A capped class is among the worst here, and plain iterated DRoP stops short of the optimum.
    capped = np.isclose(solution.priors, caps)
    assert capped.any() and solution.risks[capped].max() == pytest.approx(solution.risks.max(), abs=1e-6)
    rng = np.random.default_rng(1)
    candidates = rng.dirichlet(np.ones(4), size=20_000)
    candidates = candidates[np.all(candidates <= caps, axis=1)][:2000]
    risks = np.array([trained_class_risks(mixture, p, QUADRATURE)[0] for p in candidates])
    assert risks.max(axis=1).min() >= solution.risks.max() - 1e-6
    fixed_point = allocate_model(mixture, [density], QUADRATURE, allocators=("iterated-drop",),
                                 config=IteratedDrop(rounds=100))
    assert fixed_point["iterated-drop"].worst_class_risk()[0] > solution.risks.max() + 1e-3


def test_drop_semantics_differ_by_the_data_priors():
    mixture = random_mixture(3, 3, 2, priors=[0.5, 0.3, 0.2])
    allocated = {semantics: allocate_model(mixture, [0.1], QUADRATURE, allocators=("stratified", "drop"),
                                           semantics=semantics) for semantics in ("density", "count")}
    full_data_risks = allocated["density"]["stratified"].class_risks[0]
    # At density 0.1 no class saturates: kept fractions (density) or counts (count) are
    # proportional to the full-data risks.
    density_priors, count_priors = allocated["density"]["drop"].priors[0], allocated["count"]["drop"].priors[0]
    assert np.all(density_priors * 0.1 < mixture.priors) and np.all(count_priors * 0.1 < mixture.priors)
    np.testing.assert_allclose(density_priors, mixture.priors * full_data_risks / (mixture.priors @ full_data_risks))
    np.testing.assert_allclose(count_priors, full_data_risks / full_data_risks.sum())


@pytest.mark.slow
def test_allocators_report_every_density_and_keep_the_data_priors_at_full_density():
    mixture = random_mixture(4, 3, 2)
    allocated = allocate_model(mixture, [0.5, 1.0], QUADRATURE)
    assert tuple(allocated) == ALLOCATORS
    for result in allocated.values():
        assert result.priors.shape == result.class_risks.shape == (2, 3)
        np.testing.assert_allclose(result.priors[1], mixture.priors, atol=1e-12)
        np.testing.assert_allclose(result.priors.sum(axis=1), 1.0)


@pytest.mark.parametrize(("options", "message"), [({"classifier": "qda"}, "classifier"),
                                                 ({"allocators": ("drop-density",)}, "policy")])
def test_bad_choices_name_the_parameter(options, message):
    with pytest.raises(ValueError, match=message):
        allocate_model(random_mixture(0, 3, 2), [0.5], QUADRATURE, **options)


def test_bad_density_names_the_parameter():
    with pytest.raises(ValueError, match="density"):
        allocate_model(random_mixture(0, 3, 2), [1.5], QUADRATURE)


@pytest.mark.parametrize(("options", "message"), [({"num_classes": 1}, "num_classes"),
                                                 ({"separation": -1.0}, "separation"),
                                                 ({"heterogeneity": np.nan}, "heterogeneity")])
def test_random_mixture_checks_its_parameters(options, message):
    arguments = {"seed": 0, "num_classes": 3, "dimension": 2} | options
    with pytest.raises(ValueError, match=message):
        random_mixture(**arguments)


def test_random_mixture_is_reproducible_and_has_the_stated_spreads():
    first, second = random_mixture(7, 5, 4, heterogeneity=0.3), random_mixture(7, 5, 4, heterogeneity=0.3)
    np.testing.assert_array_equal(first.means, second.means)
    stds = np.sqrt(np.asarray(first.covariances)[:, 0, 0])
    assert np.all(np.abs(np.log(stds)) <= 0.3)
    np.testing.assert_allclose(np.asarray(first.covariances), stds[:, None, None] ** 2 * np.eye(4))
