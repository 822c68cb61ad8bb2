"""The registry of figures: each name, the family module that draws it and its quick sizes.

Family modules are imported only when one of their figures is drawn, so the theory figures
need no more than a core install; ``embedding_allocators`` trains a CNN and needs the
``bridge`` extra.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from gmm_theory._checks import BRIDGE_EXTRA, check_choice, missing_modules
from gmm_theory.figures.drawing import save

FAMILIES = {
    "twoclass": ("risk_vs_training_prior", "ssp_vs_random", "risk_vs_density", "ratio_landscape", "drop_regret"),
    "multiclass": ("multiclass_ternary", "multiclass_regret", "allocators_vs_density"),
    "empirical": ("embedding_allocators",),
    "highdim": ("asymptotic_learning_curves", "asymptotic_pruning_landscape"),
}
#: Every registered figure name and the family module that draws it (``twoclass``,
#: ``multiclass``, ``empirical`` or ``highdim``, under :mod:`gmm_theory.figures`).
FIGURES = {name: family for family, names in FAMILIES.items() for name in names}
# Registered names that differ from the drawing function's name.
_FUNCTIONS = {"asymptotic_learning_curves": "learning_curves", "asymptotic_pruning_landscape": "pruning_landscape"}
# The figures of the paper's two-class model: what ``gmm-theory figures`` draws by default.
#: The figures of the paper's two-class model, drawn by ``gmm-theory figures`` by default:
#: ``risk_vs_training_prior``, ``ssp_vs_random``, ``risk_vs_density``, ``ratio_landscape`` and
#: ``drop_regret``.
PAPER_FIGURES = FAMILIES["twoclass"]
THEORY_FIGURES = tuple(name for name, family in FIGURES.items() if family != "empirical")

#: Each registered figure's keyword arguments for a quick draw (small grids, few samples and
#: seeds), as :func:`render_all` passes them with ``quick=True``.
QUICK_OPTIONS = {
    "risk_vs_training_prior": {"points": 99, "n": 400, "seeds": 8, "mc_points": 7},
    "ssp_vs_random": {"points": 61, "n": 400, "seeds": 8, "mc_points": 5},
    "risk_vs_density": {"densities": (0.25, 0.5, 1.0), "n": 400, "seeds": 8, "limit_points": 7},
    "ratio_landscape": {"grid": 10, "path_densities": (0.3, 0.6, 0.9), "path_points": 41, "mc_path_points": 7,
                        "n": 400, "seeds": 8},
    "drop_regret": {"std_ratios": (1.0, 2.0, 5.0), "gaps": (0.5, 2.0, 4.0)},
    "multiclass_ternary": {"subdivisions": 12, "points": 128},
    "multiclass_regret": {"class_counts": (2, 3), "heterogeneities": (0.0, 1.0), "dimension": 4, "num_classes": 3,
                          "seeds": 2, "points": 64},
    "allocators_vs_density": {"densities": (0.3, 0.7), "num_classes": 4, "dimension": 3, "points": 64},
    "embedding_allocators": {"dataset": "digits", "epochs": 1, "components": 3, "densities": (0.5,), "points": 64},
    "asymptotic_learning_curves": {"alphas": (0.5, 1.0, 4.0), "simulated_alphas": (1.0, 4.0), "dimension": 100,
                                   "seeds": 3},
    "asymptotic_pruning_landscape": {"grid": 8, "levels": (0.5,), "dataset_densities": (0.25, 0.5, 0.75, 1.0),
                                     "line_points": 16, "simulated_densities": (0.5,), "dimension": 100, "seeds": 3},
}


def figure_function(name: str):
    """The function that draws the registered figure ``name``.

    Imports the figure's family module on first use.

    Args:
        name (str): A key of :data:`FIGURES`.

    Returns:
        Callable[..., Drawn]: The figure function; called with keyword arguments only (none
        for the embedded defaults) it returns :class:`Drawn`.

    Raises:
        ValueError: If ``name`` is not a registered figure.
        gmm_theory._errors.MissingExtra: If the figure is an empirical one
            (``embedding_allocators``) and the ``bridge`` extra is not installed.
    """
    check_choice("figure", name, FIGURES)
    module = importlib.import_module(f"gmm_theory.figures.{FIGURES[name]}")
    return getattr(module, _FUNCTIONS.get(name, name))


def available_figures() -> tuple[str, ...]:
    """Every registered figure this install can draw: the empirical ones need the ``bridge`` extra.

    Returns:
        tuple[str, ...]: The names of :data:`FIGURES`, in registry order, without the
        empirical ones when the ``bridge`` extra is missing.
    """
    return tuple(FIGURES) if not missing_modules(BRIDGE_EXTRA) else THEORY_FIGURES


def render_all(directory, *, quick: bool = False, names=None) -> list[Path]:
    """Draw the named figures (by default all that :func:`available_figures` allows) on their
    embedded defaults; save each as PNG and PDF in ``directory`` as soon as it is drawn.

    Every name is checked before the first figure is drawn.  Files are written by
    :func:`save`, byte-for-byte reproducibly and atomically.

    Args:
        directory (str | os.PathLike): The output folder, created if needed.
        quick (bool): Draw at the small sizes of :data:`QUICK_OPTIONS` instead of the
            embedded defaults.
        names (Iterable[str] | None): Keys of :data:`FIGURES`; ``None`` for
            :func:`available_figures`.

    Returns:
        list[pathlib.Path]: The files written, ``<name>.png`` and ``<name>.pdf`` for each
        figure, in order.

    Raises:
        ValueError: If a name is not a registered figure.
        gmm_theory._errors.MissingExtra: If an empirical figure is named and the ``bridge``
            extra is not installed.
    """
    names = available_figures() if names is None else tuple(names)
    for name in names:
        check_choice("figure", name, FIGURES)
    written = []
    for name in names:
        drawn = figure_function(name)(**(QUICK_OPTIONS[name] if quick else {}))
        written += save(drawn.figure, directory, name)
    return written
