"""Drawing helpers shared by every figure family: the result type, colours, curves, saving.

A figure function returns :class:`Drawn` (the Figure and the arrays it shows).  A
:class:`Curve` is a mean line with an optional band (min/max over seeds for CNN runs, +-1
standard error for Monte Carlo, none for an n -> infinity limit); :func:`draw_curves` draws
any mix of them on one axes, so a Gaussian-model prediction and a CNN result can sit in one
figure.  :func:`save` writes PNG and PDF byte-for-byte reproducibly.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import NamedTuple

import numpy as np
from matplotlib.figure import Figure

from gmm_theory._io import replacing


class Drawn(NamedTuple):
    """A figure and the arrays it shows.

    What every figure function returns: a named tuple, so ``figure, data = drawn`` works.

    Args:
        figure (matplotlib.figure.Figure): The figure, built without pyplot (a notebook
            displays it; :func:`save` writes it).
        data (dict): The arrays the figure shows, by name (nested dicts for panels and
            methods), the same on every run.
    """

    #: The figure, built without pyplot.
    figure: Figure
    #: The arrays the figure shows, by name.
    data: dict


METHOD_COLORS = {"Random": "tab:gray", "SSP": "tab:purple", "keep-hard": "tab:red", "keep-easy": "tab:brown",
                 "Random+DRoP": "tab:orange", "Random+iterated-DRoP": "tab:green", "Random+optimal": "tab:blue",
                 "EL2N": "tab:pink", "Forgetting": "tab:olive", "EL2N+DRoP": "tab:cyan"}


def color_for(name: str, index: int = 0) -> str:
    """A fixed colour per method name, so a method looks the same in every figure."""
    return METHOD_COLORS.get(name, f"C{index % 10}")


@dataclasses.dataclass(frozen=True)
class Curve:
    r"""A mean line with an optional band, as :func:`draw_curves` draws it.

    The band is min/max over seeds for CNN runs, :math:`\pm 1` standard error for Monte
    Carlo, none for an :math:`n \to \infty` limit, so a Gaussian-model prediction and a CNN
    result can sit in one figure.  Frozen.

    Args:
        label (str): The legend label; also picks the colour when ``color`` is ``None``.
        x (numpy.ndarray): The abscissae, shape ``(P,)``.
        mean (numpy.ndarray): The line, shape ``(P,)``.
        low (numpy.ndarray | None): The band's lower edge ``(P,)``; no band unless ``high``
            is given too.
        high (numpy.ndarray | None): The band's upper edge ``(P,)``.
        color (str | None): A matplotlib colour; ``None`` for the method's fixed colour (or
            the next default colour for other labels).
        linestyle (str): A matplotlib line style.
        marker (str | None): A matplotlib marker, or ``None`` for a plain line.
    """

    label: str
    x: np.ndarray
    mean: np.ndarray
    low: np.ndarray | None = None
    high: np.ndarray | None = None
    color: str | None = None
    linestyle: str = "-"
    marker: str | None = "o"


def draw_curves(ax, curves) -> None:
    """Each curve as a line (with markers) and, where it has one, a shaded band low..high.

    A curve without a colour of its own takes its method's fixed colour (the same in every
    figure) or, for other labels, matplotlib's ``C<i>`` for its position i.

    Args:
        ax (matplotlib.axes.Axes): The axes to draw on.
        curves (Iterable[Curve]): The curves, drawn in order.
    """
    for index, curve in enumerate(curves):
        color = curve.color or color_for(curve.label, index)
        ax.plot(curve.x, curve.mean, linestyle=curve.linestyle, marker=curve.marker, markersize=4, color=color,
                label=curve.label)
        if curve.low is not None and curve.high is not None:
            ax.fill_between(curve.x, curve.low, curve.high, color=color, alpha=0.15, linewidth=0)


_METADATA = {"png": {"Software": None}, "pdf": {"Creator": None, "Producer": None, "CreationDate": None}}


def save(figure: Figure, directory, name: str) -> list[Path]:
    """Write ``name``.png and ``name``.pdf into ``directory``, byte-for-byte reproducibly (no
    dates or version strings) and atomically (a failed write never replaces a good file).

    A figure with a layout engine is laid out once and the engine then switched off, so that
    every save of it is identical.  PNGs are at 150 dpi.

    Args:
        figure (matplotlib.figure.Figure): The figure to save.
        directory (str | os.PathLike): The output folder, created if needed.
        name (str): The file name without extension.

    Returns:
        list[pathlib.Path]: The PNG and the PDF written, in that order.
    """
    if figure.get_layout_engine() is not None:
        # Constrained layout restarts from the current positions at every draw; fixing it
        # after one pass makes every save of the figure identical.
        figure.draw_without_rendering()
        figure.set_layout_engine("none")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for extension, metadata in _METADATA.items():
        path = directory / f"{name}.{extension}"
        with replacing(path) as handle:
            figure.savefig(handle, format=extension, dpi=150, metadata=metadata)
        paths.append(path)
    return paths
