"""Figures of the proportional regime (n, d -> infinity, n / d = alpha): class-wise learning
curves of ridge ERM, theory lines (:mod:`gmm_theory.asymptotics`) against ERM simulations at
finite d (:mod:`gmm_theory.highdim`, means +-1 standard error over seeds)."""

from __future__ import annotations

import jax
import numpy as np
from matplotlib.figure import Figure

from gmm_theory.asymptotics import solve
from gmm_theory.drawn import Drawn
from gmm_theory.highdim import simulate

CLASS_COLORS = {"-": "tab:blue", "+": "tab:orange"}


def learning_curves(*, losses=("square", "logistic"), lam: float = 0.01, r: float = 1.0, stds=(0.5, 1.5),
                    priors=(0.5, 0.5), alphas=tuple(np.geomspace(0.25, 16.0, 60)),
                    simulated_alphas=(0.5, 1.0, 2.0, 4.0, 8.0), dimension: int = 500, seeds: int = 8) -> Drawn:
    """Class errors (order -, +) and the worst-class error against alpha for each loss."""
    with jax.enable_x64(True):
        alphas = np.asarray(alphas, dtype=np.float64)
        figure = Figure(figsize=(6 * len(losses), 4.6), layout="constrained")
        axes = np.atleast_1d(figure.subplots(1, len(losses), sharey=True))
        data = {"alphas": alphas, "simulated_alphas": np.asarray(simulated_alphas)}
        for ax, loss in zip(axes, losses):
            curve = jax.vmap(lambda a: solve(a, lam, r, stds, priors, loss=loss))(alphas)
            errors = np.asarray(curve.class_errors)
            trials = [simulate(a, lam, r, stds, priors, loss=loss, dimension=dimension, seeds=seeds)
                      for a in simulated_alphas]
            simulated = np.array([t.class_errors.mean(axis=0) for t in trials])
            standard_errors = np.array([t.class_errors.std(axis=0, ddof=1) / np.sqrt(seeds) for t in trials])
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
