"""What every reader returns, ``RawData``, and the helpers and checks the readers share."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

# the class names of scikit-learn's digits and of MNIST, shared by their two readers
DIGIT_CLASSES = tuple(str(digit) for digit in range(10))


class RawData(NamedTuple):
    """A reader's output: train and test inputs (float32, channels last, not standardised),
    int32 labels and the class names."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]


def to_unit_float(pixels: np.ndarray) -> np.ndarray:
    """8-bit pixel values scaled to [0, 1] as float32 (``pixels / 255``)."""
    out = np.asarray(pixels).astype(np.float32)
    out /= 255
    return out


# --------------------------------------------------------------------------- checks


def _check_labels(y: np.ndarray, num_classes: int, where: str) -> np.ndarray:
    """``y`` as int32, or ``ValueError`` naming ``where`` if it is not a vector of integers in
    ``0 .. num_classes - 1``."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{where}: labels must be one-dimensional, got shape {y.shape}")
    if y.size and not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"{where}: labels must be integers, got dtype {y.dtype}")
    bad = np.flatnonzero((y < 0) | (y >= num_classes))
    if bad.size:
        raise ValueError(
            f"{where}: label [{bad[0]}] = {y[bad[0]]} is outside the class range 0..{num_classes - 1}"
        )
    return y.astype(np.int32)


def _check_every_class(y_train: np.ndarray, num_classes: int, where: str) -> None:
    missing = np.flatnonzero(np.bincount(y_train, minlength=num_classes) == 0)
    if missing.size:
        shown = ", ".join(str(k) for k in missing[:10]) + (", ..." if missing.size > 10 else "")
        raise ValueError(
            f"{where}: class(es) {shown} have no training samples; every class 0..{num_classes - 1} needs one"
        )


def _check_raw(raw: RawData, where: str) -> None:
    """Shapes, dtypes and labels every reader's output must satisfy."""
    num_classes = len(raw.class_names)
    if num_classes < 1:
        raise ValueError(f"{where}: no classes")
    for split, x, y in (("train", raw.x_train, raw.y_train), ("test", raw.x_test, raw.y_test)):
        if x.dtype != np.float32 or x.ndim < 3:
            raise ValueError(f"{where}: x_{split} must be float32 (N, ..., C), got {x.dtype} {x.shape}")
        if len(x) == 0:
            raise ValueError(f"{where}: the {split} set is empty")
        if len(x) != len(y):
            raise ValueError(f"{where}: x_{split} has {len(x)} samples but y_{split} has {len(y)}")
        _check_labels(y, num_classes, f"{where} y_{split}")
    if raw.x_train.shape[1:] != raw.x_test.shape[1:]:
        raise ValueError(
            f"{where}: train inputs have shape {raw.x_train.shape[1:]} but test inputs {raw.x_test.shape[1:]}"
        )
    _check_every_class(raw.y_train, num_classes, where)


def _require_files(directory: Path, names, label: str, hint: str = "") -> list[Path]:
    """``directory / name`` for each name, or one ``FileNotFoundError`` listing what is missing."""
    expected = ", ".join(names)
    if not directory.is_dir():
        raise FileNotFoundError(
            f"{label}: directory {directory} does not exist; expected {expected} there{hint}"
        )
    paths = [directory / name for name in names]
    missing = [name for name, path in zip(names, paths) if not path.exists()]
    if missing:
        raise FileNotFoundError(
            f"{label}: missing {', '.join(missing)} in {directory}; expected {expected}{hint}"
        )
    return paths


def _dataset_folder(root: Path, folder: str) -> Path:
    """``root / folder`` when that folder exists, else ``root`` (root may be either)."""
    return root / folder if (root / folder).is_dir() else root
