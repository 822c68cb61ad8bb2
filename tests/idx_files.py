"""Tiny IDX files (the MNIST file format) that tests write themselves."""

import gzip
from pathlib import Path

import numpy as np


def write_idx(path: Path, array: np.ndarray, magic: bytes | None = None) -> None:
    """An IDX file of uint8 ``array``, gzipped when the name ends in .gz."""
    header = magic if magic is not None else bytes([0, 0, 0x08, array.ndim])
    header += np.asarray(array.shape, dtype=">u4").tobytes()
    payload = header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()
    path.write_bytes(gzip.compress(payload) if path.suffix == ".gz" else payload)


def labels_with_every_class(count: int, rng: np.random.Generator, num_classes: int = 10) -> np.ndarray:
    labels = np.concatenate([np.arange(num_classes), rng.integers(0, num_classes, count - num_classes)])
    return rng.permutation(labels).astype(np.uint8)
