"""Figures of the K-class model: worst-class landscapes over the prior simplex (K = 3), and
the allocators compared against density, class count and class heterogeneity.

Every number is an n -> infinity limit: the class risks of the classifier trained at the
training priors an allocator realises (:mod:`gmm_theory.multiclass.allocators`).  All
computation runs in float64 with fixed keys, so a figure is the same on every run.
"""

from __future__ import annotations

import jax
import numpy as np
from matplotlib.figure import Figure

from gmm_theory._checks import in_float64
from gmm_theory.figures.drawing import Curve, Drawn, draw_curves
from gmm_theory.multiclass.allocators import (
    ALLOCATORS,
    Quadrature,
    allocate_model,
    worst_class_regrets,
)
from gmm_theory.multiclass.minimax import minimax_priors
from gmm_theory.multiclass.mixture import KClassMixture, random_mixture
from gmm_theory.multiclass.prior_sweep import lda_risks_over_priors

ALLOCATOR_STYLE = {
    "stratified": ("tab:gray", "o"),
    "drop": ("tab:orange", "s"),
    "iterated-drop": ("tab:green", "D"),
    "adjusted": ("tab:purple", "^"),
    "optimal": ("tab:blue", "*"),
}
REGRET_ALLOCATORS = tuple(name for name in ALLOCATORS if name != "optimal")


def simplex_grid(subdivisions: int) -> np.ndarray:
    """Priors (P, 3) on the triangular grid i / s + j / s + k / s = 1 (all of them interior
    points or on the edges)."""
    return np.array([(i, j, subdivisions - i - j) for i in range(subdivisions + 1)
                     for j in range(subdivisions + 1 - i)], dtype=np.float64) / subdivisions


def ternary_xy(priors) -> tuple[np.ndarray, np.ndarray]:
    """Plane coordinates of priors (..., 3): corners class 0 (0, 0), class 1 (1, 0), class 2
    (1/2, sqrt(3)/2)."""
    priors = np.asarray(priors)
    return priors[..., 1] + priors[..., 2] / 2, priors[..., 2] * np.sqrt(3) / 2


def _ternary_panel(ax, mixture: KClassMixture, density: float, quadrature: Quadrature, subdivisions: int):
    grid = simplex_grid(subdivisions)
    risks, bounds = lda_risks_over_priors(mixture, grid, quadrature.key, points=quadrature.points,
                                          shifts=quadrature.shifts)
    worst = np.asarray(risks).max(axis=-1)
    allocated = allocate_model(mixture, [density], quadrature)
    x, y = ternary_xy(grid)
    filled = ax.tricontourf(x, y, worst, levels=np.linspace(0, 1, 21), cmap="viridis")
    realisable = (density * grid / np.asarray(mixture.priors)).max(axis=-1)
    ax.tricontour(x, y, realisable, levels=[1.0], colors="white", linestyles="--", linewidths=1)
    unconstrained = np.asarray(minimax_priors(mixture, quadrature.key, points=quadrature.points,
                                              shifts=quadrature.shifts).priors)
    ax.plot(*ternary_xy(unconstrained), "P", color="white", markeredgecolor="black", markersize=9,
            label="unconstrained optimum")
    for name, result in allocated.items():
        color, marker = ALLOCATOR_STYLE[name]
        ax.plot(*ternary_xy(result.priors[0]), marker, color=color, markeredgecolor="black", markersize=8,
                label=f"{name}: {result.worst_class_risk()[0]:.3f}")
    for corner, (cx, cy) in enumerate(((0, 0), (1, 0), (0.5, np.sqrt(3) / 2))):
        ax.annotate(f"class {corner}", (cx, cy), ha="center", va="top" if cy == 0 else "bottom", fontsize=8,
                    xytext=(0, -4 if cy == 0 else 4), textcoords="offset points")
    ax.set(aspect="equal", xlim=(-0.08, 1.08), ylim=(-0.1, 0.95))
    ax.axis("off")
    ax.legend(loc="upper left", fontsize=7, framealpha=0.8, title="worst-class risk", title_fontsize=7)
    return filled, {"grid": grid, "worst": worst, "grid_bound": float(np.max(bounds)), "realisable": realisable <= 1, "unconstrained_optimum": unconstrained,
                    "allocators": {name: result.priors[0] for name, result in allocated.items()},
                    "allocator_worst": {name: float(result.worst_class_risk()[0]) for name, result in allocated.items()}}


