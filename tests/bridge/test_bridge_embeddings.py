import jax
import numpy as np
import pytest

from gmm_theory.bridge import datasets
from gmm_theory.bridge.embeddings import embedding_mixture
from gmm_theory.bridge.pipeline import BridgeConfig


@pytest.fixture(scope="module")
def digits():
    return datasets.load_dataset("digits")


@pytest.mark.slow
def test_mixture_fitted_to_held_out_embeddings(digits):
    with jax.enable_x64(False):
        config = BridgeConfig(epochs=2, progress=False)
        fitted = embedding_mixture(config, components=4, dataset=digits)
        again = embedding_mixture(config, components=4, dataset=digits)
    mixture = fitted.mixture
    assert mixture.means.shape == (10, 4) and mixture.means.dtype == np.float64
    held_out = np.concatenate([digits.y_val, digits.y_test])
    np.testing.assert_allclose(mixture.priors, np.bincount(held_out) / held_out.size)
    assert np.all(np.linalg.eigvalsh(np.asarray(mixture.covariances)) > 0)
    assert np.all((0 <= fitted.cnn_recalls) & (fitted.cnn_recalls <= 1))
    np.testing.assert_array_equal(mixture.means, again.mixture.means)
