"""Class-quota allocation for pruning: how many samples of each class to keep.

This is the single allocator shared by the Gaussian-mixture simulator and the CNN pipeline.
A rule turns per-class information into non-negative weights ``w_k``; water-filling turns the
weights into real quotas that meet the budget without exceeding any class; largest-remainder
rounding turns the quotas into integer counts that meet the budget exactly.

DRoP (Vysogorets, Ahuja, Kempe, "DRoP: Distributionally Robust Data Pruning", ICLR 2025,
Algorithm 1) keeps a fraction of each class proportional to its validation error rate
``e_k = 1 - recall_k``; classes that would need more than all of their samples are kept whole and
the excess is redistributed. That is ``rule="drop"`` with ``semantics="density"``. The official
code instead makes the kept *number* proportional to the error (``semantics="count"``) and has
four defects this module avoids, each covered by a regression test: an iterative capping loop
that mutated a list while iterating over it (so equal errors got unequal counts), a division by
zero when every recall is 1, an ``idxs[-n:]`` slice that selects a whole class when ``n == 0``,
and a random, class-blind refill of the samples lost to flooring.
"""

from __future__ import annotations

import operator
import warnings
from dataclasses import dataclass

import numpy as np

from gmm_theory._checks import as_float_vector, check_choice, check_unit_interval, round_half_up

# The weightings of the allocator: the one-shot policies of :data:`gmm_theory.drop.POLICIES`
# that set quotas from class information, and the user's own weights.
RULES = ("stratified", "drop", "weights")
SEMANTICS = ("density", "count")

# Quotas are at most ``budget`` and their relative rounding error is a few ulps per class, so
# remainders within ``_RTOL * max(1, budget)`` of each other differ by float noise only.
_RTOL = 1e-11


@dataclass(frozen=True, eq=False)
class Allocation:
    """Integer kept counts per class.

    ``counts[k]`` samples of class ``k`` (which has ``sizes[k]`` samples) are kept, under the
    weighting ``rule`` and the ``semantics`` of :func:`water_fill`. Both arrays are read-only
    int64 copies. Equality is identity (numpy arrays have no single truth value).
    """

    counts: np.ndarray
    sizes: np.ndarray
    rule: str
    semantics: str

    def __post_init__(self) -> None:
        for name in ("counts", "sizes"):
            array = np.array(getattr(self, name), dtype=np.int64)
            array.setflags(write=False)
            object.__setattr__(self, name, array)

    @property
    def densities(self) -> np.ndarray:
        """Kept fraction per class, ``counts / sizes`` (float64)."""
        return self.counts / self.sizes

    @property
    def budget(self) -> int:
        """Total number of kept samples, ``counts.sum()``."""
        return int(self.counts.sum())


def _nonnegative_vector(name: str, value, length: int | None = None) -> np.ndarray:
    array = as_float_vector(name, value, length)
    bad = np.flatnonzero(array < 0)
    if bad.size:
        raise ValueError(f"{name}[{bad[0]}] must be non-negative, got {array[bad[0]]}")
    return array


def _fill(capacities: np.ndarray, demand: np.ndarray, target: float) -> np.ndarray:
    """Solve ``sum_k min(capacity_k, lam * demand_k) = target`` exactly and return the quotas.

    Classes with zero demand or zero capacity get 0. The left side is piecewise linear and
    non-decreasing in ``lam`` with breakpoints ``b_k = capacity_k / demand_k``: with the
    breakpoints sorted, just past ``b_(i-1)`` the classes ``(0), ..., (i-1)`` are saturated, so
    ``f(b_(i)) = sum_{j<i} capacity_(j) + b_(i) * sum_{j>=i} demand_(j)``. The first ``i`` with
    ``f(b_(i)) >= target`` gives
    ``lam = (target - sum_{j<i} capacity_(j)) / sum_{j>=i} demand_(j)``.
    Requires ``0 <= target <= sum of the active capacities``.
    """
    quotas = np.zeros_like(capacities)
    active = np.flatnonzero((demand > 0) & (capacities > 0))
    if active.size == 0:
        return quotas
    cap, dem = capacities[active], demand[active]
    if target >= cap.sum():
        quotas[active] = cap
        return quotas
    # Sort by log breakpoints: cap / dem overflows for tiny demands, and distinct overflowed
    # breakpoints would tie. For the same reason f(b_(i)) is formed as cap * (dem_from / dem),
    # which overflows only where the true level is astronomically above any budget.
    order = np.argsort(np.log(cap) - np.log(dem), kind="stable")
    cap, dem = cap[order], dem[order]
    saturated_before = np.concatenate(([0.0], np.cumsum(cap)[:-1]))
    demand_from = np.cumsum(dem[::-1])[::-1]
    with np.errstate(over="ignore"):
        level = saturated_before + cap * (demand_from / dem)
    i = int(np.searchsorted(level, target, side="left"))
    rest = max(0.0, target - saturated_before[i])
    # Classes before i are saturated. For the others lam * dem is formed as
    # rest * (dem / demand_from), a fraction of rest, because lam itself can overflow.
    filled = cap.copy()
    filled[i:] = np.minimum(cap[i:], rest * (dem[i:] / demand_from[i]))
    quotas[active[order]] = filled
    return quotas


