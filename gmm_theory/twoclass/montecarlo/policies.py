"""Class-quota policies of the Monte Carlo engine, each a call to the shared allocator.

For every seed and target dataset density d, a policy chooses how many samples of each
class to keep (DRoP paper, Section 4 and Algorithm 1; THEORY.md 1.4 and 3):

- ``stratified``: the same density d in every class;
- ``drop``: one-step DRoP, kept density (or count, ``semantics="count"``) proportional to
  the class errors of a query rule fitted on the full sample and measured on a held-out
  validation sample;
- ``iterated-drop``: rounds of prune -> refit -> re-measure -> ``iterated_drop_update`` of
  the target training priors (damped by ``step``), each round pruning to density d;
- ``optimal``: training priors set to the theory's worst-class optimal priors
  (:func:`gmm_theory.twoclass.optimal.worst_class_optimal_priors`; std-proportional in the paper's case);
- ``global``: a class-blind cut keeping the top d n samples by the pruning priority;
- ``margin``: SSP margin pruning, every sample at least ``margin`` from its class mean
  (with ``prune="ssp"``; the density is then set by the margin, not by d).

The allocator is plain numpy and runs once per seed and density; the fits are vectorised.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from gmm_theory.twoclass.montecarlo import selection
from gmm_theory.allocate import allocate, iterated_drop_update
from gmm_theory.twoclass.mixture import TwoClassMixture, sample
from gmm_theory.twoclass.optimal import worst_class_optimal_priors
from gmm_theory.twoclass.risk import LinearRule
from gmm_theory.twoclass.montecarlo.engine import fit_rules

POLICIES = ("stratified", "drop", "iterated-drop", "optimal", "global", "margin")


def check_policy(policy: str) -> None:
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {', '.join(map(repr, POLICIES))}, got {policy!r}")


@jax.jit
def validation_errors(rules: LinearRule, x, y) -> jax.Array:
    """Class error rates (..., 2) of ``rules`` on a labelled validation sample ``x, y`` (n,);
    NaN for a NaN rule (a fit that had an empty class)."""
    predictions = rules.weight[..., None] * x + rules.bias[..., None] > 0
    wrong = predictions != (y == 1)
    per_class = [jnp.sum(wrong & (y == k), axis=-1) / jnp.sum(y == k) for k in (0, 1)]
    undefined = jnp.isnan(rules.weight)[..., None]
    return jnp.where(undefined, jnp.nan, jnp.stack(per_class, axis=-1))


def _allocate_all(sizes, densities, **kwargs) -> np.ndarray:
    """Allocator counts (S, D, 2) for every seed's class sizes and every density."""
    return np.array([[allocate(size, density=float(d), **kwargs).counts for d in densities] for size in sizes])


def policy_counts(mixture: TwoClassMixture, key: jax.Array, samples, densities, policy: str, *,
                  fit: str = "threshold", semantics: str = "density", rounds: int = 10, step: float = 1.0,
                  validation_size: int | None = None, margin: float | None = None) -> np.ndarray:
    """Kept class counts (S, D, 2) of ``policy`` for seeds ``samples`` (a batched SeedSample)
    at dataset densities ``densities`` (D,).  ``key`` draws the validation samples."""
    check_policy(policy)
    densities = np.asarray(densities, dtype=np.float64).reshape(-1)
    sizes = np.asarray(jax.vmap(selection.class_sizes)(samples.y))
    n = samples.y.shape[-1]
    if policy == "stratified":
        return _allocate_all(sizes, densities, rule="stratified")
    if policy == "optimal":
        weights = np.asarray(worst_class_optimal_priors(mixture))
        return _allocate_all(sizes, densities, rule="weights", weights=weights, semantics="count")
    if policy == "global":
        budgets = jnp.floor(jnp.asarray(densities) * n + 0.5).astype(jnp.int32)
        per_seed = jax.vmap(lambda y, p: jax.vmap(lambda b: selection.global_counts(y, p, b))(budgets))
        return np.asarray(per_seed(samples.y, samples.priority))
    if policy == "margin":
        if margin is None:
            raise ValueError("policy='margin' needs a margin")
        counts = jax.vmap(selection.margin_counts, in_axes=(0, 0, None))(samples.y, samples.priority, margin)
        return np.asarray(counts)[:, None, :]

    keys = jax.random.split(key, sizes.shape[0])
    x_val, y_val = jax.vmap(sample, in_axes=(None, 0, None))(mixture, keys, validation_size or n)

    def errors_under(counts):
        rules = fit_rules(samples, counts, fit)
        return np.asarray(jax.vmap(validation_errors)(rules, x_val, y_val))

    if policy == "drop":
        errors = errors_under(sizes[:, None, :])[:, 0]
        return np.array([[allocate(size, density=float(d), rule="drop", errors=e, semantics=semantics).counts
                          for d in densities] for size, e in zip(sizes, errors)])
    # iterated-drop: round 0 trains at the data's own priors (stratified pruning to d).  A
    # round whose fit had an empty class leaves its priors as they are: the NaN it causes
    # shows in the final risks instead of being hidden.
    priors = np.broadcast_to(sizes[:, None, :] / n, (sizes.shape[0], densities.size, 2)).copy()
    counts = _allocate_all(sizes, densities, rule="stratified")
    for _ in range(rounds):
        errors = errors_under(counts)
        for s, size in enumerate(sizes):
            for i, d in enumerate(densities):
                if np.all(np.isfinite(errors[s, i])):
                    priors[s, i] = iterated_drop_update(priors[s, i], errors[s, i], step=step)
                counts[s, i] = allocate(size, density=float(d), rule="weights", weights=priors[s, i],
                                        semantics="count").counts
    return counts
