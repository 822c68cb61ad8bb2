"""High-dimensional asymptotics (n, d -> infinity, n / d = alpha) of ridge ERM on a two-class
mixture with class variances, priors and pruning, and its ERM simulation twin.

- :mod:`~gmm_theory.highdim.asymptotics`: the replica-symmetric fixed point;
- :mod:`~gmm_theory.highdim.simulation`: ERM fits at finite d that check it;
- :mod:`~gmm_theory.highdim.soft_margin`: exact soft-margin (hinge) fits for the simulations.
"""

from gmm_theory._lazy import export_lazily

export_lazily(__name__, {
    "LOSSES": "gmm_theory.highdim.asymptotics",
    "Asymptotics": "gmm_theory.highdim.asymptotics",
    "NotConverged": "gmm_theory.highdim.asymptotics",
    "Overlaps": "gmm_theory.highdim.asymptotics",
    "pruned_problem": "gmm_theory.highdim.asymptotics",
    "solve": "gmm_theory.highdim.asymptotics",
    "Trials": "gmm_theory.highdim.simulation",
    "simulate": "gmm_theory.highdim.simulation",
    "SoftMarginFit": "gmm_theory.highdim.soft_margin",
    "fit_soft_margin": "gmm_theory.highdim.soft_margin",
})

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
