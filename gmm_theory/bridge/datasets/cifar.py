"""CIFAR-10 and CIFAR-100 from their python-pickle folders."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np

from gmm_theory.bridge.datasets.raw import (
    RawData,
    _check_labels,
    _dataset_folder,
    _require_files,
    to_unit_float,
)

CIFAR_SIDE = 32


def read_cifar10(root: str | os.PathLike) -> RawData:
    """CIFAR-10 from the python-pickle folder ``cifar-10-batches-py`` (``root`` is that folder
    or its parent), images scaled to [0, 1] as ``(N, 32, 32, 3)``."""
    directory = _dataset_folder(Path(root), "cifar-10-batches-py")
    train_names = [f"data_batch_{index}" for index in range(1, 6)]
    *train_paths, test_path, meta_path = _require_files(
        directory, [*train_names, "test_batch", "batches.meta"], "cifar10",
        " (the cifar-10-batches-py folder of cifar-10-python.tar.gz, or its parent)",
    )
    names = _names(_unpickle(meta_path), "label_names", meta_path)
    batches = [_cifar_batch(path, "labels", len(names)) for path in train_paths]
    x_test, y_test = _cifar_batch(test_path, "labels", len(names))
    x_train = np.concatenate([x for x, _ in batches])
    y_train = np.concatenate([y for _, y in batches])
    return RawData(to_unit_float(x_train), y_train, to_unit_float(x_test), y_test, names)


def read_cifar100(root: str | os.PathLike) -> RawData:
    """CIFAR-100 with its 100 fine labels from the python-pickle folder ``cifar-100-python``
    (``root`` is that folder or its parent), images scaled to [0, 1] as ``(N, 32, 32, 3)``."""
    directory = _dataset_folder(Path(root), "cifar-100-python")
    train_path, test_path, meta_path = _require_files(
        directory, ["train", "test", "meta"], "cifar100",
        " (the cifar-100-python folder of cifar-100-python.tar.gz, or its parent)",
    )
    names = _names(_unpickle(meta_path), "fine_label_names", meta_path)
    x_train, y_train = _cifar_batch(train_path, "fine_labels", len(names))
    x_test, y_test = _cifar_batch(test_path, "fine_labels", len(names))
    return RawData(to_unit_float(x_train), y_train, to_unit_float(x_test), y_test, names)


def _unpickle(path: Path) -> dict:
    try:
        with open(path, "rb") as handle:
            content = pickle.load(handle, encoding="bytes")
    except Exception as error:  # a corrupt pickle can raise almost anything
        raise ValueError(f"{path}: cannot unpickle ({type(error).__name__}: {error})") from None
    if not isinstance(content, dict):
        raise ValueError(f"{path}: must hold a dict, got {type(content).__name__}")
    return content


def _entry(content: dict, key: str, path: Path):
    """``content[key]`` with bytes or str keys (pickles from Python 2 have bytes keys)."""
    for candidate in (key.encode(), key):
        if candidate in content:
            return content[candidate]
    raise ValueError(f"{path}: missing key {key!r}")


def _names(content: dict, key: str, path: Path) -> tuple[str, ...]:
    names = _entry(content, key, path)
    if not isinstance(names, (list, tuple)) or not names:
        raise ValueError(f"{path}: {key!r} must be a non-empty list of names")
    return tuple(name.decode() if isinstance(name, bytes) else str(name) for name in names)


def _cifar_batch(path: Path, label_key: str, num_classes: int):
    """One CIFAR pickle's images as uint8 ``(N, 32, 32, 3)`` and its labels as int32."""
    content = _unpickle(path)
    data = np.asarray(_entry(content, "data", path))
    row = 3 * CIFAR_SIDE * CIFAR_SIDE
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != row:
        raise ValueError(f"{path}: 'data' must be uint8 rows of {row} pixels, got {data.dtype} {data.shape}")
    labels = _check_labels(np.asarray(_entry(content, label_key, path)), num_classes, f"{path} {label_key!r}")
    if len(labels) != len(data):
        raise ValueError(f"{path}: {len(labels)} labels for {len(data)} images")
    images = data.reshape(-1, 3, CIFAR_SIDE, CIFAR_SIDE).transpose(0, 2, 3, 1)
    return images, labels
