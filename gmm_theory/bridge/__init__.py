"""Bridge: the same class-quota allocator on CNNs trained in JAX on real datasets.

Needs the ``bridge`` extra (flax, optax, scikit-learn, mnist1d, tqdm); importing any part of
the bridge without it raises a one-line :class:`gmm_theory._checks.MissingExtra`.
"""

from gmm_theory._checks import require_extra

require_extra("bridge", ("flax", "optax", "sklearn", "mnist1d", "tqdm"))
