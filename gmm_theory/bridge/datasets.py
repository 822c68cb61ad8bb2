"""Dataset loaders for the bridge: raw train/test arrays from local files, split and standardised.

``load_dataset(name)`` reads a dataset's raw train and test arrays (images as float32 in
[0, 1], channels last), splits the test set into validation and test as in the DRoP paper
(the first half of each class's test samples, in file order, is the validation set) and
standardises every split with the per-channel mean and std of the training set.

Nothing is ever downloaded: every dataset is read from local files, or built locally
(``digits`` ships with scikit-learn, ``mnist1d`` is generated). Everything is deterministic;
the only randomness is ``mnist1d``'s generator seed.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import gzip
import math
import os
import pickle
import random
import zipfile
import zlib
from pathlib import Path
from typing import NamedTuple

import numpy as np

DATASETS = ("digits", "mnist1d", "fashion-mnist", "mnist", "cifar10", "cifar100", "tinyimagenet")
DEFAULT_DATASET = "digits"
NPZ_PREFIX = "npz:"

DATA_ENV = "GMM_THEORY_DATA"
DEFAULT_DATA_DIR = "~/.gmm_theory/data"
FASHION_MNIST_ROOT = Path("/usr/share/datasets/fashion-mnist")
FASHION_MNIST_HINT = (
    "; install them with `apt-get install dataset-fashion-mnist`"
    f" (they go to {FASHION_MNIST_ROOT})"
)
FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
DIGIT_CLASSES = tuple(str(digit) for digit in range(10))

DIGITS_TRAIN_PERCENT = 70
MNIST1D_DEFAULT_SEED = 0
IDX_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
IDX_UNSIGNED_BYTE = 0x08
CIFAR_SIDE = 32
TINYIMAGENET_SIDE = 64
TINYIMAGENET_SUFFIXES = (".jpeg", ".jpg", ".png")
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")

_OPTIONS = {"mnist1d": ("num_samples", "seed")}
_STATS_CHUNK = 1 << 20  # rows of the (samples * pixels, channels) view summed at once


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


class RawData(NamedTuple):
    """A reader's output: train and test inputs (float32, channels last, not standardised),
    int32 labels and the class names."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]


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


# --------------------------------------------------------------------------- split and scale


