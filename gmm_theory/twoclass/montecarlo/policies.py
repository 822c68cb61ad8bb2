"""Class-quota policies of the Monte Carlo engine, each a call to the shared allocator.

For every seed and target dataset density d, a policy (:data:`gmm_theory.drop.POLICIES`)
chooses how many samples of each class to keep (DRoP paper, Section 4 and Algorithm 1;
:mod:`gmm_theory.drop` and :mod:`gmm_theory.allocate`):

- ``stratified``: the same density d in every class;
- ``drop``: one-step DRoP, kept density (or count, ``semantics="count"``) proportional to
  the class errors of a query rule fitted on the full sample and measured on a held-out
  validation sample;
- ``iterated-drop``: rounds of prune -> refit -> re-measure -> update of the target
  training priors (:func:`gmm_theory.drop.iterated_drop`, the loop the limits and the bridge
  run too), each round pruning to density d;
- ``optimal``: training priors set to the theory's worst-class optimal priors
  (:func:`gmm_theory.twoclass.optimal.worst_class_optimal_priors`; std-proportional in the
  paper's case);
- ``class-blind``: one cut keeping the top d n samples by the pruning priority.

:func:`margin_counts` gives the counts of SSP margin pruning, whose density is set by the
margin rather than by d.  The allocator is plain numpy and runs once per seed and density;
the fits are vectorised.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from gmm_theory._checks import as_margin, round_half_up
from gmm_theory.allocate import allocate
from gmm_theory.drop import ITERATED_DROP, IteratedDrop, check_policy, class_errors, iterated_drop
from gmm_theory.twoclass.mixture import TwoClassMixture, sample
from gmm_theory.twoclass.montecarlo import selection
from gmm_theory.twoclass.montecarlo.engine import fit_rules
from gmm_theory.twoclass.optimal import worst_class_optimal_priors
from gmm_theory.twoclass.risk import LinearRule

SUPPORTED_POLICIES = ("stratified", "drop", "iterated-drop", "optimal", "class-blind")


@jax.jit
def validation_errors(rules: LinearRule, x, y) -> jax.Array:
    """Class error rates (..., 2) of ``rules`` on a labelled validation sample ``x, y`` (n,);
    NaN for a NaN rule (a fit that had an empty class)."""
    predictions = (rules.weight[..., None] * x + rules.bias[..., None] > 0).astype(y.dtype)
    undefined = jnp.isnan(rules.weight)[..., None]
    return jnp.where(undefined, jnp.nan, class_errors(predictions, y, 2))


def _allocate_all(sizes, densities, **kwargs) -> np.ndarray:
    """Allocator counts (S, D, 2) for every seed's class sizes and every density."""
    return np.array([[allocate(size, density=float(d), **kwargs).counts for d in densities] for size in sizes])


def margin_counts(samples, margin: float) -> np.ndarray:
    """Kept class counts (S, 1, 2) of SSP margin pruning for seeds ``samples`` drawn with
    ``prune="ssp"``: every sample at least ``margin`` from its class mean."""
    margin = as_margin(margin)
    counts = jax.vmap(selection.margin_counts, in_axes=(0, 0, None))(samples.y, samples.priority, margin)
    return np.asarray(counts)[:, None, :]


def policy_counts(mixture: TwoClassMixture, key: jax.Array, samples, densities, policy: str, *,
                  fit: str = "threshold", semantics: str = "density", config: IteratedDrop = ITERATED_DROP,
                  validation_size: int | None = None) -> np.ndarray:
    """Kept class counts (S, D, 2) of ``policy`` for seeds ``samples`` (a batched SeedSample)
    at dataset densities ``densities`` (D,).  ``key`` draws the validation samples."""
    check_policy(policy, SUPPORTED_POLICIES)
    densities = np.asarray(densities, dtype=np.float64).reshape(-1)
    sizes = np.asarray(jax.vmap(selection.class_sizes)(samples.y))
    n = samples.y.shape[-1]
    if policy == "stratified":
        return _allocate_all(sizes, densities, rule="stratified")
    if policy == "optimal":
        weights = np.asarray(worst_class_optimal_priors(mixture))
        return _allocate_all(sizes, densities, rule="weights", weights=weights, semantics="count")
    if policy == "class-blind":
        budgets = round_half_up(jnp.asarray(densities) * n).astype(jnp.int32)
        per_seed = jax.vmap(lambda y, p: jax.vmap(lambda b: selection.global_counts(y, p, b))(budgets))
        return np.asarray(per_seed(samples.y, samples.priority))

    keys = jax.random.split(key, sizes.shape[0])
    x_val, y_val = jax.vmap(sample, in_axes=(None, 0, None))(mixture, keys, validation_size or n)

    def errors_under(counts):
        rules = fit_rules(samples, counts, fit)
        return np.asarray(jax.vmap(validation_errors)(rules, x_val, y_val))

    if policy == "drop":
        errors = errors_under(sizes[:, None, :])[:, 0]
        return np.array([[allocate(size, density=float(d), rule="drop", errors=e, semantics=semantics).counts
                          for d in densities] for size, e in zip(sizes, errors)])
    # iterated-drop: round 0 trains at the data's own priors (stratified pruning to d); every
    # round fits all seeds and densities at once.  A round whose fit had an empty class
    # measures unit errors, which leave its priors as they are: the NaN it causes shows in
    # the final risks instead of being hidden.
    def measure(counts, _):
        errors = errors_under(counts)
        return np.where(np.all(np.isfinite(errors), axis=-1, keepdims=True), errors, 1.0)

    def realise(priors, *_):
        return np.array([[allocate(size, density=float(d), rule="weights", weights=cell, semantics="count").counts
                          for d, cell in zip(densities, seed_priors)] for size, seed_priors in zip(sizes, priors)])

    data_priors = np.broadcast_to(sizes[:, None, :] / n, (sizes.shape[0], densities.size, 2))
    stratified = _allocate_all(sizes, densities, rule="stratified")
    return iterated_drop(measure, realise, data_priors, stratified, config)[-1]
