"""Class-quota allocators in the K-class model, as n -> infinity (the two-class model of
the DRoP paper, Section 4, extended to K classes).

Random pruning inside classes only changes the training priors, so an allocator at dataset
density d is the training priors it realises, and its class risks are those of the linear
classifier trained at those priors, on the mixture's own (test) law.  Quotas come from the
shared allocator (:func:`gmm_theory.allocate.water_fill` with the class priors as
capacities), and the DRoP policies run the same drivers as the two-class limits
(:mod:`gmm_theory.drop`):

- ``stratified``: the data's own priors;
- ``drop``: one DRoP step, kept *fraction* proportional to the full-data class risk (the
  paper's Algorithm 1, ``semantics="density"``) or kept *number* proportional to it (the
  official code, ``semantics="count"``);
- ``iterated-drop``: rounds (:data:`gmm_theory.drop.ITERATED_DROP`) of ``pi <- pi R**step / Z``,
  each with a new query rule trained at the realised priors;
- ``adjusted`` (new): one query, then the worst-class optimal realisable *logit adjustment*
  of the query rule: the scores W x + b + ln(pi' / pi) of the rule trained on the full
  data, with pi' found by the solver of ``optimal`` on these adjusted risks (Menon et al.,
  ICLR 2021, for logit adjustment).  For the LDA rule with equal class
  covariances the adjusted rule *is* the LDA rule trained at pi', so one query reaches the
  optimum; with unequal covariances the pooled covariance, and so W, also move with pi';
- ``optimal``: the worst-class optimal realisable priors (d pi'_k <= pi_k), :func:`optimal_priors`.
  When no class is capped they equalise the class risks, as
  :func:`gmm_theory.multiclass.minimax.minimax_priors`.

Realisation always goes through the shared allocator in count semantics
(:func:`gmm_theory.drop.realised_priors`), the projection onto what density d allows.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from gmm_theory import _checks
from gmm_theory.drop import ITERATED_DROP, IteratedDrop, check_policy, iterated_drop_trajectory, one_step_drop_priors
from gmm_theory.multiclass.classifiers import LinearClassifier, lda_classifier, least_squares_classifier
from gmm_theory.multiclass.minimax import RealisableMinimax, realisable_minimax
from gmm_theory.multiclass.mixture import KClassMixture
from gmm_theory.multiclass.risk import class_risks, class_risks_and_gradients

ALLOCATORS = ("stratified", "drop", "iterated-drop", "adjusted", "optimal")
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


def _rule(mixture, training_priors, classifier: str, query_rule: LinearClassifier | None) -> LinearClassifier:
    """The classifier trained at ``training_priors``, or, given the full-data ``query_rule``,
    its logit adjustment by ln(pi' / pi)."""
    if query_rule is None:
        return CLASSIFIERS[classifier](mixture.with_priors(training_priors))
    shift = jnp.log(training_priors) - jnp.log(mixture.priors)
    return LinearClassifier(query_rule.weights, query_rule.biases + shift)


@functools.partial(jax.jit, static_argnames=("classifier", "points", "shifts"))
def _risks(mixture, training_priors, key, classifier, points, shifts, query_rule=None):
    return class_risks(mixture, _rule(mixture, training_priors, classifier, query_rule), key, points, shifts)


@functools.partial(jax.jit, static_argnames=("classifier", "points", "shifts"))
def _risks_and_jacobian(mixture, training_priors, key, classifier, points, shifts, query_rule=None):
    """Class risks (K,), their error bounds (K,) and dR_k / dpi'_j (K, K) of the rule trained at
    (or adjusted to) ``training_priors``, by reverse mode
    (:func:`gmm_theory.multiclass.risk.class_risks_and_gradients`) with the quadrature's
    shifts fixed (common random numbers)."""
    return class_risks_and_gradients(mixture, lambda priors: _rule(mixture, priors, classifier, query_rule),
                                     training_priors, key, points, shifts)


def trained_class_risks(mixture: KClassMixture, training_priors, quadrature: Quadrature,
                        classifier: str = "lda") -> tuple[np.ndarray, np.ndarray]:
    """Class risks (K,) on ``mixture`` and their error bounds of ``classifier`` trained on the
    same class laws with priors ``training_priors``."""
    risks, bounds = _risks(mixture, jnp.asarray(training_priors), *_quadrature_args(quadrature, classifier))
    return np.asarray(risks), np.asarray(bounds)


def _quadrature_args(quadrature: Quadrature, classifier: str) -> tuple:
    return quadrature.key, classifier, quadrature.points, quadrature.shifts


def optimal_priors(mixture: KClassMixture, density: float, quadrature: Quadrature, classifier: str = "lda", *,
                   adjust: bool = False, rounds: int = 10) -> RealisableMinimax:
    """The realisable worst-class optimal training priors at density d (d pi'_k <= pi_k) of
    the classifier trained at them or, with ``adjust``, of the logit-adjusted full-data rule.

    ``rounds`` of iterated DRoP (step 0.5) start
    :func:`gmm_theory.multiclass.minimax.realisable_minimax`, which linearises the risks with
    their reverse-mode Jacobian and stops when the linearised gap is below 1 % of the
    largest quadrature error bound of the risks at the start (and at least 1e-7): a smaller
    gap would be below the quadrature noise.
    """
    data_priors = np.asarray(mixture.priors)
    args = (*_quadrature_args(quadrature, classifier), CLASSIFIERS[classifier](mixture) if adjust else None)

    def risks_at(priors):
        return _risks(mixture, jnp.asarray(priors), *args)

    def linearise(priors):
        risks, _, jacobian = _risks_and_jacobian(mixture, jnp.asarray(priors), *args)
        return np.asarray(risks), np.asarray(jacobian)

    start = iterated_drop_trajectory(lambda p: np.asarray(risks_at(p)[0]), data_priors, density,
                                     IteratedDrop(rounds, 0.5))[-1]
    tolerance = max(1e-7, 0.01 * float(np.max(risks_at(start)[1])))
    return realisable_minimax(linearise, start, data_priors / density, tolerance=tolerance)


def allocate_model(mixture: KClassMixture, densities, quadrature: Quadrature, *, classifier: str = "lda",
                   allocators=ALLOCATORS, semantics: str = "density", config: IteratedDrop = ITERATED_DROP,
                   solver_rounds: int = 10) -> dict[str, Allocated]:
    """Every allocator's training priors and class risks at each density (D,).

    ``semantics`` is one-step DRoP's (:func:`gmm_theory.allocate.water_fill`); ``config`` sets
    iterated DRoP's rounds and step (one query model per round, as on real data);
    ``solver_rounds`` the rounds that start the solver of ``adjusted`` and ``optimal``
    (:func:`optimal_priors`).
    """
    _checks.check_choice("classifier", classifier, tuple(CLASSIFIERS))
    for name in allocators:
        check_policy(name, ALLOCATORS)
    densities = [_checks.as_density("density", d) for d in np.atleast_1d(densities)]
    data_priors = np.asarray(mixture.priors)

    def risks_at(priors):
        return trained_class_risks(mixture, priors, quadrature, classifier)[0]

    def priors_at(name, density):
        if name == "stratified":
            return data_priors
        if name == "drop":
            return one_step_drop_priors(risks_at, data_priors, density, semantics=semantics)
        if name == "iterated-drop":
            return iterated_drop_trajectory(risks_at, data_priors, density, config)[-1]
        return optimal_priors(mixture, density, quadrature, classifier, adjust=name == "adjusted",
                              rounds=solver_rounds).priors

    results = {}
    for name in allocators:
        priors = np.array([priors_at(name, d) for d in densities])
        risks, bounds = zip(*(trained_class_risks(mixture, p, quadrature, classifier) for p in priors))
        results[name] = Allocated(priors, np.array(risks), np.array(bounds))
    return results


def worst_class_regrets(mixture: KClassMixture, density: float, quadrature: Quadrature, *,
                        classifier: str = "lda", **options) -> dict[str, float]:
    """Each allocator's worst-class risk minus that of ``optimal`` at ``density``."""
    allocated = allocate_model(mixture, [density], quadrature, classifier=classifier, **options)
    best = float(allocated["optimal"].worst_class_risk()[0])
    return {name: float(result.worst_class_risk()[0]) - best for name, result in allocated.items() if name != "optimal"}
