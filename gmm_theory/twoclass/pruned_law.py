"""Pruning at population level: what it does to the training law (DRoP paper, Section 4).

Random pruning inside each class keeps every class-conditional law and only changes the
priors: with class densities d_k (the fraction of class k kept),

    phi'_k = phi_k d_k / sum_j phi_j d_j.

SSP margin pruning (paper Appendix B.3, a supervised 1D analogue of Sorscher et al.'s
self-supervised-prototype pruning) removes every sample within distance M of its own class
mean, so class k keeps 2 Phi(-M / sigma_k) and the easy (small-sigma) class loses more.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import ndtr

from gmm_theory import _checks
from gmm_theory.twoclass.mixture import TwoClassMixture
from gmm_theory.twoclass.optimal import interior_threshold


def _check_margin_argument(mixture, margin, *_) -> None:
    _checks.as_margin(margin)


def _check_densities(priors, densities) -> None:
    priors = _checks.as_float_vector("priors", priors)
    densities = _checks.as_float_vector("densities", densities, priors.shape[0])
    _checks.check_probability_vector("priors", priors)
    _checks.check_unit_interval("densities", densities)
    if not np.any(priors * densities > 0):
        raise ValueError("densities must keep some data: every class with a positive prior has density 0")


@_checks.jit_with_checks(_check_densities)
def training_priors(priors, densities) -> jax.Array:
    """phi'_k = phi_k d_k / sum_j phi_j d_j: the priors after random within-class pruning."""
    kept = jnp.asarray(priors, dtype=float) * jnp.asarray(densities, dtype=float)
    return kept / jnp.sum(kept, axis=-1, keepdims=True)


@_checks.jit_with_checks(_check_margin_argument)
def ssp_kept_fractions(mixture: TwoClassMixture, margin) -> jax.Array:
    """2 Phi(-M / sigma_k): the fraction of class k farther than M from its mean."""
    return 2.0 * ndtr(-margin / mixture.stds)


@_checks.jit_with_checks(_check_margin_argument)
def ssp_training_priors(mixture: TwoClassMixture, margin) -> jax.Array:
    """The class priors of the SSP-pruned training set."""
    return training_priors(mixture.priors, ssp_kept_fractions(mixture, margin))


@_checks.jit_with_checks(_check_margin_argument)
def ssp_training_risk(mixture: TwoClassMixture, margin, threshold) -> jax.Array:
    """Risk of ``x > t`` on the SSP-pruned training law, unnormalised (same minimiser).

    phi_0 P_0(x > t, |x - mu_0| >= M) + phi_1 P_1(x <= t, |x - mu_1| >= M), in closed form.
    """
    t = jnp.asarray(threshold, dtype=mixture.means.dtype)
    z_0 = (t - mixture.means[0]) / mixture.stds[0]
    z_1 = (t - mixture.means[1]) / mixture.stds[1]
    a_0, a_1 = margin / mixture.stds[0], margin / mixture.stds[1]
    kept_above_0 = ndtr(-jnp.maximum(z_0, a_0)) + ndtr(-a_0) - ndtr(jnp.minimum(z_0, -a_0))
    kept_below_1 = ndtr(jnp.minimum(z_1, -a_1)) + ndtr(-a_1) - ndtr(-jnp.maximum(z_1, a_1))
    return mixture.priors[0] * kept_above_0 + mixture.priors[1] * kept_below_1


@_checks.jit_with_checks(_check_margin_argument)
def ssp_threshold(mixture: TwoClassMixture, margin) -> jax.Array:
    """The risk minimiser of the SSP-pruned training law (possibly +-inf).

    The pruned risk's derivative is phi_1 f_1(t) 1{|t-mu_1|>=M} - phi_0 f_0(t) 1{|t-mu_0|>=M}:
    outside both margins it is the unpruned one, inside only class 0's margin it is positive,
    inside only class 1's negative, inside both zero.  So the global minimiser is one of:
    the unpruned local minimum, a margin edge mu_k +- M, or a trivial rule.  All are
    evaluated exactly and the best is returned (earlier candidates win ties).
    """
    t_interior, exists = interior_threshold(mixture)
    edges = jnp.concatenate([mixture.means - margin, mixture.means + margin])
    candidates = jnp.concatenate([t_interior[None], edges, jnp.array([-jnp.inf, jnp.inf])])
    risks = ssp_training_risk(mixture, margin, candidates)
    risks = risks.at[0].set(jnp.where(exists, risks[0], jnp.inf))
    return candidates[jnp.argmin(risks)]
