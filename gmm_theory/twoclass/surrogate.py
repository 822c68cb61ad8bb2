"""Population minimisers of surrogate losses over linear rules (the DRoP paper's
Section 4 model with the learner's loss in place of the 0-1 risk).

Learned classifiers minimise a surrogate, not the 0-1 risk, and their thresholds differ
from t* when sigma_0 != sigma_1.  Least squares has a closed form from the mixture moments:
regressing y in {0, 1} on x gives w = Cov(x, y) / Var(x), b = E[y] - w E[x], and the rule
w x + b > 1/2 is the threshold

    t_ls = E[x] + (phi_0 - phi_1) Var(x) / (2 phi_0 phi_1 Delta),
    E[x] = phi_0 mu_0 + phi_1 mu_1,  Var(x) = phi_0 sigma_0^2 + phi_1 sigma_1^2 + phi_0 phi_1 Delta^2.

(Labels in {-1, +1} give the same threshold.)  A class with prior 0 gives the trivial rule
that predicts the other class.  Logistic regression has no closed form; its population
minimiser is found by quadrature and Newton's method.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from gmm_theory.twoclass.mixture import TwoClassMixture
from gmm_theory.twoclass.risk import LinearRule


@jax.jit
def least_squares_rule(mixture: TwoClassMixture) -> LinearRule:
    """The population least-squares rule w x + b - 1/2 > 0 with w = Cov(x, y) / Var(x),
    b = E[y] - w E[x] (any order of the means; a class with prior 0 gives w = 0)."""
    phi_0, phi_1 = mixture.priors[0], mixture.priors[1]
    delta = mixture.means[1] - mixture.means[0]
    mean = mixture.priors @ mixture.means
    variance = mixture.priors @ mixture.stds**2 + phi_0 * phi_1 * delta**2
    weight = phi_0 * phi_1 * delta / variance
    return LinearRule(weight, phi_1 - weight * mean - 0.5)


@jax.jit
def least_squares_threshold(mixture: TwoClassMixture) -> jax.Array:
    """t_ls, the threshold of the population least-squares linear rule (possibly +-inf)."""
    return least_squares_rule(mixture).as_threshold()


_HERMITE_NODES, _HERMITE_WEIGHTS = np.polynomial.hermite.hermgauss(64)


@functools.partial(jax.jit, static_argnames=("steps",))
def logistic_rule(mixture: TwoClassMixture, l2: float = 0.0, steps: int = 50) -> LinearRule:
    """Population minimiser of E log(1 + exp(-s (w x + b))) + l2 w^2 / 2, s = 2y - 1.

    Each class expectation is a 64-node Gauss-Hermite quadrature (exact to ~1e-15 for
    these smooth integrands); Newton steps from (0, 0) on this smooth convex objective.
    """
    nodes = mixture.means[:, None] + jnp.sqrt(2.0) * mixture.stds[:, None] * _HERMITE_NODES
    weights = mixture.priors[:, None] * _HERMITE_WEIGHTS / jnp.sqrt(jnp.pi)
    signs = jnp.array([-1.0, 1.0])[:, None]

    def objective(params):
        margins = signs * (params[0] * nodes + params[1])
        return jnp.sum(weights * jnp.logaddexp(0.0, -margins)) + 0.5 * l2 * params[0] ** 2

    def newton(_, params):
        return params - jnp.linalg.solve(jax.hessian(objective)(params), jax.grad(objective)(params))

    weight, bias = jax.lax.fori_loop(0, steps, newton, jnp.zeros(2, mixture.means.dtype))
    return LinearRule(weight, bias)
