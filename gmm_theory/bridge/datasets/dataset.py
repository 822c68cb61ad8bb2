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
    ``0 .. num_classes - 1``.
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
        """The number of classes K."""
        return len(self.class_names)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The shape of one input, ``x_train.shape[1:]``."""
        return tuple(self.x_train.shape[1:])

    @property
    def class_sizes(self) -> np.ndarray:
        """Training samples per class, a length-K integer vector."""
        return np.bincount(self.y_train, minlength=self.num_classes)

    def __repr__(self) -> str:
        return (
            f"Dataset(name={self.name!r}, classes={self.num_classes}, input_shape={self.input_shape},"
            f" train={len(self.y_train)}, val={len(self.y_val)}, test={len(self.y_test)})"
        )


# --------------------------------------------------------------------------- entry point


def load_dataset(name: str = DEFAULT_DATASET, root: str | os.PathLike | None = None, **options) -> Dataset:
    """Load dataset ``name`` (one of ``DATASETS``, or ``"npz:PATH"``) as a ``Dataset``.

    ``root`` is the folder holding the files (default ``default_root(name)``; ignored by
    ``digits`` and ``mnist1d``, which need no files; for ``npz:PATH`` a relative PATH is taken
    relative to it). ``options`` are dataset-specific: ``mnist1d`` takes ``num_samples`` and
    ``seed``; the others take none.
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
