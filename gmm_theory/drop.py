"""DRoP drivers shared by the two-class limits, the Monte Carlo engine, the K-class model and
the bridge: one vocabulary of quota policies, one iterated-DRoP loop and its one default.

DRoP (Vysogorets, Ahuja, Kempe, "DRoP: Distributionally Robust Data Pruning", ICLR 2025,
Algorithm 1) keeps each class in proportion to its validation error ``e_k = 1 - recall_k``.
Iterated DRoP repeats prune -> retrain -> re-measure on the target training priors,

    pi_k <- pi_k e_k**s / sum_j pi_j e_j**s,

each round realised by the shared allocator (:mod:`gmm_theory.allocate`) at density d.  At a
fixed point pi_k = pi_k e_k**s / Z for every class the allocator leaves free (not capped at
its whole size), so e_k**s = Z: the free classes have equal errors.
Every world runs the same loop, :func:`iterated_drop`, with its own ``measure`` (population
class risks, Monte Carlo validation errors, CNN recalls) and ``realise`` (training priors,
class counts, kept indices).
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import jax.numpy as jnp
import numpy as np

from gmm_theory import _checks
from gmm_theory.allocate import water_fill

POLICIES = {
    "stratified": "the same density in every class: the data's own class proportions",
    "drop": "one DRoP step: kept density (or count) proportional to the full-data class errors",
    "iterated-drop": "rounds of DRoP, each re-measuring the class errors of a model trained after pruning",
    "adjusted": "one query; the priors at which its logit-adjusted predictions have equal class errors",
    "optimal": "the worst-class optimal training priors of the model, as near as density d allows",
    "class-blind": "no class quotas: one cut of a score over all classes",
}


def check_policy(policy: str, supported=tuple(POLICIES)) -> None:
    """A ``ValueError`` unless ``policy`` is one of the ``supported`` names of :data:`POLICIES`."""
    _checks.check_choice("policy", policy, supported)


def _as_step(value) -> float:
    """The damping step s of iterated DRoP as a float, or a ``ValueError`` naming ``step``."""
    step = float(value)
    if not (np.isfinite(step) and step > 0):
        raise ValueError(f"step must be a positive finite number, got {step}")
    return step


@dataclasses.dataclass(frozen=True)
class IteratedDrop:
    """Rounds and step s of iterated DRoP.  Ten damped rounds reach the paper example's fixed
    point to 2e-7 in the training prior; the two-class limits, the Monte Carlo engine and the
    K-class model all default to :data:`ITERATED_DROP`."""

    rounds: int = 10
    step: float = 0.5

    def __post_init__(self):
        _checks.check_count("rounds", self.rounds)
        _as_step(self.step)


ITERATED_DROP = IteratedDrop()


def iterated_drop_update(priors, errors, step: float = 1.0) -> np.ndarray:
    """One iterated-DRoP step on the training priors: ``pi_k <- pi_k e_k**step / Z``.

    ``Z = sum_j pi_j e_j**step``. With ``step = 1`` this is the plain fixed-point iteration
    (reweight each class by its error). Since ``pi e**s = pi**(1-s) (pi e)**s``, a step in
    (0, 1) is a geometric mixture of the old priors and the plain update: it damps
    oscillations and has the same fixed points, where every class with positive prior has the
    same error (the minimax point when errors decrease with the prior). A class with zero error
    drops to prior 0.

    If every class with positive prior has error 0 (e.g. the fit became a constant rule that
    is right on the only kept class) there is nothing to reweight by: the priors are a fixed
    point and are returned unchanged.
    """
    priors = _checks.as_float_vector("priors", priors)
    _checks.check_probability_vector("priors", priors)
    errors = _checks.as_float_vector("errors", errors, priors.size)
    _checks.check_unit_interval("errors", errors)
    step = _as_step(step)
    updated = priors * errors**step
    total = updated.sum()
    if total == 0:
        return priors.copy()
    return updated / total


def iterated_drop(measure: Callable, realise: Callable, priors, start, config: IteratedDrop = ITERATED_DROP) -> list:
    """The states of iterated DRoP, ``start`` then one per round.

    Round r = 1..R measures the class errors ``measure(state, r - 1)`` (shaped like
    ``priors``) of the state reached, updates the target priors (..., K) row by row with
    :func:`iterated_drop_update` and realises them from that state as the next one,
    ``realise(priors, state, r)``.
    A state is whatever a world trains on: training priors (population limits), class counts
    of many seeds and densities at once (Monte Carlo), kept indices (the bridge).
    """
    priors = np.asarray(priors, dtype=np.float64)
    states = [start]
    for round_ in range(1, config.rounds + 1):
        errors = np.asarray(measure(states[-1], round_ - 1), dtype=np.float64)
        rows = [iterated_drop_update(p, e, step=config.step)
                for p, e in zip(priors.reshape(-1, priors.shape[-1]), errors.reshape(-1, priors.shape[-1]))]
        priors = np.reshape(rows, priors.shape)
        states.append(realise(priors, states[-1], round_))
    return states


def realised_priors(data_priors, density: float, weights, semantics: str) -> np.ndarray:
    """Training priors of the allocator's quotas at dataset density ``density``, with the
    data's class priors as capacities (n -> infinity)."""
    quotas = water_fill(np.asarray(data_priors), weights, density, semantics)
    return quotas / quotas.sum()


def one_step_drop_priors(risks_at: Callable, data_priors, density: float, semantics: str = "density") -> np.ndarray:
    """One DRoP step (paper, Algorithm 1) for any model: quotas proportional to the class
    risks ``risks_at(data_priors)`` of the rule trained on the full data."""
    return realised_priors(data_priors, density, risks_at(np.asarray(data_priors)), semantics)


def iterated_drop_trajectory(risks_at: Callable, data_priors, density: float,
                             config: IteratedDrop = ITERATED_DROP) -> np.ndarray:
    """Training priors (rounds + 1, K) of iterated DRoP for any model as n -> infinity, round
    0 being the data's: each round measures ``risks_at(priors)`` of the rule trained at the
    current training priors and realises the updated target at density d (count semantics)."""
    data_priors = np.asarray(data_priors, dtype=np.float64)
    return np.array(iterated_drop(lambda priors, _: risks_at(priors),
                                  lambda target, *_: realised_priors(data_priors, density, target, "count"),
                                  data_priors, data_priors, config))


def class_errors(predictions, labels, num_classes: int):
    """Validation error rates e_k = 1 - recall_k, shape (..., K): the fraction of the class-k
    samples of ``labels`` (n,) that ``predictions`` (..., n) get wrong; NaN for a class with
    no sample."""
    members = jnp.asarray(labels)[:, None] == jnp.arange(num_classes)
    wrong = jnp.asarray(predictions) != jnp.asarray(labels)
    return jnp.sum(wrong[..., None] & members, axis=-2) / jnp.sum(members, axis=0)


def smoothed_errors(recalls, validation_sizes) -> np.ndarray:
    """Class error estimates (wrong_k + 1) / (n_k + 2) from validation recalls.

    The rule of succession (the posterior mean under a uniform prior) rather than the raw
    error: with small validation sets a class can show no error at all, and DRoP's
    error-proportional quotas would then drop that class entirely.
    """
    sizes = np.asarray(validation_sizes, dtype=np.float64)
    return ((1 - np.asarray(recalls, dtype=np.float64)) * sizes + 1) / (sizes + 2)
