"""The datasets that need no files: scikit-learn's ``digits`` and a locally generated ``mnist1d``."""

from __future__ import annotations

import contextlib
import random

import numpy as np

from gmm_theory._checks import check_count
from gmm_theory.bridge.datasets.raw import DIGIT_CLASSES, RawData, _check_labels
from gmm_theory.bridge.datasets.split import head_per_class

DIGITS_TRAIN_PERCENT = 70
MNIST1D_DEFAULT_SEED = 0


def read_digits() -> RawData:
    """scikit-learn's 8x8 digits (grey levels 0..16 scaled by 1/16) as ``(N, 8, 8, 1)``.

    There is no official split: for each class the first 70% of its samples in file order
    (rounded down) are the training set, the rest the test set."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = (bunch.images.astype(np.float32) / 16)[..., None]
    y = _check_labels(bunch.target, 10, "sklearn digits")
    train = head_per_class(y, lambda count: count * DIGITS_TRAIN_PERCENT // 100)
    return RawData(x[train], y[train], x[~train], y[~train], DIGIT_CLASSES)


def read_mnist1d(num_samples: int | None = None, seed: int = MNIST1D_DEFAULT_SEED) -> RawData:
    """MNIST-1D generated in memory with the ``mnist1d`` package, as ``(N, 40, 1)`` sequences.

    ``num_samples`` defaults to the package's default (5000); the package's own train/test
    split (80/20 of a shuffled set) is kept. Nothing is downloaded or written, and the global
    ``random`` / ``numpy.random`` states, which the generator reseeds, are restored."""
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    num_samples = args.num_samples if num_samples is None else num_samples
    check_count("num_samples", num_samples, 10)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**32:
        raise ValueError(f"seed must be an integer in [0, 2**32), got {seed!r}")
    args.num_samples, args.seed = int(num_samples), int(seed)
    with _global_rng_restored():
        data = make_dataset(args)
    num_classes = len(data["templates"]["y"])
    y_train = _check_labels(data["y"], num_classes, "mnist1d y")
    y_test = _check_labels(data["y_test"], num_classes, "mnist1d y_test")
    x_train = np.asarray(data["x"], dtype=np.float32)[..., None]
    x_test = np.asarray(data["x_test"], dtype=np.float32)[..., None]
    return RawData(x_train, y_train, x_test, y_test, tuple(str(k) for k in range(num_classes)))


@contextlib.contextmanager
def _global_rng_restored():
    python_state, numpy_state = random.getstate(), np.random.get_state()
    try:
        yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)
