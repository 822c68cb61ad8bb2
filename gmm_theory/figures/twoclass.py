"""Figures of the two-class model: each function returns the Figure and its data.

Lines are population limits (closed forms, n -> infinity); points are Monte Carlo means over
seeds at finite n with +-1 standard-error bars, from fixed PRNG keys, so a figure is the same
on every run.  Figures are built on :class:`matplotlib.figure.Figure` rather than pyplot, so
rendering many of them keeps no global state; a notebook displays the returned object.
All computation runs in float64 (``jax.enable_x64``) whatever the caller's setting.
"""

from __future__ import annotations

import functools

import jax
import matplotlib
import numpy as np
from matplotlib.colors import PowerNorm
from matplotlib.legend_handler import HandlerTuple
from matplotlib.patches import Patch
from matplotlib.figure import Figure

from gmm_theory._checks import in_float64, round_half_up
from gmm_theory.drop import ITERATED_DROP, IteratedDrop
from gmm_theory.figures.drawing import Curve, Drawn, color_for
from gmm_theory.twoclass.landscape import (
    allocations_for_priors,
    best_allocations,
    feasible_prior_range,
    iso_density_allocations,
    prior_curve,
)
from gmm_theory.twoclass.limits import drop_priors, iterated_drop_priors
from gmm_theory.twoclass.mixture import TwoClassMixture
from gmm_theory.twoclass.paper import PAPER_MEANS, PAPER_PRIORS, PAPER_STDS
from gmm_theory.twoclass.montecarlo.comparison import METHODS, compare_methods, drop_regret_map, method_limits
from gmm_theory.twoclass.montecarlo.engine import (
    density_grid,
    draw_seeds,
    evaluate_counts,
    fit_rules,
    grid_allocations,
    population_class_risks,
    summarise,
    sweep,
)
from gmm_theory.twoclass.montecarlo.policies import margin_counts
from gmm_theory.twoclass.optimal import (
    risk_minimising_threshold,
    std_proportional_priors,
    worst_class_optimal_priors,
    worst_class_optimal_risk,
    worst_class_threshold,
)
from gmm_theory.twoclass.pruned_law import ssp_kept_fractions, ssp_threshold
from gmm_theory.twoclass.risk import class_risks

CLASS_COLORS = ("tab:blue", "tab:orange")
AVERAGE_COLOR = "tab:gray"
WORST_COLOR = "black"
CONSTANT_RULE_COLOR = "lightgrey"
OBJECTIVE_NAMES = {"worst": "worst-class", "average": "average"}
METHOD_MARKERS = ("o", "s", "^", "v", "D", "P", "X", "<", ">")
# The worst-class regret below which an allocator counts as optimal in ``drop_regret``.
OPTIMUM_TOLERANCE = 1e-3


def _on_mixture(function):
    """Run ``function`` in float64 with its ``mixture`` argument rebuilt in float64 (the
    paper's example when ``None``)."""

    @in_float64
    @functools.wraps(function)
    def wrapped(mixture: TwoClassMixture | None = None, **options) -> Drawn:
        if mixture is None:
            mixture = TwoClassMixture(PAPER_MEANS, PAPER_STDS, PAPER_PRIORS)
        else:
            mixture = TwoClassMixture(*(np.asarray(a, np.float64) for a in (mixture.means, mixture.stds, mixture.priors)))
        return function(mixture, **options)

    return wrapped


def _describe(mixture: TwoClassMixture) -> str:
    def pair(values):
        return "({:.3g}, {:.3g})".format(*np.asarray(values))

    return f"$\\mu$ = {pair(mixture.means)}, $\\sigma$ = {pair(mixture.stds)}, $\\phi$ = {pair(mixture.priors)}"


def _errorbars(ax, x, mean, se, **style):
    """Points with error bars of one standard error; returns matplotlib's container."""
    return ax.errorbar(x, mean, yerr=se, **{"fmt": "o", **style}, markersize=3.5, capsize=2, linewidth=1)


