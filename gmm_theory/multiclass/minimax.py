"""Worst-class optimal training priors: min over the simplex of max_k R_k(classifier(pi')).

The iteration is iterated DRoP in log space (THEORY.md 1.4 and 2): with theta = ln pi',

    theta_k <- theta_k + step (ln R_k - sum_j pi'_j ln R_j),   pi' = softmax(theta),

which moves weight to the classes with the larger risk until every class has the same risk,
the minimax point when each risk decreases in its own prior (as for LDA, whose training
priors enter only through the biases ln pi'_k).  Risks are computed with one fixed key
(common random numbers), so the iteration is deterministic.  The certificate is the spread
max_k R_k - min_k R_k at the solution.

Pruning can only realise priors with d pi'_k <= pi_k; :func:`realisable_minimax` solves the
problem on that set, where the worst class may be a capped one.
"""

from __future__ import annotations

import functools
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from scipy import optimize

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


class RealisableMinimax(NamedTuple):
    """Training priors (K,) minimising the worst class risk over the realisable set, their class
    risks (K,), and the certificate ``gap``: how much the linearised problem at the solution
    could still lower the worst risk (0 at a first-order KKT point)."""

    priors: np.ndarray
    risks: np.ndarray
    gap: float


def realisable_minimax(risks_at: Callable, jacobian_at: Callable, start, caps, *, iterations: int = 100,
                       radius: float = 0.5, tolerance: float = 1e-7) -> RealisableMinimax:
    """min over {pi' in the simplex, pi'_k <= caps_k} of max_k R_k(pi') by sequential linear
    programming with a trust region, from the realisable priors ``start``.

    Each step solves, with J = dR/dpi' (``jacobian_at``), the linear program
        min_{delta, t} t   s.t.  R + J delta <= t,  sum delta = 0,  0 <= pi' + delta <= caps,
                               |delta_k| <= radius pi'_k
    (scipy's HiGHS), accepts the step when the true worst risk falls by at least a quarter of
    the predicted fall (doubling the radius) and halves the radius otherwise.  The relative
    trust region keeps every prior positive.  The fixed point of iterated DRoP is such a KKT
    point when no class is capped; when a capped class has the largest risk it is not, and
    this solver moves the other classes' priors to lower it.
    """
    priors = np.asarray(start, dtype=np.float64)
    caps = np.asarray(caps, dtype=np.float64)
    if np.any(priors <= 0) or np.any(priors > caps * (1 + 1e-12)) or not np.isclose(priors.sum(), 1.0):
        raise ValueError(f"start must be positive priors summing to 1 with start <= caps, got {priors}")
    risks = np.asarray(risks_at(priors))
    k = priors.size
    gap = np.inf
    for _ in range(iterations):
        jacobian = np.asarray(jacobian_at(priors))
        bounds = [(max(-radius * p, -p), min(radius * p, c - p)) for p, c in zip(priors, caps)]
        program = optimize.linprog(np.r_[np.zeros(k), 1.0], A_ub=np.c_[jacobian, -np.ones(k)], b_ub=-risks,
                                   A_eq=np.r_[np.ones(k), 0.0][None], b_eq=[0.0], bounds=bounds + [(None, None)],
                                   method="highs")
        if program.status != 0:
            raise RuntimeError(f"the linear program of the minimax step failed: {program.message}")
        gap = risks.max() - program.x[-1]
        if gap < tolerance:
            break
        trial = priors + program.x[:k]
        trial_risks = np.asarray(risks_at(trial))
        if risks.max() - trial_risks.max() >= 0.25 * gap:
            priors, risks, radius = trial, trial_risks, min(2 * radius, 0.5)
        else:
            radius /= 2
    return RealisableMinimax(priors, risks, float(gap))
