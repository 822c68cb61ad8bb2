"""Monte Carlo engine: finite-sample risk of learned rules under class-dependent selection.

One trial (DRoP paper, Section 4, at finite n): draw n i.i.d. training samples from the
two-class mixture, prune them (class counts + a within-class rule, :mod:`gmm_theory.twoclass.montecarlo.selection`),
fit a linear rule (:mod:`gmm_theory.twoclass.learners`) and evaluate its exact class risks on the test
law (Phi of standardised margins; no test sampling).

Sweeps vectorise trials over seeds and allocations with ``vmap``.  Each seed's sample is
drawn, sorted and ranked once and reused by every allocation (common random numbers: the
kept sets of a seed are nested as densities grow, so landscapes are smooth), and
allocations are processed in chunks so memory stays bounded on large grids.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from gmm_theory import _checks
from gmm_theory._stats import mean_and_standard_error
from gmm_theory.twoclass.learners import fit_allocations, get_learner
from gmm_theory.twoclass.limits import trained_class_risks
from gmm_theory.twoclass.mixture import TwoClassMixture, sample
from gmm_theory.twoclass.montecarlo import selection
from gmm_theory.twoclass.pruned_law import training_priors
from gmm_theory.twoclass.risk import LinearRule, linear_class_risks


class SeedSample(NamedTuple):
    """One seed's training sample sorted by x, with each sample's pruning priority (high =
    kept first), its rank within its class by that priority (0 = kept first), and the side
    to which threshold ERM breaks ties (a fair coin per seed)."""

    x: jax.Array
    y: jax.Array
    priority: jax.Array
    ranks: jax.Array
    prefer_right: jax.Array


def draw(mixture: TwoClassMixture, key: jax.Array, n: int, prune: str = "random", fit: str = "threshold") -> SeedSample:
    """Sample, sort and rank one seed's training set.  ``keep-hard`` / ``keep-easy`` rank by
    the distance to the boundary of a query rule fitted (by ``fit``) on the full sample."""
    sample_key, prune_key, tie_key = jax.random.split(key, 3)
    x, y = sample(mixture, sample_key, n)
    order = jnp.argsort(x)
    x, y = x[order], y[order]
    query = get_learner(fit).fit(x, y, jnp.ones_like(y, dtype=bool)) if prune in ("keep-hard", "keep-easy") else None
    priority = selection.priority(prune, x, y, key=prune_key, query_rule=query)
    ranks = selection.within_class_ranks(y, priority)
    return SeedSample(x, y, priority, ranks, jax.random.bernoulli(tie_key))


def fit_and_evaluate(mixture: TwoClassMixture, seed: SeedSample, counts, fit: str = "threshold") -> jax.Array:
    """Class risks (A, 2) of the rules fitted under class ``counts`` (A, 2) of one seed."""
    rules = fit_allocations(fit, seed.x, seed.y, seed.ranks, counts, seed.prefer_right)
    return linear_class_risks(mixture, *rules)


def fit_rules(seeds: SeedSample, counts, fit: str = "threshold") -> LinearRule:
    """Rules (S, A) fitted on each seed of ``seeds`` (batched) under class ``counts`` (S, A, 2)."""
    fitter = jax.vmap(lambda s, c: fit_allocations(fit, s.x, s.y, s.ranks, c, s.prefer_right))
    return fitter(seeds, jnp.asarray(counts, jnp.int32))


def trial(mixture: TwoClassMixture, key: jax.Array, n: int, densities, *, fit: str = "threshold",
          prune: str = "random") -> jax.Array:
    """One trial: sample n, keep round(d_k N_k) of class k under ``prune``, fit, exact class risks (2,)."""
    seed = draw(mixture, key, n, prune, fit)
    counts = selection.counts_from_densities(selection.class_sizes(seed.y), densities)
    return fit_and_evaluate(mixture, seed, counts[None], fit)[0]


def density_grid(size: int) -> jax.Array:
    """The densities 1/G, 2/G, ..., 1 of a G-point grid axis."""
    return jnp.arange(1, size + 1) / size


def grid_allocations(d0, d1) -> jax.Array:
    """All pairs (d0[i], d1[j]) as an array of shape (len(d0) * len(d1), 2), d1 fastest."""
    d0, d1 = jnp.meshgrid(jnp.asarray(d0), jnp.asarray(d1), indexing="ij")
    return jnp.stack([d0.ravel(), d1.ravel()], axis=-1)


def draw_seeds(mixture: TwoClassMixture, key: jax.Array, n: int, seeds: int, prune: str = "random",
               fit: str = "threshold") -> SeedSample:
    """:func:`draw` for seeds 0..seeds-1 (seed s uses ``jax.random.split(key, seeds)[s]``);
    leaves gain a leading seed axis."""
    selection.check_rule(prune)
    get_learner(fit)
    _checks.check_count("n", n, 2)
    _checks.check_count("seeds", seeds)
    check_memory(n, seeds, 0, fit)
    return _draw_seeds(mixture, jax.random.split(key, seeds), n, prune, fit)


@functools.partial(jax.jit, static_argnames=("n", "prune", "fit"))
def _draw_seeds(mixture, keys, n, prune, fit):
    return jax.vmap(draw, in_axes=(None, 0, None, None, None))(mixture, keys, n, prune, fit)


def evaluate_counts(mixture: TwoClassMixture, seeds: SeedSample, counts, fit: str = "threshold",
                    chunk_size: int = 128) -> jax.Array:
    """Class risks (S, A, 2) of the rules fitted under per-seed class ``counts`` (S, A, 2).

    Threshold ERM handles all allocations in one pass with an O(S x A) working set; other
    fits are evaluated ``chunk_size`` allocations at a time, so memory stays bounded.
    """
    get_learner(fit)
    counts = jnp.asarray(counts, jnp.int32)
    check_memory(seeds.x.shape[-1], counts.shape[0], counts.shape[1], fit, chunk_size)
    return _evaluate_counts(mixture, seeds, counts, fit, chunk_size)


@functools.partial(jax.jit, static_argnames=("fit", "chunk_size"))
def _evaluate_counts(mixture, seeds, counts, fit, chunk_size):
    evaluate = jax.vmap(fit_and_evaluate, in_axes=(None, 0, 0, None))
    if fit == "threshold":
        return evaluate(mixture, seeds, counts, fit)
    chunks = jnp.swapaxes(counts, 0, 1)[:, :, None, :]  # (A, S, 1, 2)
    risks = jax.lax.map(lambda c: evaluate(mixture, seeds, c, fit)[:, 0], chunks, batch_size=chunk_size)
    return jnp.swapaxes(risks, 0, 1)


def sweep(mixture: TwoClassMixture, key: jax.Array, n: int, densities, seeds: int, *, fit: str = "threshold",
          prune: str = "random", chunk_size: int = 128) -> jax.Array:
    """Class risks of ``seeds`` x ``len(densities)`` trials, shape (seeds, A, 2).

    ``densities`` has shape (A, 2): class densities (d0, d1) per allocation, each kept as
    round(d_k N_k) samples of class k.  Seed s uses ``jax.random.split(key, seeds)[s]``,
    exactly as :func:`trial` does, so a sweep equals a loop of trials.
    """
    densities = check_densities(densities)
    check_memory(n, seeds, densities.shape[0], fit, chunk_size)
    samples = draw_seeds(mixture, key, n, seeds, prune, fit)
    return evaluate_counts(mixture, samples, density_counts(samples, densities), fit, chunk_size)


def memory_needed(n: int, seeds: int, allocations: int, fit: str = "threshold", chunk_size: int = 128) -> int:
    """Bytes a sweep of ``seeds`` x ``allocations`` trials at ``n`` samples needs at its peak,
    as XLA accounts the compiled programs (temporaries, arguments and outputs), rounded up:
    72 per sample to draw; to evaluate, per seed, 48 per sample and 64 per allocation for
    threshold ERM, and 48 per sample plus 8 KiB for each allocation of a chunk for the fits
    that are chunked."""
    drawn = 72 * seeds * n
    if fit == "threshold":
        evaluated = seeds * (48 * n + 64 * allocations)
    else:
        evaluated = seeds * (min(allocations, chunk_size) * (48 * n + 8192) + 64 * allocations)
    return max(drawn, evaluated if allocations else 0)


def check_memory(n: int, seeds: int, allocations: int, fit: str = "threshold", chunk_size: int = 128) -> None:
    """A ``ValueError`` naming the sizes, before anything is allocated, when :func:`memory_needed`
    exceeds the memory here."""
    _checks.check_memory(f"{seeds} seeds x {allocations} allocations at n = {n}",
                         memory_needed(n, seeds, allocations, fit, chunk_size))


def density_counts(samples: SeedSample, densities) -> jax.Array:
    """Kept counts (S, A, 2) = round(d_k N_k) for every seed of ``samples`` (batched) and every
    allocation of ``densities`` (A, 2)."""
    sizes = jax.vmap(selection.class_sizes)(samples.y)
    return selection.counts_from_densities(sizes[:, None, :], jnp.asarray(densities)[None, :, :])


def check_densities(densities) -> jax.Array:
    """Densities as an (A, 2) array, each in [0, 1], or a ``ValueError`` naming them."""
    array = np.asarray(densities, dtype=np.float64)
    if array.ndim != 2 or array.shape[-1] != 2:
        raise ValueError(f"densities must have shape (A, 2), got {array.shape}")
    bad = np.argwhere(~((array >= 0) & (array <= 1)))
    if bad.size:
        i, k = bad[0]
        raise ValueError(f"densities[{i}, {k}] must lie in [0, 1], got {array[i, k]}")
    return jnp.asarray(array)


@dataclasses.dataclass(frozen=True)
class Summary:
    """Means over seeds with standard errors (std / sqrt(valid seeds)) of per-trial risks.

    Trials whose fit had an empty class (NaN risks) are left out of the means; ``valid``
    is the fraction of seeds that count at each allocation.
    """

    class_risks_mean: np.ndarray
    class_risks_se: np.ndarray
    worst_class_risk_mean: np.ndarray
    worst_class_risk_se: np.ndarray
    average_risk_mean: np.ndarray
    average_risk_se: np.ndarray
    valid: np.ndarray


def summarise(mixture: TwoClassMixture, risks) -> Summary:
    """Summarise class risks of shape (seeds, ..., 2) on the test law of ``mixture``."""
    risks = np.asarray(risks, dtype=np.float64)
    class_mean, class_se = mean_and_standard_error(risks)
    worst_mean, worst_se = mean_and_standard_error(risks.max(axis=-1))
    average_mean, average_se = mean_and_standard_error(risks @ np.asarray(mixture.priors, dtype=np.float64))
    valid = np.mean(~np.isnan(risks[..., 0]), axis=0)
    return Summary(class_mean, class_se, worst_mean, worst_se, average_mean, average_se, valid)


def summarise_limit(mixture: TwoClassMixture, risks) -> Summary:
    """The :class:`Summary` of exact class risks (..., 2), e.g. a population limit: the same
    result type as a Monte Carlo summary, with standard errors 0 and every entry valid."""
    risks = np.asarray(risks, dtype=np.float64)
    worst, average = risks.max(axis=-1), risks @ np.asarray(mixture.priors, dtype=np.float64)
    return Summary(risks, np.zeros_like(risks), worst, np.zeros_like(worst), average, np.zeros_like(average),
                   np.ones_like(worst))


def population_class_risks(mixture: TwoClassMixture, densities, fit: str = "threshold") -> jax.Array:
    """The n -> infinity limit of :func:`sweep` under random pruning, shape (A, 2).

    Random within-class pruning only changes the priors (DRoP paper, Section 4), so the fitted rule
    tends to :func:`gmm_theory.twoclass.limits.population_rule` under the training priors phi_k d_k / sum phi d.
    """
    get_learner(fit)

    def limit(d):
        return trained_class_risks(mixture, training_priors(mixture.priors, d), fit)

    return jax.vmap(limit)(check_densities(densities))


def convergence(mixture: TwoClassMixture, key: jax.Array, sizes, densities, seeds: int, *,
                fit: str = "threshold", prune: str = "random") -> list[tuple[int, Summary]]:
    """:func:`sweep` at each training-set size n in ``sizes`` (same key), summarised: the
    estimates approach :func:`population_class_risks` as n grows (under random pruning)."""
    return [(n, summarise(mixture, sweep(mixture, key, n, densities, seeds, fit=fit, prune=prune)))
            for n in sizes]
