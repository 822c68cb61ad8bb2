"""Small statistics shared by the theory, the simulations and the bridge."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.special import stdtrit


def mean_and_standard_error(values) -> tuple[np.ndarray, np.ndarray]:
    """Mean over the first axis and its standard error s / sqrt(m), NaN entries left out.

    ``s`` is the sample standard deviation (ddof 1) of the m finite entries of each column:
    a column with one entry has an undefined (NaN) standard error, one with none a NaN mean.
    """
    values = np.asarray(values, dtype=np.float64)
    count = np.sum(~np.isnan(values), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(values, axis=0) / count
        spread = np.sqrt(np.nansum((values - mean) ** 2, axis=0) / (count - 1))
        return mean, spread / np.sqrt(count)


def shrunk_covariance(samples, shrinkage: float) -> np.ndarray:
    """(1 - s) S + s tr(S) / p I: the sample covariance S (ddof 1) of ``samples`` (n, p) shrunk
    towards the identity scaled to its mean variance, s = ``shrinkage`` in [0, 1] (Ledoit
    and Wolf, "A well-conditioned estimator for large-dimensional covariance matrices", 2004,
    at a fixed intensity)."""
    samples = np.asarray(samples, dtype=np.float64)
    dimension = samples.shape[1]
    centred = samples - samples.mean(axis=0)
    sample = centred.T @ centred / max(samples.shape[0] - 1, 1)
    return (1 - shrinkage) * sample + shrinkage * np.trace(sample) / dimension * np.eye(dimension)


class Interval(NamedTuple):
    """A mean over ``count`` values and its two-sided confidence interval [low, high]."""

    mean: float
    low: float
    high: float
    count: int

    def excludes(self, value: float) -> bool:
        return not self.low <= value <= self.high


def t_interval(values, level: float = 0.95) -> Interval:
    """The mean of ``values`` and its Student-t interval mean +- t_{(1 + level)/2, m - 1} s / sqrt(m),
    s the sample standard deviation (ddof 1) of the m values; NaN bounds for m = 1."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or values.size == 0 or np.isnan(values).any():
        raise ValueError(f"values must be a non-empty 1-d array without NaN, got {values!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level!r}")
    mean, count = float(values.mean()), values.size
    if count == 1:
        return Interval(mean, np.nan, np.nan, 1)
    half = stdtrit(count - 1, (1 + level) / 2) * values.std(ddof=1) / np.sqrt(count)
    return Interval(mean, mean - half, mean + half, count)
