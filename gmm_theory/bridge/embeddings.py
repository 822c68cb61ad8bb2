"""A K-class Gaussian mixture fitted to a CNN's embeddings of a real dataset, so the theory's
allocators (:mod:`gmm_theory.multiclass.allocators`) can be compared on real class geometry.

The query model of the bridge (same recipe, trained on the full training split) embeds the
held-out validation and test samples; :func:`gmm_theory.multiclass.mixture.fit_mixture`
fits one Gaussian per class to those embeddings.  Held-out samples are used because the
training embeddings of a network that fits its training set are far better separated than
the classes the network will see.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from gmm_theory.bridge.datasets import Dataset
from gmm_theory.bridge.pipeline import BridgeConfig, prepare, selection_key
from gmm_theory.bridge.train import class_recalls, predict, train
from gmm_theory.multiclass.mixture import KClassMixture, fit_mixture


class EmbeddingMixture(NamedTuple):
    """The fitted mixture and the query model's own held-out class recalls (K,)."""

    mixture: KClassMixture
    cnn_recalls: np.ndarray


def embedding_mixture(config: BridgeConfig = BridgeConfig(), *, components: int = 8, shrinkage: float = 0.1,
                      dataset: Dataset | None = None) -> EmbeddingMixture:
    """Train the full-data query model of ``config`` and fit a mixture to its held-out
    embeddings (``components`` principal directions, covariance ``shrinkage``).

    The query model (the run's recipe, trained on the full training split without
    augmentation, from the key of the run's first query phase) embeds the validation and
    test samples; :func:`gmm_theory.multiclass.mixture.fit_mixture` fits one Gaussian per
    class to those embeddings, in float64.  Held-out samples are used because the training
    embeddings of a network that fits its training set are far better separated than the
    classes the network will see.

    Args:
        config (BridgeConfig): The run whose dataset, recipe, seed and progress setting are
            used; its scorer, quoter and density play no part.
        components (int): The number of principal directions of the embeddings the mixture
            lives in, an integer in ``1 .. min(n, E)`` (n held-out samples, E the embedding
            width).
        shrinkage (float): Covariance shrinkage towards a multiple of the identity, in [0, 1].
        dataset (Dataset | None): The dataset, when already loaded; ``None`` loads
            ``config.dataset`` from ``config.root``.

    Returns:
        EmbeddingMixture: A named tuple of the fitted
        :class:`gmm_theory.multiclass.mixture.KClassMixture` (``mixture``) and the query
        model's own class recalls on the held-out samples (``cnn_recalls``, shape ``(K,)``).

    Raises:
        ValueError: If ``components`` is not an integer in ``1 .. min(n, E)``, ``shrinkage``
            is outside [0, 1], a class has fewer than 2 held-out samples, or the dataset or
            the model does not fit the recipe (see :func:`run`).
        FileNotFoundError: If the dataset's files are missing (see :func:`load_dataset`).
    """
    dataset, recipe, model, arrays = prepare(config, dataset)
    variables, _ = train(model, arrays.x_train, arrays.y_train, recipe.query_training,
                         jax.random.fold_in(selection_key(config), 0), progress=config.progress)
    x = jnp.concatenate([arrays.x_val, jnp.asarray(dataset.x_test)])
    y = np.concatenate([dataset.y_val, dataset.y_test])
    logits, embeddings = predict(model, variables, x)
    recalls = class_recalls(logits, y, dataset.num_classes)
    with jax.enable_x64(True):  # the theory runs in float64
        mixture = fit_mixture(np.asarray(embeddings), y, components=components, shrinkage=shrinkage)
    return EmbeddingMixture(mixture, recalls)
