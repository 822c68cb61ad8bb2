"""gmm_theory: data pruning and worst-class risk in Gaussian mixtures.

Closed forms, Monte Carlo and a shared class-quota allocator, after Vysogorets, Ahuja and
Kempe, "DRoP: Distributionally Robust Data Pruning", ICLR 2025.

The top level holds the shared pieces (the allocator, the DRoP drivers) and the two-class
closed forms; each part has its own package with its public names:
:mod:`gmm_theory.twoclass` (closed forms and limits) with :mod:`gmm_theory.twoclass.montecarlo`,
:mod:`gmm_theory.highdim`, :mod:`gmm_theory.multiclass`, :mod:`gmm_theory.bridge` (real data;
the ``bridge`` extra) and :mod:`gmm_theory.figures`.
"""

from gmm_theory._lazy import export_lazily

# The two-class names come from gmm_theory.twoclass, which re-exports them.
_TWOCLASS = (
    "TwoClassMixture", "sample", "interior_threshold", "risk_minimising_threshold",
    "std_proportional_priors", "trained_worst_class_risk", "worst_class_optimal_priors",
    "worst_class_optimal_risk", "worst_class_threshold", "ssp_kept_fractions", "ssp_threshold",
    "ssp_training_priors", "ssp_training_risk", "training_priors", "average_risk", "class_risks",
    "linear_class_risks", "worst_class_risk", "least_squares_threshold",
)

export_lazily(__name__, {
    "RULES": "gmm_theory.allocate",
    "SEMANTICS": "gmm_theory.allocate",
    "Allocation": "gmm_theory.allocate",
    "allocate": "gmm_theory.allocate",
    "rule_weights": "gmm_theory.allocate",
    "water_fill": "gmm_theory.allocate",
    "ITERATED_DROP": "gmm_theory.drop",
    "POLICIES": "gmm_theory.drop",
    "IteratedDrop": "gmm_theory.drop",
    "class_errors": "gmm_theory.drop",
    "iterated_drop": "gmm_theory.drop",
    "iterated_drop_trajectory": "gmm_theory.drop",
    "iterated_drop_update": "gmm_theory.drop",
    "one_step_drop_priors": "gmm_theory.drop",
    "realised_priors": "gmm_theory.drop",
    "smoothed_errors": "gmm_theory.drop",
    **{name: "gmm_theory.twoclass" for name in _TWOCLASS},
})

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
