"""The Bayes rule of a K-class Gaussian mixture under training priors (QDA) and its class risks.

Under training priors pi' the Bayes rule predicts argmax_k q_k(x) with

    q_k(x) = ln pi'_k + ln N(x; mu_k, Sigma_k) + (d / 2) ln 2 pi
           = ln pi'_k - sum_i ln (L_k)_ii - |L_k^-1 (x - mu_k)|^2 / 2,

quadratic in x unless the covariances are equal (then it is the LDA rule of
:mod:`gmm_theory.multiclass.classifiers`).  A class with training prior 0 is never predicted.
The class risk R_k = P(argmax_j q_j(x) != k | y = k) is not an orthant probability; it is
estimated by Monte Carlo conditional on the class: with n i.i.d. draws x = mu_k + L_k z,
z ~ N(0, I_d), R_k is the fraction misclassified, with standard error sqrt(R_k (1 - R_k) / n).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from gmm_theory import _checks
from gmm_theory.multiclass.mixture import KClassMixture


def quadratic_scores(mixture: KClassMixture, training_priors, x) -> jax.Array:
    """q_k(x) (n, K) for each row of ``x`` (n, d), under ``training_priors`` (K,)."""
    centred = x[None] - mixture.means[:, None]  # (K, n, d)
    whitened = jax.scipy.linalg.solve_triangular(mixture.cholesky, jnp.swapaxes(centred, 1, 2), lower=True)
    log_determinants = jnp.sum(jnp.log(jnp.diagonal(mixture.cholesky, axis1=1, axis2=2)), axis=-1)
    return (jnp.log(jnp.asarray(training_priors)) - log_determinants) - 0.5 * jnp.sum(whitened**2, axis=1).T


@functools.partial(jax.jit, static_argnames=("samples", "batch_size"))
def _class_risks(mixture: KClassMixture, training_priors, key, samples: int, batch_size: int):
    num_classes, dimension = mixture.means.shape
    batch_size = min(batch_size, samples)
    batches = -(-samples // batch_size)

    def misclassified(k, class_key):
        def count(total, batch):
            z = jax.random.normal(jax.random.fold_in(class_key, batch), (batch_size, dimension), mixture.means.dtype)
            x = mixture.means[k] + z @ mixture.cholesky[k].T
            wrong = jnp.argmax(quadratic_scores(mixture, training_priors, x), axis=-1) != k
            # The last batch may run past ``samples``; its extra draws are not counted.
            counted = batch * batch_size + jnp.arange(batch_size) < samples
            return total + jnp.sum(wrong & counted, dtype=total.dtype), None

        return jax.lax.scan(count, jnp.zeros((), jnp.int32), jnp.arange(batches))[0]

    counts = jax.lax.map(lambda args: misclassified(*args),
                         (jnp.arange(num_classes), jax.random.split(key, num_classes)))
    risks = counts.astype(mixture.means.dtype) / samples
    return risks, jnp.sqrt(risks * (1 - risks) / samples)


def quadratic_class_risks(mixture: KClassMixture, training_priors, key, samples: int = 65536,
                          batch_size: int = 4096) -> tuple[jax.Array, jax.Array]:
    """Class risks (K,) on ``mixture`` of its Bayes rule under ``training_priors`` and their
    Monte Carlo standard errors (K,), from ``samples`` draws per class (independent between
    classes; a fixed ``key`` gives common random numbers across training priors).

    ``mixture.priors`` play no part: class risks are conditional on the class.  Draws are
    classified ``batch_size`` at a time, which bounds memory to about K * batch_size * d
    floats.  Works under ``jax.jit`` (``samples`` and ``batch_size`` static) and ``jax.vmap``.
    """
    _checks.check_count("samples", samples)
    _checks.check_count("batch_size", batch_size)
    if _checks.is_concrete(training_priors):
        priors = _checks.as_float_vector("training_priors", training_priors, mixture.means.shape[0])
        _checks.check_probability_vector("training_priors", priors)
    return _class_risks(mixture, jnp.asarray(training_priors, mixture.means.dtype), key, samples, batch_size)
