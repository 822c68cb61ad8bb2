"""Honest comparisons of pruning methods: Monte Carlo at finite n next to the n -> infinity limit.

A method is a within-class pruning rule (:mod:`gmm_theory.twoclass.montecarlo.selection`) plus a class-quota policy
(:mod:`gmm_theory.twoclass.montecarlo.policies`).  Every method sees the same seeds (common random numbers), so
differences between methods are not sampling noise between datasets.  Score-based methods
cut one class-blind ranking, as they do in the paper's experiments (Section 5).

:func:`drop_regret_map` answers how near-optimal DRoP is across mixtures (see
:mod:`gmm_theory.drop`):
the worst-class risk of one-step and iterated DRoP minus the best achievable by choosing
the training priors, in the population limit.
"""

from __future__ import annotations

import dataclasses

import jax
import numpy as np

from gmm_theory.drop import ITERATED_DROP, IteratedDrop
from gmm_theory.twoclass.limits import policy_class_risks
from gmm_theory.twoclass.mixture import TwoClassMixture
from gmm_theory.twoclass.montecarlo.engine import Summary, draw_seeds, evaluate_counts, summarise, summarise_limit
from gmm_theory.twoclass.montecarlo.policies import policy_counts
from gmm_theory.twoclass.optimal import trained_worst_class_risk, worst_class_optimal_priors


@dataclasses.dataclass(frozen=True)
class Method:
    """A pruning method: a within-class rule (:mod:`gmm_theory.twoclass.montecarlo.selection`)
    and a quota policy (:data:`gmm_theory.drop.POLICIES`); ``has_limit`` when its population
    limit is known (:func:`gmm_theory.twoclass.limits.policy_class_risks`)."""

    prune: str
    policy: str

    @property
    def has_limit(self) -> bool:
        return self.prune == "random" or (self.prune, self.policy) == ("ssp", "class-blind")


METHODS = {
    "Random": Method("random", "stratified"),
    "SSP": Method("ssp", "class-blind"),
    "keep-hard": Method("keep-hard", "class-blind"),
    "keep-easy": Method("keep-easy", "class-blind"),
    "Random+DRoP": Method("random", "drop"),
    "Random+iterated-DRoP": Method("random", "iterated-drop"),
    "Random+optimal": Method("random", "optimal"),
}


def _check_methods(methods) -> None:
    for name in methods:
        if name not in METHODS:
            raise ValueError(f"methods must be drawn from {', '.join(map(repr, METHODS))}, got {name!r}")


def compare_methods(mixture: TwoClassMixture, key: jax.Array, n: int, densities, seeds: int, *,
                    methods=tuple(METHODS), fit: str = "threshold",
                    config: IteratedDrop = ITERATED_DROP) -> dict[str, Summary]:
    """Monte Carlo risks of each method at each dataset density, summarised over seeds.

    Seeds come from ``key`` exactly as in :func:`gmm_theory.twoclass.montecarlo.engine.sweep`; DRoP's
    validation samples from a key derived from it.  ``config`` sets iterated DRoP's rounds
    and step, the same default as :func:`method_limits`.
    """
    _check_methods(methods)
    densities = np.asarray(densities, dtype=np.float64)
    validation_key = jax.random.fold_in(key, 1)
    summaries, samples_by_rule = {}, {}
    for name in methods:
        method = METHODS[name]
        if method.prune not in samples_by_rule:  # methods pruning by the same rule share their draws
            samples_by_rule[method.prune] = draw_seeds(mixture, key, n, seeds, method.prune, fit)
        samples = samples_by_rule[method.prune]
        counts = policy_counts(mixture, validation_key, samples, densities, method.policy, fit=fit, config=config)
        summaries[name] = summarise(mixture, evaluate_counts(mixture, samples, counts, fit))
    return summaries


def method_limits(mixture: TwoClassMixture, densities, *, methods=tuple(METHODS), fit: str = "threshold",
                  config: IteratedDrop = ITERATED_DROP) -> dict[str, Summary]:
    """Population risks of each method with a known limit (others are left out), at each
    density: the n -> infinity twin of :func:`compare_methods`, as exact summaries
    (:func:`gmm_theory.twoclass.montecarlo.engine.summarise_limit`)."""
    _check_methods(methods)
    limits = {}
    for name in methods:
        method = METHODS[name]
        if not method.has_limit or (method.policy == "class-blind" and fit != "threshold"):
            continue
        options = {"config": config} if method.policy == "iterated-drop" else {}
        risks = [policy_class_risks(mixture, d, method.policy, fit=fit, **options) for d in densities]
        limits[name] = summarise_limit(mixture, risks)
    return limits


def regret_mixture(std_ratio: float, gap: float) -> TwoClassMixture:
    """The balanced mixture of a regret-map cell: sigma = (1, std_ratio), mu = (-gap/2, gap/2)."""
    return TwoClassMixture((-gap / 2, gap / 2), (1.0, std_ratio), (0.5, 0.5))


def drop_regret_map(std_ratios, gaps, *, density: float = 0.5,
                    config: IteratedDrop = ITERATED_DROP) -> dict[str, np.ndarray]:
    """Worst-class risks (R, G) over a grid of mixtures :func:`regret_mixture`, population limit.

    Returns the optimum over training priors (``optimal``), and the worst-class risks of
    training on the full data (``full``), after one DRoP step (``drop``) and after iterated
    DRoP (``iterated-drop``), each at dataset density ``density``.  Regret = risk - optimum.
    """
    std_ratios = np.asarray(std_ratios, dtype=np.float64)
    gaps = np.asarray(gaps, dtype=np.float64)
    shape = (std_ratios.size, gaps.size)
    maps = {name: np.empty(shape) for name in ("optimal", "full", "drop", "iterated-drop")}
    for i, ratio in enumerate(std_ratios):
        for j, gap in enumerate(gaps):
            mixture = regret_mixture(ratio, gap)
            maps["optimal"][i, j] = trained_worst_class_risk(mixture, worst_class_optimal_priors(mixture))
            maps["full"][i, j] = policy_class_risks(mixture, density, "stratified").max()
            maps["drop"][i, j] = policy_class_risks(mixture, density, "drop").max()
            maps["iterated-drop"][i, j] = policy_class_risks(
                mixture, density, "iterated-drop", config=config).max()
    return maps