def water_fill(capacities, weights, budget, semantics: str = "density") -> np.ndarray:
    """Real-valued quotas ``q_k = min(capacity_k, lam * c_k)`` with ``sum_k q_k = budget``.

    The demand is ``c_k = weights_k * capacity_k`` for ``semantics="density"`` (the kept
    fraction ``q_k / capacity_k = lam * weights_k`` of every unsaturated class is proportional
    to its weight, DRoP Algorithm 1) or ``c_k = weights_k`` for ``semantics="count"`` (the kept
    number is proportional to the weight, as in the official code). Classes whose share would
    exceed their capacity are capped at it and the excess goes to the unsaturated classes in
    proportion to ``c_k``; ``lam`` is computed exactly from the sorted breakpoints
    ``capacity_k / c_k`` rather than by repeated capping, so no class is skipped and classes
    with equal ``c_k`` and capacity get equal quotas.

    Zero-weight classes get nothing unless every positive-weight class is saturated; the
    leftover ``budget - sum_{w_k > 0} capacity_k`` is then water-filled over the zero-weight
    classes with unit weights (same semantics), so the budget is always met exactly. If every
    weight is zero, unit weights (stratified) are used and a ``RuntimeWarning`` is emitted.

    Capacities may be real: at population level pass the class priors as capacities and the
    dataset density as the budget.

    Args:
        capacities: non-negative class capacities, shape (K,).
        weights: non-negative finite class weights, shape (K,).
        budget: total to allocate, in ``[0, sum(capacities)]``.
        semantics: ``"density"`` or ``"count"``.

    Returns:
        float64 quotas, shape (K,), with ``0 <= q_k <= capacity_k``.
    """
    check_choice("semantics", semantics, SEMANTICS)
    capacities = _nonnegative_vector("capacities", capacities)
    if capacities.size == 0:
        raise ValueError("capacities must have at least one entry, got 0")
    weights = _nonnegative_vector("weights", weights, capacities.size)
    total = float(capacities.sum())
    budget = float(budget)
    # Priors summing to 1 - 1e-12 with density 1 are a valid request, hence the tolerance.
    if not (0.0 <= budget <= total * (1.0 + 1e-9)):
        raise ValueError(f"budget must lie in [0, sum(capacities)] = [0, {total}], got {budget}")
    budget = min(budget, total)

    largest = weights.max()
    if largest == 0:
        warnings.warn(
            "all class weights are zero (e.g. every validation error is 0); "
            "falling back to stratified (unit) weights",
            RuntimeWarning,
            stacklevel=2,
        )
        largest, weights = 1.0, np.ones_like(weights)

    def demand(w: np.ndarray) -> np.ndarray:
        return w * capacities if semantics == "density" else w

    # Quotas do not change when all weights are scaled; scaling to max 1 keeps demands finite.
    # A weight below ~1e-308 of the largest then underflows and counts as zero.
    first = demand(weights / largest)
    positive = first > 0
    quotas = _fill(capacities, first, budget)
    leftover = budget - float(capacities[positive].sum())
    if leftover > 0:
        quotas += _fill(capacities, demand((~positive).astype(np.float64)), leftover)
    return quotas


def _as_sizes(sizes) -> np.ndarray:
    array = as_float_vector("sizes", sizes)
    if array.size == 0:
        raise ValueError("sizes must have at least one class, got 0 entries")
    bad = np.flatnonzero((array < 1) | (array != np.floor(array)))
    if bad.size:
        raise ValueError(f"sizes[{bad[0]}] must be an integer >= 1, got {array[bad[0]]}")
    return array.astype(np.int64)


def _resolve_budget(total: int, density, budget) -> int:
    """Budget from exactly one of ``density`` (rounded half up) or an integer ``budget``."""
    if (density is None) == (budget is None):
        given = "both" if density is not None else "neither"
        raise ValueError(f"exactly one of density and budget must be given, got {given}")
    if density is not None:
        density = float(density)
        if not 0.0 <= density <= 1.0:
            raise ValueError(f"density must lie in [0, 1], got {density}")
        return min(total, round_half_up(density * total))
    try:
        budget = operator.index(budget)
    except TypeError:
        raise ValueError(f"budget must be an integer in [0, {total}], got {budget!r}") from None
    if not 0 <= budget <= total:
        raise ValueError(f"budget must be an integer in [0, {total}], got {budget}")
    return budget


