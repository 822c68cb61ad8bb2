"""Population limits (n -> infinity) of the pruning policies, on one shared allocator.

Random pruning inside classes only changes the training priors (DRoP paper, Section 4), so in the
limit a policy is the training priors it produces at dataset density d, and its class
risks are those of the population rule trained at those priors.  The class quotas come
from :func:`gmm_theory.allocate.water_fill` with the class priors as capacities and d as the
budget: the same allocator the Monte Carlo engine and the CNN bridge call, through the DRoP
drivers of :mod:`gmm_theory.drop` that the K-class model and the bridge run too.

- ``stratified``: the data's own priors;
- ``drop``: one DRoP step (paper, Algorithm 1): quotas proportional to the class errors of
  the rule trained on the full data;
- ``iterated-drop``: rounds of ``pi <- pi e**step / Z`` on the target priors, each realised
  by the allocator at density d (:func:`gmm_theory.drop.iterated_drop`);
- ``optimal``: the worst-class optimal priors (std-proportional in the paper's case), as
  near as density d allows;
- ``class-blind``: SSP margin pruning (paper B.3), one cut over both classes with the margin
  that keeps density d.
"""

from __future__ import annotations

from typing import Callable

import jax
import numpy as np
from scipy.optimize import brentq

from gmm_theory import _checks
from gmm_theory.drop import (
    ITERATED_DROP,
    IteratedDrop,
    check_policy,
    iterated_drop_trajectory,
    one_step_drop_priors,
    realised_priors,
)
from gmm_theory.twoclass.learners import get_learner
from gmm_theory.twoclass.mixture import TwoClassMixture
from gmm_theory.twoclass.optimal import worst_class_optimal_priors
from gmm_theory.twoclass.pruned_law import ssp_kept_fractions, ssp_threshold
from gmm_theory.twoclass.risk import LinearRule, class_risks, linear_class_risks

SUPPORTED_POLICIES = ("stratified", "drop", "iterated-drop", "optimal", "class-blind")


def population_rule(mixture: TwoClassMixture, fit: str = "threshold") -> LinearRule:
    """The n -> infinity limit of ``fit`` trained on data drawn from ``mixture``: the
    population twin of the learner (:data:`gmm_theory.twoclass.learners.LEARNERS`)."""
    return get_learner(fit).population(mixture)


def trained_class_risks(mixture: TwoClassMixture, training_priors, fit: str = "threshold") -> jax.Array:
    """Class risks (2,) on ``mixture`` of the population rule of ``fit`` trained on the same
    class laws with priors ``training_priors``."""
    rule = population_rule(mixture.with_priors(training_priors), fit)
    return linear_class_risks(mixture, *rule)


def _risks_at(mixture: TwoClassMixture, fit: str) -> Callable:
    return lambda training_priors: np.asarray(trained_class_risks(mixture, np.asarray(training_priors), fit))


def drop_priors(mixture: TwoClassMixture, density: float, *, semantics: str = "density",
                fit: str = "threshold") -> np.ndarray:
    """Training priors of one DRoP step: quotas proportional to the full-data class errors."""
    return one_step_drop_priors(_risks_at(mixture, fit), mixture.priors, density, semantics)


def iterated_drop_priors(mixture: TwoClassMixture, density: float, config: IteratedDrop = ITERATED_DROP, *,
                         fit: str = "threshold") -> np.ndarray:
    """Training priors (rounds + 1, 2) of iterated DRoP (:func:`gmm_theory.drop.iterated_drop_trajectory`)."""
    return iterated_drop_trajectory(_risks_at(mixture, fit), mixture.priors, density, config)


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


def policy_priors(mixture: TwoClassMixture, density: float, policy: str, *, fit: str = "threshold",
                  semantics: str = "density", config: IteratedDrop = ITERATED_DROP) -> np.ndarray:
    """Training priors of a random-pruning ``policy`` at dataset density ``density``: any of
    :data:`SUPPORTED_POLICIES` but ``class-blind``, whose limit is known for SSP only."""
    check_policy(policy, SUPPORTED_POLICIES[:-1])
    if policy == "stratified":
        return np.asarray(mixture.priors, dtype=np.float64)
    if policy == "drop":
        return drop_priors(mixture, density, semantics=semantics, fit=fit)
    if policy == "iterated-drop":
        return iterated_drop_priors(mixture, density, config, fit=fit)[-1]
    return optimal_quota_priors(mixture, density)


def policy_class_risks(mixture: TwoClassMixture, density: float, policy: str, *, fit: str = "threshold",
                       **options) -> np.ndarray:
    """Class risks (2,) on the test law of ``policy`` at dataset density d, as n -> infinity.

    ``class-blind`` is SSP's class-blind margin cut: the 0-1 risk minimiser of the SSP-pruned
    law (threshold fit only); the other policies train ``fit`` at :func:`policy_priors`.
    """
    check_policy(policy, SUPPORTED_POLICIES)
    if policy == "class-blind":
        if fit != "threshold":
            raise ValueError(f"the SSP limit is known for fit='threshold' only, got fit={fit!r}")
        return np.asarray(class_risks(mixture, ssp_threshold(mixture, ssp_margin(mixture, density))))
    return np.asarray(trained_class_risks(mixture, policy_priors(mixture, density, policy, fit=fit, **options), fit))
