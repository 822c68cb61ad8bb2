"""Class-wise, average and worst-class risk of a threshold rule (DRoP paper, Section 4).

The rule predicts class 1 iff x > t, with t in R or t = +-inf (a trivial rule):

    R_0(t) = 1 - Phi((t - mu_0) / sigma_0) = Phi((mu_0 - t) / sigma_0)
    R_1(t) = Phi((t - mu_1) / sigma_1)
    R(t)   = phi_0 R_0(t) + phi_1 R_1(t)          (average risk)
    W(t)   = max(R_0(t), R_1(t))                  (worst-class risk)

Class risks do not depend on the priors, so a rule learned under training priors is
evaluated on the test law by calling these with the test mixture.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy.special import ndtr

from gmm_theory.mixture import TwoClassMixture


@jax.jit
def class_risks(mixture: TwoClassMixture, threshold) -> jax.Array:
    """(R_0(t), R_1(t)): the error rate of the rule ``x > t`` on each class, shape (..., 2)."""
    t = jnp.asarray(threshold, dtype=mixture.means.dtype)
    # Infinite thresholds bypass the standardisation so that gradients stay finite there.
    finite = jnp.isfinite(t)
    safe_t = jnp.where(finite, t, 0.0)
    risk_0 = ndtr(jnp.where(finite, (mixture.means[0] - safe_t) / mixture.stds[0], -t))
    risk_1 = ndtr(jnp.where(finite, (safe_t - mixture.means[1]) / mixture.stds[1], t))
    return jnp.stack([risk_0, risk_1], axis=-1)


@jax.jit
def average_risk(mixture: TwoClassMixture, threshold) -> jax.Array:
    """R(t) = phi_0 R_0(t) + phi_1 R_1(t), the 0-1 risk under the mixture's priors."""
    return class_risks(mixture, threshold) @ mixture.priors


@jax.jit
def worst_class_risk(mixture: TwoClassMixture, threshold) -> jax.Array:
    """W(t) = max_k R_k(t)."""
    return jnp.max(class_risks(mixture, threshold), axis=-1)