def _largest_remainder(quotas: np.ndarray, sizes: np.ndarray, weights: np.ndarray,
                       budget: int) -> np.ndarray:
    """Hamilton rounding: floor every quota, then one extra seat each to the largest remainders.

    Remainders within float noise of each other count as tied. Ties go to the larger weight,
    then to the larger fraction of the class left unkept by the floored count,
    ``(N_k - floor(q_k)) / N_k``, then to the lower index. (That ratio of integers is exact:
    equal ratios give equal floats.) Up to that noise the result minimises
    ``sum_k (n_k - q_k)**2`` over integer vectors with ``sum_k n_k = budget`` and
    ``|n_k - q_k| < 1``; it is deterministic.

    Noise cannot move an analytically integer quota ``k``: computed as ``k - eps`` its remainder
    is about 1, it ranks first and regains ``k``; computed as ``k + eps`` it ranks last. The
    remainders sum to the number of seats, so every seat goes to a positive remainder.
    """
    tol = _RTOL * max(1.0, float(budget))
    counts = np.floor(quotas).astype(np.int64)
    seats = budget - int(counts.sum())
    if seats == 0:
        return counts
    remainder = quotas - counts
    cutoff = np.sort(remainder)[::-1][seats - 1]
    sure = np.flatnonzero(remainder > cutoff + tol)
    tied = np.flatnonzero(np.abs(remainder - cutoff) <= tol)
    unkept = (sizes[tied] - counts[tied]) / sizes[tied]
    ranked = tied[np.lexsort((tied, -unkept, -weights[tied]))]
    counts[sure] += 1
    counts[ranked[: seats - sure.size]] += 1
    return counts


def rule_weights(rule: str, num_classes: int, *, errors=None, weights=None) -> np.ndarray:
    """Class weights of an allocation rule, float64 of shape (num_classes,).

    ``"stratified"``: ones (keep the same fraction of every class). ``"drop"``: the validation
    error rates ``errors_k = 1 - recall_k``, each in [0, 1] (DRoP Algorithm 1).
    ``"weights"``: the user's non-negative ``weights``. Passing ``errors`` or ``weights`` to a
    rule that does not use them is an error, so nobody believes they were used.
    """
    check_choice("rule", rule, RULES)
    num_classes = operator.index(num_classes)
    if num_classes < 1:
        raise ValueError(f"num_classes must be >= 1, got {num_classes}")
    needed = {"stratified": None, "drop": "errors", "weights": "weights"}[rule]
    for name, value in (("errors", errors), ("weights", weights)):
        if value is None and name == needed:
            raise ValueError(f"rule={rule!r} requires {name}")
        if value is not None and name != needed:
            raise ValueError(f"{name} is not used by rule={rule!r}; pass {name}=None")
    if rule == "stratified":
        return np.ones(num_classes)
    if rule == "drop":
        errors = as_float_vector("errors", errors, num_classes)
        check_unit_interval("errors", errors)
        return errors
    return _nonnegative_vector("weights", weights, num_classes)


def allocate(sizes, *, density=None, budget=None, rule: str = "stratified", errors=None,
             weights=None, semantics: str = "density") -> Allocation:
    """Integer kept counts ``n_k`` with ``sum_k n_k == budget`` and ``0 <= n_k <= N_k``.

    The budget is ``floor(density * sum(N) + 0.5)`` or the given integer ``budget`` (give
    exactly one). The quotas are :func:`water_fill` of the class sizes with
    :func:`rule_weights`, rounded by largest remainder (Hamilton), never at random: each count
    is within 1 of its quota, a zero quota keeps nothing, and classes with equal quotas get
    counts within 1 of each other.

    Args:
        sizes: class sizes ``N_k``, integers >= 1, shape (K,).
        density: fraction of the dataset to keep, in [0, 1].
        budget: number of samples to keep, an integer in [0, sum(N)].
        rule: one of :data:`RULES`.
        errors: validation error rates for ``rule="drop"``.
        weights: class weights for ``rule="weights"``.
        semantics: one of :data:`SEMANTICS`, see :func:`water_fill`.
    """
    sizes = _as_sizes(sizes)
    check_choice("semantics", semantics, SEMANTICS)
    kept = _resolve_budget(int(sizes.sum()), density, budget)
    class_weights = rule_weights(rule, sizes.size, errors=errors, weights=weights)
    quotas = water_fill(sizes, class_weights, kept, semantics)
    counts = _largest_remainder(quotas, sizes, class_weights, kept)
    return Allocation(counts=counts, sizes=sizes, rule=rule, semantics=semantics)
