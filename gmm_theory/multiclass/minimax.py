"""Worst-class optimal training priors: min over the simplex of max_k R_k(classifier(pi')).

The iteration is iterated DRoP in log space (:mod:`gmm_theory.drop`, here over K classes): with theta = ln pi',

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
    could still lower the worst risk within the full trust radius (0 at a first-order KKT
    point).  The solver stops once the gap is below its tolerance, so a gap below the
    risks' own quadrature error says no more than that.  ``steps``: the steps tried, each one
    linearisation after the first."""

    priors: np.ndarray
    risks: np.ndarray
    gap: float
    steps: int


def _linearised_step(risks, jacobian, priors, caps, radius: float) -> tuple[np.ndarray, float]:
    """The step delta in theta = ln pi' and the value t of the linear program
    min t s.t. R + J diag(pi') delta <= t, pi' . delta = 0, delta_k <= ln(caps_k / pi'_k),
    |delta_k| <= radius (scipy's HiGHS)."""
    k = priors.size
    bounds = [(-radius, min(radius, np.log(c / p))) for p, c in zip(priors, caps)]
    program = optimize.linprog(np.r_[np.zeros(k), 1.0], A_ub=np.c_[jacobian * priors, -np.ones(k)], b_ub=-risks,
                               A_eq=np.r_[priors, 0.0][None], b_eq=[0.0], bounds=bounds + [(None, None)],
                               method="highs")
    if program.status != 0:
        raise RuntimeError(f"the linear program of the minimax step failed: {program.message}")
    return program.x[:k], float(program.x[-1])


def realisable_minimax(linearise: Callable, start, caps, *, iterations: int = 100, radius: float = 0.5,
                       tolerance: float = 1e-7) -> RealisableMinimax:
    """min over {pi' in the simplex, pi'_k <= caps_k} of max_k R_k(pi') by sequential linear
    programming with a trust region in theta = ln pi', from the realisable priors ``start``.

    ``linearise(priors)`` returns the class risks R (K,) and their Jacobian J = dR/dpi' (K, K).
    Each step solves, at the current trust radius rho, the linear program in the step delta
    of theta (dpi'_k = pi'_k delta_k to first order)

        min_{delta, t} t   s.t.  R + J diag(pi') delta <= t,   sum_k pi'_k delta_k = 0,
                               delta_k <= ln(caps_k / pi'_k),   |delta_k| <= rho

    (scipy's HiGHS) and moves to pi' e^delta / Z, Z = sum_k pi'_k e^delta_k.  Z >= 1 by
    Jensen's inequality, so the caps still hold.  Risks of rules trained at pi' are closer to
    linear in ln pi' than in pi' (the LDA biases are ln pi'_k), which is why the step is
    taken in theta.  A step is accepted when the true worst risk falls by at least a quarter
    of the predicted fall (doubling rho, up to ``radius``); otherwise rho is halved.

    The certificate ``gap`` = max R - t at the full radius rho = ``radius`` is the fall the
    linearisation still promises within the largest step the solver takes; measured at a
    shrunken radius it would shrink with the radius and certify nothing.  It is 0 at a
    first-order KKT point.  The solver stops when it is below ``tolerance``; for risks
    estimated by quadrature set the tolerance to a fraction of their error bound (as
    :func:`gmm_theory.multiclass.allocators.optimal_priors` does), since a linearised gap
    below the quadrature noise means nothing.  The fixed point of iterated DRoP is such a
    KKT point when no class is capped; when a capped class has the largest risk it is not,
    and this solver moves the other classes' priors to lower it.
    """
    priors = np.asarray(start, dtype=np.float64)
    caps = np.asarray(caps, dtype=np.float64)
    if np.any(priors <= 0) or np.any(priors > caps * (1 + 1e-12)) or not np.isclose(priors.sum(), 1.0):
        raise ValueError(f"start must be positive priors summing to 1 with start <= caps, got {priors}")
    if not radius > 0:
        raise ValueError(f"radius must be positive, got {radius}")
    risks, jacobian = map(np.asarray, linearise(priors))
    trust = radius
    for steps in range(iterations + 1):
        step, level = _linearised_step(risks, jacobian, priors, caps, radius)
        gap = risks.max() - level
        if gap < tolerance or steps == iterations:
            break
        if trust < radius:
            step, level = _linearised_step(risks, jacobian, priors, caps, trust)
        trial = priors * np.exp(step)
        trial /= trial.sum()
        trial_risks, trial_jacobian = map(np.asarray, linearise(trial))
        if risks.max() - trial_risks.max() >= 0.25 * (risks.max() - level):
            priors, risks, jacobian, trust = trial, trial_risks, trial_jacobian, min(2 * trust, radius)
        else:
            trust /= 2
    return RealisableMinimax(priors, risks, float(gap), steps)
