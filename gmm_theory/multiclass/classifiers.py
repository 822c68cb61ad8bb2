"""Linear classifiers of K-class mixtures: scores s = W x + b, prediction argmax_k s_k.

The LDA rule under training priors pi' (Hastie, Tibshirani & Friedman, The Elements of
Statistical Learning, Section 4.3) uses the pooled covariance
Sigma = sum_k pi'_k Sigma_k:  w_k = Sigma^-1 mu_k,  b_k = -mu_k^T Sigma^-1 mu_k / 2 + ln pi'_k.
With equal class covariances it is the Bayes rule for the training law.

Population least squares regresses the one-hot label Y on x under the training law:
W = Cov(Y, x) Cov(x)^-1, b = E[Y] - W E[x], with E[x] = sum_k pi_k mu_k,
Cov(x) = sum_k pi_k (Sigma_k + mu_k mu_k^T) - E[x] E[x]^T and Cov(Y_k, x) = pi_k (mu_k - E[x]).

Population multinomial logistic regression minimises the expected cross-entropy under the
training law, with an optional ridge term,

    L(W, b) = sum_k pi_k E_k[logsumexp(W x + b) - (W x + b)_k] + lam ||W||_F^2 / 2,   x ~ N(mu_k, Sigma_k).

E_k[(W x + b)_k] = (W mu_k + b)_k exactly; E_k[logsumexp] is a Gaussian expectation in K
dimensions, estimated with one fixed set of standard normals z_m shared by the classes,
x = mu_k + L_k z_m.  The set is antithetic (z and -z) and rescaled so that its mean is 0
and its second moment exactly I, which makes the estimate exact for the quadratic part of
the loss and cuts the error of the fitted rule several-fold against plain Monte Carlo.
With the default 16384 draws, the fitted parameters vary between keys by about 0.5 % of
their size on overlapping classes, and class risks of the fitted rule by under 1e-3 (standard
deviations).  On nearly separable classes the minimiser is large and flat: for K = 10,
d = 32 and class risks of 0.2 % to 15 %, parameters vary by about 10 % and class risks by up
to 7e-3; raise ``samples`` there.

The estimate is itself a weighted logistic regression on fixed points, so it is smooth and
convex; Newton's method minimises it on whitened inputs (E[(x, 1)(x, 1)^T] = I).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from gmm_theory import _checks
from gmm_theory._optimize import minimise_newton
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


def _standard_normals(key, samples: int, dimension: int, dtype) -> jax.Array:
    """``samples`` points z in R^d, antithetic, with sample mean 0 and second moment I."""
    half = jax.random.normal(key, (samples // 2, dimension), dtype)
    factor = jnp.linalg.cholesky(half.T @ half / (samples // 2))
    half = jax.scipy.linalg.solve_triangular(factor, half.T, lower=True).T
    return jnp.concatenate([half, -half])


def _cross_entropy(classifier: LinearClassifier, mixture: KClassMixture, normals, ridge) -> jax.Array:
    """The estimate of L(W, b) on ``normals`` (M, d); classes with prior 0 are left out of
    the softmax (never predicted)."""
    weights, biases = classifier
    centres = mixture.means @ weights.T + biases  # (K, K): E_k[W x + b]
    spreads = jnp.einsum("kil,ml->kmi", jnp.einsum("ij,kjl->kil", weights, mixture.cholesky), normals)
    scores = jnp.where(mixture.priors > 0, centres[:, None, :] + spreads, -jnp.inf)
    log_partition = jnp.mean(jax.nn.logsumexp(scores, axis=-1), axis=-1)
    return mixture.priors @ (log_partition - jnp.diagonal(centres)) + 0.5 * ridge * jnp.sum(weights**2)


def _second_moment_factor(mixture: KClassMixture) -> jax.Array:
    """Cholesky factor of E[(x, 1)(x, 1)^T] under ``mixture``'s law, (d + 1, d + 1)."""
    num_classes, dimension = mixture.means.shape
    extended = jnp.concatenate([mixture.means, jnp.ones((num_classes, 1), mixture.means.dtype)], axis=1)
    spread = jnp.zeros((dimension + 1, dimension + 1), extended.dtype).at[:dimension, :dimension].set(
        jnp.einsum("k,kij->ij", mixture.priors, mixture.covariances))
    return jnp.linalg.cholesky(spread + jnp.einsum("k,ki,kj->ij", mixture.priors, extended, extended))


