"""gmm_theory: data pruning and worst-class risk in Gaussian mixtures.

Closed forms, Monte Carlo and a shared class-quota allocator, after Vysogorets, Ahuja and
Kempe, "DRoP: Distributionally Robust Data Pruning", ICLR 2025.

The top level holds the shared pieces (the allocator, the DRoP drivers) and the two-class
closed forms; each part has its own package with its public names:
:mod:`gmm_theory.twoclass` (closed forms and limits) with :mod:`gmm_theory.twoclass.montecarlo`,
:mod:`gmm_theory.highdim`, :mod:`gmm_theory.multiclass`, :mod:`gmm_theory.bridge` (real data;
the ``bridge`` extra) and :mod:`gmm_theory.figures`.
"""

from gmm_theory.allocate import RULES as RULES
from gmm_theory.allocate import SEMANTICS as SEMANTICS
from gmm_theory.allocate import Allocation as Allocation
from gmm_theory.allocate import allocate as allocate
from gmm_theory.allocate import rule_weights as rule_weights
from gmm_theory.allocate import water_fill as water_fill
from gmm_theory.drop import ITERATED_DROP as ITERATED_DROP
from gmm_theory.drop import POLICIES as POLICIES
from gmm_theory.drop import IteratedDrop as IteratedDrop
from gmm_theory.drop import class_errors as class_errors
from gmm_theory.drop import iterated_drop as iterated_drop
from gmm_theory.drop import iterated_drop_trajectory as iterated_drop_trajectory
from gmm_theory.drop import iterated_drop_update as iterated_drop_update
from gmm_theory.drop import one_step_drop_priors as one_step_drop_priors
from gmm_theory.drop import realised_priors as realised_priors
from gmm_theory.drop import smoothed_errors as smoothed_errors
from gmm_theory.twoclass.mixture import TwoClassMixture as TwoClassMixture
from gmm_theory.twoclass.mixture import sample as sample
from gmm_theory.twoclass.optimal import interior_threshold as interior_threshold
from gmm_theory.twoclass.optimal import risk_minimising_threshold as risk_minimising_threshold
from gmm_theory.twoclass.optimal import std_proportional_priors as std_proportional_priors
from gmm_theory.twoclass.optimal import trained_worst_class_risk as trained_worst_class_risk
from gmm_theory.twoclass.optimal import worst_class_optimal_priors as worst_class_optimal_priors
from gmm_theory.twoclass.optimal import worst_class_optimal_risk as worst_class_optimal_risk
from gmm_theory.twoclass.optimal import worst_class_threshold as worst_class_threshold
from gmm_theory.twoclass.pruned_law import ssp_kept_fractions as ssp_kept_fractions
from gmm_theory.twoclass.pruned_law import ssp_threshold as ssp_threshold
from gmm_theory.twoclass.pruned_law import ssp_training_priors as ssp_training_priors
from gmm_theory.twoclass.pruned_law import ssp_training_risk as ssp_training_risk
from gmm_theory.twoclass.pruned_law import training_priors as training_priors
from gmm_theory.twoclass.risk import average_risk as average_risk
from gmm_theory.twoclass.risk import class_risks as class_risks
from gmm_theory.twoclass.risk import linear_class_risks as linear_class_risks
from gmm_theory.twoclass.risk import worst_class_risk as worst_class_risk
from gmm_theory.twoclass.surrogate import least_squares_threshold as least_squares_threshold

__version__ = "0.1.0"

__all__ = [
    "ITERATED_DROP", "POLICIES", "RULES", "SEMANTICS", "Allocation", "IteratedDrop", "TwoClassMixture", "allocate",
    "average_risk", "class_errors", "class_risks", "interior_threshold", "iterated_drop", "iterated_drop_trajectory",
    "iterated_drop_update", "least_squares_threshold", "linear_class_risks", "one_step_drop_priors",
    "realised_priors", "risk_minimising_threshold", "rule_weights", "sample", "smoothed_errors",
    "ssp_kept_fractions", "ssp_threshold", "ssp_training_priors", "ssp_training_risk", "std_proportional_priors",
    "trained_worst_class_risk", "training_priors", "water_fill", "worst_class_optimal_priors",
    "worst_class_optimal_risk", "worst_class_risk", "worst_class_threshold",
]
