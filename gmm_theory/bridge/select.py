"""Which training samples to keep: class counts from the shared allocator, then the highest
scores inside each class (DRoP paper, Algorithm 1).

Quoters: ``stratified`` (the same density in every class), ``drop`` (densities proportional
to the query models' validation errors, :func:`smoothed_errors`), ``iterated-drop`` (multi-round; the
rounds are run by :mod:`gmm_theory.bridge.pipeline`, each calling :func:`iterated_counts`)
and ``none`` (one class-blind top-k by score, as existing score-based methods do).
"""

from __future__ import annotations

import numpy as np

from gmm_theory.allocate import allocate, iterated_drop_update

QUOTERS = ("stratified", "drop", "iterated-drop", "none")
SCHEDULES = ("linear", "exponential")


def check_quoter(name: str) -> None:
    if name not in QUOTERS:
        raise ValueError(f"quoter must be one of {', '.join(map(repr, QUOTERS))}, got {name!r}")


def budget(total: int, density: float) -> int:
    """round(d N): the number of samples a density-d subset of N keeps."""
    return int(np.floor(density * total + 0.5))


def top_within_classes(y, scores, counts) -> np.ndarray:
    """Sorted indices of the ``counts[k]`` highest-scoring samples of each class k (ties:
    lower index first)."""
    y, scores = np.asarray(y), np.asarray(scores, dtype=np.float64)
    if np.isnan(scores).any():
        raise ValueError(f"scores must not be NaN (first at index {int(np.flatnonzero(np.isnan(scores))[0])})")
    kept = []
    for k, count in enumerate(np.asarray(counts)):
        members = np.flatnonzero(y == k)
        order = members[np.lexsort((members, -scores[members]))]
        kept.append(order[:count])
    return np.sort(np.concatenate(kept))


def global_top(scores, count: int) -> np.ndarray:
    """Sorted indices of the ``count`` highest scores over all classes (ties: lower index first)."""
    scores = np.asarray(scores, dtype=np.float64)
    order = np.lexsort((np.arange(scores.size), -scores))
    return np.sort(order[:count])


def smoothed_errors(recalls, validation_sizes) -> np.ndarray:
    """Class error estimates (wrong_k + 1) / (n_k + 2) from validation recalls.

    The rule of succession (the posterior mean under a uniform prior) rather than the raw
    error: with small validation sets a class can show no error at all, and DRoP's
    error-proportional quotas would then drop that class entirely.
    """
    sizes = np.asarray(validation_sizes, dtype=np.float64)
    return ((1 - np.asarray(recalls, dtype=np.float64)) * sizes + 1) / (sizes + 2)


def class_counts(quoter: str, sizes, density: float, *, errors=None, semantics: str = "density") -> np.ndarray:
    """Class counts of a one-shot quoter (``stratified`` or ``drop``) from the shared allocator."""
    if quoter == "stratified":
        return allocate(sizes, density=density).counts
    if quoter == "drop":
        return allocate(sizes, density=density, rule="drop", errors=errors, semantics=semantics).counts
    raise ValueError(f"class_counts needs quoter 'stratified' or 'drop', got {quoter!r}")


def density_schedule(density: float, rounds: int, kind: str = "exponential") -> np.ndarray:
    """Target densities of rounds 1..R going from 1 to d: linear, or exponential (a constant
    fraction kept per round), as the official code's schedulers."""
    if kind not in SCHEDULES:
        raise ValueError(f"schedule must be one of {', '.join(map(repr, SCHEDULES))}, got {kind!r}")
    if not (isinstance(rounds, int) and rounds >= 1):
        raise ValueError(f"rounds must be an integer >= 1, got {rounds!r}")
    steps = np.arange(1, rounds + 1) / rounds
    return 1 - (1 - density) * steps if kind == "linear" else density ** steps


def iterated_counts(current_sizes, total: int, density: float, priors, errors, step: float = 1.0):
    """One iterated-DRoP round: update the target priors by the class errors
    (:func:`gmm_theory.allocate.iterated_drop_update`) and allocate round(d N) samples in
    those proportions, capped by what each class still has.  Returns (counts, priors)."""
    priors = iterated_drop_update(priors, errors, step=step)
    counts = allocate(current_sizes, budget=budget(total, density), rule="weights", weights=priors,
                      semantics="count").counts
    return counts, priors
