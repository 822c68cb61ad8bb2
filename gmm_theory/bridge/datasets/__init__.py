"""Dataset loaders for the bridge: raw train/test arrays from local files, split and standardised.

``load_dataset(name)`` reads a dataset's raw train and test arrays (images as float32 in
[0, 1], channels last), splits the test set into validation and test as in the DRoP paper
(the first half of each class's test samples, in file order, is the validation set) and
standardises every split with the per-channel mean and std of the training set.

Nothing is ever downloaded: every dataset is read from local files, or built locally
(``digits`` ships with scikit-learn, ``mnist1d`` is generated). Everything is deterministic;
the only randomness is ``mnist1d``'s generator seed.

The readers live one format per module: :mod:`.builtin` (``digits``, ``mnist1d``),
:mod:`.idx` (MNIST, Fashion-MNIST), :mod:`.cifar`, :mod:`.tinyimagenet` and :mod:`.npz`; they
share :mod:`.raw` (the ``RawData`` they return and the checks on it) and :mod:`.split` (the
validation split and the standardisation), and :mod:`.dataset` holds the registry of names
and ``load_dataset``.
"""

from gmm_theory.bridge.datasets.builtin import (
    DIGITS_TRAIN_PERCENT as DIGITS_TRAIN_PERCENT,
)
from gmm_theory.bridge.datasets.builtin import (
    MNIST1D_DEFAULT_SEED as MNIST1D_DEFAULT_SEED,
)
from gmm_theory.bridge.datasets.builtin import read_digits as read_digits
from gmm_theory.bridge.datasets.builtin import read_mnist1d as read_mnist1d
from gmm_theory.bridge.datasets.cifar import CIFAR_SIDE as CIFAR_SIDE
from gmm_theory.bridge.datasets.cifar import read_cifar10 as read_cifar10
from gmm_theory.bridge.datasets.cifar import read_cifar100 as read_cifar100
from gmm_theory.bridge.datasets.dataset import DATA_ENV as DATA_ENV
from gmm_theory.bridge.datasets.dataset import DATASETS as DATASETS
from gmm_theory.bridge.datasets.dataset import DEFAULT_DATA_DIR as DEFAULT_DATA_DIR
from gmm_theory.bridge.datasets.dataset import DEFAULT_DATASET as DEFAULT_DATASET
from gmm_theory.bridge.datasets.dataset import NPZ_PREFIX as NPZ_PREFIX
from gmm_theory.bridge.datasets.dataset import Dataset as Dataset
from gmm_theory.bridge.datasets.dataset import data_dir as data_dir
from gmm_theory.bridge.datasets.dataset import default_root as default_root
from gmm_theory.bridge.datasets.dataset import load_dataset as load_dataset
from gmm_theory.bridge.datasets.dataset import read_raw as read_raw
from gmm_theory.bridge.datasets.idx import (
    FASHION_MNIST_CLASSES as FASHION_MNIST_CLASSES,
)
from gmm_theory.bridge.datasets.idx import FASHION_MNIST_HINT as FASHION_MNIST_HINT
from gmm_theory.bridge.datasets.idx import FASHION_MNIST_ROOT as FASHION_MNIST_ROOT
from gmm_theory.bridge.datasets.idx import IDX_FILES as IDX_FILES
from gmm_theory.bridge.datasets.idx import IDX_UNSIGNED_BYTE as IDX_UNSIGNED_BYTE
from gmm_theory.bridge.datasets.idx import read_idx as read_idx
from gmm_theory.bridge.datasets.idx import read_idx_dataset as read_idx_dataset
from gmm_theory.bridge.datasets.npz import NPZ_KEYS as NPZ_KEYS
from gmm_theory.bridge.datasets.npz import read_npz as read_npz
from gmm_theory.bridge.datasets.raw import DIGIT_CLASSES as DIGIT_CLASSES
from gmm_theory.bridge.datasets.raw import RawData as RawData
from gmm_theory.bridge.datasets.raw import to_unit_float as to_unit_float
from gmm_theory.bridge.datasets.split import channel_stats as channel_stats
from gmm_theory.bridge.datasets.split import head_per_class as head_per_class
from gmm_theory.bridge.datasets.split import standardise as standardise
from gmm_theory.bridge.datasets.split import validation_split as validation_split
from gmm_theory.bridge.datasets.tinyimagenet import (
    TINYIMAGENET_SIDE as TINYIMAGENET_SIDE,
)
from gmm_theory.bridge.datasets.tinyimagenet import (
    TINYIMAGENET_SUFFIXES as TINYIMAGENET_SUFFIXES,
)
from gmm_theory.bridge.datasets.tinyimagenet import (
    read_tinyimagenet as read_tinyimagenet,
)

__all__ = [
    "CIFAR_SIDE", "DATASETS", "DATA_ENV", "DEFAULT_DATASET", "DEFAULT_DATA_DIR", "DIGITS_TRAIN_PERCENT",
    "DIGIT_CLASSES", "Dataset", "FASHION_MNIST_CLASSES", "FASHION_MNIST_HINT", "FASHION_MNIST_ROOT",
    "IDX_FILES", "IDX_UNSIGNED_BYTE", "MNIST1D_DEFAULT_SEED", "NPZ_KEYS", "NPZ_PREFIX", "RawData",
    "TINYIMAGENET_SIDE", "TINYIMAGENET_SUFFIXES", "channel_stats", "data_dir", "default_root",
    "head_per_class", "load_dataset", "read_cifar10", "read_cifar100", "read_digits", "read_idx",
    "read_idx_dataset", "read_mnist1d", "read_npz", "read_raw", "read_tinyimagenet", "standardise",
    "to_unit_float", "validation_split",
]

