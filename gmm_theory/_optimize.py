"""L-BFGS to a gradient tolerance, shared by the population and the finite-sample fits."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax
import optax.tree_utils as otu


def minimise_lbfgs(objective, initial, tolerance, max_steps, memory_size: int = 20):
    """L-BFGS (optax, zoom line search) from ``initial`` until every gradient entry is at
    most ``tolerance`` in size; the parameters and whether that happened within ``max_steps``."""
    solver = optax.lbfgs(memory_size=memory_size)
    value_and_grad = optax.value_and_grad_from_state(objective)

    def step(carry):
        params, state = carry
        value, grad = value_and_grad(params, state=state)
        updates, state = solver.update(grad, state, params, value=value, grad=grad, value_fn=objective)
        return optax.apply_updates(params, updates), state

    def converged(state):
        largest = otu.tree_max(jax.tree.map(jnp.abs, otu.tree_get(state, "grad")))
        return (otu.tree_get(state, "count") > 0) & (largest <= tolerance)

    def running(carry):
        return ~converged(carry[1]) & (otu.tree_get(carry[1], "count") < max_steps)

    params, state = jax.lax.while_loop(running, step, (initial, solver.init(initial)))
    return params, converged(state)
