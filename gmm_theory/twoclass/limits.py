"""Population limits (n -> infinity) of the pruning policies, on one shared allocator.

Random pruning inside classes only changes the training priors (THEORY.md 1.3), so in the
limit a policy is the training priors it produces at dataset density d, and its class
risks are those of the population rule trained at those priors.  The class quotas come
from :func:`gmm_theory.allocate.water_fill` with the class priors as capacities and d as the
budget: the same allocator the Monte Carlo engine and the CNN bridge call.  The DRoP
policies take any map from training priors to class risks, so the K-class model
(:mod:`gmm_theory.multiclass.allocators`) runs the same code.

- ``stratified``: the data's own priors;
- ``drop``: one DRoP step (paper, Algorithm 1): quotas proportional to the class errors of
  the rule trained on the full data;
- ``iterated-drop``: rounds of ``pi <- pi e**step / Z`` on the target priors, each realised
  by the allocator at density d (THEORY.md 1.4);
- ``optimal``: the worst-class optimal priors (std-proportional in the paper's case), as
  near as density d allows;
- ``ssp``: class-blind SSP margin pruning (paper B.3) with the margin that keeps density d.
"""

from __future__ import annotations

from typing import Callable

import jax
import numpy as np
from scipy.optimize import brentq

from gmm_theory import _checks
from gmm_theory.allocate import iterated_drop_update, water_fill
from gmm_theory.twoclass.learners import LOGISTIC_L2, get_fit
from gmm_theory.twoclass.mixture import TwoClassMixture
from gmm_theory.twoclass.optimal import risk_minimising_threshold, worst_class_optimal_priors
from gmm_theory.twoclass.pruned_law import ssp_kept_fractions, ssp_threshold
from gmm_theory.twoclass.risk import LinearRule, class_risks, linear_class_risks
from gmm_theory.twoclass.surrogate import least_squares_rule, logistic_rule

LIMIT_POLICIES = ("stratified", "drop", "iterated-drop", "optimal", "ssp")


def population_rule(mixture: TwoClassMixture, fit: str = "threshold") -> LinearRule:
    """The n -> infinity limit of ``fit`` trained on data drawn from ``mixture``.

    t* for ``threshold`` and ``plugin``, the least-squares and logistic (with the fit's
    default L2 weight) population rules otherwise.
    """
    get_fit(fit)
    if fit in ("threshold", "plugin"):
        return LinearRule.threshold(risk_minimising_threshold(mixture))
    if fit == "least-squares":
        return least_squares_rule(mixture)
    return logistic_rule(mixture, LOGISTIC_L2)


def trained_class_risks(mixture: TwoClassMixture, training_priors, fit: str = "threshold") -> jax.Array:
    """Class risks (2,) on ``mixture`` of the population rule of ``fit`` trained on the same
    class laws with priors ``training_priors``."""
    rule = population_rule(mixture.with_priors(training_priors), fit)
    return linear_class_risks(mixture, *rule)


def realised_priors(data_priors, density: float, weights, semantics: str) -> np.ndarray:
    """Training priors of the allocator's quotas at dataset density ``density``, with the
    data's class priors as capacities (n -> infinity)."""
    quotas = water_fill(np.asarray(data_priors), weights, density, semantics)
    return quotas / quotas.sum()


def one_step_drop_priors(risks_at: Callable, data_priors, density: float, semantics: str = "density") -> np.ndarray:
    """One DRoP step (paper, Algorithm 1) for any model: quotas proportional to the class
    risks ``risks_at(data_priors)`` of the rule trained on the full data."""
    return realised_priors(data_priors, density, risks_at(np.asarray(data_priors)), semantics)


def iterated_drop_trajectory(risks_at: Callable, data_priors, density: float, *, rounds: int = 30,
                             step: float = 0.5) -> np.ndarray:
    """Training priors (rounds + 1, K) of iterated DRoP for any model, round 0 being the data's.

    Each round measures the class risks ``risks_at(priors)`` of the rule trained at the
    current training priors, applies :func:`gmm_theory.allocate.iterated_drop_update` to the
    target priors and realises them at density d (count semantics), as the Monte Carlo
    policy does.
    """
    target = np.asarray(data_priors, dtype=np.float64)
    trajectory = [target]
    for _ in range(rounds):
        target = iterated_drop_update(target, risks_at(trajectory[-1]), step=step)
        trajectory.append(realised_priors(data_priors, density, target, "count"))
    return np.array(trajectory)


def _risks_at(mixture: TwoClassMixture, fit: str) -> Callable:
    return lambda training_priors: np.asarray(trained_class_risks(mixture, np.asarray(training_priors), fit))


def drop_priors(mixture: TwoClassMixture, density: float, *, semantics: str = "density",
                fit: str = "threshold") -> np.ndarray:
    """Training priors of one DRoP step: quotas proportional to the full-data class errors."""
    return one_step_drop_priors(_risks_at(mixture, fit), mixture.priors, density, semantics)


def iterated_drop_priors(mixture: TwoClassMixture, density: float, *, rounds: int = 30, step: float = 0.5,
                         fit: str = "threshold") -> np.ndarray:
    """Training priors (rounds + 1, 2) of iterated DRoP (:func:`iterated_drop_trajectory`)."""
    return iterated_drop_trajectory(_risks_at(mixture, fit), mixture.priors, density, rounds=rounds, step=step)


def optimal_quota_priors(mixture: TwoClassMixture, density: float) -> np.ndarray:
    """The worst-class optimal training priors, capped by what density d can realise."""
    return realised_priors(mixture.priors, density, np.asarray(worst_class_optimal_priors(mixture)), "count")


def ssp_margin(mixture: TwoClassMixture, density: float) -> float:
    """The SSP margin M that keeps dataset density d: sum_k phi_k 2 Phi(-M/sigma_k) = d."""
    density = _checks.as_density("density", density)
    if density == 1:
        return 0.0
    priors = np.asarray(mixture.priors)

    def excess(margin):
        return float(priors @ np.asarray(ssp_kept_fractions(mixture, margin))) - density

    high = 1.0
    while excess(high) > 0:
        high *= 2
    return brentq(excess, 0.0, high, xtol=1e-13)


def policy_priors(mixture: TwoClassMixture, density: float, policy: str, **options) -> np.ndarray:
    """Training priors of a random-pruning ``policy`` at dataset density ``density``."""
    if policy == "stratified":
        return np.asarray(mixture.priors, dtype=np.float64)
    if policy == "drop":
        return drop_priors(mixture, density, **options)
    if policy == "iterated-drop":
        return iterated_drop_priors(mixture, density, **options)[-1]
    if policy == "optimal":
        return optimal_quota_priors(mixture, density)
    raise ValueError(f"policy must be one of {', '.join(map(repr, LIMIT_POLICIES))}, got {policy!r}")


def policy_class_risks(mixture: TwoClassMixture, density: float, policy: str, *, fit: str = "threshold",
                       **options) -> np.ndarray:
    """Class risks (2,) on the test law of ``policy`` at dataset density d, as n -> infinity.

    ``ssp`` is the 0-1 risk minimiser of the SSP-pruned law (threshold fit only); the other
    policies train ``fit`` at :func:`policy_priors`.
    """
    if policy == "ssp":
        if fit != "threshold":
            raise ValueError(f"the SSP limit is known for fit='threshold' only, got fit={fit!r}")
        return np.asarray(class_risks(mixture, ssp_threshold(mixture, ssp_margin(mixture, density))))
    if policy in ("drop", "iterated-drop"):
        options["fit"] = fit
    return np.asarray(trained_class_risks(mixture, policy_priors(mixture, density, policy, **options), fit))
