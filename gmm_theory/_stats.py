"""Small statistics shared by the theory, the simulations and the bridge."""

from __future__ import annotations

import numpy as np


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
