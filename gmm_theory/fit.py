"""Fitting a linear rule to a (pruned) sample: the learners of the Monte Carlo engine.

Every fit takes the samples sorted by x, their labels and a boolean ``kept`` mask (pruned
samples are ignored), and returns a :class:`LinearRule` "predict 1 iff w x + b > 0", whose
exact class risks come from :func:`gmm_theory.risk.linear_class_risks`.  A kept class with
too few samples for the fit (none for ``threshold``, ``least-squares`` and ``logistic``,
fewer than two for ``plugin``) gives a NaN rule, so its risks are NaN rather than a number
that looks meaningful.

- ``threshold``: exact 0-1 empirical risk minimisation over thresholds (the paper's learner);
- ``least-squares``: regression of y in {0, 1} on x, rule w x + b > 1/2 (THEORY.md 1.6);
- ``logistic``: L2-regularised logistic regression, solved by safeguarded Newton steps;
- ``plugin``: Gaussian class fits (sample means, stds, priors) and their risk-minimising
  threshold t*, the plug-in estimate of the paper's learner.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from gmm_theory.mixture import TwoClassMixture
from gmm_theory.optimal import risk_minimising_threshold


class LinearRule(NamedTuple):
    """Predict class 1 iff ``weight * x + bias > 0``."""

    weight: jax.Array
    bias: jax.Array

    @classmethod
    def threshold(cls, t) -> "LinearRule":
        """The rule x > t; t = -inf (+inf) is the constant rule predicting class 1 (0)."""
        finite = jnp.isfinite(t)
        return cls(jnp.where(finite, 1.0, 0.0).astype(t.dtype),
                   jnp.where(finite, -t, jnp.where(t < 0, 1.0, -1.0)).astype(t.dtype))


def _class_counts(y, kept):
    ones = jnp.sum(kept & (y == 1))
    return jnp.sum(kept) - ones, ones


def _nan_unless(valid, rule: LinearRule) -> LinearRule:
    return LinearRule(*(jnp.where(valid, value, jnp.nan) for value in rule))


def _index_dtype(n: int):
    """An integer type holding n (n + 1) + n, the range of the encoded ERM keys."""
    if n * (n + 2) < jnp.iinfo(jnp.int32).max:
        return jnp.int32
    if jax.dtypes.canonicalize_dtype(jnp.int64) != jnp.int64:
        raise ValueError(f"threshold ERM with n = {n} > 46339 needs 64-bit integers: use jax.enable_x64(True)")
    return jnp.int64


def erm_positions(y, ranks, counts) -> jax.Array:
    """Exact empirical 0-1 risk minimisation over thresholds for many allocations at once.

    ``y`` and ``ranks`` (shape (n,)) describe samples sorted by x; allocation a keeps the
    samples with ``ranks < counts[a, y]`` (``counts`` has shape (A, 2)).  With the threshold
    between the j-th and (j+1)-th sorted samples the kept errors are K_0 - C_0(j) + C_1(j),
    C_k(j) the kept class-k samples among the first j, so the minimiser is the first j in
    0..n minimising P(j) = C_1(j) - C_0(j).  One pass over the sorted samples updates P for
    every allocation and keeps min_j (P(j) (n + 1) + j), which encodes the smallest P and,
    among ties, the smallest j, in one integer: O(n) per allocation after one sort per seed,
    with an (A,)-sized working set.  Returns j (shape (A,)).
    """
    n = y.shape[-1]
    index = _index_dtype(n)
    stride = jnp.asarray(n + 1, index)
    counts = jnp.asarray(counts, index)
    y, ranks = y.astype(index), ranks.astype(index)

    def visit(j, state):
        excess, best = state
        best = jnp.minimum(best, excess * stride + j)
        label, rank = y[j], ranks[j]
        kept = rank < counts[:, label]
        return excess + jnp.where(kept, 2 * label - 1, 0), best

    start = (jnp.zeros(counts.shape[0], index), jnp.full(counts.shape[0], jnp.iinfo(index).max))
    excess, best = jax.lax.fori_loop(0, n, visit, start)
    best = jnp.minimum(best, excess * stride + n)
    return jnp.mod(best, stride)


def threshold_from_position(x, j) -> jax.Array:
    """The threshold between the j-th and (j+1)-th sorted samples: their midpoint, -inf for
    j = 0 and +inf for j = n."""
    n = x.shape[-1]
    midpoint = 0.5 * (x[jnp.maximum(j - 1, 0)] + x[jnp.minimum(j, n - 1)])
    return jnp.where(j == 0, -jnp.inf, jnp.where(j == n, jnp.inf, midpoint))


def threshold_erm(x, y, kept) -> LinearRule:
    """Exact empirical 0-1 risk minimisation over thresholds ``x > t`` (x sorted ascending).

    Ties go to the smallest threshold; see :func:`erm_positions` and
    :func:`threshold_from_position` for the algorithm and the threshold convention.
    """
    rules = fit_allocations("threshold", x, y, jnp.where(kept, 0, 1), jnp.ones((1, 2), jnp.int32))
    return LinearRule(*(value[0] for value in rules))


def _kept_moments(x, y, kept):
    weights = kept.astype(x.dtype)
    total = jnp.sum(weights)
    mean_x = jnp.sum(weights * x) / total
    mean_y = jnp.sum(weights * y) / total
    var_x = jnp.sum(weights * (x - mean_x) ** 2) / total
    cov_xy = jnp.sum(weights * (x - mean_x) * (y - mean_y)) / total
    return mean_x, mean_y, var_x, cov_xy


def least_squares(x, y, kept) -> LinearRule:
    """w = Cov(x, y) / Var(x), b = mean(y) - w mean(x) on the kept samples; rule w x + b > 1/2."""
    mean_x, mean_y, var_x, cov_xy = _kept_moments(x, y, kept)
    weight = cov_xy / var_x
    count_0, count_1 = _class_counts(y, kept)
    return _nan_unless((count_0 > 0) & (count_1 > 0), LinearRule(weight, mean_y - weight * mean_x - 0.5))


def logistic(x, y, kept, l2: float = 1e-4, tol: float = 1e-10, max_steps: int = 100) -> LinearRule:
    """L2-regularised logistic regression on the kept samples.

    Minimises mean_kept log(1 + exp(-s (w x + b))) + l2 w^2 / 2, s = 2y - 1, by Newton steps
    in standardised coordinates, each capped in length (the loss is convex, so capped Newton
    steps converge), until the gradient's max-norm is below ``tol``.
    """
    mean_x, _, var_x, _ = _kept_moments(x, y, kept)
    scale = jnp.sqrt(var_x)
    z = (x - mean_x) / scale
    sign = (2 * y - 1).astype(x.dtype)
    weights = kept.astype(x.dtype) / jnp.sum(kept)
    penalty = l2 / scale**2  # on the standardised slope a = w * scale

    def gradient_and_hessian(params):
        a, c = params
        margin = sign * (a * z + c)
        p = jax.nn.sigmoid(-margin)  # d/dm log(1 + e^-m) = -p
        g_common = -weights * sign * p
        curvature = weights * p * (1 - p)
        gradient = jnp.stack([jnp.sum(g_common * z) + penalty * a, jnp.sum(g_common)])
        hessian = jnp.array([[jnp.sum(curvature * z * z) + penalty, jnp.sum(curvature * z)],
                             [jnp.sum(curvature * z), jnp.sum(curvature)]])
        return gradient, hessian

    def not_done(state):
        step, _, gradient_norm = state
        return (step < max_steps) & (gradient_norm > tol)

    def newton(state):
        step, params, _ = state
        gradient, hessian = gradient_and_hessian(params)
        direction = jnp.linalg.solve(hessian, gradient)
        length = jnp.linalg.norm(direction)
        params = params - direction * jnp.minimum(1.0, 4.0 / length)
        new_gradient, _ = gradient_and_hessian(params)
        return step + 1, params, jnp.max(jnp.abs(new_gradient))

    start = (0, jnp.zeros(2, x.dtype), jnp.asarray(jnp.inf, x.dtype))
    _, (a, c), _ = jax.lax.while_loop(not_done, newton, start)
    count_0, count_1 = _class_counts(y, kept)
    return _nan_unless((count_0 > 0) & (count_1 > 0), LinearRule(a / scale, c - a * mean_x / scale))


def plugin(x, y, kept) -> LinearRule:
    """t* of the Gaussian mixture fitted to the kept samples (ML means, stds and priors).

    NaN unless each class keeps two samples and the fitted means keep their order.
    """
    count_0, count_1 = _class_counts(y, kept)
    counts = jnp.stack([count_0, count_1]).astype(x.dtype)
    member = jnp.stack([kept & (y == 0), kept & (y == 1)]).astype(x.dtype)
    means = member @ x / counts
    stds = jnp.sqrt(jnp.sum(member * (x - means[:, None]) ** 2, axis=-1) / counts)
    fitted = TwoClassMixture(means, stds, counts / jnp.sum(counts))
    valid = (count_0 > 1) & (count_1 > 1) & (means[0] < means[1])
    return _nan_unless(valid, LinearRule.threshold(risk_minimising_threshold(fitted)))


FITS = {"threshold": threshold_erm, "least-squares": least_squares, "logistic": logistic, "plugin": plugin}


def fit_allocations(name: str, x, y, ranks, counts) -> LinearRule:
    """Rules fitted under many allocations of one sample, leaves of shape (A,).

    Samples are sorted by x; allocation a keeps the samples with ``ranks < counts[a, y]``.
    Threshold ERM runs all allocations in one pass (:func:`erm_positions`); the other fits
    are vectorised over allocations with ``vmap``.
    """
    counts = jnp.asarray(counts)
    if name != "threshold":
        fit = get_fit(name)
        return jax.vmap(lambda c: fit(x, y, ranks < c[y]))(counts)
    rules = LinearRule.threshold(threshold_from_position(x, erm_positions(y, ranks, counts)))
    kept_per_class = jnp.minimum(counts, jnp.stack(_class_counts(y, jnp.ones_like(y, dtype=bool))))
    return _nan_unless(jnp.all(kept_per_class > 0, axis=-1), rules)


def get_fit(name: str):
    """The fit function called ``name`` (one of FITS)."""
    if name not in FITS:
        raise ValueError(f"fit must be one of {', '.join(map(repr, FITS))}, got {name!r}")
    return FITS[name]
