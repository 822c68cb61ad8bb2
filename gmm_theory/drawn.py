"""The return type of every figure function: the figure and the arrays it shows."""

from __future__ import annotations

from typing import NamedTuple

from matplotlib.figure import Figure


class Drawn(NamedTuple):
    """A figure and the arrays it shows."""

    figure: Figure
    data: dict
