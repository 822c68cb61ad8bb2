"""High-dimensional simulation of the model of :mod:`gmm_theory.highdim.asymptotics`: real ERM fits in
JAX at finite d, to check the asymptotic theory.

A trial draws round(alpha' d) training samples with the training priors of random class-wise
pruning (alpha' and priors from :func:`gmm_theory.highdim.asymptotics.pruned_problem`), with
mu = sqrt(r) e_1, fits w, b by minimising sum_i loss(y_i (w.x_i / sqrt(d) + b)) + lam ||w||^2 / 2
(the square loss in closed form, the logistic loss by Newton's method, the hinge loss exactly through its
dual, :mod:`gmm_theory.highdim.soft_margin`), and reports the exact class errors of the fitted rule,
Phi(-(m + y b) / (sigma_y sqrt(q))), with m = w.mu / sqrt(d) and q = ||w||^2 / d.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import ndtr

from gmm_theory._checks import check_choice
from gmm_theory._optimize import minimise_newton
from gmm_theory.highdim.asymptotics import LABELS, LOSSES, loss_value, pruned_problem
from gmm_theory.highdim.soft_margin import fit_soft_margin

_GRADIENT_TOLERANCE = 1e-9
_MAX_STEPS = 100


class Trials(NamedTuple):
    """Per-seed overlaps (S,), biases (S,), class errors (S, 2), mean training losses (S,) and
    whether each fit reached its optimality tolerance (S,)."""

    m: np.ndarray
    q: np.ndarray
    bias: np.ndarray
    class_errors: np.ndarray
    train_loss: np.ndarray
    converged: np.ndarray


def _sample(key, n: int, dimension: int, r, stds, priors):
    label_key, noise_key = jax.random.split(key)
    y = jnp.where(jax.random.uniform(label_key, (n,)) < priors[1], 1.0, -1.0)
    spread = jnp.where(y > 0, stds[1], stds[0])
    x = spread[:, None] * jax.random.normal(noise_key, (n, dimension))
    return x.at[:, 0].add(y * jnp.sqrt(r)), y


def _objective(loss: str, x, y, lam):
    scale = 1 / np.sqrt(x.shape[1])

    def objective(params):
        weights, bias = params
        return jnp.sum(loss_value(loss, y * (x @ weights * scale + bias))) + lam * jnp.sum(weights**2) / 2

    return objective


def _fit_square(x, y, lam):
    n, dimension = x.shape
    design = jnp.concatenate([x / np.sqrt(dimension), jnp.ones((n, 1))], axis=1)
    penalty = jnp.diag(jnp.concatenate([jnp.full(dimension, lam), jnp.zeros(1)]))
    solution = jnp.linalg.solve(design.T @ design + penalty, design.T @ y)
    return solution[:-1], solution[-1]


@functools.partial(jax.jit, static_argnames=("loss", "n", "dimension"))
def _trial(key, loss: str, n: int, dimension: int, lam, r, stds, priors):
    x, y = _sample(key, n, dimension, r, stds, priors)
    if loss == "square":
        (weights, bias), converged = _fit_square(x, y, lam), jnp.asarray(True)
    elif loss == "hinge":
        weights, bias, _, converged = fit_soft_margin(x / np.sqrt(dimension), y, lam)
    else:
        initial = (jnp.zeros(dimension), jnp.zeros(()))
        (weights, bias), converged = minimise_newton(_objective(loss, x, y, lam), initial, _GRADIENT_TOLERANCE,
                                                    _MAX_STEPS)
    m = weights[0] * jnp.sqrt(r) / np.sqrt(dimension)
    q = jnp.sum(weights**2) / dimension
    errors = ndtr(-(m + jnp.asarray(LABELS) * bias) / (stds * jnp.sqrt(q)))
    train_loss = jnp.mean(loss_value(loss, y * (x @ weights / np.sqrt(dimension) + bias)))
    return m, q, bias, errors, train_loss, converged


def simulate(alpha, lam, r, stds, priors, *, loss: str = "logistic", densities=(1.0, 1.0), dimension: int = 1000,
             seeds: int = 8, seed: int = 0) -> Trials:
    """``seeds`` independent ERM fits at dimension ``dimension`` (same ``seed``, same result)."""
    check_choice("loss", loss, LOSSES)
    stds, priors = jnp.asarray(stds, float), jnp.asarray(priors, float)
    train_alpha, train_priors = pruned_problem(alpha, priors, jnp.asarray(densities, float))
    n = int(round(float(train_alpha) * dimension))
    keys = jax.random.split(jax.random.key(seed), seeds)
    results = [_trial(key, loss, n, dimension, lam, r, stds, train_priors) for key in keys]
    return Trials(*(np.array(values) for values in zip(*results)))