def validation_split(x: np.ndarray, y: np.ndarray):
    """Split a test set as in the DRoP paper: ``(x_val, y_val, x_test, y_test)``.

    The validation set is the first ``floor(n_k / 2)`` samples of each class k in the given
    order, the test set the rest; both keep the given order.
    """
    y = np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    head = head_per_class(y, lambda count: count // 2)
    return x[head], y[head], x[~head], y[~head]


def head_per_class(y: np.ndarray, count) -> np.ndarray:
    """A boolean mask selecting, for each class k, its first ``count(n_k)`` samples of ``y``
    (``n_k`` the number of samples of class k, ``count`` a function of an integer array)."""
    y = np.asarray(y)
    mask = np.zeros(len(y), dtype=bool)
    if not len(y):
        return mask
    order = np.argsort(y, kind="stable")  # class by class, file order within a class
    _, starts, sizes = np.unique(y[order], return_index=True, return_counts=True)
    heads = np.asarray(count(sizes), dtype=np.int64)
    rank = np.arange(len(y)) - np.repeat(starts, sizes)  # position within its class
    mask[order] = rank < np.repeat(heads, sizes)
    return mask


def channel_stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel (last axis) mean and std of ``x`` as float64 vectors; a constant channel
    gets std 1, so that standardising leaves it at 0 instead of dividing by 0."""
    x = np.asarray(x)
    if x.ndim < 2 or x.size == 0:
        raise ValueError(f"x must be a non-empty array with a channel axis, got shape {x.shape}")
    rows = x.reshape(-1, x.shape[-1])
    total = np.zeros(rows.shape[1])
    for start in range(0, len(rows), _STATS_CHUNK):
        total += rows[start:start + _STATS_CHUNK].sum(axis=0, dtype=np.float64)
    mean = total / len(rows)
    squares = np.zeros(rows.shape[1])
    for start in range(0, len(rows), _STATS_CHUNK):
        deviation = rows[start:start + _STATS_CHUNK].astype(np.float64) - mean
        squares += np.einsum("ij,ij->j", deviation, deviation)
    std = np.sqrt(squares / len(rows))
    return mean, np.where(std > 0, std, 1.0)


def standardise(x_train: np.ndarray, *others: np.ndarray, inplace: bool = False) -> tuple[np.ndarray, ...]:
    """``(x_train, *others)`` standardised with the per-channel mean and std of ``x_train``,
    as float32. With ``inplace=True`` float32 inputs are overwritten instead of copied."""
    mean, std = channel_stats(x_train)
    mean, std = mean.astype(np.float32), std.astype(np.float32)
    scaled = []
    for x in (x_train, *others):
        x = np.asarray(x)
        if x.shape[-1:] != x_train.shape[-1:]:
            raise ValueError(
                f"every array must have {x_train.shape[-1]} channels like x_train, got shape {x.shape}"
            )
        out = x if inplace and x.dtype == np.float32 else np.array(x, dtype=np.float32)
        out -= mean
        out /= std
        scaled.append(out)
    return tuple(scaled)


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


# --------------------------------------------------------------------------- digits, mnist1d


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
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)) or num_samples < 10:
        raise ValueError(f"num_samples must be an integer >= 10, got {num_samples!r}")
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


# --------------------------------------------------------------------------- IDX (MNIST family)


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


# --------------------------------------------------------------------------- CIFAR


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


# --------------------------------------------------------------------------- Tiny ImageNet


def read_tinyimagenet(root: str | os.PathLike) -> RawData:
    """Tiny ImageNet from the folder ``tiny-imagenet-200`` (``root`` is that folder or its
    parent), images scaled to [0, 1] as ``(N, 64, 64, 3)``.

    Classes follow ``wnids.txt``; names come from ``words.txt`` (the wnid where it has none).
    Training images are ``train/<wnid>/images/*.JPEG`` in sorted file-name order; the labelled
    ``val`` images, in the order of ``val/val_annotations.txt``, are the test set."""
    directory = _dataset_folder(Path(root), "tiny-imagenet-200")
    wnids_path, _, annotations_path = _require_files(
        directory, ["wnids.txt", "train", "val/val_annotations.txt"], "tinyimagenet",
        " (the tiny-imagenet-200 folder of tiny-imagenet-200.zip, or its parent)",
    )
    wnids = _read_wnids(wnids_path)
    names = _read_words(directory / "words.txt", wnids)
    label_of = {wnid: label for label, wnid in enumerate(wnids)}
    train_files, train_labels = [], []
    for label, wnid in enumerate(wnids):
        files = _class_images(directory / "train" / wnid / "images")
        train_files += files
        train_labels += [label] * len(files)
    test_files, test_labels = _read_annotations(annotations_path, directory / "val" / "images", label_of)
    x_train = to_unit_float(_read_images(train_files, TINYIMAGENET_SIDE))
    x_test = to_unit_float(_read_images(test_files, TINYIMAGENET_SIDE))
    return RawData(
        x_train, np.asarray(train_labels, dtype=np.int32), x_test, np.asarray(test_labels, dtype=np.int32), names
    )


def _read_wnids(path: Path) -> list[str]:
    wnids = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    if not wnids:
        raise ValueError(f"{path}: lists no classes")
    repeated = sorted({wnid for wnid in wnids if wnids.count(wnid) > 1})
    if repeated:
        raise ValueError(f"{path}: class(es) {', '.join(repeated)} listed more than once")
    return wnids


def _read_words(path: Path, wnids: list[str]) -> tuple[str, ...]:
    """Each wnid's name from ``words.txt`` (``wnid<TAB>name``), or the wnid itself."""
    words = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            wnid, _, name = line.partition("\t")
            if name.strip():
                words[wnid.strip()] = name.strip()
    return tuple(words.get(wnid, wnid) for wnid in wnids)


def _class_images(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise FileNotFoundError(
            f"tinyimagenet: missing folder {folder} of training images for a class in wnids.txt"
        )
    files = sorted(path for path in folder.iterdir() if path.suffix.lower() in TINYIMAGENET_SUFFIXES)
    if not files:
        raise ValueError(f"{folder}: holds no .JPEG images")
    return files


def _read_annotations(path: Path, images: Path, label_of: dict):
    """The val images named in ``val_annotations.txt`` (``file<TAB>wnid<TAB>bbox...``) and
    their labels, in file order."""
    files, labels = [], []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) < 2:
            raise ValueError(f"{path}: line {number} must be tab separated: file name, wnid, ...")
        name, wnid = fields[0].strip(), fields[1].strip()
        if wnid not in label_of:
            raise ValueError(f"{path}: line {number}: class {wnid!r} is not in wnids.txt")
        files.append(images / name)
        labels.append(label_of[wnid])
    missing = [str(file) for file in files if not file.is_file()]
    if missing:
        raise FileNotFoundError(
            f"tinyimagenet: {len(missing)} image(s) named in {path} are missing, e.g. {missing[0]}"
        )
    return files, labels


def _read_images(paths: list[Path], side: int) -> np.ndarray:
    """The images at ``paths`` as RGB uint8 ``(N, side, side, 3)``, in the order given."""
    out = np.empty((len(paths), side, side, 3), dtype=np.uint8)
    workers = min(8, os.cpu_count() or 1)
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        for index, image in enumerate(pool.map(lambda path: _read_image(path, side), paths)):
            out[index] = image
    return out


def _read_image(path: Path, side: int) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            rgb = image.convert("RGB")
    except (UnidentifiedImageError, OSError) as error:
        raise ValueError(f"{path}: cannot read image ({error})") from None
    if rgb.size != (side, side):
        raise ValueError(f"{path}: image is {rgb.size[0]}x{rgb.size[1]}, expected {side}x{side}")
    return np.asarray(rgb)


# --------------------------------------------------------------------------- npz


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
