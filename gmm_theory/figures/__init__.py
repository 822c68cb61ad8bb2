"""Figures and reports, one module per family (two-class, K-class, high-dimensional,
empirical) and a registry that draws any of them by name.

Every figure function returns :class:`Drawn` (the Figure and the arrays it shows) and is the
same on every run.  The two-class, K-class and high-dimensional figures are re-exported here;
the empirical ones live in :mod:`gmm_theory.figures.empirical` and need the ``bridge`` extra.
"""

from gmm_theory.figures.drawing import Curve as Curve
from gmm_theory.figures.drawing import Drawn as Drawn
from gmm_theory.figures.drawing import draw_curves as draw_curves
from gmm_theory.figures.drawing import save as save
from gmm_theory.figures.highdim import learning_curves as learning_curves
from gmm_theory.figures.highdim import pruning_landscape as pruning_landscape
from gmm_theory.figures.multiclass import allocators_vs_density as allocators_vs_density
from gmm_theory.figures.multiclass import multiclass_regret as multiclass_regret
from gmm_theory.figures.multiclass import multiclass_ternary as multiclass_ternary
from gmm_theory.figures.registry import FIGURES as FIGURES
from gmm_theory.figures.registry import QUICK_OPTIONS as QUICK_OPTIONS
from gmm_theory.figures.registry import figure_function as figure_function
from gmm_theory.figures.registry import render_all as render_all
from gmm_theory.figures.twoclass import drop_regret as drop_regret
from gmm_theory.figures.twoclass import monte_carlo_curves as monte_carlo_curves
from gmm_theory.figures.twoclass import ratio_landscape as ratio_landscape
from gmm_theory.figures.twoclass import risk_vs_density as risk_vs_density
from gmm_theory.figures.twoclass import risk_vs_training_prior as risk_vs_training_prior
from gmm_theory.figures.twoclass import ssp_vs_random as ssp_vs_random
from gmm_theory.figures.twoclass import theory_curves as theory_curves

__all__ = [
    "Curve", "Drawn", "FIGURES", "QUICK_OPTIONS", "allocators_vs_density", "draw_curves", "drop_regret",
    "figure_function", "learning_curves", "monte_carlo_curves", "multiclass_regret", "multiclass_ternary",
    "pruning_landscape", "ratio_landscape", "render_all", "risk_vs_density", "risk_vs_training_prior", "save",
    "ssp_vs_random", "theory_curves",
]
