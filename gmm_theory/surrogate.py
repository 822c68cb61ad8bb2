"""Population minimisers of surrogate losses over linear rules (THEORY.md 1.6).

Learned classifiers minimise a surrogate, not the 0-1 risk, and their thresholds differ
from t* when sigma_0 != sigma_1.  Least squares has a closed form from the mixture moments:
regressing y in {0, 1} on x gives w = Cov(x, y) / Var(x), b = E[y] - w E[x], and the rule
w x + b > 1/2 is the threshold

    t_ls = E[x] + (phi_0 - phi_1) Var(x) / (2 phi_0 phi_1 Delta),
    E[x] = phi_0 mu_0 + phi_1 mu_1,  Var(x) = phi_0 sigma_0^2 + phi_1 sigma_1^2 + phi_0 phi_1 Delta^2.

(Labels in {-1, +1} give the same threshold.)  A class with prior 0 gives the trivial rule
that predicts the other class.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from gmm_theory.mixture import TwoClassMixture
from gmm_theory.risk import LinearRule


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
