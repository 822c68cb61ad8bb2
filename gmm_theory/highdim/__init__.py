"""High-dimensional asymptotics (n, d -> infinity, n / d = alpha) of ridge ERM on a two-class
mixture with class variances, priors and pruning, and its ERM simulation twin.

- :mod:`~gmm_theory.highdim.asymptotics`: the replica-symmetric fixed point;
- :mod:`~gmm_theory.highdim.simulation`: ERM fits at finite d that check it;
- :mod:`~gmm_theory.highdim.soft_margin`: exact soft-margin (hinge) fits for the simulations.
"""

from gmm_theory.highdim.asymptotics import LOSSES as LOSSES
from gmm_theory.highdim.asymptotics import Asymptotics as Asymptotics
from gmm_theory.highdim.asymptotics import NotConverged as NotConverged
from gmm_theory.highdim.asymptotics import Overlaps as Overlaps
from gmm_theory.highdim.asymptotics import pruned_problem as pruned_problem
from gmm_theory.highdim.asymptotics import solve as solve
from gmm_theory.highdim.simulation import Trials as Trials
from gmm_theory.highdim.simulation import simulate as simulate
from gmm_theory.highdim.soft_margin import SoftMarginFit as SoftMarginFit
from gmm_theory.highdim.soft_margin import fit_soft_margin as fit_soft_margin

__all__ = [
    "Asymptotics",
    "fit_soft_margin",
    "LOSSES",
    "NotConverged",
    "Overlaps",
    "pruned_problem",
    "simulate",
    "SoftMarginFit",
    "solve",
    "Trials",
]
