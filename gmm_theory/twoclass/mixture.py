"""Mixture specifications.

The two-class univariate model of the DRoP paper (Vysogorets, Ahuja, Kempe, ICLR 2025,
Section 4 and Appendix B): classes k in {0, 1} with priors phi_k and
x | y=k ~ N(mu_k, sigma_k^2), mu_0 < mu_1.
"""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp

from gmm_theory import _checks
from gmm_theory.twoclass.paper import PAPER_MEANS, PAPER_PRIORS, PAPER_STDS



@jax.tree_util.register_pytree_node_class
@dataclasses.dataclass(frozen=True, init=False)
class TwoClassMixture:
    """Two univariate Gaussian classes: x | y=k ~ N(means[k], stds[k]^2), P(y=k) = priors[k].

    A frozen pytree, so it passes through ``jax.jit``, ``jax.vmap`` and ``jax.grad``.
    Concrete inputs are validated on construction (stds positive, priors in [0, 1] summing
    to 1, means strictly increasing, everything finite); values seen while tracing are not.
    Leaves take JAX's default float dtype: enable float64 with ``jax.enable_x64(True)``
    for results accurate to ~1e-12.
    """

    means: jax.Array
    stds: jax.Array
    priors: jax.Array

    def __init__(self, means=PAPER_MEANS, stds=PAPER_STDS, priors=PAPER_PRIORS):
        if _checks.is_concrete(means, stds, priors):
            _validate(means, stds, priors)
        object.__setattr__(self, "means", jnp.asarray(means, dtype=float))
        object.__setattr__(self, "stds", jnp.asarray(stds, dtype=float))
        object.__setattr__(self, "priors", jnp.asarray(priors, dtype=float))

    @classmethod
    def unchecked(cls, means, stds, priors) -> "TwoClassMixture":
        """A mixture from arrays without validation, for estimates computed from samples."""
        return cls.tree_unflatten(None, (means, stds, priors))

    def with_priors(self, priors) -> "TwoClassMixture":
        """The same class-conditional laws under other class priors."""
        return TwoClassMixture(self.means, self.stds, priors)

    def tree_flatten(self):
        return (self.means, self.stds, self.priors), None

    @classmethod
    def tree_unflatten(cls, aux_data, children):
        # Bypass validation: JAX rebuilds mixtures from tracers, cotangents and batched leaves.
        mixture = object.__new__(cls)
        for field, value in zip(("means", "stds", "priors"), children):
            object.__setattr__(mixture, field, value)
        return mixture


def _validate(means, stds, priors) -> None:
    means = _checks.as_float_vector("means", means, 2)
    stds = _checks.as_float_vector("stds", stds, 2)
    priors = _checks.as_float_vector("priors", priors, 2)
    _checks.check_positive("stds", stds)
    _checks.check_probability_vector("priors", priors)
    if not means[0] < means[1]:
        raise ValueError(f"means must be strictly increasing (mu_0 < mu_1), got {means.tolist()}")
    # The closed forms square standardised means (mu / sigma)^2 and 1 / sigma^2: beyond the
    # square root of the largest float they overflow into silently trivial answers.
    largest = math.sqrt(float(jnp.finfo(jax.dtypes.canonicalize_dtype(float)).max)) / 100
    scale = max(float(abs(means).max()), 1.0) / float(stds.min())
    if not scale <= largest:
        raise ValueError(f"means and stds must keep max(|mean|, 1) / std below {largest:.3g} (the closed forms "
                         f"square it), got {scale:.3g}")


def sample(mixture: TwoClassMixture, key: jax.Array, n: int) -> tuple[jax.Array, jax.Array]:
    """``n`` i.i.d. draws ``(x, y)``: y ~ Bernoulli(phi_1), x | y ~ N(mu_y, sigma_y^2).

    Returns ``x`` (float, shape (n,)) and ``y`` (int32 labels in {0, 1}) in sampling order,
    which is a uniformly random order within each class.
    """
    label_key, noise_key = jax.random.split(key)
    y = jax.random.bernoulli(label_key, mixture.priors[1], (n,)).astype(jnp.int32)
    noise = jax.random.normal(noise_key, (n,), dtype=mixture.means.dtype)
    return mixture.means[y] + mixture.stds[y] * noise, y
