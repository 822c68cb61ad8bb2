"""Dataset loaders of the bridge: every format written small into tmp_path, the split rule
checked against a direct computation, and the real Fashion-MNIST files when installed."""

from __future__ import annotations

import pickle
import random
from pathlib import Path

import numpy as np
import pytest
from idx_files import labels_with_every_class, write_idx

from gmm_theory.bridge import datasets
from gmm_theory.bridge.datasets import (
    DATASETS,
    FASHION_MNIST_CLASSES,
    FASHION_MNIST_ROOT,
    Dataset,
    channel_stats,
    load_dataset,
    read_cifar10,
    read_idx,
    read_idx_dataset,
    read_npz,
    read_tinyimagenet,
    standardise,
    validation_split,
)

# --------------------------------------------------------------------------- helpers


def expected_split(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the validation and test parts by the paper's rule, computed class by class."""
    val, test = [], []
    for k in np.unique(y):
        members = np.flatnonzero(y == k)
        half = len(members) // 2
        val += list(members[:half])
        test += list(members[half:])
    return np.sort(np.asarray(val, dtype=int)), np.sort(np.asarray(test, dtype=int))


def standardised_like(raw_train: np.ndarray, raw: np.ndarray) -> np.ndarray:
    """``raw`` standardised with the per-channel statistics of ``raw_train``, in float64."""
    axes = tuple(range(raw_train.ndim - 1))
    mean = raw_train.astype(np.float64).mean(axis=axes)
    std = raw_train.astype(np.float64).std(axis=axes)
    return (raw.astype(np.float64) - mean) / std


def assert_standardised(x: np.ndarray) -> None:
    axes = tuple(range(x.ndim - 1))
    np.testing.assert_allclose(x.astype(np.float64).mean(axis=axes), 0, atol=1e-4)
    np.testing.assert_allclose(x.astype(np.float64).std(axis=axes), 1, atol=1e-4)


@pytest.fixture
def idx_dir(tmp_path):
    """A tiny MNIST folder: training files gzipped, test files plain; 20 train, 30 test."""
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (20, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte.gz": labels_with_every_class(20, rng),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (30, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": labels_with_every_class(30, rng),
    }
    for name, array in arrays.items():
        write_idx(tmp_path / name, array)
    return tmp_path, arrays


# --------------------------------------------------------------------------- names and errors


def test_unknown_name_lists_the_allowed_names():
    with pytest.raises(ValueError, match="dataset must be one of") as info:
        load_dataset("imagenet")
    for name in DATASETS:
        assert name in str(info.value)
    assert "npz:PATH" in str(info.value)


def test_unknown_option_is_named():
    with pytest.raises(TypeError, match="num_samples"):
        load_dataset("digits", num_samples=10)


def test_default_root_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("GMM_THEORY_DATA", str(tmp_path))
    assert datasets.default_root("cifar10") == tmp_path / "cifar10"
    assert datasets.default_root("fashion-mnist") == FASHION_MNIST_ROOT
    with pytest.raises(FileNotFoundError, match=str(tmp_path / "mnist")) as info:
        load_dataset("mnist")
    assert "train-images-idx3-ubyte[.gz]" in str(info.value)
    assert "\n" not in str(info.value)


def test_default_data_dir(monkeypatch):
    monkeypatch.delenv("GMM_THEORY_DATA", raising=False)
    assert datasets.data_dir() == Path("~/.gmm_theory/data").expanduser()


# --------------------------------------------------------------------------- split and scale


def test_validation_split_takes_the_first_half_of_each_class_in_order():
    y = np.array([2, 0, 0, 1, 2, 0, 2, 1, 0, 2, 2])
    x = np.arange(len(y))[:, None] * 10
    x_val, y_val, x_test, y_test = validation_split(x, y)
    val, test = expected_split(y)
    np.testing.assert_array_equal(x_val[:, 0], val * 10)
    np.testing.assert_array_equal(y_val, y[val])
    np.testing.assert_array_equal(x_test[:, 0], test * 10)
    np.testing.assert_array_equal(np.bincount(y_val, minlength=3), [2, 1, 2])
    np.testing.assert_array_equal(np.bincount(y_test, minlength=3), [2, 1, 3])


def test_standardise_uses_training_statistics_per_channel():
    rng = np.random.default_rng(1)
    x_train = rng.normal([1.0, -3.0, 10.0], [2.0, 0.5, 4.0], (500, 4, 4, 3)).astype(np.float32)
    x_other = rng.normal(0.0, 1.0, (7, 4, 4, 3)).astype(np.float32)
    train, other = standardise(x_train, x_other)
    assert train.dtype == other.dtype == np.float32
    assert_standardised(train)
    np.testing.assert_allclose(other, standardised_like(x_train, x_other), rtol=1e-5, atol=1e-5)
    assert not np.shares_memory(train, x_train)  # inputs untouched by default


def test_constant_channel_is_not_divided_by_zero():
    x = np.zeros((5, 2, 2, 2), dtype=np.float32)
    x[..., 1] = np.arange(5)[:, None, None]
    mean, std = channel_stats(x)
    assert std[0] == 1.0
    (scaled,) = standardise(x)
    assert np.isfinite(scaled).all() and np.all(scaled[..., 0] == 0)


# --------------------------------------------------------------------------- digits


def test_digits_split_per_class_and_standardisation():
    from sklearn.datasets import load_digits

    bunch = load_digits()
    raw, target = bunch.images / 16.0, bunch.target
    train, val, test = [], [], []
    for k in range(10):
        members = np.flatnonzero(target == k)
        n_train = len(members) * 7 // 10
        held_out = members[n_train:]
        train += list(members[:n_train])
        val += list(held_out[: len(held_out) // 2])
        test += list(held_out[len(held_out) // 2:])
    train, val, test = (np.sort(np.asarray(part)) for part in (train, val, test))

    data = load_dataset("digits")
    assert isinstance(data, Dataset) and data.name == "digits"
    assert data.input_shape == (8, 8, 1) and data.num_classes == 10
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.int32
    assert data.class_names == tuple("0123456789")
    for y in (data.y_train, data.y_val, data.y_test):
        assert y.min() >= 0 and y.max() <= 9
    np.testing.assert_array_equal(data.class_sizes, np.bincount(target[train], minlength=10))
    for labels, part in ((data.y_train, train), (data.y_val, val), (data.y_test, test)):
        np.testing.assert_array_equal(labels, target[part])
    counts = np.bincount(target, minlength=10)
    np.testing.assert_array_equal(data.class_sizes, counts * 7 // 10)
    np.testing.assert_array_equal(np.bincount(data.y_val, minlength=10), (counts - counts * 7 // 10) // 2)
    raw_train = raw[train][..., None]
    np.testing.assert_allclose(data.x_val, standardised_like(raw_train, raw[val][..., None]), atol=1e-5)
    np.testing.assert_allclose(data.x_test, standardised_like(raw_train, raw[test][..., None]), atol=1e-5)
    assert_standardised(data.x_train)


# --------------------------------------------------------------------------- mnist1d


def test_mnist1d_shapes_determinism_and_options(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    numpy_state, python_state = np.random.get_state(), random.getstate()
    first = load_dataset("mnist1d", num_samples=200, seed=3)
    again = load_dataset("mnist1d", num_samples=200, seed=3)
    other = load_dataset("mnist1d", num_samples=200, seed=4)
    assert first.input_shape == (40, 1) and first.x_train.ndim == 3
    assert first.num_classes == 10 and first.class_names == tuple("0123456789")
    assert len(first.y_train) + len(first.y_val) + len(first.y_test) == 200
    assert len(first.y_train) == 160  # the package's 80 / 20 split is kept
    np.testing.assert_array_equal(first.x_train, again.x_train)
    np.testing.assert_array_equal(first.y_test, again.y_test)
    assert not np.array_equal(first.x_train, other.x_train)
    assert list(tmp_path.iterdir()) == []  # nothing written to the working directory
    assert random.getstate() == python_state  # the generator's reseeding is undone
    restored = np.random.get_state()
    assert restored[0] == numpy_state[0] and np.array_equal(restored[1], numpy_state[1])


def test_mnist1d_default_size_and_bad_options():
    from mnist1d.data import get_dataset_args

    raw = datasets.read_mnist1d(num_samples=100)
    assert len(raw.y_train) + len(raw.y_test) == 100
    assert get_dataset_args().num_samples == 5000
    with pytest.raises(ValueError, match="num_samples"):
        load_dataset("mnist1d", num_samples=5)
    with pytest.raises(ValueError, match="seed"):
        load_dataset("mnist1d", num_samples=100, seed=-1)


# --------------------------------------------------------------------------- IDX


def test_idx_reader_round_trips_gzipped_and_plain(idx_dir):
    root, arrays = idx_dir
    for name, array in arrays.items():
        loaded = read_idx(root / name)
        assert loaded.dtype == np.uint8
        np.testing.assert_array_equal(loaded, array)
    raw = read_idx_dataset(root, tuple("0123456789"))
    expected = arrays["t10k-images-idx3-ubyte"].astype(np.float32)[..., None] / 255
    np.testing.assert_array_equal(raw.x_test, expected)
    assert raw.x_train.shape == (20, 28, 28, 1) and raw.x_train.max() <= 1 and raw.x_train.min() >= 0


def test_mnist_from_idx_files_is_split_by_class(idx_dir):
    root, arrays = idx_dir
    data = load_dataset("mnist", root=root)
    y_test = arrays["t10k-labels-idx1-ubyte"].astype(np.int32)
    val, test = expected_split(y_test)
    np.testing.assert_array_equal(data.y_val, y_test[val])
    np.testing.assert_array_equal(data.y_test, y_test[test])
    np.testing.assert_array_equal(data.y_train, arrays["train-labels-idx1-ubyte.gz"])
    raw_train = arrays["train-images-idx3-ubyte.gz"][..., None] / 255.0
    raw_test = arrays["t10k-images-idx3-ubyte"][..., None] / 255.0
    np.testing.assert_allclose(data.x_val, standardised_like(raw_train, raw_test[val]), atol=1e-5)
    assert data.input_shape == (28, 28, 1)
    assert_standardised(data.x_train)


def test_idx_bad_magic_names_the_file(idx_dir):
    root, arrays = idx_dir
    path = root / "t10k-images-idx3-ubyte"
    write_idx(path, arrays["t10k-images-idx3-ubyte"], magic=b"\x12\x34\x08\x03")
    with pytest.raises(ValueError, match="t10k-images-idx3-ubyte.*magic"):
        load_dataset("mnist", root=root)


def test_idx_unsupported_type_truncated_data_and_count_mismatch(tmp_path):
    path = tmp_path / "floats"
    write_idx(path, np.zeros((2, 3), dtype=np.uint8), magic=b"\x00\x00\x0d\x02")
    with pytest.raises(ValueError, match="floats.*0x0d"):
        read_idx(path)
    path.write_bytes(bytes([0, 0, 8, 2]) + np.asarray([2, 3], ">u4").tobytes() + bytes(5))
    with pytest.raises(ValueError, match="floats.*shape \\(2, 3\\)"):
        read_idx(path)
    rng = np.random.default_rng(2)
    write_idx(tmp_path / "train-images-idx3-ubyte", rng.integers(0, 256, (12, 4, 4), dtype=np.uint8))
    write_idx(tmp_path / "train-labels-idx1-ubyte", labels_with_every_class(11, rng))
    write_idx(tmp_path / "t10k-images-idx3-ubyte", rng.integers(0, 256, (3, 4, 4), dtype=np.uint8))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", labels_with_every_class(13, rng)[:3])
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte: 11 labels for the 12 images"):
        load_dataset("mnist", root=tmp_path)


def test_idx_missing_directory_and_files(tmp_path, idx_dir):
    missing = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError) as info:
        load_dataset("fashion-mnist", root=missing)
    message = str(info.value)
    assert str(missing) in message and "apt-get install dataset-fashion-mnist" in message
    assert all(f"{name}[.gz]" in message for name in datasets.IDX_FILES)
    root, _ = idx_dir
    (root / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(FileNotFoundError, match="missing t10k-labels-idx1-ubyte\\[.gz\\] in"):
        load_dataset("mnist", root=root)


@pytest.mark.skipif(not FASHION_MNIST_ROOT.is_dir(), reason="dataset-fashion-mnist is not installed")
@pytest.mark.slow
def test_real_fashion_mnist():
    raw = read_idx_dataset(FASHION_MNIST_ROOT, FASHION_MNIST_CLASSES)
    assert raw.x_train.shape == (60000, 28, 28, 1) and raw.x_test.shape == (10000, 28, 28, 1)
    assert raw.x_train.min() == 0 and raw.x_train.max() == 1
    data = load_dataset("fashion-mnist")
    assert data.class_names == FASHION_MNIST_CLASSES and data.class_names[0] == "T-shirt/top"
    np.testing.assert_array_equal(data.class_sizes, np.full(10, 6000))
    assert len(data.y_val) == len(data.y_test) == 5000
    np.testing.assert_array_equal(np.bincount(data.y_val, minlength=10), np.full(10, 500))
    np.testing.assert_array_equal(np.bincount(data.y_test, minlength=10), np.full(10, 500))
    val, _ = expected_split(raw.y_test)
    np.testing.assert_array_equal(data.y_val, raw.y_test[val])
    assert_standardised(data.x_train)


# --------------------------------------------------------------------------- CIFAR


def write_pickle(path: Path, content: dict) -> None:
    with open(path, "wb") as handle:
        pickle.dump(content, handle)


def test_cifar10_pickles_channel_major_to_hwc(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(3)
    names = [f"class{k}".encode() for k in range(10)]
    batches = []
    for index in range(1, 6):
        data = rng.integers(0, 256, (4, 3072), dtype=np.uint8)
        labels = [(2 * index + j) % 10 for j in range(4)]  # classes 2..11 mod 10: all present
        batches.append((data, labels))
        write_pickle(folder / f"data_batch_{index}", {b"batch_label": b"x", b"labels": labels, b"data": data})
    test_data = rng.integers(0, 256, (6, 3072), dtype=np.uint8)
    write_pickle(folder / "test_batch", {b"labels": [0, 1, 0, 1, 2, 2], b"data": test_data})
    write_pickle(folder / "batches.meta", {b"label_names": names, b"num_vis": 3072})

    raw = read_cifar10(tmp_path)  # the parent folder
    assert raw.x_train.shape == (20, 32, 32, 3) and raw.x_test.shape == (6, 32, 32, 3)
    assert raw.class_names == tuple(f"class{k}" for k in range(10))
    first = batches[1][0][2]  # the third image of data_batch_2
    image = raw.x_train[4 + 2]
    for row, col, channel in [(0, 0, 0), (0, 1, 0), (1, 0, 0), (5, 7, 1), (31, 31, 2), (12, 3, 2)]:
        assert image[row, col, channel] == np.float32(first[channel * 1024 + row * 32 + col]) / 255
    np.testing.assert_array_equal(image * 255, first.reshape(3, 32, 32).transpose(1, 2, 0).astype(np.float32))
    np.testing.assert_array_equal(raw.y_train, np.concatenate([labels for _, labels in batches]))

    data = load_dataset("cifar10", root=folder)  # the folder itself
    assert data.input_shape == (32, 32, 3) and data.num_classes == 10
    np.testing.assert_array_equal(data.y_val, [0, 1, 2])
    np.testing.assert_array_equal(data.y_test, [0, 1, 2])
    assert_standardised(data.x_train)


def test_cifar10_missing_and_malformed(tmp_path):
    with pytest.raises(FileNotFoundError, match="data_batch_1.*test_batch.*batches.meta"):
        load_dataset("cifar10", root=tmp_path)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        write_pickle(tmp_path / name, {b"labels": [0], b"data": np.zeros((1, 3072), np.uint8)})
    write_pickle(tmp_path / "batches.meta", {b"names": [b"a"]})
    with pytest.raises(ValueError, match="batches.meta: missing key 'label_names'"):
        load_dataset("cifar10", root=tmp_path)
    write_pickle(tmp_path / "batches.meta", {b"label_names": [b"a"]})
    write_pickle(tmp_path / "test_batch", {b"labels": [0], b"data": np.zeros((1, 1024), np.uint8)})
    with pytest.raises(ValueError, match="test_batch: 'data' must be uint8 rows of 3072"):
        load_dataset("cifar10", root=tmp_path)


def test_cifar100_fine_labels(tmp_path):
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    rng = np.random.default_rng(4)
    train = rng.integers(0, 256, (100, 3072), dtype=np.uint8)
    fine = list(rng.permutation(100))
    write_pickle(folder / "train", {b"fine_labels": fine, b"coarse_labels": [k // 5 for k in fine], b"data": train})
    write_pickle(folder / "test", {b"fine_labels": [7, 7, 99], b"coarse_labels": [1, 1, 19], b"data": train[:3]})
    names = [f"fine{k}".encode() for k in range(100)]
    write_pickle(folder / "meta", {b"fine_label_names": names, b"coarse_label_names": [b"c"] * 20})

    data = load_dataset("cifar100", root=tmp_path)
    assert data.num_classes == 100 and data.class_names[99] == "fine99"
    np.testing.assert_array_equal(data.y_train, fine)
    np.testing.assert_array_equal(data.y_val, [7])
    np.testing.assert_array_equal(data.y_test, [7, 99])
    raw = datasets.read_cifar100(folder)
    np.testing.assert_array_equal(raw.x_train[5] * 255, train[5].reshape(3, 32, 32).transpose(1, 2, 0))


# --------------------------------------------------------------------------- Tiny ImageNet


COLOURS = {"n03": (200, 30, 30), "n01": (20, 180, 40), "n02": (40, 60, 220)}


def write_tiny_imagenet(root: Path) -> Path:
    from PIL import Image

    folder = root / "tiny-imagenet-200"
    (folder / "val" / "images").mkdir(parents=True)
    (folder / "wnids.txt").write_text("n03\nn01\nn02\n")  # not alphabetical on purpose
    (folder / "words.txt").write_text("n01\tgoldfish, Carassius auratus\nn03\ttabby cat\nn99\tunused\n")
    for wnid, colour in COLOURS.items():
        images = folder / "train" / wnid / "images"
        images.mkdir(parents=True)
        for index in (1, 0):
            Image.new("RGB", (64, 64), colour).save(images / f"{wnid}_{index}.JPEG", "JPEG")
        (folder / "train" / wnid / f"{wnid}_boxes.txt").write_text("")
    val = [("val_0.JPEG", "n02"), ("val_1.JPEG", "n03"), ("val_2.JPEG", "n02"), ("val_3.JPEG", "n01")]
    for name, wnid in val:
        Image.new("RGB", (64, 64), COLOURS[wnid]).save(folder / "val" / "images" / name, "JPEG")
    Image.new("L", (64, 64), 128).save(folder / "val" / "images" / "val_4.JPEG", "JPEG")  # greyscale
    lines = [f"{name}\t{wnid}\t0\t0\t63\t63" for name, wnid in val + [("val_4.JPEG", "n01")]]
    (folder / "val" / "val_annotations.txt").write_text("\n".join(lines) + "\n")
    return folder


def test_tinyimagenet_labels_follow_wnids(tmp_path):
    folder = write_tiny_imagenet(tmp_path)
    raw = read_tinyimagenet(tmp_path)
    assert raw.class_names == ("tabby cat", "goldfish, Carassius auratus", "n02")
    assert raw.x_train.shape == (6, 64, 64, 3) and raw.x_test.shape == (5, 64, 64, 3)
    np.testing.assert_array_equal(raw.y_train, [0, 0, 1, 1, 2, 2])
    np.testing.assert_array_equal(raw.y_test, [2, 0, 2, 1, 1])
    for image, label in zip(raw.x_train, raw.y_train):
        colour = COLOURS[("n03", "n01", "n02")[label]]
        np.testing.assert_allclose(image.mean(axis=(0, 1)) * 255, colour, atol=3)
    np.testing.assert_allclose(raw.x_test[4] * 255, 128, atol=2)  # greyscale -> RGB

    data = load_dataset("tinyimagenet", root=folder)
    assert data.input_shape == (64, 64, 3)
    np.testing.assert_array_equal(data.y_val, [2, 1])  # first of n02 and of n01 (2 each)
    np.testing.assert_array_equal(data.y_test, [0, 2, 1])


def test_tinyimagenet_missing_pieces(tmp_path):
    with pytest.raises(FileNotFoundError, match="wnids.txt.*val/val_annotations.txt"):
        load_dataset("tinyimagenet", root=tmp_path)
    folder = write_tiny_imagenet(tmp_path)
    (folder / "val" / "images" / "val_2.JPEG").unlink()
    with pytest.raises(FileNotFoundError, match="val_2.JPEG"):
        read_tinyimagenet(folder)
    with open(folder / "val" / "val_annotations.txt", "a") as handle:
        handle.write("val_9.JPEG\tn77\t0\t0\t1\t1\n")
    with pytest.raises(ValueError, match="'n77' is not in wnids.txt"):
        read_tinyimagenet(folder)


# --------------------------------------------------------------------------- npz


def test_npz_uint8_without_channels(tmp_path):
    rng = np.random.default_rng(5)
    x_train = rng.integers(0, 256, (9, 5, 6), dtype=np.uint8)
    x_test = rng.integers(0, 256, (4, 5, 6), dtype=np.uint8)
    y_train, y_test = np.array([0, 1, 2] * 3), np.array([2, 2, 0, 1])
    path = tmp_path / "mine.npz"
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)

    raw = read_npz(path)
    np.testing.assert_array_equal(raw.x_train, x_train[..., None].astype(np.float32) / 255)
    assert raw.class_names == ("0", "1", "2")
    data = load_dataset("npz:mine.npz", root=tmp_path)
    assert data.name == "npz:mine.npz" and data.input_shape == (5, 6, 1)
    np.testing.assert_array_equal(data.y_val, [2])
    np.testing.assert_array_equal(data.y_test, [2, 0, 1])
    np.testing.assert_allclose(
        data.x_val, standardised_like(x_train[..., None] / 255.0, x_test[:1, ..., None] / 255.0), atol=1e-5
    )


def test_npz_float_with_channels_and_names(tmp_path):
    rng = np.random.default_rng(6)
    x_train = rng.normal(3.0, 2.0, (8, 4, 4, 2))
    x_test = rng.normal(0.0, 1.0, (3, 4, 4, 2))
    path = tmp_path / "float.npz"
    np.savez(path, x_train=x_train, y_train=np.arange(8) % 4, x_test=x_test, y_test=[3, 3, 1],
             class_names=np.array(["ant", "bee", "cat", "dog"]))
    raw = read_npz(path)
    np.testing.assert_array_equal(raw.x_test, x_test.astype(np.float32))  # floats kept, not scaled
    data = load_dataset(f"npz:{path}")
    assert data.class_names == ("ant", "bee", "cat", "dog") and data.input_shape == (4, 4, 2)
    np.testing.assert_array_equal(data.y_val, [3])
    assert_standardised(data.x_train)


def test_npz_errors(tmp_path):
    path = tmp_path / "bad.npz"
    images = np.zeros((4, 3, 3), np.uint8)
    np.savez(path, x_train=images, y_train=[0, 1, 0, 1], x_test=images)
    with pytest.raises(ValueError, match="bad.npz: missing array\\(s\\) y_test"):
        load_dataset(f"npz:{path}")
    np.savez(path, x_train=images, y_train=[0, 1, 0, 1], x_test=images, y_test=[0, 1, 2, 0],
             class_names=np.array(["a", "b"]))
    with pytest.raises(ValueError, match="bad.npz y_test: label \\[2\\] = 2 is outside the class range 0..1"):
        load_dataset(f"npz:{path}")
    np.savez(path, x_train=images, y_train=[0, 0, 0, 0], x_test=images, y_test=[0, 0, 0, 0],
             class_names=np.array(["a", "b"]))
    with pytest.raises(ValueError, match="class\\(es\\) 1 have no training samples"):
        load_dataset(f"npz:{path}")
    np.savez(path, x_train=images, y_train=[0, 1, 0, 1], x_test=np.zeros((4, 3, 2), np.uint8), y_test=[0] * 4)
    with pytest.raises(ValueError, match="bad.npz: x_train inputs have shape"):
        load_dataset(f"npz:{path}")
    np.savez(path, x_train=images, y_train=[0.0, 1.0, 0.0, 1.0], x_test=images, y_test=[0] * 4)
    with pytest.raises(ValueError, match="integer"):
        load_dataset(f"npz:{path}")
    with pytest.raises(FileNotFoundError, match="x_train, y_train, x_test, y_test"):
        load_dataset(f"npz:{tmp_path / 'absent.npz'}")