@_on_mixture
def risk_vs_training_prior(mixture: TwoClassMixture, *, points: int = 399, density: float = 0.5, n: int = 4000,
                           seeds: int = 64, mc_points: int = 19, seed: int = 0, fit: str = "threshold") -> Drawn:
    r"""Class, average and worst-class risk of the rule trained at training prior :math:`\phi'_0`.

    Lines: the population rule of ``fit`` under priors :math:`(\phi'_0, 1 - \phi'_0)`, risks
    on the test law (paper Section 4: random pruning only moves the training prior).  Points:
    Monte Carlo with n samples randomly pruned to dataset density ``density`` at that training
    prior, mean :math:`\pm 1` standard error over seeds.  Marks: the data's prior, the
    std-proportional prior (paper B.2), the worst-class optimal prior when it differs, one
    DRoP step at ``density`` and the iterated-DRoP limit; marks that coincide share one line.
    Runs in float64 from fixed keys, so the figure is the same on every run.

    Args:
        mixture (gmm_theory.twoclass.mixture.TwoClassMixture | None): The two-class
            mixture, rebuilt in float64; ``None`` (the default) for the paper's example,
            :math:`\mu = (-1, 1)`, :math:`\sigma = (0.5, 1.5)`, :math:`\phi = (0.5, 0.5)`.
        points (int): Training priors of the lines, evenly spaced in (0, 1), an integer >= 1.
        density (float): The dataset density d of the Monte Carlo points and of the DRoP
            marks, in (0, 1].
        n (int): Samples per Monte Carlo seed before pruning, an integer >= 2.
        seeds (int): Monte Carlo seeds per point, an integer >= 1.
        mc_points (int): Monte Carlo training priors, evenly spaced over the priors
            realisable at ``density`` (within [0.02, 0.98]), an integer >= 1.
        seed (int): The seed of the Monte Carlo key.
        fit (str): The learned rule: ``"threshold"`` (threshold ERM), ``"least-squares"``,
            ``"logistic"`` or ``"plugin"``.

    Returns:
        Drawn: The figure and its data: ``priors`` and the population ``class_risks``
        ``(P, 2)``; ``mc_priors``, ``mc_allocations`` and the Monte Carlo means and standard
        errors (``mc_class_risks_mean``, ``mc_class_risks_se``, ``mc_worst_mean``,
        ``mc_worst_se``); the ``marks`` by name.

    Raises:
        ValueError: If ``mixture`` is not a valid two-class mixture, ``density`` is outside
            (0, 1], ``n`` < 2 or ``seeds`` < 1, or ``fit`` is not a known rule.

    References:
        Vysogorets, Ahuja, Kempe, "DRoP: Distributionally Robust Data Pruning", ICLR 2025
        (Section 4, Appendix B.2, Algorithm 1).
    """
    priors = np.linspace(0, 1, points + 2)[1:-1]
    curve = np.asarray(prior_curve(mixture, priors, fit))
    low, high = feasible_prior_range(mixture.priors, density)
    mc_priors = np.linspace(max(low, 0.02), min(high, 0.98), mc_points)
    allocations = allocations_for_priors(mixture.priors, mc_priors, density)
    summary = summarise(mixture, sweep(mixture, jax.random.key(seed), n, allocations, seeds, fit=fit))
    marks = {
        "data prior": float(mixture.priors[0]),
        "std-proportional": float(std_proportional_priors(mixture)[0]),
        "one-step DRoP": float(drop_priors(mixture, density, fit=fit)[0]),
        "iterated-DRoP limit": float(iterated_drop_priors(mixture, density, fit=fit)[-1][0]),
    }
    optimal = float(worst_class_optimal_priors(mixture)[0])
    if abs(optimal - marks["std-proportional"]) > 1e-6:
        marks["worst-class optimal"] = optimal

    figure = Figure(figsize=(7.5, 4.5), layout="constrained")
    ax = figure.add_subplot()
    curves = {"class 0": (curve[:, 0], summary.class_risks_mean[:, 0], summary.class_risks_se[:, 0], CLASS_COLORS[0]),
              "class 1": (curve[:, 1], summary.class_risks_mean[:, 1], summary.class_risks_se[:, 1], CLASS_COLORS[1]),
              "average": (curve @ np.asarray(mixture.priors), summary.average_risk_mean, summary.average_risk_se,
                          AVERAGE_COLOR),
              "worst class": (curve.max(axis=-1), summary.worst_class_risk_mean, summary.worst_class_risk_se,
                              WORST_COLOR)}
    for label, (line, mean, se, color) in curves.items():
        ax.plot(priors, line, color=color, linewidth=2.2 if label == "worst class" else 1.4, label=label)
        _errorbars(ax, mc_priors, mean, se, color=color)
    for (label, value), (style, color) in zip(_merge_coinciding(marks).items(), MARK_STYLES):
        ax.axvline(value, color=color, linestyle=style, linewidth=1.2, label=f"{label} ({value:.3f})")
    ax.set(xlim=(0, 1), ylim=(0, 1.02), xlabel="training prior of class 0, $\\phi'_0$",
           ylabel="risk on the test law",
           title=f"Risk of the trained rule vs training prior ({fit} fit; points: n = {n}, density {density:g})\n"
                 f"{_describe(mixture)}")
    ax.title.set_fontsize(10)
    ax.legend(fontsize=7, loc="upper right", ncol=2)
    data = {"priors": priors, "class_risks": curve, "mc_priors": mc_priors, "mc_allocations": allocations,
            "mc_class_risks_mean": summary.class_risks_mean, "mc_class_risks_se": summary.class_risks_se,
            "mc_worst_mean": summary.worst_class_risk_mean, "mc_worst_se": summary.worst_class_risk_se,
            "marks": marks}
    return Drawn(figure, data)


# Line style and colour of each vertical mark of a prior, in order.
MARK_STYLES = ((":", "tab:red"), ("--", "tab:purple"), ("-.", "tab:green"), ((0, (5, 1)), "tab:brown"),
               ((0, (1, 3)), "tab:olive"))


def _merge_coinciding(marks: dict[str, float], tolerance: float = 5e-4) -> dict[str, float]:
    """``marks`` with those that one line would draw on top of each other merged into one
    label "a = b", so that no mark hides another."""
    merged: dict[str, float] = {}
    for label, value in marks.items():
        same = next((key for key, other in merged.items() if abs(other - value) <= tolerance), None)
        if same is None:
            merged[label] = value
        else:
            merged[f"{same} = {label}"] = merged.pop(same)
    return merged