@in_float64
def multiclass_ternary(*, heterogeneities=(0.0, 0.8), dimension: int = 2, separation: float = 3.0,
                       density: float = 0.5, seed: int = 3, subdivisions: int = 60, points: int = 512) -> Drawn:
    r"""Worst-class risk of the LDA rule over the simplex of training priors, K = 3.

    One panel per heterogeneity h (class stds :math:`\exp(U(-h, h))`, same means).  Dashed
    white: the priors realisable at density d (:math:`d\, \pi'_k \le \pi_k`); markers: each
    allocator's training priors at d with its worst-class risk (``stratified``, ``drop``,
    ``iterated-drop``, ``adjusted`` and ``optimal``); cross: the unconstrained optimum.
    Every risk is an :math:`n \to \infty` limit, computed in float64 with a fixed
    quadrature key.

    Args:
        heterogeneities (Sequence[float]): The heterogeneities h of the panels, each >= 0.
        dimension (int): The dimension d of the mixtures, an integer >= 1.
        separation (float): The expected distance between two class means, > 0.
        density (float): The dataset density, in (0, 1].
        seed (int): The seed of the random balanced mixtures
            (:func:`gmm_theory.multiclass.mixture.random_mixture`) and of the quadrature key.
        subdivisions (int): Subdivisions s of each side of the prior grid
            :math:`(i, j, s - i - j) / s`, an integer >= 1.
        points (int): Lattice points of the orthant-probability quadrature, an integer >= 1.

    Returns:
        Drawn: The figure and its data, keyed by heterogeneity: the prior ``grid`` ``(P, 3)``,
        its ``worst`` risks and ``grid_bound`` (the largest quadrature error bound), the
        ``realisable`` mask, the ``unconstrained_optimum``, each allocator's priors
        (``allocators``) and worst-class risk (``allocator_worst``).

    Raises:
        ValueError: If ``dimension`` < 1, ``separation`` is not positive and finite, a
            heterogeneity is negative or not finite, or ``density`` is outside (0, 1].

    References:
        Vysogorets, Ahuja, Kempe, "DRoP: Distributionally Robust Data Pruning", ICLR 2025
        (the DRoP allocators).
    """
    quadrature = Quadrature(jax.random.key(seed), points)
    figure = Figure(figsize=(6 * len(heterogeneities), 5.4), layout="constrained")
    axes = np.atleast_1d(figure.subplots(1, len(heterogeneities)))
    data = {}
    for ax, h in zip(axes, heterogeneities):
        mixture = random_mixture(seed, 3, dimension, separation=separation, heterogeneity=h)
        filled, data[h] = _ternary_panel(ax, mixture, density, quadrature, subdivisions)
        stds = ", ".join(f"{s:.2f}" for s in np.sqrt(np.asarray(mixture.covariances)[:, 0, 0]))
        ax.set_title(f"heterogeneity h = {h:g} (class stds {stds})", fontsize=9)
    figure.colorbar(filled, ax=axes, shrink=0.8, label="worst-class risk")
    figure.suptitle(f"K = 3 classes in d = {dimension}, balanced data, LDA rule, density {density:g}, "
                    "n $\\to \\infty$", fontsize=10)
    return Drawn(figure, data)


