"""Fitting a linear rule to a (pruned) sample: the learners of the Monte Carlo engine.

Every fit takes the samples sorted by x, their labels and a boolean ``kept`` mask (pruned
samples are ignored), and returns a :class:`~gmm_theory.twoclass.risk.LinearRule` "predict 1 iff
w x + b > 0", whose exact class risks come from :func:`gmm_theory.twoclass.risk.linear_class_risks`.
A kept class with too few samples for the fit (none for ``threshold``, ``least-squares`` and
``logistic``, fewer than two for ``plugin``) gives a NaN rule, so its risks are NaN rather
than a number that looks meaningful.

- ``threshold``: exact 0-1 empirical risk minimisation over thresholds (the paper's learner);
- ``least-squares``: regression of y in {0, 1} on x, rule w x + b > 1/2 (its population limit in
  :mod:`gmm_theory.twoclass.surrogate`);
- ``logistic``: L2-regularised logistic regression, solved by capped Newton steps;
- ``plugin``: Gaussian class fits (sample means, ML stds, class frequencies) and their
  risk-minimising threshold t*, the plug-in estimate of the paper's learner.

Least squares and the plug-in rule depend on the kept sample only through the class
counts, means and variances: they are the population rules of the empirical mixture.
"""

from __future__ import annotations

import functools
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp

from gmm_theory._checks import check_choice
from gmm_theory.twoclass.mixture import TwoClassMixture
from gmm_theory.twoclass.optimal import risk_minimising_threshold
from gmm_theory.twoclass.risk import LinearRule
from gmm_theory.twoclass.surrogate import least_squares_rule, logistic_rule


def _nan_unless(valid, rule: LinearRule) -> LinearRule:
    return LinearRule(*(jnp.where(valid, value, jnp.nan) for value in rule))


# --- Exact threshold ERM ------------------------------------------------------------------


def _index_dtype(n: int):
    """An integer type holding n (n + 1) + n, the range of the encoded ERM keys."""
    if n * (n + 2) < jnp.iinfo(jnp.int32).max:
        return jnp.int32
    if jax.dtypes.canonicalize_dtype(jnp.int64) != jnp.int64:
        raise ValueError(f"threshold ERM with n = {n} > 46339 needs 64-bit integers: use jax.enable_x64(True)")
    return jnp.int64


def erm_positions(x, y, ranks, counts, prefer_right=False) -> jax.Array:
    """Exact empirical 0-1 risk minimisation over thresholds for many allocations at once.

    ``x``, ``y`` and ``ranks`` (shape (n,)) describe samples sorted by x; allocation a keeps the
    samples with ``ranks < counts[a, y]`` (``counts`` has shape (A, 2)).  With the threshold
    between the j-th and (j+1)-th sorted samples the kept errors are K_0 - C_0(j) + C_1(j),
    C_k(j) the kept class-k samples among the first j, so the minimiser is the first j in
    0..n minimising P(j) = C_1(j) - C_0(j).  One pass over the sorted samples updates P for
    every allocation and keeps min_j (P(j) (n + 1) + j), which encodes the smallest P and,
    among ties, the smallest j, in one integer: O(n) per allocation after one sort per seed,
    with an (A,)-sized working set.  ``prefer_right`` takes the largest tied j instead
    (encoding n - j): always breaking ties to one side biases the threshold by about the
    width of the tied set, which shrinks only like the sampling error, so the engine flips a
    coin per seed.  Only cuts between distinct x values are candidates (a rule x > t
    cannot split tied samples).  Returns j (shape (A,)).
    """
    n = y.shape[-1]
    index = _index_dtype(n)
    stride = jnp.asarray(n + 1, index)
    counts = jnp.asarray(counts, index)
    y, ranks = y.astype(index), ranks.astype(index)

    def tie_order(j):
        return jnp.where(prefer_right, n - j, j).astype(index)

    counts_0, counts_1 = counts[:, 0], counts[:, 1]
    steps = jnp.where(y == 1, stride, -stride)

    # Cut j (between sorted samples j-1 and j) is available unless they share a value.
    cuttable = jnp.concatenate([jnp.ones(1, bool), x[1:] > x[:-1]])

    def visit(j, state):
        scaled_excess, best = state  # P(j) (n + 1), updated by +-(n + 1)
        best = jnp.where(cuttable[j], jnp.minimum(best, scaled_excess + tie_order(j)), best)
        kept = ranks[j] < jnp.where(y[j] == 1, counts_1, counts_0)
        return scaled_excess + jnp.where(kept, steps[j], 0), best

    start = (jnp.zeros(counts.shape[0], index), jnp.full(counts.shape[0], jnp.iinfo(index).max))
    # Unrolling lets XLA fuse consecutive steps, so the (A,) state is read once per 16 samples.
    scaled_excess, best = jax.lax.fori_loop(0, n, visit, start, unroll=16)
    best = jnp.minimum(best, scaled_excess + tie_order(n))
    return tie_order(jnp.mod(best, stride))


