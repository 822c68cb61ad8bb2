"""The two-class model (DRoP paper, Section 4): x | y = k ~ N(mu_k, sigma_k^2) and threshold
or linear rules, in closed form and as population limits.

- :mod:`~gmm_theory.twoclass.mixture`, :mod:`~gmm_theory.twoclass.risk`: the model and the class risks of a rule;
- :mod:`~gmm_theory.twoclass.optimal`, :mod:`~gmm_theory.twoclass.surrogate`: risk-minimising and worst-class
  optimal rules, and the population least-squares and logistic rules;
- :mod:`~gmm_theory.twoclass.pruned_law`: what pruning does to the training law;
- :mod:`~gmm_theory.twoclass.learners`: each learner's finite-sample fit beside its population twin;
- :mod:`~gmm_theory.twoclass.limits`, :mod:`~gmm_theory.twoclass.landscape`: the pruning policies as n -> infinity
  and the landscape over training priors;
- :mod:`~gmm_theory.twoclass.symbolic`: the sympy derivations (imported on demand);
- :mod:`~gmm_theory.twoclass.montecarlo`: the finite-sample twin of all of it.
"""

from gmm_theory.twoclass.landscape import allocations_for_priors as allocations_for_priors
from gmm_theory.twoclass.landscape import best_allocations as best_allocations
from gmm_theory.twoclass.landscape import feasible_prior_range as feasible_prior_range
from gmm_theory.twoclass.landscape import iso_density_allocations as iso_density_allocations
from gmm_theory.twoclass.landscape import prior_curve as prior_curve
from gmm_theory.twoclass.learners import LEARNERS as LEARNERS
from gmm_theory.twoclass.learners import LOGISTIC_L2 as LOGISTIC_L2
from gmm_theory.twoclass.learners import Learner as Learner
from gmm_theory.twoclass.learners import fit_allocations as fit_allocations
from gmm_theory.twoclass.learners import get_learner as get_learner
from gmm_theory.twoclass.learners import least_squares as least_squares
from gmm_theory.twoclass.learners import logistic as logistic
from gmm_theory.twoclass.learners import plugin as plugin
from gmm_theory.twoclass.learners import threshold_erm as threshold_erm
from gmm_theory.twoclass.limits import drop_priors as drop_priors
from gmm_theory.twoclass.limits import iterated_drop_priors as iterated_drop_priors
from gmm_theory.twoclass.limits import optimal_quota_priors as optimal_quota_priors
from gmm_theory.twoclass.limits import policy_class_risks as policy_class_risks
from gmm_theory.twoclass.limits import policy_priors as policy_priors
from gmm_theory.twoclass.limits import population_rule as population_rule
from gmm_theory.twoclass.limits import ssp_margin as ssp_margin
from gmm_theory.twoclass.limits import trained_class_risks as trained_class_risks
from gmm_theory.twoclass.mixture import PAPER_MEANS as PAPER_MEANS
from gmm_theory.twoclass.mixture import PAPER_PRIORS as PAPER_PRIORS
from gmm_theory.twoclass.mixture import PAPER_STDS as PAPER_STDS
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
from gmm_theory.twoclass.risk import LinearRule as LinearRule
from gmm_theory.twoclass.risk import average_risk as average_risk
from gmm_theory.twoclass.risk import class_risks as class_risks
from gmm_theory.twoclass.risk import linear_class_risks as linear_class_risks
from gmm_theory.twoclass.risk import worst_class_risk as worst_class_risk
from gmm_theory.twoclass.surrogate import least_squares_rule as least_squares_rule
from gmm_theory.twoclass.surrogate import least_squares_threshold as least_squares_threshold
from gmm_theory.twoclass.surrogate import logistic_rule as logistic_rule

__all__ = [
    "allocations_for_priors",
    "average_risk",
    "best_allocations",
    "class_risks",
    "drop_priors",
    "feasible_prior_range",
    "fit_allocations",
    "get_learner",
    "interior_threshold",
    "iso_density_allocations",
    "iterated_drop_priors",
    "Learner",
    "LEARNERS",
    "least_squares",
    "least_squares_rule",
    "least_squares_threshold",
    "linear_class_risks",
    "LinearRule",
    "logistic",
    "LOGISTIC_L2",
    "logistic_rule",
    "optimal_quota_priors",
    "PAPER_MEANS",
    "PAPER_PRIORS",
    "PAPER_STDS",
    "plugin",
    "policy_class_risks",
    "policy_priors",
    "population_rule",
    "prior_curve",
    "risk_minimising_threshold",
    "sample",
    "ssp_kept_fractions",
    "ssp_margin",
    "ssp_threshold",
    "ssp_training_priors",
    "ssp_training_risk",
    "std_proportional_priors",
    "threshold_erm",
    "trained_class_risks",
    "trained_worst_class_risk",
    "training_priors",
    "TwoClassMixture",
    "worst_class_optimal_priors",
    "worst_class_optimal_risk",
    "worst_class_risk",
    "worst_class_threshold",
]
