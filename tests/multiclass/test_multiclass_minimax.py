import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from gmm_theory.twoclass.mixture import TwoClassMixture
from gmm_theory.multiclass.classifiers import lda_classifier
from gmm_theory.multiclass.minimax import equalise_risks, minimax_priors
from gmm_theory.multiclass.mixture import KClassMixture
from gmm_theory.multiclass.risk import class_risks
from gmm_theory.twoclass.optimal import risk_minimising_threshold
from gmm_theory.twoclass.risk import class_risks as threshold_class_risks


@pytest.fixture
def mixture():
    rng = np.random.default_rng(0)
    covariances = [(lambda a: a @ a.T + np.eye(3))(0.6 * rng.normal(size=(3, 3))) for _ in range(4)]
    return KClassMixture(2 * rng.normal(size=(4, 3)), covariances, rng.dirichlet(np.ones(4)))


@pytest.mark.slow
def test_the_solution_equalises_the_class_risks(mixture):
    solution = minimax_priors(mixture, jax.random.key(0))
    assert float(solution.spread) < 1e-6
    assert np.isclose(float(np.sum(solution.priors)), 1.0) and np.all(np.asarray(solution.priors) > 0)


@pytest.mark.slow
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



def test_with_the_two_class_threshold_rule_it_finds_the_std_proportional_priors():
    # Paper B.2: training the 0-1 risk minimiser at priors proportional to the stds (0.25,
    # 0.75 here) gives equal class errors Phi(-(mu_1 - mu_0) / (sigma_0 + sigma_1)).
    paper = TwoClassMixture((-1.0, 1.0), (0.5, 1.5), (0.5, 0.5))

    def risks_at(priors):
        risks = threshold_class_risks(paper, risk_minimising_threshold(paper.with_priors(priors)))
        return risks, jnp.zeros_like(risks)

    solution = equalise_risks(risks_at, paper.priors, steps=100)
    np.testing.assert_allclose(solution.priors, [0.25, 0.75], atol=1e-9)
    np.testing.assert_allclose(solution.risks, stats.norm.cdf(-1.0), atol=1e-12)


@pytest.mark.parametrize("caps", [np.ones(4), np.array([0.2, 0.6, 0.6, 0.6])])
def test_realisable_minimax_matches_an_epigraph_solve_by_scipy(caps):
    from scipy import optimize

    from gmm_theory.multiclass.minimax import realisable_minimax

    scale, rate = np.array([0.9, 0.5, 0.7, 0.3]), np.array([3.0, 5.0, 2.0, 4.0])

    def risks_at(p):
        return scale * np.exp(-rate * np.asarray(p))

    def linearise(p):
        return risks_at(p), np.diag(-rate * risks_at(p))

    start = np.array([0.2, 0.8 / 3, 0.8 / 3, 0.8 / 3])
    solution = realisable_minimax(linearise, start, caps)
    # Independent: min t s.t. R_k(p) <= t, sum p = 1, 0 <= p <= caps, by SLSQP.
    reference = optimize.minimize(
        lambda z: z[-1], np.r_[start, 1.0], method="SLSQP",
        constraints=[{"type": "ineq", "fun": lambda z: z[-1] - risks_at(z[:4])},
                     {"type": "eq", "fun": lambda z: z[:4].sum() - 1}],
        bounds=[(0, c) for c in caps] + [(None, None)], options={"ftol": 1e-12, "maxiter": 500})
    assert reference.success
    assert solution.risks.max() == pytest.approx(reference.x[-1], abs=1e-7)
    np.testing.assert_allclose(solution.priors, reference.x[:4], atol=1e-5)
    assert solution.gap < 1e-7
    assert np.all(solution.priors <= caps + 1e-12)


def test_realisable_minimax_rejects_a_start_above_the_caps():
    from gmm_theory.multiclass.minimax import realisable_minimax

    with pytest.raises(ValueError, match="start"):
        realisable_minimax(lambda p: (p, np.eye(2)), [0.5, 0.5], [0.4, 1.0])
