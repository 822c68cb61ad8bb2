"""Figures of the proportional regime (n, d -> infinity, n / d = alpha): class-wise learning
curves of ridge ERM and its pruning landscape, theory lines (:mod:`gmm_theory.highdim.asymptotics`)
against ERM simulations at finite d (:mod:`gmm_theory.highdim.simulation`, means +-1 standard error over
seeds)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from scipy.optimize import minimize_scalar

from gmm_theory._checks import in_float64
from gmm_theory._stats import mean_and_standard_error
from gmm_theory.figures.drawing import Drawn
from gmm_theory.highdim.asymptotics import Asymptotics, solve
from gmm_theory.highdim.simulation import simulate
from gmm_theory.twoclass.landscape import allocations_for_priors, feasible_prior_range, iso_density_allocations
from gmm_theory.twoclass.limits import one_step_drop_priors, optimal_quota_priors
from gmm_theory.twoclass.mixture import TwoClassMixture
from gmm_theory.twoclass.montecarlo.engine import density_grid, grid_allocations

CLASS_COLORS = {"-": "tab:blue", "+": "tab:orange"}

# Colour, marker and marker size of each allocation, in both panels.
ALLOCATION_STYLES = {
    "proportional-regime optimum": ("tab:red", "*", 14),
    "infinite-data optimum": ("tab:pink", "D", 7),
    "one-step DRoP": ("tab:cyan", "s", 7),
    "stratified": ("white", "o", 7),
}


def _class_error_means(trials) -> tuple[np.ndarray, np.ndarray]:
    """Mean class errors (T, 2) over the seeds of each :class:`gmm_theory.highdim.simulation.Trials`, and
    their standard errors."""
    means, standard_errors = zip(*(mean_and_standard_error(t.class_errors) for t in trials))
    return np.array(means), np.array(standard_errors)


@in_float64
def learning_curves(*, losses=("square", "logistic"), lam: float = 0.01, r: float = 1.0, stds=(0.5, 1.5),
                    priors=(0.5, 0.5), alphas=tuple(np.geomspace(0.25, 16.0, 60)),
                    simulated_alphas=(0.5, 1.0, 2.0, 4.0, 8.0), dimension: int = 500, seeds: int = 8) -> Drawn:
    r"""Class errors (order -, +) and the worst-class error against alpha for each loss.

    One panel per loss: the proportional-regime theory lines
    (:func:`gmm_theory.highdim.asymptotics.solve`, :math:`n, d \to \infty` with
    :math:`n / d = \alpha`) of ridge ERM's two class errors and of the worst class, against
    ERM simulations at dimension ``dimension`` (means :math:`\pm 1` standard error over
    ``seeds`` seeds).  Runs in float64.

    Args:
        losses (Sequence[str]): The losses of the panels, each ``"square"``, ``"logistic"``
            or ``"hinge"``.
        lam (float): The ridge penalty :math:`\lambda`, >= 0.
        r (float): The signal strength :math:`r = \|\mu\|^2`, > 0 (class means
            :math:`\mp\mu`).
        stds (Sequence[float]): The class stds :math:`(\sigma_-, \sigma_+)`, positive.
        priors (Sequence[float]): The class priors :math:`(\phi_-, \phi_+)`, non-negative,
            summing to 1.
        alphas (Sequence[float]): The samples per dimension :math:`\alpha` of the theory
            lines, positive.
        simulated_alphas (Sequence[float]): The :math:`\alpha` of the simulations, positive.
        dimension (int): The dimension d of the simulations, an integer >= 1.
        seeds (int): Simulations per point, an integer >= 1.

    Returns:
        Drawn: The figure and its data: ``alphas``, ``simulated_alphas`` and, per loss, the
        ``theory`` class errors ``(A, 2)``, their ``converged`` flags, the ``simulated``
        means and their ``standard_errors``.

    Raises:
        ValueError: If a loss is unknown, ``lam`` is negative, ``r``, ``stds`` or an alpha is
            not positive, ``priors`` do not sum to 1, or ``dimension`` or ``seeds`` < 1.
    """
    alphas = np.asarray(alphas, dtype=np.float64)
    figure = Figure(figsize=(6 * len(losses), 4.6), layout="constrained")
    axes = np.atleast_1d(figure.subplots(1, len(losses), sharey=True))
    data = {"alphas": alphas, "simulated_alphas": np.asarray(simulated_alphas)}
    for ax, loss in zip(axes, losses):
        curve = solve(alphas, lam, r, stds, priors, loss=loss)
        errors = np.asarray(curve.class_errors)
        simulated, standard_errors = _class_error_means([
            simulate(a, lam, r, stds, priors, loss=loss, dimension=dimension, seeds=seeds)
            for a in simulated_alphas])
        for k, (label, color) in enumerate(CLASS_COLORS.items()):
            ax.plot(alphas, errors[:, k], color=color, label=f"class {label} (sigma = {stds[k]:g}), theory")
            ax.errorbar(simulated_alphas, simulated[:, k], yerr=standard_errors[:, k], fmt="o", color=color,
                        markersize=4, capsize=2, label=f"class {label}, ERM at d = {dimension}")
        ax.plot(alphas, errors.max(axis=1), color="black", linestyle="--", linewidth=1, label="worst class, theory")
        ax.set(xscale="log", xlabel="samples per dimension alpha = n / d", title=f"{loss} loss, ridge {lam:g}")
        data[loss] = {"theory": errors, "converged": np.asarray(curve.converged), "simulated": simulated,
                      "standard_errors": standard_errors}
    axes[0].set_ylabel("test error of the class")
    axes[0].legend(fontsize=7)
    figure.suptitle(f"Class-wise learning curves in high dimension: ||mu||^2 = {r:g}, priors {tuple(priors)}, "
                    f"{seeds} seeds per point", fontsize=10)
    return Drawn(figure, data)


def _solve_at(densities, problem: dict) -> Asymptotics:
    """The fixed points of ``problem`` (keyword arguments of :func:`solve`) at each row of class
    densities (N, 2), order (-, +), in one vectorised call."""
    return solve(**problem, densities=np.asarray(densities, dtype=np.float64))


def _proportional_optimum(problem: dict, dataset_densities, points: int) -> np.ndarray:
    """Class densities (D, 2) of least worst-class error on each iso-density line.

    The line of dataset density D is parametrised by the training prior phi'_-, over the range
    that d_y <= 1 allows (:func:`gmm_theory.twoclass.landscape.feasible_prior_range`).  ``points``
    interior priors of each line are scanned in one batch, then the best is refined by bounded
    Brent between its neighbours.  Brent stops short of its bounds, so the ends of the line
    where no class is emptied (one class kept whole) are candidates too.
    """
    priors = problem["priors"]
    scans = np.array([np.linspace(*feasible_prior_range(priors, D), points + 2) for D in dataset_densities])
    lines = np.concatenate([allocations_for_priors(priors, scan[1:-1], D) for scan, D in zip(scans, dataset_densities)])
    worst = np.asarray(_solve_at(lines, problem).class_errors).max(axis=1).reshape(len(scans), points)
    optima = []
    for scan, best, D in zip(scans, np.argmin(worst, axis=1) + 1, dataset_densities):
        def densities(prior):
            return allocations_for_priors(priors, [prior], D)[0]

        def worst_at(prior):
            return float(np.max(solve(**problem, densities=densities(prior)).class_errors))

        refined = minimize_scalar(worst_at, bounds=(scan[best - 1], scan[best + 1]), method="bounded",
                                  options={"xatol": 1e-9})
        ends = [end for end in (scan[0], scan[-1]) if np.all(densities(end) > 0)]
        optima.append(densities(min([refined.x, *ends], key=worst_at)))
    return np.array(optima)


@in_float64
def pruning_landscape(*, loss: str = "logistic", lam: float = 0.01, r: float = 1.0, stds=(0.5, 1.5),
                      priors=(0.5, 0.5), alpha: float = 2.0, grid: int = 30, levels=(0.3, 0.5, 0.7),
                      dataset_densities=tuple(np.linspace(0.1, 1.0, 19)), line_points: int = 48,
                      simulated_densities=(0.2, 0.4, 0.6, 0.8), dimension: int = 500, seeds: int = 16) -> Drawn:
    r"""Worst-class error of ``loss`` ERM after random class-wise pruning, at ``alpha`` samples
    per dimension before pruning.

    Keeping the fraction :math:`d_y` of class y trains on :math:`\alpha D` samples per
    dimension at priors :math:`\phi'_y = \phi_y d_y / D`, where
    :math:`D = \sum_y \phi_y d_y` is the dataset density.  Four allocations of each D are
    compared, each as class densities :math:`d_y = D \phi'_y / \phi_y`:

    - the proportional-regime optimum: the least worst-class error on the iso-density line;
    - the infinite-data optimum: the worst-class optimal training priors of the
      :math:`n \to \infty` limit at fixed d (std-proportional here; DRoP paper, Vysogorets,
      Ahuja, Kempe, ICLR 2025, Appendix B.2), realised as nearly as D allows
      (:func:`gmm_theory.twoclass.limits.optimal_quota_priors`, on the mixture projected on
      :math:`\mu`, with means :math:`\mp\sqrt{r}`);
    - one DRoP step (paper, Algorithm 1): class densities proportional to the class errors of
      the full-data fit, water-filled at D (:func:`gmm_theory.twoclass.limits.one_step_drop_priors`);
    - stratified: :math:`d_- = d_+ = D`.

    Left: the worst-class error over :math:`(d_-, d_+) \in (0, 1]^2`, with the iso-density
    lines of ``levels`` and the four allocations on each.  Right: the worst-class error of
    each allocation against D, the full-data error for reference, and ERM at dimension
    ``dimension`` for the proportional-regime optimum at ``simulated_densities``: the larger
    class-error mean over ``seeds`` seeds (the mean of the per-seed maximum would be biased
    up where the two class errors cross), :math:`\pm 1` standard error of that mean.

    ``data["worst"][i, j]`` is the worst-class error at :math:`(d_-, d_+)` =
    ``(axis[i], axis[j])``; ``data["converged"]`` holds the flags of every fixed point shown.

    Args:
        loss (str): ``"square"``, ``"logistic"`` or ``"hinge"``.
        lam (float): The ridge penalty :math:`\lambda`, >= 0.
        r (float): The signal strength :math:`r = \|\mu\|^2`, > 0 (class means
            :math:`\mp\mu`).
        stds (Sequence[float]): The class stds :math:`(\sigma_-, \sigma_+)`, positive.
        priors (Sequence[float]): The class priors :math:`(\phi_-, \phi_+)`, non-negative,
            summing to 1.
        alpha (float): Samples per dimension :math:`\alpha = n / d` before pruning, > 0.
        grid (int): Class densities per axis of the map, an integer >= 1.
        levels (Sequence[float]): The dataset densities of the map's iso-density lines, each
            in (0, 1].
        dataset_densities (Sequence[float]): The dataset densities D of the right panel, each
            in (0, 1].
        line_points (int): Interior priors scanned on each iso-density line before the
            bounded Brent refinement, an integer >= 1.
        simulated_densities (Sequence[float]): The D of the ERM simulations, each in (0, 1].
        dimension (int): The dimension d of the simulations, an integer >= 1.
        seeds (int): Simulations per point, an integer >= 1.

    Returns:
        Drawn: The figure and its data: the density ``axis``, the map ``worst`` ``(G, G)``,
        ``full_worst``, the ``converged`` flags, ``dataset_densities``, ``levels``, per
        allocation its ``densities``, ``worst`` errors and ``at_levels`` (under
        ``allocations``), and the simulations' ``simulated_densities``,
        ``simulated_allocations``, ``simulated`` worst-class means and ``standard_errors``.

    Raises:
        ValueError: If ``loss`` is unknown, ``lam`` is negative, ``r``, ``alpha`` or
            ``stds`` are not positive, ``priors`` do not sum to 1, a density is outside
            (0, 1], or ``dimension`` or ``seeds`` < 1.

    References:
        Vysogorets, Ahuja, Kempe, "DRoP: Distributionally Robust Data Pruning", ICLR 2025
        (Appendix B.2, Algorithm 1).
    """
    phi = np.asarray(priors, dtype=np.float64)
    # float64 arrays for priors and densities in every call, so single solves share one compilation.
    problem = {"alpha": alpha, "lam": lam, "r": r, "stds": stds, "priors": phi, "loss": loss}
    axis = np.asarray(density_grid(grid))
    landscape = _solve_at(grid_allocations(axis, axis), problem)
    worst = np.asarray(landscape.class_errors).max(axis=1).reshape(grid, grid)
    full = solve(**problem, densities=np.ones(2))
    full_worst = float(np.max(full.class_errors))

    def trained_class_errors(training_priors):
        """Class errors of the fit on all alpha d samples, drawn at ``training_priors``."""
        return np.asarray(solve(**{**problem, "priors": training_priors}, densities=np.ones(2)).class_errors)

    def densities_at(training_priors, D):
        return allocations_for_priors(phi, [training_priors[0]], D)[0]

    # Every allocation at each D of the right panel, of the map's levels and of the simulations.
    every = np.concatenate([dataset_densities, levels, simulated_densities]).astype(np.float64)
    ends = np.cumsum([len(dataset_densities), len(levels)])
    on_curve, on_levels, on_simulated = slice(0, ends[0]), slice(*ends), slice(ends[1], None)
    mixture = TwoClassMixture((-np.sqrt(r), np.sqrt(r)), stds, priors)
    allocated = {
        "proportional-regime optimum": _proportional_optimum(problem, every, line_points),
        "infinite-data optimum": np.array([densities_at(optimal_quota_priors(mixture, D), D) for D in every]),
        "one-step DRoP": np.array([densities_at(one_step_drop_priors(trained_class_errors, phi, D), D)
                                   for D in every]),
        "stratified": np.stack([every, every], axis=1),
    }
    fixed_points = {name: _solve_at(densities, problem) for name, densities in allocated.items()}
    errors = {name: np.asarray(points.class_errors).max(axis=1) for name, points in fixed_points.items()}

    simulated_allocations = allocated["proportional-regime optimum"][on_simulated]
    means, standard_errors = _class_error_means([
        simulate(alpha, lam, r, stds, priors, loss=loss, densities=d, dimension=dimension, seeds=seeds)
        for d in simulated_allocations])
    worse = (np.arange(len(means)), np.argmax(means, axis=1))

    figure = Figure(figsize=(12.5, 5.2), layout="constrained")
    map_ax, curve_ax = figure.subplots(1, 2)
    mesh = map_ax.pcolormesh(axis, axis, worst.T, shading="nearest", cmap="viridis")
    figure.colorbar(mesh, ax=map_ax, label="worst-class test error")
    for level, (start, end) in zip(levels, iso_density_allocations(phi, levels, 2)):
        map_ax.plot([start[0], end[0]], [start[1], end[1]], color="white", linewidth=0.8)
        angle = np.degrees(np.arctan2(end[1] - start[1], end[0] - start[0]))  # aspect is equal
        map_ax.text(*(start + 0.75 * (end - start)), f"D = {level:g}", rotation=angle, rotation_mode="anchor",
                    ha="center", va="bottom", color="white", fontsize=8)
    for rank, (name, (color, marker, size)) in enumerate(ALLOCATION_STYLES.items()):
        d = allocated[name][on_levels]
        # Allocations often coincide (e.g. all but stratified at d_+ = 1): the first listed on top.
        map_ax.plot(d[:, 0], d[:, 1], marker, color=color, markeredgecolor="black", markersize=size, label=name,
                    zorder=10 - rank)
        curve_ax.plot(every[on_curve], errors[name][on_curve], color="black" if color == "white" else color,
                      marker=marker, markersize=size / 2, markerfacecolor=color, markeredgecolor="black",
                      markeredgewidth=0.5, label=name, zorder=10 - rank)
    edge = 1 + 0.5 / grid
    map_ax.set(xlabel="class density $d_-$", ylabel="class density $d_+$", xlim=(0, edge), ylim=(0, edge),
               aspect="equal", title="Worst-class error over the class densities;\n"
                                     "white lines: dataset density D = $\\phi_- d_- + \\phi_+ d_+$")
    map_ax.legend(fontsize=7, loc="upper right")
    curve_ax.axhline(full_worst, color="gray", linestyle="--", linewidth=1, label=f"full data ({full_worst:.3f})")
    curve_ax.errorbar(every[on_simulated], means[worse], yerr=standard_errors[worse], fmt="o", color="tab:red",
                      markerfacecolor="none", markersize=7, capsize=3,
                      label=f"optimum, ERM at d = {dimension} ({seeds} seeds)")
    curve_ax.set(xlabel="dataset density D", ylabel="worst-class test error",
                 title="Worst-class error of each allocation against D")
    curve_ax.legend(fontsize=8)
    figure.suptitle(f"Pruning landscape in high dimension: {loss} loss, ridge {lam:g}, alpha = n / d = {alpha:g} "
                    f"before pruning, ||mu||^2 = {r:g}, sigma = {tuple(stds)}, priors {tuple(priors)}",
                    fontsize=10)
    converged = {"grid": np.asarray(landscape.converged).reshape(grid, grid), "full": bool(full.converged),
                 **{name: np.asarray(points.converged) for name, points in fixed_points.items()}}
    data = {"axis": axis, "worst": worst, "full_worst": full_worst, "converged": converged,
            "dataset_densities": every[on_curve], "levels": every[on_levels],
            "allocations": {name: {"densities": d[on_curve], "worst": errors[name][on_curve],
                                   "at_levels": d[on_levels]} for name, d in allocated.items()},
            "simulated_densities": every[on_simulated], "simulated_allocations": simulated_allocations,
            "simulated": means[worse], "standard_errors": standard_errors[worse]}
    return Drawn(figure, data)
