"""Exact ridge-regularised hinge ERM with an intercept (the soft-margin SVM), in JAX.

The primal problem over features a_i (rows of ``features``) and labels y_i in {-1, +1},

    P(w, b) = sum_i max(0, 1 - y_i (w.a_i + b)) + lam ||w||^2 / 2,

has the dual (Cortes and Vapnik, 1995; the intercept makes y.alpha = 0 a constraint)

    D(alpha) = sum_i alpha_i - ||sum_i alpha_i y_i a_i||^2 / (2 lam),
    0 <= alpha_i <= 1,  y.alpha = 0,  w(alpha) = sum_i alpha_i y_i a_i / lam.

The dual is solved by accelerated projected gradient (FISTA, Beck and Teboulle, 2009, with the
gradient restart of O'Donoghue and Candes, 2015).  The projection onto the box cut by the
hyperplane is clip(v - theta y, 0, 1) with the scalar theta found by bisection.  The intercept of
w(alpha) is the exact minimiser of the piecewise-linear P(w, .), at one of its kinks
b = y_i - w.a_i.  P is lam-strongly convex in w after minimising over b, so the duality gap
bounds the distance to the optimum: ||w - w*||^2 <= 2 (P(w, b) - D(alpha)) / lam.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

_BISECTION_STEPS = 64
_CHECK_EVERY = 50


class SoftMarginFit(NamedTuple):
    """The weights and intercept, the duality gap P - D they certify, and whether the gap met
    the tolerance within the iteration budget."""

    weights: jax.Array
    bias: jax.Array
    gap: jax.Array
    converged: jax.Array


def _project(point, labels):
    """The Euclidean projection of ``point`` onto {0 <= alpha <= 1, labels.alpha = 0}."""

    def balance(theta):  # decreasing in theta
        return labels @ jnp.clip(point - theta * labels, 0.0, 1.0)

    def halve(bracket, _):
        low, high = bracket
        middle = (low + high) / 2
        return jnp.where(balance(middle) > 0, jnp.stack([middle, high]), jnp.stack([low, middle])), None

    reach = jnp.max(jnp.abs(point)) + 1.0
    (low, high), _ = jax.lax.scan(halve, jnp.stack([-reach, reach]), None, length=_BISECTION_STEPS)
    return jnp.clip(point - (low + high) / 2 * labels, 0.0, 1.0)


def _best_intercept(scores, labels):
    """argmin_b H(b) and H there, for H(b) = sum_i max(0, 1 - y_i (s_i + b)).

    H is convex and piecewise linear with kinks k_i = y_i - s_i; its slope just right of b is
    #{y_i = -1, k_i <= b} - #{y_i = +1, k_i > b}, so the first sorted kink where that count is
    non-negative is a minimiser (O(n log n), where trying every kink would be O(n^2)).
    """
    kinks = labels - scores
    order = jnp.argsort(kinks)
    negatives_left = jnp.cumsum(labels[order] < 0)
    positives_right = jnp.sum(labels > 0) - jnp.cumsum(labels[order] > 0)
    bias = kinks[order][jnp.argmax(negatives_left >= positives_right)]
    return bias, jnp.sum(jnp.maximum(0.0, 1 - labels * (scores + bias)))


def fit_soft_margin(features, labels, lam, *, tolerance: float = 1e-9, max_iterations: int = 50_000) -> SoftMarginFit:
    """Minimise P(w, b) to a duality gap of at most ``tolerance`` * (1 + P)."""
    lipschitz = jnp.linalg.norm(features, ord=2) ** 2 / lam

    def weights_of(alpha):
        return features.T @ (alpha * labels) / lam

    def fista_step(carry, _):
        alpha, extrapolated, momentum = carry
        gradient = labels * (features @ weights_of(extrapolated)) - 1.0
        new = _project(extrapolated - gradient / lipschitz, labels)
        new_momentum = (1 + jnp.sqrt(1 + 4 * momentum**2)) / 2
        restart = jnp.dot(extrapolated - new, new - alpha) > 0
        new_momentum = jnp.where(restart, 1.0, new_momentum)
        extrapolated = jnp.where(restart, new, new + (momentum - 1) / new_momentum * (new - alpha))
        return (new, extrapolated, new_momentum), None

    def certificate(alpha):
        weights = weights_of(alpha)
        bias, hinge_total = _best_intercept(features @ weights, labels)
        primal = hinge_total + lam * weights @ weights / 2
        dual = jnp.sum(alpha) - lam * weights @ weights / 2
        return weights, bias, primal - dual, primal

    def running(state):
        _, gap, primal, iterations = state
        return (gap > tolerance * (1 + primal)) & (iterations < max_iterations)

    def body(state):
        carry, _, _, iterations = state
        carry, _ = jax.lax.scan(fista_step, carry, None, length=_CHECK_EVERY)
        _, _, gap, primal = certificate(carry[0])
        return carry, gap, primal, iterations + _CHECK_EVERY

    alpha = jnp.zeros(labels.shape)
    start = ((alpha, alpha, jnp.asarray(1.0)), jnp.asarray(jnp.inf), jnp.asarray(0.0), 0)
    (alpha, _, _), _, _, _ = jax.lax.while_loop(running, body, start)
    weights, bias, gap, primal = certificate(alpha)
    return SoftMarginFit(weights, bias, gap, gap <= tolerance * (1 + primal))