def _regret_curves(label_values, mixtures_for, density, quadrature, seeds) -> tuple[list[Curve], dict]:
    regrets = {name: np.empty((len(label_values), seeds)) for name in REGRET_ALLOCATORS}
    for i, value in enumerate(label_values):
        for seed in range(seeds):
            for name, regret in worst_class_regrets(mixtures_for(value, seed), density, quadrature).items():
                regrets[name][i, seed] = regret
    x = np.asarray(label_values, dtype=np.float64)
    curves = [Curve(name, x, np.median(r, axis=1), r.min(axis=1), r.max(axis=1), color=ALLOCATOR_STYLE[name][0],
                    marker=ALLOCATOR_STYLE[name][1]) for name, r in regrets.items()]
    return curves, regrets


@in_float64
def multiclass_regret(*, class_counts=(2, 3, 5, 8, 10), heterogeneities=(0.0, 0.25, 0.5, 0.75, 1.0),
                      dimension: int = 32, heterogeneity: float = 0.5, num_classes: int = 10, density: float = 0.5,
                      seeds: int = 4, points: int = 256) -> Drawn:
    r"""Worst-class regret (risk minus the realisable optimum's) of each allocator against the
    number of classes K (at heterogeneity ``heterogeneity``) and against the heterogeneity h
    (at K = ``num_classes``): median over ``seeds`` random balanced mixtures, band min..max.
    With balanced classes the two DRoP semantics give the same quotas.

    The allocators are ``stratified``, ``drop``, ``iterated-drop`` and ``adjusted``; the
    mixtures have class stds :math:`\exp(U(-h, h))`, and every risk is an
    :math:`n \to \infty` limit of the LDA rule.

    Args:
        class_counts (Sequence[int]): The class counts K of the left panel, each >= 2.
        heterogeneities (Sequence[float]): The heterogeneities h of the right panel, each
            >= 0.
        dimension (int): The dimension d of the mixtures, an integer >= 1.
        heterogeneity (float): The heterogeneity of the left panel, >= 0.
        num_classes (int): The class count of the right panel, an integer >= 2.
        density (float): The dataset density, in (0, 1].
        seeds (int): Random mixtures per point (seeds 0 .. seeds - 1), an integer >= 1.
        points (int): Lattice points of the orthant-probability quadrature, an integer >= 1.

    Returns:
        Drawn: The figure and its data: ``class_counts``, ``heterogeneities``, and the regrets
        ``regrets_by_k`` and ``regrets_by_h``, each a dict by allocator of arrays
        ``(len(class_counts), seeds)`` and ``(len(heterogeneities), seeds)``.

    Raises:
        ValueError: If a class count is below 2, ``dimension`` < 1, a heterogeneity is
            negative or not finite, or ``density`` is outside (0, 1].

    References:
        Vysogorets, Ahuja, Kempe, "DRoP: Distributionally Robust Data Pruning", ICLR 2025
        (the DRoP allocators).
    """
    quadrature = Quadrature(jax.random.key(0), points, 4)
    by_k, regrets_k = _regret_curves(
        class_counts, lambda k, seed: random_mixture(seed, k, dimension, heterogeneity=heterogeneity),
        density, quadrature, seeds)
    by_h, regrets_h = _regret_curves(
        heterogeneities, lambda h, seed: random_mixture(seed, num_classes, dimension, heterogeneity=h),
        density, quadrature, seeds)
    figure = Figure(figsize=(12, 4.6), layout="constrained")
    k_ax, h_ax = figure.subplots(1, 2, sharey=True)
    draw_curves(k_ax, by_k)
    draw_curves(h_ax, by_h)
    k_ax.set(xlabel="number of classes K", ylabel="worst-class risk minus the optimum",
             title=f"against K (heterogeneity h = {heterogeneity:g})")
    k_ax.set_xticks(class_counts, [str(k) for k in class_counts])
    h_ax.set(xlabel="heterogeneity h (class stds exp(U(-h, h)))", title=f"against h (K = {num_classes})")
    for ax in (k_ax, h_ax):
        ax.axhline(0, color="black", linewidth=0.8)
    figure.legend(*k_ax.get_legend_handles_labels(), loc="outside lower center", ncol=len(REGRET_ALLOCATORS),
                  fontsize=8)
    figure.suptitle(f"Allocators vs the worst-class optimum: balanced random mixtures in d = {dimension}, LDA rule, "
                    f"density {density:g}, median and range over {seeds} mixtures", fontsize=10)
    data = {"class_counts": np.asarray(class_counts), "heterogeneities": np.asarray(heterogeneities),
            "regrets_by_k": regrets_k, "regrets_by_h": regrets_h}
    return Drawn(figure, data)


