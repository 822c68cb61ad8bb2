"""Linear classifiers of K-class mixtures: scores s = W x + b, prediction argmax_k s_k.

The LDA rule under training priors pi' (THEORY.md section 2) uses the pooled covariance
Sigma = sum_k pi'_k Sigma_k:  w_k = Sigma^-1 mu_k,  b_k = -mu_k^T Sigma^-1 mu_k / 2 + ln pi'_k.
With equal class covariances it is the Bayes rule for the training law.

Population least squares regresses the one-hot label Y on x under the training law:
W = Cov(Y, x) Cov(x)^-1, b = E[Y] - W E[x], with E[x] = sum_k pi_k mu_k,
Cov(x) = sum_k pi_k (Sigma_k + mu_k mu_k^T) - E[x] E[x]^T and Cov(Y_k, x) = pi_k (mu_k - E[x]).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from gmm_theory.multiclass.mixture import KClassMixture


class LinearClassifier(NamedTuple):
    """Scores ``weights @ x + biases``; a class with bias -inf is never predicted."""

    weights: jax.Array
    biases: jax.Array

    def predict(self, x) -> jax.Array:
        """argmax_k (w_k . x + b_k) for each row of ``x`` (n, d)."""
        return jnp.argmax(x @ self.weights.T + self.biases, axis=-1)


@jax.jit
def lda_classifier(mixture: KClassMixture) -> LinearClassifier:
    """The LDA rule fitted to ``mixture`` (use ``mixture.with_priors`` for training priors)."""
    pooled = jnp.einsum("k,kij->ij", mixture.priors, mixture.covariances)
    weights = jnp.linalg.solve(pooled, mixture.means.T).T
    biases = -0.5 * jnp.sum(weights * mixture.means, axis=-1) + jnp.log(mixture.priors)
    return LinearClassifier(weights, biases)


@jax.jit
def least_squares_classifier(mixture: KClassMixture) -> LinearClassifier:
    """The population least-squares rule of one-hot labels on ``mixture``'s law."""
    priors = mixture.priors
    mean = priors @ mixture.means
    second_moment = jnp.einsum("k,kij->ij", priors, mixture.covariances + jnp.einsum(
        "ki,kj->kij", mixture.means, mixture.means))
    covariance = second_moment - jnp.outer(mean, mean)
    cross = priors[:, None] * (mixture.means - mean)
    weights = jnp.linalg.solve(covariance, cross.T).T
    return LinearClassifier(weights, priors - weights @ mean)
