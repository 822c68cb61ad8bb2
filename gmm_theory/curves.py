"""Curves against dataset density, shared by the theory and the CNN experiments.

A :class:`Curve` is a mean line with an optional band (min/max over seeds for CNN runs, the
n -> infinity limit has none).  :func:`draw_curves` draws any mix of them on one axes, so a
Gaussian-model prediction and a CNN result can sit in one figure; :func:`theory_curves` turns
the population limits of :mod:`gmm_theory.comparison` into accuracy curves (1 - risk), and
:func:`monte_carlo_curves` the Monte Carlo estimates at finite n (band: +-1 standard error).
"""

from __future__ import annotations

import dataclasses

import jax
import numpy as np

from gmm_theory.comparison import compare_methods, method_limits
from gmm_theory.mixture import TwoClassMixture

METHOD_COLORS = {"Random": "tab:gray", "SSP": "tab:purple", "keep-hard": "tab:red", "keep-easy": "tab:brown",
                 "Random+DRoP": "tab:orange", "Random+iterated-DRoP": "tab:green", "Random+optimal": "tab:blue",
                 "EL2N": "tab:pink", "Forgetting": "tab:olive", "EL2N+DRoP": "tab:cyan"}


def color_for(name: str, index: int = 0) -> str:
    """A fixed colour per method name, so a method looks the same in every figure."""
    return METHOD_COLORS.get(name, f"C{index % 10}")


@dataclasses.dataclass(frozen=True)
class Curve:
    label: str
    x: np.ndarray
    mean: np.ndarray
    low: np.ndarray | None = None
    high: np.ndarray | None = None
    color: str | None = None
    linestyle: str = "-"
    marker: str | None = "o"


def draw_curves(ax, curves) -> None:
    """Each curve as a line (with markers) and, where it has one, a shaded band low..high."""
    for index, curve in enumerate(curves):
        color = curve.color or color_for(curve.label, index)
        ax.plot(curve.x, curve.mean, linestyle=curve.linestyle, marker=curve.marker, markersize=4, color=color,
                label=curve.label)
        if curve.low is not None and curve.high is not None:
            ax.fill_between(curve.x, curve.low, curve.high, color=color, alpha=0.15, linewidth=0)


def _accuracy_curves(curves: dict, label: str, x, risks: dict, style: dict, errors: dict | None = None) -> None:
    """Append to ``curves["average"]`` and ``curves["worst"]`` the accuracy 1 - risk of
    ``risks`` (same keys), with a +-``errors`` band when given."""
    for key, risk in risks.items():
        band = {} if errors is None else {"low": 1 - risk - errors[key], "high": 1 - risk + errors[key]}
        curves[key].append(Curve(label, x, 1 - risk, **band, **style))


def theory_curves(mixture: TwoClassMixture, densities, *, methods=("Random", "Random+DRoP", "Random+iterated-DRoP",
                  "Random+optimal"), fit: str = "threshold") -> dict[str, list[Curve]]:
    """Average and worst-class accuracy (1 - risk) of each method in the population limit,
    keyed "average" and "worst", as dashed curves labelled "<method> (theory)"."""
    densities = np.asarray(densities, dtype=np.float64)
    limits = method_limits(mixture, densities, methods=methods, fit=fit)
    priors = np.asarray(mixture.priors)
    curves = {"average": [], "worst": []}
    for name in (m for m in methods if m in limits):
        _accuracy_curves(curves, f"{name} (theory)", densities,
                         {"average": limits[name] @ priors, "worst": limits[name].max(axis=-1)},
                         {"color": color_for(name), "linestyle": "--", "marker": None})
    return curves


def monte_carlo_curves(mixture: TwoClassMixture, key: jax.Array, n: int, densities, seeds: int, *,
                       methods=("Random", "Random+DRoP", "Random+iterated-DRoP"),
                       fit: str = "threshold") -> dict[str, list[Curve]]:
    """Average and worst-class accuracy of each method at n samples, mean over ``seeds`` with a
    +-1 standard-error band, keyed "average" and "worst", labelled "<method> (n = <n>)"."""
    densities = np.asarray(densities, dtype=np.float64)
    curves = {"average": [], "worst": []}
    for name, summary in compare_methods(mixture, key, n, densities, seeds, methods=methods, fit=fit).items():
        _accuracy_curves(curves, f"{name} (n = {n})", densities,
                         {"average": summary.average_risk_mean, "worst": summary.worst_class_risk_mean},
                         {"color": color_for(name), "linestyle": ":", "marker": "s"},
                         {"average": summary.average_risk_se, "worst": summary.worst_class_risk_se})
    return curves
