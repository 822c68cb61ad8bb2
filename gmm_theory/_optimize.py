"""BFGS to a gradient tolerance, shared by the population and the finite-sample fits."""

from __future__ import annotations

import jax.numpy as jnp
from jax.flatten_util import ravel_pytree
from jax.scipy.optimize import minimize


def minimise_bfgs(objective, initial, tolerance, max_steps):
    """Minimise ``objective`` from the pytree ``initial`` by BFGS (``jax.scipy.optimize``,
    zoom line search) until every gradient entry is at most ``tolerance`` in size.

    Returns the minimiser (a pytree like ``initial``) and whether that tolerance was met
    within ``max_steps`` iterations.
    """
    flat, unravel = ravel_pytree(initial)
    result = minimize(lambda x: objective(unravel(x)), flat, method="BFGS",
                      options={"gtol": tolerance, "maxiter": max_steps, "norm": jnp.inf})
    return unravel(result.x), jnp.max(jnp.abs(result.jac)) <= tolerance
