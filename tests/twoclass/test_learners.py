import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize

import oracles
import gmm_theory as gt
from gmm_theory.twoclass.montecarlo import selection
from gmm_theory.twoclass import learners as fits
from gmm_theory.twoclass.surrogate import logistic_rule


def _empirical_errors(x, y, kept, rule):
    predicted_one = np.asarray(rule.weight) * x + np.asarray(rule.bias) > 0
    return int(np.sum(kept & (predicted_one != (y == 1))))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(-5, 5), st.integers(0, 1), st.booleans()), min_size=1, max_size=14),
       st.booleans())
@pytest.mark.slow
def test_threshold_erm_equals_brute_force(points, prefer_right):
    # Integer-valued x makes ties between samples common.
    x = np.array([p[0] for p in points], dtype=float)
    order = np.argsort(x, kind="stable")
    x, y, kept = x[order], np.array([p[1] for p in points])[order], np.array([p[2] for p in points])[order]
    rule = fits.threshold_erm(jnp.asarray(x), jnp.asarray(y), jnp.asarray(kept), prefer_right)
    if not (np.any(kept & (y == 0)) and np.any(kept & (y == 1))):
        assert np.isnan(rule.weight) and np.isnan(rule.bias)
        return
    candidates = np.concatenate([[-np.inf], x, [np.inf]])
    best = min(int(np.sum(kept & ((x > t) != (y == 1)))) for t in candidates)
    assert _empirical_errors(x, y, kept, rule) == best




def _paper_sample(seed, n):
    """Labels and features from the paper's mixture, plus a generator for further draws."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    return rng, np.where(y == 1, rng.normal(1, 1.5, n), rng.normal(-1, 0.5, n)), y


@pytest.mark.parametrize("name", sorted(fits.LEARNERS))
@pytest.mark.slow
def test_batched_fits_equal_masked_fits(name):
    n = 400
    rng, x, y = _paper_sample(1, n)
    order = np.argsort(x)
    x, y = jnp.asarray(x[order]), jnp.asarray(y[order])
    ranks = selection.within_class_ranks(y, jnp.asarray(rng.random(n)))
    sizes = np.asarray(selection.class_sizes(y))
    counts = jnp.asarray([[sizes[0], sizes[1]], [10, 50], [120, 7], [0, 30], [1, 1], [2, 2]])
    batched = fits.fit_allocations(name, x, y, ranks, counts)
    for a in range(counts.shape[0]):
        single = fits.LEARNERS[name].fit(x, y, ranks < counts[a][y])
        np.testing.assert_allclose([batched.weight[a], batched.bias[a]], [single.weight, single.bias],
                                   rtol=1e-9, atol=1e-12)


def test_least_squares_matches_numpy_polyfit_on_the_kept_samples():
    n = 1000
    rng, x, y = _paper_sample(2, n)
    kept = rng.random(n) < 0.4
    w, b = np.polyfit(x[kept], y[kept], 1)
    rule = fits.least_squares(jnp.asarray(x), jnp.asarray(y), jnp.asarray(kept))
    np.testing.assert_allclose([rule.weight, rule.bias], [w, b - 0.5], rtol=1e-10)


def test_plugin_is_the_risk_minimiser_of_the_fitted_gaussians():
    n = 2000
    rng, x, y = _paper_sample(3, n)
    kept = rng.random(n) < 0.5
    means = [x[kept & (y == k)].mean() for k in (0, 1)]
    stds = [x[kept & (y == k)].std() for k in (0, 1)]
    frequency = np.mean(y[kept] == 0)
    t_ref, _, _ = oracles.risk_minimiser(means, stds, (frequency, 1 - frequency))
    rule = fits.plugin(jnp.asarray(x), jnp.asarray(y), jnp.asarray(kept))
    assert float(rule.weight) == 1.0
    assert -float(rule.bias) == pytest.approx(t_ref, abs=1e-9)


def test_logistic_matches_scipy_minimisation():
    n = 500
    rng, x, y = _paper_sample(4, n)
    kept = rng.random(n) < 0.6
    s = 2 * y[kept] - 1
    objective = lambda p: np.mean(np.logaddexp(0, -s * (p[0] * x[kept] + p[1]))) + 1e-4 * p[0] ** 2 / 2
    expected = optimize.minimize(objective, [0.0, 0.0], method="BFGS", options=dict(gtol=1e-12)).x
    rule = fits.logistic(jnp.asarray(x), jnp.asarray(y), jnp.asarray(kept))
    np.testing.assert_allclose([rule.weight, rule.bias], expected, rtol=1e-6, atol=1e-7)


@pytest.mark.slow
def test_population_logistic_rule_matches_quadrature_minimisation():
    from scipy import integrate, stats
    means, stds, priors = (-1.0, 1.0), (0.5, 1.5), (0.4, 0.6)

    def objective(p):
        total = 0.0
        for k, sign in ((0, -1.0), (1, 1.0)):
            f = lambda x: stats.norm.pdf(x, means[k], stds[k]) * np.logaddexp(0, -sign * (p[0] * x + p[1]))
            total += priors[k] * integrate.quad(f, means[k] - 20 * stds[k], means[k] + 20 * stds[k], epsabs=1e-13)[0]
        return total

    expected = optimize.minimize(objective, [1.0, 0.0], method="Nelder-Mead",
                                 options=dict(xatol=1e-10, fatol=1e-14, maxiter=4000)).x
    rule = logistic_rule(gt.TwoClassMixture(means, stds, priors))
    np.testing.assert_allclose([rule.weight, rule.bias], expected, atol=1e-6)


def test_unknown_fit_is_named():
    with pytest.raises(ValueError, match="fit must be one of"):
        fits.get_learner("svm")
