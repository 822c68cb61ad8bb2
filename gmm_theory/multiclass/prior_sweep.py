"""Class risks of the LDA rule trained at many prior vectors (:mod:`gmm_theory.multiclass.classifiers`).

Trained at priors pi', the LDA rule scores x with w_k = S'^-1 mu_k, b_k = -mu_k^T w_k / 2 + ln pi'_k,
where S' = sum_k pi'_k Sigma_k is the pooled covariance.  On class k it errs with probability

    R_k(pi') = 1 - P(Z <= A mu_k + c),   Z ~ N(0, A Sigma_k A^T),   A_j = w_k - w_j,   c_j = b_k - b_j,

an orthant probability in K - 1 dimensions (:mod:`gmm_theory.multiclass.risk`) that does not
depend on the test priors.  A sweep over P prior vectors is P K such integrals, each estimated
by Genz's method on randomly shifted rank-1 lattices (:func:`~gmm_theory.multiclass.orthant.orthant_probability`).

With equal covariances only the biases move with pi', so the constraints' covariance is shared
by all prior vectors; but Genz's variable ordering follows the limits, so each integral still
gets its own ordered factor.  That set-up (a d x d solve per prior vector, a d x (K - 1) QR per
class) is a few percent of the integration, so unequal covariances, whose pooled covariance and
so weights change with pi', cost the same.

Speed comes from the quadrature, not from sharing: a CBC lattice (3 to 4 times more accurate
than a Kronecker sequence of the same size), float32 arithmetic with cheap forms of Phi and Phi^-1,
batches of prior vectors under ``lax.map``, and a second pass that re-estimates the fraction
``refine`` of the integrals with the largest error bounds on 4 times as many points, with fresh
random shifts, so that their bounds stay honest.  Only the integration is rounded to float32;
the LDA rule is solved in the mixture's precision.  The integrals of each pass share their
random shifts (common random numbers), so the risks of a pass vary smoothly with the priors.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

from gmm_theory import _checks
from gmm_theory.multiclass.classifiers import lda_classifier
from gmm_theory.multiclass.mixture import KClassMixture
from gmm_theory.multiclass.orthant import orthant_probability
from gmm_theory.multiclass.risk import correctness_constraints

_REFINED_POINTS = 4  # the second pass uses this many times the first pass's points


def _lda_constraints(mixture: KClassMixture, priors) -> tuple[jax.Array, jax.Array]:
    """The correctness constraints (K, K - 1) and (K, K - 1, d) of the LDA rule trained at ``priors``."""
    return correctness_constraints(mixture, lda_classifier(mixture.with_priors(priors)))


# XLA's CPU backend defaults to 256-bit vectors; the integrand's long chains of dependent
# operations run about 1.25 times faster with 512-bit ones where the CPU has them.
@functools.partial(jax.jit, static_argnames=("points", "shifts", "refine", "batch", "dtype"),
                   compiler_options={"xla_cpu_prefer_vector_width": 512})
def _sweep(mixture, training_priors, key, points, shifts, refine, batch, dtype):
    first_key, second_key = jax.random.split(key)

    def probability(upper, factor, key, lattice_points):
        return orthant_probability(upper.astype(dtype), factor.astype(dtype), key, lattice_points, shifts)

    def first_pass(priors):
        return jax.vmap(probability, in_axes=(0, 0, None, None))(*_lda_constraints(mixture, priors),
                                                                first_key, points)

    correct, bounds = jax.lax.map(first_pass, training_priors, batch_size=batch)
    shape = correct.shape
    count = math.ceil(refine * correct.size)
    if count:
        _, worst = jax.lax.top_k(bounds.ravel(), count)
        rows, classes = jnp.divmod(worst, shape[1])

        def second_pass(args):
            priors, k = args
            uppers, factors = _lda_constraints(mixture, priors)
            return probability(uppers[k], factors[k], second_key, _REFINED_POINTS * points)

        again, again_bounds = jax.lax.map(second_pass, (training_priors[rows], classes), batch_size=batch)
        correct = correct.ravel().at[worst].set(again).reshape(shape)
        bounds = bounds.ravel().at[worst].set(again_bounds).reshape(shape)
    # A class with training prior 0 is never predicted: risk 1, exactly.
    impossible = training_priors == 0
    return jnp.where(impossible, 1.0, 1.0 - correct), jnp.where(impossible, 0.0, bounds)


def _check_arguments(mixture, training_priors, points, shifts, refine, batch) -> None:
    for name, value, minimum in (("points", points, 2), ("shifts", shifts, 2), ("batch", batch, 1)):
        _checks.check_count(name, value, minimum)
    if not 0 <= refine <= 1:
        raise ValueError(f"refine must lie in [0, 1], got {refine!r}")
    if not _checks.is_concrete(training_priors):
        return
    priors = np.asarray(training_priors, dtype=np.float64)
    num_classes = mixture.means.shape[0]
    if priors.ndim != 2 or priors.shape[1] != num_classes:
        raise ValueError(f"training_priors must have shape (P, {num_classes}), got {priors.shape}")
    for i, row in enumerate(priors):
        _checks.check_probability_vector(f"training_priors[{i}]", row, atol=1e-6)


def lda_risks_over_priors(mixture: KClassMixture, training_priors, key, *, points: int = 1024, shifts: int = 8,
                          refine: float = 0.25, batch: int = 4, dtype=jnp.float32) -> tuple[jax.Array, jax.Array]:
    """Class risks R_k(pi') (P, K) of the LDA rule trained at each row pi' of ``training_priors``
    (P, K), and error bounds (P, K) on them: 3 standard errors over ``shifts`` random shifts,
    which about 95-99 % of the errors stay within.

    Each risk is first estimated on a lattice of :func:`~gmm_theory.multiclass.orthant.lattice_size`
    (``points``) points, the largest prime not above ``points``; then the
    fraction ``refine`` of them with the largest bounds is re-estimated on 4 times as many.
    ``batch`` prior vectors are integrated at a time (memory grows as batch K shifts points).
    ``dtype`` is the precision of the integration; the results have that dtype.  The same
    ``key`` gives the same result.
    """
    _check_arguments(mixture, training_priors, points, shifts, refine, batch)
    priors = jnp.asarray(training_priors, mixture.priors.dtype)
    return _sweep(mixture, priors, key, points, shifts, float(refine), batch, jnp.dtype(dtype))
