"""Figures and reports, one module per family (two-class, K-class, high-dimensional,
empirical) and a registry that draws any of them by name.

Every figure function returns :class:`Drawn` (the Figure and the arrays it shows) and is the
same on every run.  The names below are re-exported from their family modules, which are
imported on first use, so the command line reads the registry without loading every family;
the empirical figures live in :mod:`gmm_theory.figures.empirical` and the study's report in
:mod:`gmm_theory.figures.study`; both need the ``bridge`` extra.
"""

import importlib

_EXPORTS = {
    "drawing": ("Curve", "Drawn", "draw_curves", "save"),
    "registry": ("FIGURES", "PAPER_FIGURES", "QUICK_OPTIONS", "available_figures", "figure_function", "render_all"),
    "twoclass": ("drop_regret", "monte_carlo_curves", "ratio_landscape", "risk_vs_density", "risk_vs_training_prior",
                 "ssp_vs_random", "theory_curves"),
    "multiclass": ("allocators_vs_density", "multiclass_regret", "multiclass_ternary"),
    "highdim": ("learning_curves", "pruning_landscape"),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_MODULE_OF, key=str.lower)


def __getattr__(name: str):
    if name not in _MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_MODULE_OF[name]}"), name)


def __dir__():
    return sorted(set(globals()) | set(__all__))