@in_float64
def allocators_vs_density(mixture: KClassMixture | None = None, *, densities=tuple(np.linspace(0.1, 0.9, 9)),
                          num_classes: int = 10, dimension: int = 32, title: str | None = None, points: int = 512,
                          seed: int = 0) -> Drawn:
    r"""Worst-class and average risk of each allocator against density on ``mixture`` (by
    default the random mixture of ``gmm-theory multiclass``: K = 10, d = 32, seed 0).

    The allocators are ``stratified``, ``drop``, ``iterated-drop``, ``adjusted`` and
    ``optimal``, every risk the :math:`n \to \infty` limit of the LDA rule trained at the
    priors the allocator realises; the average risk weighs the
    classes by the test priors.

    Args:
        mixture (gmm_theory.multiclass.mixture.KClassMixture | None): The K-class mixture;
            ``None`` for the random mixture of seed 0 with ``num_classes`` classes in
            ``dimension`` dimensions (separation 4, heterogeneity 0.5).
        densities (Sequence[float]): The dataset densities, each in (0, 1].
        num_classes (int): K of the default mixture, an integer >= 2.
        dimension (int): d of the default mixture, an integer >= 1.
        title (str | None): The mixture's description in the figure's title; ``None`` for a
            description of the default mixture (or "given mixture").
        points (int): Lattice points of the orthant-probability quadrature, an integer >= 1.
        seed (int): The seed of the quadrature key.

    Returns:
        Drawn: The figure and its data: ``densities`` and, per allocator, the fields of its
        :class:`gmm_theory.multiclass.allocators.Allocated` as a dict (training priors
        ``(D, K)``, class risks ``(D, K)`` and their quadrature error bounds).

    Raises:
        ValueError: If a density is outside (0, 1], or the default mixture's ``num_classes``
            < 2 or ``dimension`` < 1.

    References:
        Vysogorets, Ahuja, Kempe, "DRoP: Distributionally Robust Data Pruning", ICLR 2025
        (the DRoP allocators).
    """
    if mixture is None:
        mixture = random_mixture(0, num_classes, dimension)
        title = title or (f"random mixture: K = {num_classes}, d = {dimension}, separation 4, "
                          "heterogeneity 0.5")
    densities = np.asarray(densities, dtype=np.float64)
    allocated = allocate_model(mixture, densities, Quadrature(jax.random.key(seed), points))
    priors = np.asarray(mixture.priors)
    figure = Figure(figsize=(12, 4.6), layout="constrained")
    worst_ax, average_ax = figure.subplots(1, 2, sharex=True)
    for ax, values in ((worst_ax, lambda r: r.worst_class_risk()), (average_ax, lambda r: r.average_risk(priors))):
        draw_curves(ax, [Curve(name, densities, values(result), color=ALLOCATOR_STYLE[name][0],
                               marker=ALLOCATOR_STYLE[name][1]) for name, result in allocated.items()])
        ax.set(xlabel="dataset density d")
    worst_ax.set(ylabel="worst-class risk", title="Worst-class risk")
    average_ax.set(ylabel="average risk", title="Average risk (test priors)")
    figure.legend(*worst_ax.get_legend_handles_labels(), loc="outside lower center", ncol=len(allocated), fontsize=8)
    figure.suptitle(f"Allocators vs density, LDA rule, n $\\to \\infty$: {title or 'given mixture'}", fontsize=10)
    data = {"densities": densities, **{name: result._asdict() for name, result in allocated.items()}}
    return Drawn(figure, data)