def threshold_from_position(x, j) -> jax.Array:
    """The threshold between the j-th and (j+1)-th sorted samples: their midpoint, -inf for
    j = 0 and +inf for j = n."""
    n = x.shape[-1]
    midpoint = 0.5 * (x[jnp.maximum(j - 1, 0)] + x[jnp.minimum(j, n - 1)])
    return jnp.where(j == 0, -jnp.inf, jnp.where(j == n, jnp.inf, midpoint))


def _threshold_allocations(x, y, ranks, counts, prefer_right=False) -> LinearRule:
    rules = LinearRule.threshold(threshold_from_position(x, erm_positions(x, y, ranks, counts, prefer_right)))
    sizes = jnp.stack([jnp.sum(y == 0), jnp.sum(y == 1)])
    return _nan_unless(jnp.all(jnp.minimum(counts, sizes) > 0, axis=-1), rules)


@jax.jit
def threshold_erm(x, y, kept, prefer_right=False) -> LinearRule:
    """Exact empirical 0-1 risk minimisation over thresholds ``x > t`` (x sorted ascending).

    Ties go to the smallest threshold (the largest with ``prefer_right``); see
    :func:`erm_positions` and :func:`threshold_from_position` for the algorithm and the
    threshold convention.
    """
    positions = erm_positions(x, y, jnp.where(kept, 0, 1), jnp.ones((1, 2), jnp.int32), prefer_right)
    rule = LinearRule.threshold(threshold_from_position(x, positions[0]))
    return _nan_unless(jnp.any(kept & (y == 0)) & jnp.any(kept & (y == 1)), rule)


# --- Rules of the empirical mixture: least squares and plug-in ---------------------------


def _empirical_mixture(counts, sums, squares) -> TwoClassMixture:
    """The mixture with the kept class frequencies, means and ML variances."""
    means = sums / counts
    variances = jnp.maximum(squares / counts - means**2, 0.0)
    return TwoClassMixture.unchecked(means, jnp.sqrt(variances), counts / jnp.sum(counts))


def _masked_statistics(x, y, kept):
    member = jnp.stack([kept & (y == 0), kept & (y == 1)]).astype(x.dtype)
    return jnp.sum(member, axis=-1), member @ x, member @ x**2


def _ranked_statistics(x, y, ranks, counts):
    """Kept counts, sums and sums of squares per class for many allocations, in O(1) each:
    prefix sums of each class's samples in rank order, read at the kept counts."""
    n = x.shape[-1]
    sizes = jnp.stack([jnp.sum(y == 0), jnp.sum(y == 1)])
    kept = jnp.minimum(counts, sizes)  # (A, 2)

    def prefix(k, values):
        by_rank = jnp.zeros(n, x.dtype).at[jnp.where(y == k, ranks, n)].add(values, mode="drop")
        return jnp.concatenate([jnp.zeros(1, x.dtype), jnp.cumsum(by_rank)])

    # Centre x first: sums of squares of centred values lose less to cancellation.
    centre = jnp.mean(x)
    z = x - centre
    sums = jnp.stack([prefix(k, z)[kept[:, k]] for k in (0, 1)], axis=-1)
    squares = jnp.stack([prefix(k, z**2)[kept[:, k]] for k in (0, 1)], axis=-1)
    return kept.astype(x.dtype), sums + kept * centre, squares + 2 * centre * sums + kept * centre**2


def _least_squares_from_statistics(counts, sums, squares) -> LinearRule:
    rule = least_squares_rule(_empirical_mixture(counts, sums, squares))
    return _nan_unless(jnp.all(counts > 0), rule)


def _plugin_from_statistics(counts, sums, squares) -> LinearRule:
    fitted = _empirical_mixture(counts, sums, squares)
    t = risk_minimising_threshold(fitted)
    valid = jnp.all(counts > 1) & (fitted.means[0] < fitted.means[1])
    return _nan_unless(valid, LinearRule.threshold(t))


@jax.jit
def least_squares(x, y, kept) -> LinearRule:
    """w = Cov(x, y) / Var(x), b = mean(y) - w mean(x) on the kept samples; rule w x + b > 1/2."""
    return _least_squares_from_statistics(*_masked_statistics(x, y, kept))


