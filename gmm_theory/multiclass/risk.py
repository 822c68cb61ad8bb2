"""Class-wise risks of a linear classifier on a K-class Gaussian mixture (THEORY.md section 2).

Class k is classified correctly when D_j = (w_k - w_j)^T x + (b_k - b_j) > 0 for every j != k.
Under x ~ N(mu_k, Sigma_k), D ~ N(A mu_k + c, A Sigma_k A^T) with rows A_j = w_k - w_j and
c_j = b_k - b_j, so

    R_k = 1 - P(Z <= A mu_k + c),   Z = A L_k u ~ N(0, A Sigma_k A^T),

an orthant probability in K - 1 dimensions, of rank min(K - 1, d) (:func:`gmm_theory.multiclass.orthant.orthant_probability`;
exact for K = 2).  A class j with bias -inf is never predicted (its constraint always holds);
class k itself with bias -inf has risk 1.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from gmm_theory.multiclass.classifiers import LinearClassifier
from gmm_theory.multiclass.mixture import KClassMixture
from gmm_theory.multiclass.orthant import orthant_probability


@functools.partial(jax.jit, static_argnames=("points", "shifts"))
def class_risks(mixture: KClassMixture, classifier: LinearClassifier, key, points: int = 4096,
                shifts: int = 8) -> tuple[jax.Array, jax.Array]:
    """Class risks (K,) and their ~99 % error bounds (K,; zero for K = 2)."""
    num_classes = mixture.means.shape[0]
    others = jnp.asarray(np.array([[j for j in range(num_classes) if j != k] for k in range(num_classes)]))
    weights, biases = classifier

    def risk(k, rivals, class_key):
        directions = weights[k] - weights[rivals]
        never_predicted = jnp.isneginf(biases[rivals])
        offsets = jnp.where(never_predicted, jnp.inf, biases[k] - jnp.where(never_predicted, 0.0, biases[rivals]))
        upper = directions @ mixture.means[k] + offsets
        factor = directions @ mixture.cholesky[k]  # D - E[D] = factor @ u, u ~ N(0, I_d)
        correct, error = orthant_probability(upper, factor, class_key, points, shifts)
        return jnp.where(jnp.isneginf(biases[k]), 1.0, 1.0 - correct), error

    keys = jax.random.split(key, num_classes)
    return jax.vmap(risk)(jnp.arange(num_classes), others, keys)