def _median_and_quartiles(values: np.ndarray, low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
    """Median over seeds (axis 0) and the distances to the quartiles, for error bars; values
    (thresholds of constant rules are +-inf) are first clipped to the panel's range [low, high]."""
    quartiles = np.nanpercentile(np.clip(values, low, high), [25, 50, 75], axis=0)
    return quartiles[1], np.abs(np.diff(quartiles, axis=0))


@_on_mixture
def ssp_vs_random(mixture: TwoClassMixture, *, max_margin: float = 1.5, points: int = 301, mc_points: int = 11,
                  n: int = 4000, seeds: int = 64, seed: int = 0) -> Drawn:
    r"""SSP margin pruning against random pruning at the same dataset density (paper B.3).

    SSP drops every sample within M of its class mean: class k keeps
    :math:`2\,\Phi(-M/\sigma_k)`, so the easy class loses more.  Left: kept fractions.
    Middle: the learned threshold (0-1 risk minimiser of the pruned law; Monte Carlo: median
    and quartiles of threshold ERM, which can be a constant rule) with the two margins shaded;
    random pruning keeps :math:`t^*`.  Right: the worst-class risk of each on the test law.
    The Monte Carlo random pruning keeps, per seed, as many samples as SSP did, on the same
    data.

    Args:
        mixture (gmm_theory.twoclass.mixture.TwoClassMixture | None): The two-class
            mixture, rebuilt in float64; ``None`` (the default) for the paper's example,
            :math:`\mu = (-1, 1)`, :math:`\sigma = (0.5, 1.5)`, :math:`\phi = (0.5, 0.5)`.
        max_margin (float): The largest margin M, >= 0; margins run from 0.
        points (int): Margins of the lines, an integer >= 1.
        mc_points (int): Margins of the Monte Carlo points, an integer >= 1.
        n (int): Samples per Monte Carlo seed before pruning, an integer >= 2.
        seeds (int): Monte Carlo seeds per point, an integer >= 1.
        seed (int): The seed of the Monte Carlo key.

    Returns:
        Drawn: The figure and its data: ``margins``, ``kept_fractions`` ``(P, 2)``, the SSP
        ``thresholds``, ``t_star``, ``ssp_class_risks``, ``random_worst``, and the Monte Carlo
        ``mc_margins``, ``mc_ssp_counts``, ``mc_thresholds``, ``mc_worst_mean`` and
        ``mc_worst_se`` (the last three keyed ``"ssp"`` and ``"random"``).

    Raises:
        ValueError: If ``mixture`` is not a valid two-class mixture, ``max_margin`` is
            negative or not finite, ``n`` < 2 or ``seeds`` < 1.

    References:
        Vysogorets, Ahuja, Kempe, "DRoP: Distributionally Robust Data Pruning", ICLR 2025
        (Appendix B.3); Sorscher et al., "Beyond neural scaling laws: beating power law
        scaling via data pruning", NeurIPS 2022 (SSP).
    """
    priors = np.asarray(mixture.priors)
    margins = np.linspace(0, max_margin, points)
    fractions = np.asarray(jax.vmap(lambda M: ssp_kept_fractions(mixture, M))(margins))
    thresholds = np.asarray(jax.vmap(lambda M: ssp_threshold(mixture, M))(margins))
    ssp_risks = np.asarray(class_risks(mixture, thresholds))
    t_star = float(risk_minimising_threshold(mixture))
    random_worst = float(np.max(class_risks(mixture, t_star)))

    key = jax.random.key(seed)
    mc_margins = np.linspace(0, max_margin, mc_points)
    ssp_samples = draw_seeds(mixture, key, n, seeds, "ssp")
    ssp_counts = np.concatenate([margin_counts(ssp_samples, M) for M in mc_margins], axis=1)
    # Same key, same data: random pruning keeps, per seed, as many samples as SSP did.
    random_samples = draw_seeds(mixture, key, n, seeds, "random")
    ones = np.asarray(ssp_samples.y.sum(axis=-1))
    sizes = np.stack([n - ones, ones], axis=-1)[:, None, :]
    random_counts = round_half_up(ssp_counts.sum(axis=-1, keepdims=True) / n * sizes).astype(np.int32)
    mc = {}
    for name, samples, counts in (("ssp", ssp_samples, ssp_counts), ("random", random_samples, random_counts)):
        rules = fit_rules(samples, counts)
        mc[name] = {"thresholds": np.asarray(rules.as_threshold()),
                    "summary": summarise(mixture, evaluate_counts(mixture, samples, counts))}

    figure = Figure(figsize=(13, 4), layout="constrained")
    kept_ax, threshold_ax, risk_ax = figure.subplots(1, 3)
    for k in (0, 1):
        kept_ax.plot(margins, fractions[:, k], color=CLASS_COLORS[k], label=f"class {k} ($\\sigma$ = {mixture.stds[k]:.3g})")
        kept_ax.plot(mc_margins, (ssp_counts / sizes)[..., k].mean(axis=0), "o", color=CLASS_COLORS[k], markersize=3.5)
    kept_ax.plot(margins, fractions @ priors, color=WORST_COLOR, linestyle="--", label="dataset density")
    kept_ax.set(xlabel="margin M", ylabel="fraction kept", title="SSP keeps $2\\Phi(-M/\\sigma_k)$ of class k",
                ylim=(0, 1.02))
    kept_ax.legend(fontsize=8)

    low = float(np.min(mixture.means) - max_margin - 0.5)
    high = float(np.max(mixture.means) + max_margin + 0.5)
    for k in (0, 1):
        mean = float(mixture.means[k])
        threshold_ax.fill_between(margins, mean - margins, mean + margins, color=CLASS_COLORS[k], alpha=0.15,
                                  label=f"class {k} margin $\\mu_{k} \\pm M$")
    threshold_ax.plot(margins, np.clip(thresholds, low, high), color="tab:purple",
                      label="SSP: pruned-law minimiser")
    threshold_ax.axhline(t_star, color=AVERAGE_COLOR, label=f"random: $t^*$ = {t_star:.3f}")
    threshold_ax.axhline(float(worst_class_threshold(mixture)), color=WORST_COLOR, linestyle=":",
                         label="worst-class optimal $t_w$")
    for name, color in (("ssp", "tab:purple"), ("random", AVERAGE_COLOR)):
        median, spread = _median_and_quartiles(mc[name]["thresholds"], low, high)
        threshold_ax.errorbar(mc_margins, median, yerr=spread, fmt="o", markersize=3.5, capsize=2, color=color)
    threshold_ax.set(xlabel="margin M", ylabel="threshold", ylim=(low, high),
                     title="Learned threshold (constant rules at the edge)")
    threshold_ax.legend(fontsize=7)

    risk_ax.plot(margins, ssp_risks.max(axis=-1), color="tab:purple", label="SSP")
    risk_ax.axhline(random_worst, color=AVERAGE_COLOR, label="random, same density")
    risk_ax.axhline(float(worst_class_optimal_risk(mixture)), color=WORST_COLOR, linestyle=":",
                    label="worst-class optimum")
    for name, color in (("ssp", "tab:purple"), ("random", AVERAGE_COLOR)):
        summary = mc[name]["summary"]
        _errorbars(risk_ax, mc_margins, summary.worst_class_risk_mean, summary.worst_class_risk_se, color=color)
    risk_ax.set(xlabel="margin M", ylabel="worst-class risk", title=f"Worst-class risk (points: n = {n})",
                ylim=(0, 1.02))
    risk_ax.legend(fontsize=8)
    figure.suptitle(f"SSP vs random pruning, {_describe(mixture)}", fontsize=10)
    data = {"margins": margins, "kept_fractions": fractions, "thresholds": thresholds, "t_star": t_star,
            "ssp_class_risks": ssp_risks, "random_worst": random_worst, "mc_margins": mc_margins,
            "mc_ssp_counts": ssp_counts, "mc_thresholds": {k: v["thresholds"] for k, v in mc.items()},
            "mc_worst_mean": {k: v["summary"].worst_class_risk_mean for k, v in mc.items()},
            "mc_worst_se": {k: v["summary"].worst_class_risk_se for k, v in mc.items()}}
    return Drawn(figure, data)


@_on_mixture
def risk_vs_density(mixture: TwoClassMixture, *, densities=tuple(np.linspace(0.1, 1.0, 10)), n: int = 4000,
                    seeds: int = 64, methods=tuple(METHODS), limit_points: int = 91, seed: int = 0,
                    fit: str = "threshold") -> Drawn:
    r"""Worst-class and average risk vs dataset density for each pruning method.

    Points: Monte Carlo at n (every method on the same seeds), mean :math:`\pm 1` standard
    error; lines: the population limit where one is known
    (:func:`gmm_theory.twoclass.montecarlo.comparison.method_limits`).  Score-based methods
    cut one class-blind ranking; DRoP and the optimal quotas prune randomly within classes
    (paper Algorithm 1).  The dotted line is the worst-class optimum over training priors.

    Args:
        mixture (gmm_theory.twoclass.mixture.TwoClassMixture | None): The two-class
            mixture, rebuilt in float64; ``None`` (the default) for the paper's example,
            :math:`\mu = (-1, 1)`, :math:`\sigma = (0.5, 1.5)`, :math:`\phi = (0.5, 0.5)`.
        densities (Sequence[float]): The dataset densities of the Monte Carlo points, each
            in (0, 1].
        n (int): Samples per Monte Carlo seed before pruning, an integer >= 2.
        seeds (int): Monte Carlo seeds per point, an integer >= 1.
        methods (Sequence[str]): Names of
            :data:`gmm_theory.twoclass.montecarlo.comparison.METHODS` (``Random``, ``SSP``,
            ``keep-hard``, ``keep-easy``, ``Random+DRoP``, ``Random+iterated-DRoP``,
            ``Random+optimal``).
        limit_points (int): Densities of the limit lines, evenly spaced over the range of
            ``densities``, an integer >= 1.
        seed (int): The seed of the Monte Carlo key.
        fit (str): The learned rule: ``"threshold"`` (threshold ERM), ``"least-squares"``,
            ``"logistic"`` or ``"plugin"``.

    Returns:
        Drawn: The figure and its data: ``densities``, ``limit_densities``, the ``limits`` by
        method, and per method the Monte Carlo ``worst_mean``, ``worst_se``,
        ``average_mean``, ``average_se`` and ``valid``.

    Raises:
        ValueError: If ``mixture`` is not a valid two-class mixture, a density is outside
            (0, 1], a method is unknown, ``n`` < 2 or ``seeds`` < 1, or ``fit`` is not a known
            rule (the SSP limit is known for ``fit="threshold"`` only).

    References:
        Vysogorets, Ahuja, Kempe, "DRoP: Distributionally Robust Data Pruning", ICLR 2025
        (Algorithm 1).
    """
    densities = np.asarray(densities, dtype=np.float64)
    summaries = compare_methods(mixture, jax.random.key(seed), n, densities, seeds, methods=methods, fit=fit)
    limit_densities = np.linspace(densities.min(), densities.max(), limit_points)
    limits = method_limits(mixture, limit_densities, methods=methods, fit=fit)
    figure = Figure(figsize=(12, 4.8), layout="constrained")
    worst_ax, average_ax = figure.subplots(1, 2, sharex=True)
    # Methods often coincide: each gets its own marker and a small sideways offset for its
    # points, and the limits are drawn widest first, so that a line on top of another leaves
    # the one below visible at its edges.
    dodge = 0.25 * np.min(np.diff(densities)) if len(densities) > 1 else 0.0
    offsets = np.linspace(-dodge, dodge, len(methods))
    widths = np.linspace(4.0, 1.2, max(len(limits), 2))
    handles = []
    for index, name in enumerate(methods):
        color, marker = color_for(name), METHOD_MARKERS[index % len(METHOD_MARKERS)]
        summary = summaries[name]
        points = _errorbars(worst_ax, densities + offsets[index], summary.worst_class_risk_mean,
                            summary.worst_class_risk_se, color=color, fmt=marker)
        _errorbars(average_ax, densities + offsets[index], summary.average_risk_mean, summary.average_risk_se,
                   color=color, fmt=marker)
        handle = points
        if name in limits:
            width = widths[list(limits).index(name)]
            (line,) = worst_ax.plot(limit_densities, limits[name].worst_class_risk_mean, color=color,
                                    linewidth=width, alpha=0.75, solid_capstyle="butt")
            average_ax.plot(limit_densities, limits[name].average_risk_mean, color=color, linewidth=width,
                            alpha=0.75, solid_capstyle="butt")
            handle = (line, points)
        handles.append((handle, name if name in limits else f"{name} (no known limit)"))
    (optimum,) = worst_ax.plot(limit_densities, np.full_like(limit_densities, float(worst_class_optimal_risk(mixture))),
                               color=WORST_COLOR, linestyle=":", linewidth=1)
    handles.append((optimum, "worst-class optimum over training priors"))
    worst_ax.set(xlabel="dataset density d", ylabel="worst-class risk", ylim=(0, 1.02), title="Worst-class risk")
    average_ax.set(xlabel="dataset density d", ylabel="average risk", ylim=(0, 1.02), title="Average risk")
    figure.legend(*zip(*handles), loc="outside lower center", ncol=4, fontsize=8,
                  handler_map={tuple: HandlerTuple(ndivide=None)},
                  title=f"points: Monte Carlo, n = {n}, {seeds} seeds, mean $\\pm$ 1 SE;  "
                        "lines: population limit, n $\\to \\infty$", title_fontsize=8)
    figure.suptitle(f"Pruning methods vs density, {fit} fit, {_describe(mixture)}", fontsize=10)
    data = {"densities": densities, "limit_densities": limit_densities, "limits": limits,
            "worst_mean": {k: s.worst_class_risk_mean for k, s in summaries.items()},
            "worst_se": {k: s.worst_class_risk_se for k, s in summaries.items()},
            "average_mean": {k: s.average_risk_mean for k, s in summaries.items()},
            "average_se": {k: s.average_risk_se for k, s in summaries.items()},
            "valid": {k: s.valid for k, s in summaries.items()}}
    return Drawn(figure, data)


def _best_paths(lines, worst, average) -> dict:
    """Best allocation (D, 2) and value (D,) on each iso-density line, per objective."""
    paths = {}
    for objective, values in (("worst", worst), ("average", average)):
        allocation, value = best_allocations(lines, np.asarray(values).reshape(lines.shape[:2]))
        paths[objective] = {"allocations": allocation, "values": value}
    return paths


@_on_mixture
def ratio_landscape(mixture: TwoClassMixture, *, grid: int = 40, levels=(0.2, 0.4, 0.6, 0.8),
                    path_densities=tuple(np.linspace(0.1, 1.0, 19)), path_points: int = 201,
                    mc_path_points: int = 25, n: int = 4000, seeds: int = 32, seed: int = 0,
                    fit: str = "threshold") -> Drawn:
    r"""Heatmaps of worst-class and average risk over class densities :math:`(d_0, d_1)`.

    Top row: population limit; bottom row: Monte Carlo means at n.  White lines are
    iso-density lines :math:`\phi_0 d_0 + \phi_1 d_1 = d`; the red path is the best
    allocation at each dataset density (the minimum along the iso-density line), from a fine
    search in the limit and from Monte Carlo along the lines at n.  The dashed red ray holds
    the allocations that train at the worst-class optimal prior.  Grey cells are those where
    the population rule is constant; the colour scale spans the population's other cells.

    Args:
        mixture (gmm_theory.twoclass.mixture.TwoClassMixture | None): The two-class
            mixture, rebuilt in float64; ``None`` (the default) for the paper's example,
            :math:`\mu = (-1, 1)`, :math:`\sigma = (0.5, 1.5)`, :math:`\phi = (0.5, 0.5)`.
        grid (int): Class densities per axis of the heatmaps, an integer >= 1.
        levels (Sequence[float]): The dataset densities of the white iso-density lines.
        path_densities (Sequence[float]): The dataset densities of the best-allocation
            path, each in (0, 1].
        path_points (int): Allocations searched on each iso-density line in the limit, an
            integer >= 2.
        mc_path_points (int): Allocations searched on each line by Monte Carlo, an integer
            >= 2.
        n (int): Samples per Monte Carlo seed before pruning, an integer >= 2.
        seeds (int): Monte Carlo seeds per cell, an integer >= 1.
        seed (int): The seed of the Monte Carlo key.
        fit (str): The learned rule: ``"threshold"`` (threshold ERM), ``"least-squares"``,
            ``"logistic"`` or ``"plugin"``.

    Returns:
        Drawn: The figure and its data: the density ``axis``; ``maps[source][objective]``
        (``source`` ``"population"`` or ``"monte_carlo"``, ``objective`` ``"worst"`` or
        ``"average"``), entry ``[i, j]`` the risk at :math:`(d_0, d_1)` = (axis[i],
        axis[j]); ``paths`` of the same keys, each with ``allocations`` and ``values``; and
        ``path_densities``.

    Raises:
        ValueError: If ``mixture`` is not a valid two-class mixture, a path density is
            outside (0, 1], ``path_points`` or ``mc_path_points`` < 2, ``n`` < 2 or ``seeds``
            < 1, or ``fit`` is not a known rule.

    References:
        Vysogorets, Ahuja, Kempe, "DRoP: Distributionally Robust Data Pruning", ICLR 2025.
    """
    axis = np.asarray(density_grid(grid))
    allocations = grid_allocations(axis, axis)
    priors = np.asarray(mixture.priors)
    population = np.asarray(population_class_risks(mixture, allocations, fit)).reshape(grid, grid, 2)
    key = jax.random.key(seed)
    estimate = summarise(mixture, sweep(mixture, key, n, allocations, seeds, fit=fit))
    maps = {"population": {"worst": population.max(-1), "average": population @ priors},
            "monte_carlo": {"worst": estimate.worst_class_risk_mean.reshape(grid, grid),
                            "average": estimate.average_risk_mean.reshape(grid, grid)}}

    lines = iso_density_allocations(priors, path_densities, path_points)
    line_risks = np.asarray(population_class_risks(mixture, lines.reshape(-1, 2), fit))
    mc_lines = iso_density_allocations(priors, path_densities, mc_path_points)
    mc_line = summarise(mixture, sweep(mixture, key, n, mc_lines.reshape(-1, 2), seeds, fit=fit))
    paths = {"population": _best_paths(lines, line_risks.max(-1), line_risks @ priors),
             "monte_carlo": _best_paths(mc_lines, mc_line.worst_class_risk_mean, mc_line.average_risk_mean)}

    # Allocations with d_1 / d_0 = (phi_0 / phi_1) (phi*_1 / phi*_0) train at the optimal prior phi*.
    optimal = np.asarray(worst_class_optimal_priors(mixture))
    slope = priors[0] * optimal[1] / (priors[1] * optimal[0])
    optimal_ray = (np.array([0.0, min(1.0, 1 / slope)]), np.array([0.0, min(1.0, slope)]))

    # The population rule is constant (one class always wrong) where its worst-class risk is 1.
    # Those cells get their own colour, so that the colour scale spans the rules that learn.
    constant = population.max(-1) >= 1 - 1e-12
    colormap = matplotlib.colormaps["viridis"].with_extremes(bad=CONSTANT_RULE_COLOR)
    edge = 1 + 0.5 / grid
    figure = Figure(figsize=(10, 8.5), layout="constrained")
    axes = figure.subplots(2, 2, sharex=True, sharey=True)
    d0, d1 = np.meshgrid(axis, axis, indexing="ij")
    for column, objective in enumerate(("worst", "average")):
        learning = [maps[row][objective][~constant] for row in maps]
        vmin, vmax = np.nanmin(learning), np.nanmax(learning[0])
        for row, source in enumerate(maps):
            ax = axes[row, column]
            shown = np.ma.masked_where(constant, maps[source][objective])
            mesh = ax.pcolormesh(axis, axis, shown.T, shading="nearest", cmap=colormap, vmin=vmin, vmax=vmax)
            contours = ax.contour(d0, d1, d0 * priors[0] + d1 * priors[1], levels=list(levels), colors="white",
                                  linewidths=0.8)
            ax.clabel(contours, fmt="d=%.1f", fontsize=7)
            path = paths[source][objective]["allocations"]
            ax.plot(path[:, 0], path[:, 1], "-o", color="tab:red", markersize=2.5, linewidth=1.2,
                    label="best allocation per density")
            if objective == "worst":
                ax.plot(*optimal_ray, "--", color="tab:red", linewidth=0.9, label="worst-class optimal prior")
            label = "population" if source == "population" else f"Monte Carlo n = {n}"
            ax.set(title=f"worst-class risk, {label}" if objective == "worst" else f"average risk, {label}",
                   xlabel="class-0 density $d_0$" if row == 1 else None,
                   ylabel="class-1 density $d_1$" if column == 0 else None, aspect="equal",
                   xlim=(0, edge), ylim=(0, edge))
        figure.colorbar(mesh, ax=axes[:, column], shrink=0.8, extend="max",
                        label=f"{OBJECTIVE_NAMES[objective]} risk (arrow: above the population's range)")
    handles, _ = axes[0, 0].get_legend_handles_labels()
    handles.append(Patch(color=CONSTANT_RULE_COLOR, label="constant rule in the population (worst-class risk 1)"))
    axes[0, 0].legend(handles=handles, fontsize=7, loc="lower right")
    figure.suptitle(f"Ratio landscape ({fit} fit; Monte Carlo n = {n}, {seeds} seeds), {_describe(mixture)}",
                    fontsize=10)
    data = {"axis": axis, "maps": maps, "paths": paths, "path_densities": np.asarray(path_densities)}
    return Drawn(figure, data)


@_on_mixture
def drop_regret(mixture: TwoClassMixture, *, std_ratios=tuple(np.geomspace(1.0, 10.0, 21)),
                gaps=tuple(np.linspace(0.25, 4.0, 16)), density: float = 0.5,
                config: IteratedDrop = ITERATED_DROP) -> Drawn:
    r"""Worst-class regret (risk minus the optimum over training priors) across mixtures.

    Balanced mixtures with :math:`\sigma = (1, \sigma_1/\sigma_0)` and
    :math:`\mu = (-\mathrm{gap}/2, \mathrm{gap}/2)`, population limit, threshold rules, at
    dataset density ``density``: training on the full data, one DRoP step, and iterated DRoP
    (``config``: damped rounds, the shared default).  The star is ``mixture`` rescaled to
    :math:`\sigma_0 = 1` (the paper's example by default).  A cell counts as optimal where
    the regret is at most ``OPTIMUM_TOLERANCE`` (:math:`10^{-3}`).

    Args:
        mixture (gmm_theory.twoclass.mixture.TwoClassMixture | None): The two-class
            mixture, rebuilt in float64; ``None`` (the default) for the paper's example,
            :math:`\mu = (-1, 1)`, :math:`\sigma = (0.5, 1.5)`, :math:`\phi = (0.5, 0.5)`.
            Only its position (the star) depends on it.
        std_ratios (Sequence[float]): The std ratios :math:`\sigma_1/\sigma_0` of the grid,
            positive.
        gaps (Sequence[float]): The mean gaps :math:`(\mu_1 - \mu_0)/\sigma_0` of the grid,
            positive.
        density (float): The dataset density d, in (0, 1].
        config (gmm_theory.drop.IteratedDrop): Rounds and step of iterated DRoP; the default
            is :data:`gmm_theory.drop.ITERATED_DROP` (10 rounds, step 0.5).

    Returns:
        Drawn: The figure and its data: ``std_ratios``, ``gaps``, the worst-class risk
        ``maps`` ``(R, G)`` keyed ``"optimal"``, ``"full"``, ``"drop"`` and
        ``"iterated-drop"``, the ``regrets`` of the last three, and the ``star``
        (std ratio, gap).

    Raises:
        ValueError: If ``mixture`` is not a valid two-class mixture or ``density`` is outside
            (0, 1].

    References:
        Vysogorets, Ahuja, Kempe, "DRoP: Distributionally Robust Data Pruning", ICLR 2025
        (Algorithm 1 and iterated DRoP).
    """
    std_ratios = np.asarray(std_ratios, dtype=np.float64)
    gaps = np.asarray(gaps, dtype=np.float64)
    maps = drop_regret_map(std_ratios, gaps, density=density, config=config)
    regrets = {name: maps[name] - maps["optimal"] for name in ("full", "drop", "iterated-drop")}
    titles = {"full": "full data", "drop": "one-step DRoP", "iterated-drop": f"iterated DRoP ({config.rounds} rounds, step {config.step:g})"}
    star = (float(mixture.stds[1] / mixture.stds[0]), float((mixture.means[1] - mixture.means[0]) / mixture.stds[0]))
    star_label = f"{_describe(mixture)}, rescaled to $\\sigma_0 = 1$"
    figure = Figure(figsize=(13, 4.2), layout="constrained")
    axes = figure.subplots(1, 3, sharey=True)
    norm = PowerNorm(gamma=0.5, vmin=0, vmax=1)  # small regrets stay visible
    for ax, (name, regret) in zip(axes, regrets.items()):
        mesh = ax.pcolormesh(std_ratios, gaps, regret.T, shading="nearest", cmap="magma", norm=norm)
        ax.plot(*star, "*", color="cyan", markersize=11, markeredgecolor="black", label=star_label)
        title = f"{titles[name]}: regret"
        if name != "full":
            better = np.mean(maps[name] < maps["full"] - 1e-9)
            optimal = np.mean(regret <= OPTIMUM_TOLERANCE)
            title += (f"\nbelow full data in {better:.0%} of cells,\n"
                      f"optimal (regret $\\leq$ {OPTIMUM_TOLERANCE:g}) in {optimal:.0%}")
        ax.set(xscale="log", xlabel="std ratio $\\sigma_1/\\sigma_0$", title=title)
    axes[0].set_ylabel("mean gap $(\\mu_1-\\mu_0)/\\sigma_0$")
    axes[0].legend(fontsize=7, loc="lower right")
    figure.colorbar(mesh, ax=axes, shrink=0.9, label="worst-class risk minus optimum")
    figure.suptitle(f"How near-optimal is DRoP? Balanced classes, density {density:g}, n $\\to \\infty$", fontsize=10)
    data = {"std_ratios": std_ratios, "gaps": gaps, "maps": maps, "regrets": regrets, "star": star}
    return Drawn(figure, data)


def _accuracy_curves(summaries: dict, labels: str, x, style: dict, band: bool) -> dict[str, list[Curve]]:
    """Average and worst-class accuracy 1 - risk of each :class:`Summary`, keyed "average" and
    "worst", labelled ``labels.format(name)``, with a +-1 standard-error band if ``band``."""
    curves = {"average": [], "worst": []}
    for name, summary in summaries.items():
        for key, risk, error in (("average", summary.average_risk_mean, summary.average_risk_se),
                                 ("worst", summary.worst_class_risk_mean, summary.worst_class_risk_se)):
            extra = {"low": 1 - risk - error, "high": 1 - risk + error} if band else {}
            curves[key].append(Curve(labels.format(name), x, 1 - risk, **extra, color=color_for(name), **style))
    return curves


def theory_curves(mixture: TwoClassMixture, densities, *, methods=("Random", "Random+DRoP", "Random+iterated-DRoP",
                  "Random+optimal"), fit: str = "threshold") -> dict[str, list[Curve]]:
    r"""Average and worst-class accuracy (1 - risk) of each method in the population limit,
    keyed "average" and "worst", as dashed curves labelled "<method> (theory)".

    The curves carry no band (an :math:`n \to \infty` limit) and are drawn dashed without
    markers, in each method's fixed colour, so they can sit beside CNN results in one figure.

    Args:
        mixture (gmm_theory.twoclass.mixture.TwoClassMixture): The two-class mixture.
        densities (Sequence[float]): The dataset densities, each in (0, 1].
        methods (Sequence[str]): Names of
            :data:`gmm_theory.twoclass.montecarlo.comparison.METHODS` that have a population
            limit.
        fit (str): The learned rule: ``"threshold"`` (threshold ERM), ``"least-squares"``,
            ``"logistic"`` or ``"plugin"``.

    Returns:
        dict[str, list[Curve]]: ``{"average": [...], "worst": [...]}``, one :class:`Curve` per
        method with a known limit.

    Raises:
        ValueError: If a density is outside (0, 1], a method is unknown, or ``fit`` is not a
            known rule.
    """
    densities = np.asarray(densities, dtype=np.float64)
    limits = method_limits(mixture, densities, methods=methods, fit=fit)
    return _accuracy_curves(limits, "{} (theory)", densities, {"linestyle": "--", "marker": None}, band=False)


def monte_carlo_curves(mixture: TwoClassMixture, key: jax.Array, n: int, densities, seeds: int, *,
                       methods=("Random", "Random+DRoP", "Random+iterated-DRoP"),
                       fit: str = "threshold") -> dict[str, list[Curve]]:
    r"""Average and worst-class accuracy of each method at n samples, mean over ``seeds`` with a
    :math:`\pm 1` standard-error band, keyed "average" and "worst", labelled
    "<method> (n = <n>)".

    Every method runs on the same seeds; the curves are dotted with square markers, in each
    method's fixed colour.

    Args:
        mixture (gmm_theory.twoclass.mixture.TwoClassMixture): The two-class mixture.
        key (jax.Array): The PRNG key of the Monte Carlo draws.
        n (int): Samples per seed before pruning, an integer >= 2.
        densities (Sequence[float]): The dataset densities, each in (0, 1].
        seeds (int): Seeds per density, an integer >= 1.
        methods (Sequence[str]): Names of
            :data:`gmm_theory.twoclass.montecarlo.comparison.METHODS`.
        fit (str): The learned rule: ``"threshold"`` (threshold ERM), ``"least-squares"``,
            ``"logistic"`` or ``"plugin"``.

    Returns:
        dict[str, list[Curve]]: ``{"average": [...], "worst": [...]}``, one :class:`Curve` per
        method.

    Raises:
        ValueError: If a density is outside (0, 1], a method is unknown, ``n`` < 2 or
            ``seeds`` < 1, or ``fit`` is not a known rule.
    """
    densities = np.asarray(densities, dtype=np.float64)
    summaries = compare_methods(mixture, key, n, densities, seeds, methods=methods, fit=fit)
    return _accuracy_curves(summaries, f"{{}} (n = {n})", densities, {"linestyle": ":", "marker": "s"}, band=True)
