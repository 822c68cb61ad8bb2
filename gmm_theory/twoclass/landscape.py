"""Ratio landscapes: risks as functions of the training priors and of the class densities.

Random pruning with class densities (d_0, d_1) keeps dataset density d = phi_0 d_0 + phi_1 d_1
and trains at priors phi'_k = phi_k d_k / d (DRoP paper, Section 4).  So every allocation on the
iso-density line of d is one training prior phi'_0, within the range that d_k <= 1 allows,
and in the population limit the landscape over (d_0, d_1) is the prior curve seen through
that change of variables.  At finite n the landscape also depends on how much data is kept;
:func:`gmm_theory.twoclass.montecarlo.engine.sweep` evaluates the same allocations by Monte Carlo.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from gmm_theory import _checks
from gmm_theory.twoclass.limits import trained_class_risks
from gmm_theory.twoclass.mixture import TwoClassMixture


def prior_curve(mixture: TwoClassMixture, training_prior_0, fit: str = "threshold") -> jax.Array:
    """Class risks (P, 2) on ``mixture`` of the population rule of ``fit`` trained at priors
    (phi'_0, 1 - phi'_0) for each phi'_0 in ``training_prior_0`` (P,)."""
    prior_0 = jnp.asarray(_checks.as_float_vector("training_prior_0", training_prior_0))
    _checks.check_unit_interval("training_prior_0", np.asarray(prior_0))
    priors = jnp.stack([prior_0, 1 - prior_0], axis=-1)
    return jax.vmap(lambda p: trained_class_risks(mixture, p, fit))(priors)


def feasible_prior_range(priors, density) -> tuple[float, float]:
    """The training priors phi'_0 that random pruning can reach at dataset density d.

    phi_0 d_0 ranges over [max(0, d - phi_1), min(phi_0, d)] when both d_k <= 1.
    """
    priors = _checks.as_float_vector("priors", priors, 2)
    _checks.check_probability_vector("priors", priors)
    density = _checks.as_density("density", density)
    return max(0.0, density - priors[1]) / density, min(priors[0], density) / density


def allocations_for_priors(priors, training_prior_0, density) -> np.ndarray:
    """Class densities (P, 2), d_k = d phi'_k / phi_k, that keep dataset density d and train at
    priors (phi'_0, 1 - phi'_0) for each phi'_0 in ``training_prior_0``."""
    low, high = feasible_prior_range(priors, density)
    prior_0 = _checks.as_float_vector("training_prior_0", training_prior_0)
    outside = (prior_0 < low - 1e-12) | (prior_0 > high + 1e-12)
    if np.any(outside):
        raise ValueError(f"training_prior_0 must lie in [{low:.6g}, {high:.6g}] at density {density}, "
                         f"got {prior_0[outside][0]}")
    training = np.stack([prior_0, 1 - prior_0], axis=-1)
    return np.clip(float(density) * training / np.asarray(priors, dtype=np.float64), 0.0, 1.0)


def iso_density_allocations(priors, densities, points: int) -> np.ndarray:
    """Allocations (D, P, 2) on each iso-density line, phi'_0 evenly spaced over its feasible range."""
    _checks.check_count("points", points, 2)
    lines = []
    for density in _checks.as_float_vector("densities", densities):
        low, high = feasible_prior_range(priors, density)
        lines.append(allocations_for_priors(priors, np.linspace(low, high, points), density))
    return np.array(lines)


def best_allocations(allocations, values) -> tuple[np.ndarray, np.ndarray]:
    """The allocation (D, 2) of smallest ``values`` (D, P) along each line of ``allocations``
    (D, P, 2), with that value (D,); NaN values (failed fits) are skipped."""
    values = np.asarray(values, dtype=np.float64)
    if np.any(np.all(np.isnan(values), axis=-1)):
        raise ValueError("values must have a non-NaN entry on every iso-density line")
    best = np.nanargmin(values, axis=-1)
    rows = np.arange(values.shape[0])
    return np.asarray(allocations)[rows, best], values[rows, best]
