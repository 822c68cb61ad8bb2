"""K-class Gaussian mixtures in d dimensions: x | y=k ~ N(mu_k, Sigma_k), P(y=k) = pi_k.

Covariances are given per class as isotropic variances (K,), diagonal variances (K, d) or
full matrices (K, d, d), and stored full.  Concrete inputs are validated on construction
(shapes agree, priors a probability vector, every covariance symmetric positive definite);
the Cholesky factors are kept for sampling and whitening.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from gmm_theory import _checks
from gmm_theory._stats import shrunk_covariance


def _as_array(name: str, value, ndim: int) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an array of numbers, got {value!r}") from None
    if array.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite")
    return array


def full_covariances(covariances, num_classes: int, dimension: int) -> np.ndarray:
    """Covariances (K, d, d) from isotropic variances (K,), diagonal variances (K, d) or full
    matrices (K, d, d); a ``ValueError`` names any shape mismatch or non-positive variance."""
    array = np.asarray(covariances, dtype=np.float64)
    if array.shape == (num_classes,):
        _checks.check_positive("covariances", array)
        return array[:, None, None] * np.eye(dimension)
    if array.shape == (num_classes, dimension):
        bad = np.argwhere(~(array > 0))
        if bad.size:
            raise ValueError(f"covariances[{bad[0][0]}, {bad[0][1]}] (a variance) must be positive, "
                             f"got {array[tuple(bad[0])]}")
        return array[:, :, None] * np.eye(dimension)
    if array.shape == (num_classes, dimension, dimension):
        return array
    raise ValueError(f"covariances must have shape (K,), (K, d) or (K, d, d) = ({num_classes},), "
                     f"({num_classes}, {dimension}) or ({num_classes}, {dimension}, {dimension}); got {array.shape}")


def _validate(means, covariances, priors) -> np.ndarray:
    """Checks the spec; returns the Cholesky factors (K, d, d)."""
    means = _as_array("means", means, 2)
    num_classes, dimension = means.shape
    if num_classes < 2:
        raise ValueError(f"means must have at least 2 classes (rows), got {num_classes}")
    priors = _checks.as_float_vector("priors", priors, num_classes)
    _checks.check_probability_vector("priors", priors)
    if not np.all(np.isfinite(np.asarray(covariances, dtype=np.float64))):
        raise ValueError("covariances must be finite")
    full = full_covariances(covariances, num_classes, dimension)
    factors = np.empty_like(full)
    for k, matrix in enumerate(full):
        if not np.allclose(matrix, matrix.T, rtol=1e-10, atol=1e-12 * np.abs(matrix).max()):
            raise ValueError(f"covariances[{k}] must be symmetric")
        try:
            factors[k] = np.linalg.cholesky(matrix)
        except np.linalg.LinAlgError:
            raise ValueError(f"covariances[{k}] must be positive definite") from None
    return factors


@jax.tree_util.register_pytree_node_class
@dataclasses.dataclass(frozen=True, init=False)
class KClassMixture:
    """K Gaussian classes in d dimensions; a frozen pytree (``jit``, ``vmap``, ``grad``).

    Fields: ``means`` (K, d), ``covariances`` (K, d, d), ``cholesky`` (K, d, d, lower
    triangular, Sigma_k = L_k L_k^T) and ``priors`` (K,).
    """

    means: jax.Array
    covariances: jax.Array
    cholesky: jax.Array
    priors: jax.Array

    def __init__(self, means, covariances, priors):
        if _checks.is_concrete(means, covariances, priors):
            factors = _validate(means, covariances, priors)
            means = np.asarray(means, dtype=np.float64)
            covariances = full_covariances(covariances, *means.shape)
        else:
            factors = jnp.linalg.cholesky(covariances)
        for field, value in zip(("means", "covariances", "cholesky", "priors"),
                                (means, covariances, factors, priors)):
            object.__setattr__(self, field, jnp.asarray(value, dtype=float))

    @property
    def num_classes(self) -> int:
        return self.means.shape[0]

    @property
    def dimension(self) -> int:
        return self.means.shape[1]

    def with_priors(self, priors) -> "KClassMixture":
        """The same class-conditional laws under other class priors (not validated: used
        under ``jit`` and ``vmap`` over many training priors)."""
        return self.tree_unflatten(None, (self.means, self.covariances, self.cholesky, jnp.asarray(priors)))

    def tree_flatten(self):
        return (self.means, self.covariances, self.cholesky, self.priors), None

    @classmethod
    def tree_unflatten(cls, aux_data, children):
        mixture = object.__new__(cls)
        for field, value in zip(("means", "covariances", "cholesky", "priors"), children):
            object.__setattr__(mixture, field, value)
        return mixture


def sample(mixture: KClassMixture, key: jax.Array, n: int) -> tuple[jax.Array, jax.Array]:
    """``n`` i.i.d. draws: y ~ Categorical(pi), x = mu_y + L_y z with z ~ N(0, I_d)."""
    label_key, noise_key = jax.random.split(key)
    y = jax.random.categorical(label_key, jnp.log(mixture.priors), shape=(n,)).astype(jnp.int32)
    z = jax.random.normal(noise_key, (n, mixture.dimension), dtype=mixture.means.dtype)
    return mixture.means[y] + jnp.einsum("nij,nj->ni", mixture.cholesky[y], z), y


def random_mixture(seed: int, num_classes: int, dimension: int, *, separation: float = 4.0,
                   heterogeneity: float = 0.5, priors=None) -> KClassMixture:
    """A random K-class mixture with isotropic classes of unequal spread.

    Means mu_k ~ N(0, separation^2 / (2 d) I_d), so the expected squared distance between two
    means is separation^2; class k has covariance sigma_k^2 I_d with ln sigma_k ~ U(-h, h),
    h = ``heterogeneity`` (0 gives equal covariances, where LDA is the Bayes rule).  Priors
    are uniform unless given.  The same ``seed`` gives the same mixture.
    """
    if num_classes < 2 or dimension < 1:
        raise ValueError(f"num_classes must be >= 2 and dimension >= 1, got {num_classes} and {dimension}")
    if not (np.isfinite(separation) and separation > 0):
        raise ValueError(f"separation must be positive and finite, got {separation}")
    if not (np.isfinite(heterogeneity) and heterogeneity >= 0):
        raise ValueError(f"heterogeneity must be non-negative and finite, got {heterogeneity}")
    # The covariances and their Cholesky factors, (K, d, d) each, and the K^2 class-pair terms.
    _checks.check_memory(f"a mixture of {num_classes} classes in {dimension} dimensions",
                         8.0 * num_classes * (3 * dimension * dimension + 4 * num_classes))
    rng = np.random.default_rng(seed)
    means = separation / np.sqrt(2 * dimension) * rng.normal(size=(num_classes, dimension))
    stds = np.exp(heterogeneity * rng.uniform(-1, 1, size=num_classes))
    priors = np.full(num_classes, 1 / num_classes) if priors is None else priors
    return KClassMixture(means, stds**2, priors)


def fit_mixture(features, labels, *, components: int | None = None, shrinkage: float = 0.1) -> KClassMixture:
    """Gaussian class fits to ``features`` (n, p) with labels 0..K-1 (n,).

    The features are centred and projected on their top ``components`` principal directions
    (all p by default); in that space class k gets its sample mean, its sample covariance
    shrunk towards a multiple of the identity, (1 - s) S_k + s tr(S_k) / m I with
    s = ``shrinkage`` (Ledoit and Wolf, 2004, fixed intensity), and its frequency as prior.
    """
    features = np.asarray(features, dtype=np.float64)
    labels = np.asarray(labels)
    if features.ndim != 2 or labels.shape != features.shape[:1]:
        raise ValueError(f"features must be (n, p) and labels (n,), got {features.shape} and {labels.shape}")
    if not np.all(np.isfinite(features)):
        raise ValueError("features must be finite")
    if not 0 <= shrinkage <= 1:
        raise ValueError(f"shrinkage must lie in [0, 1], got {shrinkage}")
    components = features.shape[1] if components is None else components
    _checks.check_count("components", components)
    if components > min(features.shape):
        raise ValueError(f"components must be at most min(n, p) = {min(features.shape)}, got {components}")
    counts = np.bincount(labels, minlength=int(labels.max()) + 1)
    if np.any(counts < 2):
        raise ValueError(f"every class needs at least 2 samples; class {int(np.argmin(counts))} has {counts.min()}")
    centred = features - features.mean(axis=0)
    directions = np.linalg.svd(centred, full_matrices=False)[2][:components]
    projected = centred @ directions.T
    means = np.array([projected[labels == k].mean(axis=0) for k in range(counts.size)])
    covariances = np.array([shrunk_covariance(projected[labels == k], shrinkage) for k in range(counts.size)])
    return KClassMixture(means, covariances, counts / counts.sum())
