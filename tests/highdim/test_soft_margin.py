import jax.numpy as jnp
import numpy as np
import pytest
from scipy import optimize

from gmm_theory.highdim.soft_margin import fit_soft_margin


def _slsqp_soft_margin(features, labels, lam):
    """The primal QP over (w, b, slacks) by a general-purpose constrained solver."""
    n, d = features.shape

    def objective(z):
        return z[d + 1:].sum() + lam * z[:d] @ z[:d] / 2

    def gradient(z):
        return np.concatenate([lam * z[:d], [0.0], np.ones(n)])

    margins = {"type": "ineq", "fun": lambda z: z[d + 1:] - 1 + labels * (features @ z[:d] + z[d]),
               "jac": lambda z: np.hstack([labels[:, None] * features, labels[:, None], np.eye(n)])}
    bounds = [(None, None)] * (d + 1) + [(0, None)] * n
    start = np.concatenate([np.zeros(d + 1), np.ones(n)])
    result = optimize.minimize(objective, start, jac=gradient, constraints=[margins], bounds=bounds, method="SLSQP",
                               options={"ftol": 1e-12, "maxiter": 1000})
    assert result.success
    return result.x[:d], result.x[d], result.fun


@pytest.mark.parametrize(("seed", "lam", "shift"), [(0, 0.5, 1.0), (1, 0.05, 0.3), (2, 2.0, 2.5)])
@pytest.mark.slow
def test_fit_matches_a_general_purpose_qp_solver(seed, lam, shift):
    rng = np.random.default_rng(seed)
    labels = np.where(rng.random(40) < 0.6, 1.0, -1.0)
    features = rng.standard_normal((40, 4)) + shift * labels[:, None] * np.array([1.0, 0.5, 0.0, 0.0])
    fit = fit_soft_margin(jnp.asarray(features), jnp.asarray(labels), lam)
    weights, bias, value = _slsqp_soft_margin(features, labels, lam)
    assert bool(fit.converged) and 0 <= float(fit.gap) <= 1e-9 * (1 + value)
    np.testing.assert_allclose(fit.weights, weights, atol=1e-5)
    assert float(fit.bias) == pytest.approx(bias, abs=1e-5)


@pytest.mark.slow
def test_an_iteration_budget_too_small_is_reported():
    rng = np.random.default_rng(3)
    labels = np.where(rng.random(200) < 0.5, 1.0, -1.0)
    features = rng.standard_normal((200, 50)) / np.sqrt(50) + 0.3 * labels[:, None]
    fit = fit_soft_margin(jnp.asarray(features), jnp.asarray(labels), 0.01, max_iterations=50)
    assert not bool(fit.converged) and float(fit.gap) > 0


def test_intercept_is_the_best_kink_even_with_ties():
    from gmm_theory.highdim.soft_margin import _best_intercept

    rng = np.random.default_rng(4)
    for _ in range(50):
        labels = np.where(rng.random(30) < rng.random(), 1.0, -1.0)
        scores = np.round(rng.standard_normal(30), 1)  # rounding makes tied kinks
        _, total = _best_intercept(jnp.asarray(scores), jnp.asarray(labels))
        kinks = labels - scores
        brute_force = min(np.maximum(0, 1 - labels * (scores + b)).sum() for b in kinks)
        assert float(total) == pytest.approx(brute_force, abs=1e-12)
