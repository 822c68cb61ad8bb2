"""A user dataset from one ``.npz`` archive of train and test arrays."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from gmm_theory.bridge.datasets.raw import (
    RawData,
    _check_every_class,
    _check_labels,
    to_unit_float,
)

NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")


def read_npz(path: str | os.PathLike) -> RawData:
    """A user dataset from an ``.npz`` with arrays ``x_train``, ``y_train``, ``x_test``,
    ``y_test`` and optional ``class_names``.

    Inputs are ``(N, H, W)`` (a channel axis is added) or ``(N, H, W, C)``; integer pixels
    (0..255) are scaled by 1/255, float inputs kept. Labels are integers 0..K-1 with K the
    number of class names (default: the largest training label + 1), every class present in
    the training set."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"npz: file {path} does not exist; expected an .npz with arrays {', '.join(NPZ_KEYS)}"
        )
    arrays = _load_npz(path)
    x_train = _npz_inputs(arrays["x_train"], "x_train", path)
    x_test = _npz_inputs(arrays["x_test"], "x_test", path)
    if arrays["x_train"].dtype.kind != arrays["x_test"].dtype.kind:
        raise ValueError(f"{path}: x_train is {arrays['x_train'].dtype} but x_test {arrays['x_test'].dtype}")
    if x_train.shape[1:] != x_test.shape[1:]:
        raise ValueError(
            f"{path}: x_train inputs have shape {x_train.shape[1:]} but x_test {x_test.shape[1:]}"
        )
    names = _npz_class_names(arrays, path)
    y_train = _npz_labels(arrays["y_train"], len(x_train), len(names), "y_train", path)
    y_test = _npz_labels(arrays["y_test"], len(x_test), len(names), "y_test", path)
    _check_every_class(y_train, len(names), f"{path} y_train")
    return RawData(x_train, y_train, x_test, y_test, names)


def _load_npz(path: Path) -> dict:
    """The arrays of the npz dataset at ``path``, or ``ValueError`` naming a missing key."""
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path}: cannot read as .npz ({error})") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"{path}: not an .npz archive (a single .npy array?)")
    with archive:
        missing = [key for key in NPZ_KEYS if key not in archive.files]
        if missing:
            raise ValueError(
                f"{path}: missing array(s) {', '.join(missing)}; an npz dataset holds {', '.join(NPZ_KEYS)}"
            )
        keys = [*NPZ_KEYS, *(["class_names"] if "class_names" in archive.files else [])]
        try:
            return {key: archive[key] for key in keys}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
            raise ValueError(f"{path}: cannot read its arrays ({error})") from None


def _npz_inputs(x: np.ndarray, key: str, path: Path) -> np.ndarray:
    if x.ndim not in (3, 4):
        raise ValueError(f"{path}: {key} must be (N, H, W) or (N, H, W, C), got shape {x.shape}")
    if x.ndim == 3:
        x = x[..., None]
    if np.issubdtype(x.dtype, np.integer):
        if x.size and (x.min() < 0 or x.max() > 255):
            raise ValueError(f"{path}: integer {key} must hold pixel values 0..255, got {x.min()}..{x.max()}")
        return to_unit_float(x)
    if np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float32)
        if not np.isfinite(x).all():
            raise ValueError(f"{path}: {key} holds non-finite values")
        return x
    raise ValueError(f"{path}: {key} must hold integer (0..255) or float pixels, got dtype {x.dtype}")


def _npz_class_names(arrays: dict, path: Path) -> tuple[str, ...]:
    if "class_names" not in arrays:
        y_train = arrays["y_train"]
        if not np.issubdtype(y_train.dtype, np.integer) or y_train.size == 0:
            raise ValueError(
                f"{path}: y_train must be a non-empty vector of integer labels, got {y_train.dtype} {y_train.shape}"
            )
        return tuple(str(k) for k in range(max(int(y_train.max()) + 1, 1)))
    names = arrays["class_names"]
    if names.ndim != 1 or names.dtype.kind not in "US" or names.size == 0:
        raise ValueError(
            f"{path}: class_names must be a non-empty vector of strings, got {names.dtype} {names.shape}"
        )
    return tuple(name.decode() if isinstance(name, bytes) else str(name) for name in names.tolist())


def _npz_labels(y: np.ndarray, count: int, num_classes: int, key: str, path: Path) -> np.ndarray:
    y = _check_labels(y, num_classes, f"{path} {key}")
    if len(y) != count:
        raise ValueError(f"{path}: {key} has {len(y)} labels for {count} inputs")
    return y
