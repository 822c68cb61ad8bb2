"""Splitting by class and standardising: the DRoP validation split and the per-channel scaling."""

from __future__ import annotations

import numpy as np

_STATS_CHUNK = 1 << 20  # rows of the (samples * pixels, channels) view summed at once


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
