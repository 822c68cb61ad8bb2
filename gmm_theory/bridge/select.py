"""Which training samples to keep: class counts from the shared allocator, then the highest
scores inside each class (DRoP paper, Algorithm 1).

Quoters, named by the policies of :data:`gmm_theory.drop.POLICIES`: ``stratified`` (the same
density in every class), ``drop`` (densities proportional to the query models' validation
errors, :func:`gmm_theory.drop.smoothed_errors`), ``iterated-drop`` (multi-round; the rounds
are run by :mod:`gmm_theory.bridge.pipeline` through :func:`gmm_theory.drop.iterated_drop`),
``adjusted`` (one query; counts in proportion to the training priors at which the query
models' logit-adjusted predictions have equal class errors, :func:`adjusted_priors`) and
``class-blind`` (one top-k by score over all classes, as existing score-based methods do).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from gmm_theory import _checks
from gmm_theory.allocate import allocate
from gmm_theory.bridge.train import class_recalls
from gmm_theory.drop import IteratedDrop, iterated_drop_trajectory, smoothed_errors
from gmm_theory.twoclass.montecarlo import selection

#: The class-quota policies: ``stratified`` (the same density in every class), ``drop``
#: (densities proportional to the query models' validation errors, DRoP Algorithm 1),
#: ``iterated-drop`` (multi-round DRoP over a density schedule), ``adjusted`` (one query;
#: counts in proportion to the training priors at which the logit-adjusted predictions have
#: equal class errors) and ``class-blind`` (one top-k by score over all classes).
QUOTERS = ("stratified", "drop", "iterated-drop", "adjusted", "class-blind")
SCHEDULES = ("linear", "exponential")


def check_quoter(name: str) -> None:
    _checks.check_choice("quoter", name, QUOTERS)


def budget(total: int, density: float) -> int:
    """round(d N): the number of samples a density-d subset of N keeps."""
    return _checks.round_half_up(density * total)


def _checked_scores(scores) -> jnp.ndarray:
    scores = np.asarray(scores, dtype=np.float64)
    if np.isnan(scores).any():
        raise ValueError(f"scores must not be NaN (first at index {int(np.flatnonzero(np.isnan(scores))[0])})")
    return jnp.asarray(scores)


def top_within_classes(y, scores, counts) -> np.ndarray:
    """Sorted indices of the ``counts[k]`` highest-scoring samples of each class k (ties:
    lower index first), by the Monte Carlo engine's own selection
    (:func:`gmm_theory.twoclass.montecarlo.selection.within_class_ranks`)."""
    y, counts = jnp.asarray(y), jnp.asarray(counts)
    ranks = selection.within_class_ranks(y, _checked_scores(scores), counts.shape[0])
    return np.flatnonzero(np.asarray(selection.kept_mask(y, ranks, counts)))


def global_top(scores, count: int) -> np.ndarray:
    """Sorted indices of the ``count`` highest scores over all classes (ties: lower index
    first), the class-blind cut of :func:`gmm_theory.twoclass.montecarlo.selection.global_ranks`."""
    return np.flatnonzero(np.asarray(selection.global_ranks(_checked_scores(scores))) < count)


def adjusted_errors(log_probabilities, y_val, training_priors, target_priors) -> np.ndarray:
    """Smoothed validation class errors (K,) of the logit-adjusted predictions
    ``argmax_k (log p_k(x) + ln pi'_k - ln pi_k)``.

    ``log p`` are the query models' log-probabilities (n_val, K), trained at the priors
    ``pi = training_priors``; adding ``ln(pi' / pi)`` moves the Bayes rule of the training
    priors to that of the target priors ``pi' = target_priors`` (post-hoc logit adjustment,
    Menon et al., "Long-tail learning via logit adjustment", ICLR 2021).
    """
    log_probabilities = np.asarray(log_probabilities, dtype=np.float64)
    classes = log_probabilities.shape[1]
    shift = np.log(target_priors) - np.log(training_priors)
    recalls = class_recalls(log_probabilities + shift, y_val, classes)
    return smoothed_errors(recalls, np.bincount(np.asarray(y_val), minlength=classes))


def adjusted_priors(log_probabilities, y_val, training_priors, density: float, *, rounds: int = 100,
                    step: float = 0.5) -> np.ndarray:
    """Realisable target priors pi' (K,) that minimise the worst adjusted class error.

    The candidates are the iterates of iterated DRoP (DRoP paper, ICLR 2025),
    ``pi' <- pi' e(pi')**step / Z`` realised at density d (``d pi'_k <= pi_k``), run by
    :func:`gmm_theory.drop.iterated_drop_trajectory` as in the Gaussian model but on the
    :func:`adjusted_errors` of the one query; its fixed points equalise the errors of the
    classes that are not capped.  Validation errors are piecewise constant in pi', and on
    digits and mnist1d (3 seeds, d = 0.1, ..., 0.9) the iteration either settled or kept hopping
    between neighbouring pieces: the last of 100 rounds had a larger worst error than an
    earlier iterate in 22 of 54 cases, by up to 3.4 points.  So the iterate with
    the smallest worst error is returned, ties going to the smallest mean class error, then to
    the earliest.
    """
    training_priors = np.asarray(training_priors, dtype=np.float64)

    def errors_at(priors):
        return adjusted_errors(log_probabilities, y_val, training_priors, priors)

    trajectory = iterated_drop_trajectory(errors_at, training_priors, density, IteratedDrop(rounds, step))
    errors = np.array([errors_at(priors) for priors in trajectory])
    return trajectory[np.lexsort((errors.mean(axis=1), errors.max(axis=1)))[0]]


def class_counts(quoter: str, sizes, density: float, *, errors=None, priors=None,
                 semantics: str = "density") -> np.ndarray:
    """Class counts of a one-shot quoter from the shared allocator: ``stratified``; ``drop``
    with the validation ``errors`` (DRoP, Algorithm 1); ``adjusted`` with the target
    ``priors`` as weights of the kept numbers (count semantics)."""
    if quoter == "stratified":
        return allocate(sizes, density=density).counts
    if quoter == "drop":
        return allocate(sizes, density=density, rule="drop", errors=errors, semantics=semantics).counts
    if quoter == "adjusted":
        return allocate(sizes, density=density, rule="weights", weights=priors, semantics="count").counts
    raise ValueError(f"class_counts needs quoter 'stratified', 'drop' or 'adjusted', got {quoter!r}")


def density_schedule(density: float, rounds: int, kind: str = "exponential") -> np.ndarray:
    """Target densities of rounds 1..R going from 1 to d: linear, or exponential (a constant
    fraction kept per round), as the official code's schedulers."""
    _checks.check_choice("schedule", kind, SCHEDULES)
    _checks.check_count("rounds", rounds)
    steps = np.arange(1, rounds + 1) / rounds
    return 1 - (1 - density) * steps if kind == "linear" else density ** steps


def iterated_counts(current_sizes, total: int, density: float, priors) -> np.ndarray:
    """The counts of one iterated-DRoP round: round(d N) samples in proportion to the target
    ``priors`` (count semantics), capped by what each class still has."""
    return allocate(current_sizes, budget=budget(total, density), rule="weights", weights=priors,
                    semantics="count").counts
