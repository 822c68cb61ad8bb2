"""Curves against dataset density, shared by the theory and the CNN experiments.

A :class:`Curve` is a mean line with an optional band (min/max over seeds for CNN runs, the
n -> infinity limit has none).  :func:`draw_curves` draws any mix of them on one axes, so a
Gaussian-model prediction and a CNN result can sit in one figure; :func:`theory_curves` turns
the population limits of :mod:`gmm_theory.comparison` into accuracy curves (1 - risk).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from gmm_theory.comparison import method_limits
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


def theory_curves(mixture: TwoClassMixture, densities, *, methods=("Random", "Random+DRoP", "Random+iterated-DRoP",
                  "Random+optimal"), fit: str = "threshold") -> dict[str, list[Curve]]:
    """Average and worst-class accuracy (1 - risk) of each method in the population limit,
    keyed "average" and "worst", as dashed curves labelled "<method> (theory)"."""
    densities = np.asarray(densities, dtype=np.float64)
    limits = method_limits(mixture, densities, methods=methods, fit=fit)
    priors = np.asarray(mixture.priors)
    curves = {"average": [], "worst": []}
    for name in (m for m in methods if m in limits):
        style = {"color": color_for(name), "linestyle": "--", "marker": None}
        curves["average"].append(Curve(f"{name} (theory)", densities, 1 - limits[name] @ priors, **style))
        curves["worst"].append(Curve(f"{name} (theory)", densities, 1 - limits[name].max(axis=-1), **style))
    return curves

