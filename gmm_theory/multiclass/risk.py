"""Class-wise risks of a linear classifier on a K-class Gaussian mixture (an orthant
probability of the class-difference scores, Genz & Bretz 2009).

Class k is classified correctly when D_j = (w_k - w_j)^T x + (b_k - b_j) > 0 for every j != k.
Under x ~ N(mu_k, Sigma_k), D ~ N(A mu_k + c, A Sigma_k A^T) with rows A_j = w_k - w_j and
c_j = b_k - b_j, so

    R_k = 1 - P(Z <= A mu_k + c),   Z = A L_k u ~ N(0, A Sigma_k A^T),

an orthant probability in K - 1 dimensions, of rank min(K - 1, d) (:func:`gmm_theory.multiclass.orthant.orthant_probability`;
exact for K = 2).  A class j with bias -inf is never predicted (its constraint always holds);
class k itself with bias -inf has risk 1.

For a rule trained at priors pi', the Jacobian dR_k / dpi'_j follows by the chain rule through
the orthant probability (differentiated by reverse mode, one pass per class) and the
constraints (A, c as functions of pi'): the exact derivative of the quadrature estimate with
its random shifts held fixed (common random numbers), not a difference quotient.
"""

from __future__ import annotations

import functools
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from gmm_theory.multiclass.classifiers import LinearClassifier
from gmm_theory.multiclass.mixture import KClassMixture
from gmm_theory.multiclass.orthant import orthant_probability


def correctness_constraints(mixture: KClassMixture, classifier: LinearClassifier) -> tuple[jax.Array, jax.Array]:
    """``classifier`` classifies x = mu_k + L_k u (u ~ N(0, I_d)) correctly iff
    factors[k] @ u <= uppers[k]: uppers (K, K - 1) = A mu_k + c and factors (K, K - 1, d) =
    A L_k (D - E[D] = A L_k u, and -u has the law of u), rivals j != k in increasing order.
    A rival never predicted (bias -inf) gets the limit +inf; when class k itself is never
    predicted every limit of its row is -inf."""
    num_classes = mixture.means.shape[0]
    rivals = jnp.asarray(np.array([[j for j in range(num_classes) if j != k] for k in range(num_classes)]))
    weights, biases = classifier
    directions = weights[:, None, :] - weights[rivals]
    never_predicted = jnp.isneginf(biases[rivals])
    offsets = jnp.where(never_predicted, jnp.inf, biases[:, None] - jnp.where(never_predicted, 0.0, biases[rivals]))
    uppers = jnp.einsum("kjd,kd->kj", directions, mixture.means) + offsets
    uppers = jnp.where(jnp.isneginf(biases)[:, None], -jnp.inf, uppers)
    return uppers, jnp.einsum("kjd,kde->kje", directions, mixture.cholesky)


def _probabilities(uppers, factors, key, points: int, shifts: int):
    """The orthant probability of each class's constraints, one key each: (K,), (K,)."""
    keys = jax.random.split(key, uppers.shape[0])
    return jax.vmap(lambda u, f, k: orthant_probability(u, f, k, points, shifts))(uppers, factors, keys)


@functools.partial(jax.jit, static_argnames=("points", "shifts"))
def class_risks(mixture: KClassMixture, classifier: LinearClassifier, key, points: int = 4096,
                shifts: int = 8) -> tuple[jax.Array, jax.Array]:
    """Class risks (K,) and their error bounds (K,), which cover at least 99 % of errors
    (:func:`~gmm_theory.multiclass.orthant.orthant_probability`; for K = 2 only the rounding
    allowance 4 eps of the exact formula)."""
    correct, bounds = _probabilities(*correctness_constraints(mixture, classifier), key, points, shifts)
    return 1.0 - correct, bounds


def class_risks_and_gradients(mixture: KClassMixture, rule: Callable, training_priors, key, points: int = 4096,
                              shifts: int = 8) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Class risks R (K,) of ``rule(training_priors)`` (a differentiable function of the priors
    returning a :class:`LinearClassifier`), their error bounds (K,), and the Jacobian
    dR_k / dpi'_j (K, K), in one traced computation (wrap it in ``jax.jit``).

    The risks and bounds are those of :func:`class_risks` with the same key.  Reverse mode
    gives each class's gradient of its orthant probability with respect to its limits and
    factor (one backward pass per class); the pullback of the constraints then maps class k's
    gradient to row k of the Jacobian.
    """
    num_classes = mixture.means.shape[0]
    (uppers, factors), pullback = jax.vjp(lambda p: correctness_constraints(mixture, rule(p)), training_priors)
    keys = jax.random.split(key, num_classes)

    def probability(upper, factor, class_key):
        return orthant_probability(upper, factor, class_key, points, shifts)

    (correct, bounds), (upper_grads, factor_grads) = jax.vmap(
        jax.value_and_grad(probability, argnums=(0, 1), has_aux=True))(uppers, factors, keys)
    selector = jnp.eye(num_classes, dtype=uppers.dtype)
    rows = jax.vmap(lambda e: pullback((e[:, None] * upper_grads, e[:, None, None] * factor_grads))[0])(selector)
    return 1.0 - correct, bounds, -rows
