"""Newton's method to a gradient tolerance, shared by the population and the finite-sample fits."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

_ARMIJO = 1e-4  # sufficient decrease f(x + t p) <= f(x) + c t g.p
_SMALLEST_STEP = 2.0**-40
# Hessian eigenvalues below this fraction of the largest count as zero: the step leaves alone
# the directions the objective ignores (e.g. the gauge of multinomial logits).
_RELATIVE_CUTOFF = 1e-10


def minimise_newton(objective, initial, tolerance, max_steps):
    """Minimise a smooth convex ``objective`` from the pytree ``initial`` by Newton's method
    with a backtracking (Armijo) line search, until every gradient entry is at most
    ``tolerance`` in size.  Each step is the minimum-norm solution of H p = -g (through the
    eigendecomposition of the Hessian), so iterates stay in the subspace, orthogonal to the
    directions the objective does not depend on, where they started.

    Newton's method converges quadratically near the minimiser, so it reaches gradient
    tolerances near machine precision, where quasi-Newton line searches stall on objective
    values that no longer change.  One step is taken after the tolerance is met.  Returns the
    minimiser (a pytree like ``initial``) and whether the tolerance was met within
    ``max_steps`` steps.
    """
    flat, unravel = ravel_pytree(initial)

    def value(x):
        return objective(unravel(x))

    gradient, hessian = jax.grad(value), jax.hessian(value)

    def step(state):
        x, g, count, _ = state
        eigenvalues, vectors = jnp.linalg.eigh(hessian(x))
        kept = eigenvalues > _RELATIVE_CUTOFF * eigenvalues[-1]
        direction = -vectors @ jnp.where(kept, (vectors.T @ g) / jnp.where(kept, eigenvalues, 1.0), 0.0)
        start, slope = value(x), g @ direction
        # Near the minimiser the decrease falls below the rounding of f: steps that raise f by
        # no more than that rounding count as decreasing, so Newton's last steps are taken.
        noise = 8 * jnp.finfo(x.dtype).eps * jnp.abs(start)

        def too_long(t):
            return (value(x + t * direction) > start + _ARMIJO * t * slope + noise) & (t > _SMALLEST_STEP)

        t = jax.lax.while_loop(too_long, lambda t: t / 2, jnp.asarray(1.0, x.dtype))
        stalled = t <= _SMALLEST_STEP
        moved = jnp.where(stalled, x, x + t * direction)
        return moved, gradient(moved), count + 1, stalled

    def running(state):
        _, g, count, stalled = state
        return (jnp.max(jnp.abs(g)) > tolerance) & (count < max_steps) & ~stalled

    state = jax.lax.while_loop(running, step, (flat, gradient(flat), 0, jnp.asarray(False)))
    # One more step squares the error that met the tolerance, so the answer no longer depends
    # on which side of it rounding put the last iterate (single and vmapped calls agree).
    x, g, _, _ = step(state)
    return unravel(x), jnp.max(jnp.abs(g)) <= tolerance
