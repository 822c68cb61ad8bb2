"""Class-quota allocators in the K-class model, as n -> infinity (THEORY.md sections 2 and 3).

Random pruning inside classes only changes the training priors, so an allocator at dataset
density d is the training priors it realises, and its class risks are those of the linear
classifier trained at those priors, on the mixture's own (test) law.  Quotas come from the
shared allocator (:func:`gmm_theory.limits.realised_priors`, i.e.
:func:`gmm_theory.allocate.water_fill` with the class priors as capacities), and the DRoP
policies run the same code as the two-class limits (:mod:`gmm_theory.limits`):

- ``stratified``: the data's own priors;
- ``drop-density``: one DRoP step, kept *fraction* proportional to the full-data class risk
  (the paper's Algorithm 1);
- ``drop-count``: one DRoP step, kept *number* proportional to it (the official code);
- ``iterated-drop``: rounds of ``pi <- pi R**step / Z``, each realised at density d;
- ``adjusted``: one query, then the worst-class optimal *logit adjustment* of the query rule:
  the priors pi' minimising max_k R_k of the scores W x + b + ln(pi' / pi) of the rule
  trained on the full data (Menon et al., ICLR 2021, for the adjustment).  For the LDA rule
  with equal class covariances the adjusted rule is the LDA rule trained at pi', so this is
  the optimum from a single query; otherwise it approximates it;
- ``optimal``: the worst-class optimal training priors (:func:`gmm_theory.multiclass.minimax.minimax_priors`).

Targets of ``adjusted`` and ``optimal`` are realised in count semantics, capped by what
density d allows.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from gmm_theory import _checks
from gmm_theory.limits import iterated_drop_trajectory, one_step_drop_priors, realised_priors
from gmm_theory.multiclass.classifiers import LinearClassifier, lda_classifier, least_squares_classifier
from gmm_theory.multiclass.minimax import equalise_risks, minimax_priors
from gmm_theory.multiclass.mixture import KClassMixture
from gmm_theory.multiclass.risk import class_risks

ALLOCATORS = ("stratified", "drop-density", "drop-count", "iterated-drop", "adjusted", "optimal")
CLASSIFIERS = {"lda": lda_classifier, "least-squares": least_squares_classifier}


class Quadrature(NamedTuple):
    """Orthant-probability settings shared by every risk of one comparison: a fixed key
    (common random numbers), lattice ``points`` and random ``shifts``."""

    key: jax.Array
    points: int = 1024
    shifts: int = 8


class Allocated(NamedTuple):
    """Training priors (D, K) of one allocator at each density, the class risks (D, K) of the
    classifier trained at them, and the risks' quadrature error bounds (D, K)."""

    priors: np.ndarray
    class_risks: np.ndarray
    bounds: np.ndarray

    def worst_class_risk(self) -> np.ndarray:
        return self.class_risks.max(axis=-1)

    def average_risk(self, test_priors) -> np.ndarray:
        """sum_k pi_k R_k under the test priors pi."""
        return self.class_risks @ np.asarray(test_priors)


def _check_choice(name: str, value: str, allowed) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}, got {value!r}")


@functools.partial(jax.jit, static_argnames=("classifier", "points", "shifts"))
def _trained_risks(mixture, training_priors, key, classifier, points, shifts):
    rule = CLASSIFIERS[classifier](mixture.with_priors(training_priors))
    return class_risks(mixture, rule, key, points, shifts)


@functools.partial(jax.jit, static_argnames=("points", "shifts"))
def _adjusted_risks(mixture, rule: LinearClassifier, shift, key, points, shifts):
    return class_risks(mixture, LinearClassifier(rule.weights, rule.biases + shift), key, points, shifts)


def trained_class_risks(mixture: KClassMixture, training_priors, quadrature: Quadrature,
                        classifier: str = "lda") -> tuple[np.ndarray, np.ndarray]:
    """Class risks (K,) on ``mixture`` and their error bounds of ``classifier`` trained on the
    same class laws with priors ``training_priors``."""
    risks, bounds = _trained_risks(mixture, jnp.asarray(training_priors), quadrature.key, classifier,
                                   quadrature.points, quadrature.shifts)
    return np.asarray(risks), np.asarray(bounds)


def adjusted_priors(mixture: KClassMixture, quadrature: Quadrature, classifier: str = "lda", *,
                    steps: int = 200, step: float = 0.5) -> np.ndarray:
    """Target priors of ``adjusted``: the worst-class optimal logit adjustment ln(pi'/pi) of
    the rule trained on the full data (:func:`gmm_theory.multiclass.minimax.equalise_risks`)."""
    rule = CLASSIFIERS[classifier](mixture)
    log_priors = jnp.log(mixture.priors)

    def risks_at(priors):
        return _adjusted_risks(mixture, rule, jnp.log(priors) - log_priors, *quadrature)

    return np.asarray(equalise_risks(risks_at, mixture.priors, steps=steps, step=step).priors)


def optimal_priors(mixture: KClassMixture, quadrature: Quadrature, classifier: str = "lda", *,
                   steps: int = 200, step: float = 0.5) -> np.ndarray:
    """Target priors of ``optimal``: the worst-class optimal training priors."""
    return np.asarray(minimax_priors(mixture, quadrature.key, classifier=CLASSIFIERS[classifier], steps=steps,
                                     step=step, points=quadrature.points, shifts=quadrature.shifts).priors)


def allocate_model(mixture: KClassMixture, densities, quadrature: Quadrature, *, classifier: str = "lda",
                   allocators=ALLOCATORS, rounds: int = 30, step: float = 0.5,
                   steps: int = 200) -> dict[str, Allocated]:
    """Every allocator's training priors and class risks at each density (D,).

    ``rounds`` and ``step`` drive iterated DRoP; ``steps`` (and ``step``) the minimax solver
    of ``adjusted`` and ``optimal``, whose targets are computed once for all densities.
    """
    _check_choice("classifier", classifier, tuple(CLASSIFIERS))
    for name in allocators:
        _check_choice("allocator", name, ALLOCATORS)
    densities = [_checks.as_density("density", d) for d in np.atleast_1d(densities)]
    data_priors = np.asarray(mixture.priors)

    def risks_at(priors):
        return trained_class_risks(mixture, priors, quadrature, classifier)[0]

    targets = {name: solve(mixture, quadrature, classifier, steps=steps, step=step)
               for name, solve in (("adjusted", adjusted_priors), ("optimal", optimal_priors)) if name in allocators}

    def priors_at(name, density):
        if name == "stratified":
            return data_priors
        if name.startswith("drop-"):
            return one_step_drop_priors(risks_at, data_priors, density, semantics=name.removeprefix("drop-"))
        if name == "iterated-drop":
            return iterated_drop_trajectory(risks_at, data_priors, density, rounds=rounds, step=step)[-1]
        return realised_priors(data_priors, density, targets[name], "count")

    results = {}
    for name in allocators:
        priors = np.array([priors_at(name, d) for d in densities])
        risks, bounds = zip(*(trained_class_risks(mixture, p, quadrature, classifier) for p in priors))
        results[name] = Allocated(priors, np.array(risks), np.array(bounds))
    return results