@jax.jit
def plugin(x, y, kept) -> LinearRule:
    """t* of the Gaussian mixture fitted to the kept samples; NaN unless each class keeps
    two samples and the fitted means keep their order."""
    return _plugin_from_statistics(*_masked_statistics(x, y, kept))


# --- Logistic regression -------------------------------------------------------------------


LOGISTIC_L2 = 1e-4


@functools.partial(jax.jit, static_argnames=("max_steps",))
def logistic(x, y, kept, l2: float = LOGISTIC_L2, tol: float = 1e-10, max_steps: int = 100) -> LinearRule:
    """L2-regularised logistic regression on the kept samples.

    Minimises mean_kept log(1 + exp(-s (w x + b))) + l2 w^2 / 2, s = 2y - 1, by Newton steps
    in standardised coordinates, each capped in length (the loss is convex, so capped Newton
    steps converge), until the gradient's max-norm is below ``tol``.
    """
    counts, sums, squares = _masked_statistics(x, y, kept)
    total = jnp.sum(counts)
    mean_x = jnp.sum(sums) / total
    scale = jnp.sqrt(jnp.sum(squares) / total - mean_x**2)
    z = (x - mean_x) / scale
    sign = (2 * y - 1).astype(x.dtype)
    weights = kept.astype(x.dtype) / total
    penalty = l2 / scale**2  # l2 w^2 / 2 = penalty a^2 / 2 for the standardised slope a = w scale

    def gradient_and_hessian(params):
        a, c = params
        p = jax.nn.sigmoid(-sign * (a * z + c))  # d/dm log(1 + e^-m) = -p
        slope = -weights * sign * p
        curvature = weights * p * (1 - p)
        gradient = jnp.stack([jnp.sum(slope * z) + penalty * a, jnp.sum(slope)])
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
        params = params - direction * jnp.minimum(1.0, 4.0 / jnp.linalg.norm(direction))
        return step + 1, params, jnp.max(jnp.abs(gradient_and_hessian(params)[0]))

    start = (0, jnp.zeros(2, x.dtype), jnp.asarray(jnp.inf, x.dtype))
    _, (a, c), _ = jax.lax.while_loop(not_done, newton, start)
    return _nan_unless(jnp.all(counts > 0), LinearRule(a / scale, c - a * mean_x / scale))


# --- Registry of twins and batched entry point ------------------------------------------------------

class Learner(NamedTuple):
    """A learner's twins: ``fit(x, y, kept)``, the rule fitted to a finite (pruned) sample, and
    ``population(mixture)``, the rule it tends to as n -> infinity on data drawn from
    ``mixture`` (t* for threshold ERM and its plug-in estimate; the population least-squares
    and L2-logistic rules of :mod:`gmm_theory.twoclass.surrogate` otherwise)."""

    fit: Callable
    population: Callable


def _population_threshold(mixture: TwoClassMixture) -> LinearRule:
    return LinearRule.threshold(risk_minimising_threshold(mixture))


LEARNERS = {
    "threshold": Learner(threshold_erm, _population_threshold),
    "least-squares": Learner(least_squares, least_squares_rule),
    "logistic": Learner(logistic, functools.partial(logistic_rule, l2=LOGISTIC_L2)),
    "plugin": Learner(plugin, _population_threshold),
}


def get_learner(name: str) -> Learner:
    """The learner called ``name`` (one of :data:`LEARNERS`)."""
    check_choice("fit", name, LEARNERS)
    return LEARNERS[name]


@functools.partial(jax.jit, static_argnames=("name",))
def fit_allocations(name: str, x, y, ranks, counts, prefer_right=False) -> LinearRule:
    """Rules fitted under many allocations of one sample, leaves of shape (A,).

    Samples are sorted by x; ``ranks`` orders each class (class k's ranks are 0..N_k - 1)
    and allocation a keeps the samples with ``ranks < counts[a, y]``.
    Threshold ERM runs all allocations in one pass (:func:`erm_positions`, ties broken to the
    right when ``prefer_right``); least squares and
    the plug-in rule read class statistics from prefix sums in O(1) per allocation; logistic
    regression is vectorised over allocations with ``vmap``.
    """
    counts = jnp.asarray(counts)
    if name == "threshold":
        return _threshold_allocations(x, y, ranks, counts, prefer_right)
    if name == "least-squares":
        return jax.vmap(_least_squares_from_statistics)(*_ranked_statistics(x, y, ranks, counts))
    if name == "plugin":
        return jax.vmap(_plugin_from_statistics)(*_ranked_statistics(x, y, ranks, counts))
    fit = get_learner(name).fit
    return jax.vmap(lambda c: fit(x, y, ranks < c[y]))(counts)
