import jax
import numpy as np
import pytest
from scipy import stats

from gmm_theory.multiclass.classifiers import lda_classifier
from gmm_theory.multiclass.minimax import minimax_priors
from gmm_theory.multiclass.mixture import KClassMixture
from gmm_theory.multiclass.risk import class_risks


@pytest.fixture
def mixture():
    rng = np.random.default_rng(0)
    covariances = [(lambda a: a @ a.T + np.eye(3))(0.6 * rng.normal(size=(3, 3))) for _ in range(4)]
    return KClassMixture(2 * rng.normal(size=(4, 3)), covariances, rng.dirichlet(np.ones(4)))


def test_the_solution_equalises_the_class_risks(mixture):
    solution = minimax_priors(mixture, jax.random.key(0))
    assert float(solution.spread) < 1e-6
    assert np.isclose(float(np.sum(solution.priors)), 1.0) and np.all(np.asarray(solution.priors) > 0)


def test_no_random_prior_beats_the_solution(mixture):
    solution = minimax_priors(mixture, jax.random.key(0))
    candidates = np.random.default_rng(1).dirichlet(np.ones(4), size=500)

    @jax.jit
    @jax.vmap
    def worst(priors):
        return class_risks(mixture, lda_classifier(mixture.with_priors(priors)), jax.random.key(0), 2048, 8)[0].max()

    tolerance = float(np.max(solution.bounds)) + 1e-9
    assert np.min(np.asarray(worst(candidates))) >= float(solution.risks.max()) - tolerance


def test_two_classes_with_equal_stds_give_the_std_proportional_priors():
    # LDA is the Bayes rule here; the std-proportional priors (paper B.2) are (1/2, 1/2) and
    # both classes then err Phi(-(mu_1 - mu_0) / (sigma_0 + sigma_1)).
    mixture = KClassMixture([[-1.0], [2.0]], [1.44, 1.44], [0.2, 0.8])
    solution = minimax_priors(mixture, jax.random.key(0))
    np.testing.assert_allclose(solution.priors, [0.5, 0.5], atol=1e-8)
    np.testing.assert_allclose(solution.risks, stats.norm.cdf(-3.0 / 2.4), atol=1e-10)
