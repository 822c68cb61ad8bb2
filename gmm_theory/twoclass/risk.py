"""Class-wise, average and worst-class risk of a threshold rule (DRoP paper, Section 4).

The rule predicts class 1 iff x > t, with t in R or t = +-inf (a trivial rule):

    R_0(t) = 1 - Phi((t - mu_0) / sigma_0) = Phi((mu_0 - t) / sigma_0)
    R_1(t) = Phi((t - mu_1) / sigma_1)
    R(t)   = phi_0 R_0(t) + phi_1 R_1(t)          (average risk)
    W(t)   = max(R_0(t), R_1(t))                  (worst-class risk)

A general linear rule "predict 1 iff w x + b > 0" has w x + b ~ N(w mu_k + b, w^2 sigma_k^2)
on class k, so R_0 = Phi((w mu_0 + b) / (|w| sigma_0)) and R_1 = Phi(-(w mu_1 + b) / (|w| sigma_1));
the threshold rule is w = 1, b = -t, and w = 0 is the constant rule given by the sign of b.

Class risks do not depend on the priors, so a rule learned under training priors is
evaluated on the test law by calling these with the test mixture.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax.scipy.special import ndtr

from gmm_theory.twoclass.mixture import TwoClassMixture


class LinearRule(NamedTuple):
    """Predict class 1 iff ``weight * x + bias > 0``."""

    weight: jax.Array
    bias: jax.Array

    @classmethod
    def threshold(cls, t) -> "LinearRule":
        """The rule x > t; t = -inf (+inf) is the constant rule predicting class 1 (0)."""
        t = jnp.asarray(t)
        finite = jnp.isfinite(t)
        return cls(jnp.where(finite, 1.0, 0.0).astype(t.dtype),
                   jnp.where(finite, -t, jnp.where(t < 0, 1.0, -1.0)).astype(t.dtype))

    def as_threshold(self) -> jax.Array:
        """t with the same predictions as ``x > t``; valid for weight >= 0 (+-inf if constant)."""
        constant = self.weight == 0
        t = -self.bias / jnp.where(constant, 1.0, self.weight)
        return jnp.where(constant, jnp.where(self.bias > 0, -jnp.inf, jnp.inf), t)


@jax.jit
def linear_class_risks(mixture: TwoClassMixture, weight, bias) -> jax.Array:
    """(R_0, R_1) of the rule ``weight * x + bias > 0``, shape (..., 2).

    ``weight = 0`` or an infinite ``bias`` is a constant rule: class 1 everywhere when
    ``bias > 0``, class 0 otherwise.  A NaN rule (a failed fit) has NaN risks.
    """
    dtype = mixture.means.dtype
    weight, bias = jnp.asarray(weight, dtype=dtype), jnp.asarray(bias, dtype=dtype)
    # Constant rules bypass the standardisation so that gradients stay finite there.
    constant = (weight == 0) | ~jnp.isfinite(bias)
    safe_weight = jnp.where(constant, 1.0, weight)
    safe_bias = jnp.where(constant, 0.0, bias)
    constant_margin = jnp.where(bias > 0, jnp.inf, -jnp.inf)

    def margin(k):
        standardised = (safe_weight * mixture.means[k] + safe_bias) / (jnp.abs(safe_weight) * mixture.stds[k])
        return jnp.where(constant, constant_margin, standardised)

    risks = jnp.stack([ndtr(margin(0)), ndtr(-margin(1))], axis=-1)
    undefined = jnp.isnan(weight) | jnp.isnan(bias)
    return jnp.where(undefined[..., None], jnp.nan, risks)


@jax.jit
def class_risks(mixture: TwoClassMixture, threshold) -> jax.Array:
    """(R_0(t), R_1(t)): the error rate of the rule ``x > t`` on each class, shape (..., 2)."""
    t = jnp.asarray(threshold, dtype=mixture.means.dtype)
    return linear_class_risks(mixture, jnp.ones_like(t), -t)


@jax.jit
def average_risk(mixture: TwoClassMixture, threshold) -> jax.Array:
    """R(t) = phi_0 R_0(t) + phi_1 R_1(t), the 0-1 risk under the mixture's priors."""
    return class_risks(mixture, threshold) @ mixture.priors


@jax.jit
def worst_class_risk(mixture: TwoClassMixture, threshold) -> jax.Array:
    """W(t) = max_k R_k(t)."""
    return jnp.max(class_risks(mixture, threshold), axis=-1)
