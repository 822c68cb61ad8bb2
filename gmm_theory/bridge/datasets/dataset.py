"""The ``Dataset`` type, the registry of dataset names and the entry point ``load_dataset``,
which picks the reader, checks its output, splits and standardises."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np

from gmm_theory.bridge.datasets.builtin import read_digits, read_mnist1d
from gmm_theory.bridge.datasets.cifar import read_cifar10, read_cifar100
from gmm_theory.bridge.datasets.idx import (
    FASHION_MNIST_CLASSES,
    FASHION_MNIST_HINT,
    FASHION_MNIST_ROOT,
    read_idx_dataset,
)
from gmm_theory.bridge.datasets.npz import read_npz
from gmm_theory.bridge.datasets.raw import DIGIT_CLASSES, RawData, _check_raw
from gmm_theory.bridge.datasets.split import standardise, validation_split
from gmm_theory.bridge.datasets.tinyimagenet import read_tinyimagenet

#: The names :func:`load_dataset` accepts besides ``"npz:PATH"``: ``digits`` (scikit-learn's
#: 8x8 digits), ``mnist1d`` (generated), ``fashion-mnist``, ``mnist``, ``cifar10``, ``cifar100``
#: and ``tinyimagenet`` (read from local files).
DATASETS = ("digits", "mnist1d", "fashion-mnist", "mnist", "cifar10", "cifar100", "tinyimagenet")
DEFAULT_DATASET = "digits"
NPZ_PREFIX = "npz:"

DATA_ENV = "GMM_THEORY_DATA"
DEFAULT_DATA_DIR = "~/.gmm_theory/data"

_OPTIONS = {"mnist1d": ("num_samples", "seed")}


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Dataset:
    """A classification dataset split into train / validation / test.

    Inputs are float32, channels last: images ``(N, H, W, C)``, sequences ``(N, L, 1)``,
    standardised with the training set's per-channel mean and std. Labels are int32 in
    ``0 .. num_classes - 1``.  Made by :func:`load_dataset`; frozen.

    Args:
        name (str): The dataset's name, as given to :func:`load_dataset`.
        x_train (numpy.ndarray): Training inputs, float32, shape ``(N, ..., C)``.
        y_train (numpy.ndarray): Training labels, int32, shape ``(N,)``, in ``0 .. K - 1``.
        x_val (numpy.ndarray): Validation inputs (the first half of each class's test
            samples), float32, shape ``(N_val, ..., C)``.
        y_val (numpy.ndarray): Validation labels, int32, shape ``(N_val,)``.
        x_test (numpy.ndarray): Test inputs (the rest of the test samples), float32, shape
            ``(N_test, ..., C)``.
        y_test (numpy.ndarray): Test labels, int32, shape ``(N_test,)``.
        class_names (tuple[str, ...]): The K class names, in label order.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]

    @property
    def num_classes(self) -> int:
        """The number of classes K.

        Returns:
            int: ``len(class_names)``.
        """
        return len(self.class_names)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The shape of one input, ``x_train.shape[1:]``.

        Returns:
            tuple[int, ...]: ``(H, W, C)`` for images, ``(L, 1)`` for sequences.
        """
        return tuple(self.x_train.shape[1:])

    @property
    def class_sizes(self) -> np.ndarray:
        """Training samples per class, a length-K integer vector.

        Returns:
            numpy.ndarray: Shape ``(K,)``, entry k the number of training samples of class k.
        """
        return np.bincount(self.y_train, minlength=self.num_classes)

    def __repr__(self) -> str:
        return (
            f"Dataset(name={self.name!r}, classes={self.num_classes}, input_shape={self.input_shape},"
            f" train={len(self.y_train)}, val={len(self.y_val)}, test={len(self.y_test)})"
        )


# --------------------------------------------------------------------------- entry point


def load_dataset(name: str = DEFAULT_DATASET, root: str | os.PathLike | None = None, **options) -> Dataset:
    """Load dataset ``name`` (one of ``DATASETS``, or ``"npz:PATH"``) as a ``Dataset``.

    Reads the raw train and test arrays (images as float32 in [0, 1], channels last), splits
    the test set into validation and test as in the DRoP paper (the first half of each
    class's test samples, in file order, is the validation set) and standardises every split
    with the per-channel mean and std of the training set.  Nothing is downloaded.

    ``root`` is the folder holding the files (default ``default_root(name)``; ignored by
    ``digits`` and ``mnist1d``, which need no files; for ``npz:PATH`` a relative PATH is taken
    relative to it). ``options`` are dataset-specific: ``mnist1d`` takes ``num_samples`` and
    ``seed``; the others take none.

    Args:
        name (str): One of :data:`DATASETS`, or ``"npz:PATH"`` for a user archive with arrays
            ``x_train``, ``y_train``, ``x_test``, ``y_test`` (and optional ``class_names``).
        root (str | os.PathLike | None): The folder holding the dataset's files; ``None``
            for ``default_root(name)`` (``$GMM_THEORY_DATA/<name>``, default
            ``~/.gmm_theory/data/<name>``; ``/usr/share/datasets/fashion-mnist`` for
            Fashion-MNIST).
        **options: ``mnist1d`` only: ``num_samples`` (an integer >= 10, default 5000) and
            ``seed`` (an integer in :math:`[0, 2^{32})`).

    Returns:
        Dataset: The standardised train / validation / test splits and the class names.

    Raises:
        ValueError: If ``name`` is not a string, not one of :data:`DATASETS` nor
            ``"npz:PATH"`` with a path, if an option is out of range, or if the files do not
            hold a valid dataset (wrong shapes or dtypes, labels out of range, an empty
            split, a class missing from the training set).
        TypeError: If ``options`` names an option the dataset does not take.
        FileNotFoundError: If the dataset's folder or one of its files is missing.

    References:
        Vysogorets, Ahuja, Kempe, "DRoP: Distributionally Robust Data Pruning", ICLR 2025
        (the validation split), and its official code, avysogorets/fair-data-pruning.
    """
    raw = read_raw(name, root, **options)
    _check_raw(raw, name)
    x_val, y_val, x_test, y_test = validation_split(raw.x_test, raw.y_test)
    x_train, x_val, x_test = standardise(raw.x_train, x_val, x_test, inplace=True)
    return Dataset(name, x_train, raw.y_train, x_val, y_val, x_test, y_test, raw.class_names)


def read_raw(name: str, root: str | os.PathLike | None = None, **options) -> RawData:
    """The raw train/test arrays of dataset ``name``, before splitting and standardising."""
    if not isinstance(name, str):
        raise ValueError(f"name must be a string, got {name!r}")
    if name.startswith(NPZ_PREFIX):
        _check_options(name, options)
        return read_npz(_npz_path(name, root))
    if name not in DATASETS:
        allowed = ", ".join(DATASETS)
        raise ValueError(f"dataset must be one of {allowed} or {NPZ_PREFIX}PATH, got {name!r}")
    _check_options(name, options)
    if name == "digits":
        return read_digits()
    if name == "mnist1d":
        return read_mnist1d(**options)
    root = default_root(name) if root is None else Path(root)
    if name == "fashion-mnist":
        return read_idx_dataset(root, FASHION_MNIST_CLASSES, label=name, hint=FASHION_MNIST_HINT)
    if name == "mnist":
        return read_idx_dataset(root, DIGIT_CLASSES, label=name)
    if name == "cifar10":
        return read_cifar10(root)
    if name == "cifar100":
        return read_cifar100(root)
    return read_tinyimagenet(root)


def data_dir() -> Path:
    """The folder holding dataset folders: ``$GMM_THEORY_DATA``, default ``~/.gmm_theory/data``."""
    return Path(os.environ.get(DATA_ENV) or DEFAULT_DATA_DIR).expanduser()


def default_root(name: str) -> Path:
    """Where dataset ``name`` is looked for when no root is given: ``/usr/share/datasets/
    fashion-mnist`` for Fashion-MNIST (the Debian package), ``data_dir() / name`` otherwise."""
    if name == "fashion-mnist":
        return FASHION_MNIST_ROOT
    return data_dir() / name


def _check_options(name: str, options: dict) -> None:
    allowed = _OPTIONS.get(name, ())
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        accepted = ", ".join(allowed) if allowed else "none"
        raise TypeError(f"dataset {name!r} takes no option(s) {', '.join(unknown)}; it accepts: {accepted}")


def _npz_path(name: str, root) -> Path:
    text = name[len(NPZ_PREFIX):]
    if not text.strip():
        raise ValueError(f"name {name!r} must give a path after {NPZ_PREFIX!r}")
    path = Path(text).expanduser()
    if root is not None and not path.is_absolute():
        path = Path(root) / path
    return path
