"""IDX files, the format of MNIST and Fashion-MNIST."""

from __future__ import annotations

import gzip
import math
import os
import zlib
from pathlib import Path

import numpy as np

from gmm_theory.bridge.datasets.raw import RawData, _check_labels, to_unit_float

FASHION_MNIST_ROOT = Path("/usr/share/datasets/fashion-mnist")
FASHION_MNIST_HINT = (
    "; install them with `apt-get install dataset-fashion-mnist`"
    f" (they go to {FASHION_MNIST_ROOT})"
)
FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
IDX_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
IDX_UNSIGNED_BYTE = 0x08


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """The uint8 array stored in IDX file ``path`` (gzipped or not), shaped as its header says.

    Raises ``ValueError`` naming the file for a bad magic number, a data type other than
    unsigned byte (0x08) or a size that does not match the header."""
    path = Path(path)
    data = _read_maybe_gzip(path)
    if len(data) < 4 or data[:2] != b"\0\0":
        raise ValueError(f"{path}: not an IDX file: bad magic number 0x{data[:4].hex()} (must be 0x0000TTDD)")
    code, ndim = data[2], data[3]
    if code != IDX_UNSIGNED_BYTE:
        raise ValueError(
            f"{path}: IDX data type code 0x{code:02x} is not supported (only 0x08, unsigned byte)"
        )
    if ndim == 0:
        raise ValueError(f"{path}: IDX header gives 0 dimensions")
    offset = 4 + 4 * ndim
    if len(data) < offset:
        raise ValueError(
            f"{path}: truncated IDX header: {ndim} dimensions need {offset} bytes, file has {len(data)}"
        )
    shape = tuple(int(size) for size in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    size = math.prod(shape)
    if len(data) - offset != size:
        raise ValueError(
            f"{path}: IDX header gives shape {shape} ({size} bytes of data) but the file holds {len(data) - offset}"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(shape).copy()


def _read_maybe_gzip(path: Path) -> bytes:
    data = path.read_bytes()
    if data[:2] != b"\x1f\x8b":
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(f"{path}: corrupt gzip data ({error})") from None


def _find_idx(directory: Path, base: str) -> Path | None:
    for name in (base, base + ".gz"):
        if (directory / name).is_file():
            return directory / name
    return None


def read_idx_dataset(directory: str | os.PathLike, class_names, label: str = "mnist", hint: str = "") -> RawData:
    """MNIST-format train and test sets from the four IDX files in ``directory`` (each may be
    gzipped), images scaled to [0, 1] as ``(N, H, W, 1)``."""
    directory = Path(directory)
    expected = ", ".join(f"{base}[.gz]" for base in IDX_FILES)
    if not directory.is_dir():
        raise FileNotFoundError(
            f"{label}: directory {directory} does not exist; expected {expected} there{hint}"
        )
    paths = [_find_idx(directory, base) for base in IDX_FILES]
    missing = [f"{base}[.gz]" for base, path in zip(IDX_FILES, paths) if path is None]
    if missing:
        raise FileNotFoundError(
            f"{label}: missing {', '.join(missing)} in {directory}; expected {expected}{hint}"
        )
    num_classes = len(class_names)
    x_train, y_train = _idx_pair(paths[0], paths[1], num_classes)
    x_test, y_test = _idx_pair(paths[2], paths[3], num_classes)
    if x_train.shape[1:] != x_test.shape[1:]:
        raise ValueError(
            f"{paths[2]}: test images are {x_test.shape[1:3]} but training images {x_train.shape[1:3]}"
        )
    return RawData(x_train, y_train, x_test, y_test, tuple(class_names))


def _idx_pair(images_path: Path, labels_path: Path, num_classes: int):
    images = read_idx(images_path)
    if images.ndim != 3:
        raise ValueError(f"{images_path}: images must have 3 dimensions (N, H, W), got shape {images.shape}")
    labels = read_idx(labels_path)
    if labels.ndim != 1:
        raise ValueError(f"{labels_path}: labels must have 1 dimension (N,), got shape {labels.shape}")
    if len(images) != len(labels):
        raise ValueError(f"{labels_path}: {len(labels)} labels for the {len(images)} images of {images_path}")
    return to_unit_float(images)[..., None], _check_labels(labels, num_classes, str(labels_path))
