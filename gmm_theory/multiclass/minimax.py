"""Worst-class optimal training priors: min over the simplex of max_k R_k(classifier(pi')).

The iteration is iterated DRoP in log space (THEORY.md 1.4 and 2): with theta = ln pi',

    theta_k <- theta_k + step (ln R_k - sum_j pi'_j ln R_j),   pi' = softmax(theta),

which moves weight to the classes with the larger risk until every class has the same risk,
the minimax point when each risk decreases in its own prior (as for LDA, whose training
priors enter only through the biases ln pi'_k).  Risks are computed with one fixed key
(common random numbers), so the iteration is deterministic.  The certificate is the spread
max_k R_k - min_k R_k at the solution.
"""

from __future__ import annotations

import functools
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp

from gmm_theory.multiclass.classifiers import lda_classifier
from gmm_theory.multiclass.mixture import KClassMixture
from gmm_theory.multiclass.risk import class_risks


class MinimaxPriors(NamedTuple):
    """Training priors (K,), the class risks (K,) of the classifier trained at them, their
    quadrature error bounds, and the certificate ``spread`` = max R_k - min R_k."""

    priors: jax.Array
    risks: jax.Array
    bounds: jax.Array
    spread: jax.Array


def equalise_risks(risks_at: Callable, initial_priors, *, steps: int = 200, step: float = 0.5) -> MinimaxPriors:
    """Iterate the log-space update from ``initial_priors``; ``risks_at(priors)`` returns the
    class risks (K,) and their error bounds (K,) of the rule trained at ``priors``."""

    def update(theta, _):
        log_risks = jnp.log(jnp.maximum(risks_at(jax.nn.softmax(theta))[0], jnp.finfo(theta.dtype).tiny))
        return theta + step * (log_risks - jax.nn.softmax(theta) @ log_risks), None

    theta, _ = jax.lax.scan(update, jnp.log(jnp.asarray(initial_priors)), None, length=steps)
    priors = jax.nn.softmax(theta)
    risks, bounds = risks_at(priors)
    return MinimaxPriors(priors, risks, bounds, jnp.max(risks) - jnp.min(risks))


@functools.partial(jax.jit, static_argnames=("classifier", "steps", "points", "shifts"))
def minimax_priors(mixture: KClassMixture, key, *, classifier: Callable = lda_classifier, steps: int = 200,
                   step: float = 0.5, points: int = 2048, shifts: int = 8) -> MinimaxPriors:
    """Worst-class optimal training priors on ``mixture`` of ``classifier`` (a function of the
    training mixture returning a :class:`~gmm_theory.multiclass.classifiers.LinearClassifier`;
    the LDA rule by default)."""

    def risks_at(priors):
        return class_risks(mixture, classifier(mixture.with_priors(priors)), key, points, shifts)

    return equalise_risks(risks_at, mixture.priors, steps=steps, step=step)
