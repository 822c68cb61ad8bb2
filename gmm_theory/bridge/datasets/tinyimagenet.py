"""Tiny ImageNet from its ``tiny-imagenet-200`` folder of JPEG images."""

from __future__ import annotations

import concurrent.futures
import os
from pathlib import Path

import numpy as np

from gmm_theory.bridge.datasets.raw import (
    RawData,
    _dataset_folder,
    _require_files,
    to_unit_float,
)

TINYIMAGENET_SIDE = 64
TINYIMAGENET_SUFFIXES = (".jpeg", ".jpg", ".png")


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
