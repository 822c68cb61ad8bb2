"""gmm_theory: data pruning and worst-class risk in Gaussian mixtures.

Closed forms, Monte Carlo and a shared class-quota allocator, after Vysogorets, Ahuja and
Kempe, "DRoP: Distributionally Robust Data Pruning", ICLR 2025.
"""

from gmm_theory.twoclass.mixture import TwoClassMixture, sample
from gmm_theory.twoclass.optimal import (
    interior_threshold,
    risk_minimising_threshold,
    std_proportional_priors,
    trained_worst_class_risk,
    worst_class_optimal_priors,
    worst_class_optimal_risk,
    worst_class_threshold,
)
from gmm_theory.twoclass.pruned_law import (
    ssp_kept_fractions,
    ssp_threshold,
    ssp_training_priors,
    ssp_training_risk,
    training_priors,
)
from gmm_theory.twoclass.risk import average_risk, class_risks, linear_class_risks, worst_class_risk
from gmm_theory.twoclass.surrogate import least_squares_threshold

__version__ = "0.1.0"
