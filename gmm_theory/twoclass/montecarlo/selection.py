"""Pruning rules applied to samples: which examples of each class are kept.

Every rule is a within-class priority plus class counts: class k keeps its ``counts[k]``
samples of highest priority.  Priorities are ranks (0 = kept first), so the kept set grows
by inclusion as a count grows, and one ranking per sample serves every allocation of a sweep
(common random numbers).  Rules (DRoP paper, Section 4 and Appendix B.3):

- ``random``: a uniformly random order within each class (the sampling order of i.i.d. draws);
- ``ssp``: farthest from the class's sample mean first (a supervised 1D analogue of
  self-supervised-prototype pruning, which keeps the least prototypical examples);
- ``keep-hard``: closest to a query classifier's boundary first (an EL2N analogue);
- ``keep-easy``: farthest from that boundary first.

Global (class-blind) pruning, as score-based methods do, keeps the top of one ranking over
all classes; it equals within-class pruning by the same score with the class counts that the
global cut implies (:func:`global_counts`).  SSP with a margin M keeps every sample at least
M from its class mean (:func:`margin_counts`).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from gmm_theory._checks import check_choice, round_half_up

PRUNING_RULES = ("random", "ssp", "keep-hard", "keep-easy")


def check_rule(rule: str) -> None:
    check_choice("prune", rule, PRUNING_RULES)


def class_sizes(y: jax.Array) -> jax.Array:
    """(N_0, N_1): the number of samples of each class."""
    ones = jnp.sum(y)
    return jnp.stack([y.shape[-1] - ones, ones])


def counts_from_densities(sizes: jax.Array, densities) -> jax.Array:
    """Kept counts round(d_k N_k) (halves rounded up), the per-class quota of a density."""
    return round_half_up(jnp.asarray(densities) * sizes).astype(jnp.int32)


def within_class_ranks(y: jax.Array, priority: jax.Array, num_classes: int = 2) -> jax.Array:
    """Rank of each sample among its own class (labels 0..K-1) by decreasing ``priority``
    (ties: lower index first)."""
    order = jnp.argsort(-priority, stable=True)
    members = y[order][:, None] == jnp.arange(num_classes)
    rank_in_order = jnp.sum(jnp.cumsum(members, axis=0) * members, axis=1) - 1
    return jnp.zeros_like(y).at[order].set(rank_in_order.astype(y.dtype))


def global_ranks(priority: jax.Array) -> jax.Array:
    """Rank of each sample among all samples by decreasing ``priority`` (ties: lower index
    first): a class-blind cut keeps the ranks below its budget."""
    order = jnp.argsort(-priority, stable=True)
    return jnp.zeros(priority.shape[-1], jnp.int32).at[order].set(jnp.arange(priority.shape[-1], dtype=jnp.int32))


def class_mean_distance(x: jax.Array, y: jax.Array, num_classes: int = 2) -> jax.Array:
    """||x - mean of x over the sample's own class||, for scalar samples ``x`` (n,) or
    vectors (n, p) with labels 0..K-1: the SSP score (high = far = kept first)."""
    points = x.reshape(x.shape[0], -1)
    members = (y[:, None] == jnp.arange(num_classes)).astype(points.dtype)
    means = (members.T @ points) / jnp.sum(members, axis=0)[:, None]
    return jnp.linalg.norm(points - means[y], axis=-1)


def boundary_distance(x: jax.Array, weight, bias) -> jax.Array:
    """|w x + b| / |w|: distance to a query rule's boundary (infinite for a constant rule)."""
    return jnp.abs(weight * x + bias) / jnp.abs(weight)


def priority(rule: str, x: jax.Array, y: jax.Array, *, key=None, query_rule=None) -> jax.Array:
    """The per-sample priority of a pruning rule (high = kept first); ``random`` needs a PRNG
    ``key``, ``keep-hard`` and ``keep-easy`` a query rule (weight, bias)."""
    if rule == "random":
        if key is None:
            raise ValueError("prune='random' needs a PRNG key")
        return jax.random.uniform(key, x.shape, dtype=x.dtype)
    if rule == "ssp":
        return class_mean_distance(x, y)
    if rule in ("keep-hard", "keep-easy"):
        if query_rule is None:
            raise ValueError(f"prune={rule!r} needs a query rule")
        distance = boundary_distance(x, *query_rule)
        return -distance if rule == "keep-hard" else distance
    check_rule(rule)


def kept_mask(y: jax.Array, ranks: jax.Array, counts: jax.Array) -> jax.Array:
    """True for the ``counts[k]`` top-ranked samples of each class k."""
    return ranks < counts[y]


def global_counts(y: jax.Array, priority: jax.Array, budget) -> jax.Array:
    """Class counts of a class-blind cut that keeps the ``budget`` highest-priority samples."""
    kept = global_ranks(priority) < budget
    ones = jnp.sum(kept & (y == 1))
    return jnp.stack([jnp.sum(kept) - ones, ones]).astype(jnp.int32)


def margin_counts(y: jax.Array, distance: jax.Array, margin) -> jax.Array:
    """Class counts of SSP margin pruning: samples at least ``margin`` from their class mean."""
    far = distance >= margin
    ones = jnp.sum(far & (y == 1))
    return jnp.stack([jnp.sum(far) - ones, ones]).astype(jnp.int32)