@functools.partial(jax.jit, static_argnames=("samples",))
def _fit_logistic(mixture: KClassMixture, key, ridge, tolerance, max_steps, samples: int) -> LinearClassifier:
    num_classes, dimension = mixture.means.shape
    normals = _standard_normals(key, samples, dimension, mixture.means.dtype)
    # Newton runs on theta = (W, b) F for E[(x, 1)(x, 1)^T] = F F^T, i.e. on whitened inputs.
    factor = _second_moment_factor(mixture)

    def classifier(theta):
        unwhitened = jax.scipy.linalg.solve_triangular(factor, theta.T, lower=True, trans=1).T
        return LinearClassifier(unwhitened[:, :dimension], unwhitened[:, dimension])

    # Zero start: every gradient has rows summing to zero, so the iterates stay in that
    # gauge, where the minimiser is unique.
    theta, converged = minimise_newton(lambda t: _cross_entropy(classifier(t), mixture, normals, ridge),
                                       jnp.zeros((num_classes, dimension + 1), mixture.means.dtype), tolerance,
                                       max_steps)
    weights, biases = classifier(theta)
    biases = jnp.where(mixture.priors > 0, biases, -jnp.inf)
    return LinearClassifier(*(jnp.where(converged, part, jnp.nan) for part in (weights, biases)))


def _check_logistic_arguments(mixture, samples, ridge, tolerance, max_steps) -> None:
    _checks.check_count("samples", samples, 2 * mixture.means.shape[1])
    if samples % 2:
        raise ValueError(f"samples must be even (antithetic pairs), got {samples}")
    _checks.check_count("max_steps", max_steps)
    if _checks.is_concrete(mixture.priors):
        priors = _checks.as_float_vector("mixture.priors", mixture.priors, mixture.means.shape[0])
        _checks.check_probability_vector("mixture.priors", priors)
    if _checks.is_concrete(ridge) and not 0 <= float(ridge) < np.inf:
        raise ValueError(f"ridge must be a finite number >= 0, got {ridge!r}")
    if tolerance is not None and _checks.is_concrete(tolerance) and not float(tolerance) > 0:
        raise ValueError(f"tolerance must be positive, got {tolerance!r}")


def logistic_classifier(mixture: KClassMixture, key, *, samples: int = 16384, ridge: float = 0.0,
                        tolerance: float | None = None, max_steps: int = 1000) -> LinearClassifier:
    """The population multinomial logistic rule under ``mixture``'s priors (the training priors;
    use ``mixture.with_priors``), i.e. the minimiser of L(W, b) above.

    ``samples`` (even, >= 2 d) standard normals drawn from ``key`` estimate the Gaussian
    expectations; a fixed key gives common random numbers across mixtures and priors.
    The minimiser is unique up to a vector added to every row of W and a constant added to
    every bias; the one returned has rows and biases summing to zero (up to rounding; classes
    with prior 0 get weights 0 and bias -inf).  Newton's method stops when every entry of the gradient
    with respect to the whitened parameters is at most ``tolerance`` (default 1e-7, or the
    square root of the float type's epsilon if larger: far below the sampling error); if that
    does not happen within ``max_steps`` iterations, the weights and biases are NaN.  Works
    under ``jax.jit`` (``samples`` static) and ``jax.vmap``.
    """
    _check_logistic_arguments(mixture, samples, ridge, tolerance, max_steps)
    if tolerance is None:
        tolerance = max(1e-7, float(np.sqrt(np.finfo(mixture.means.dtype).eps)))
    return _fit_logistic(mixture, key, ridge, tolerance, max_steps, samples)
