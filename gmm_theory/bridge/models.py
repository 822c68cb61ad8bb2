"""Classifiers for the bridge, in flax.linen: every model maps inputs to (logits, embedding).

The embedding (the input of the last linear layer) feeds the embedding-based scorers
(coreset, SSP, GMM uncertainty).  Convolutions work in any number of spatial dimensions,
so one small CNN serves 8x8 digits, 1D mnist1d signals and 28x28 images.  VGG-16 and
ResNet-18 follow the CIFAR variants used in the DRoP paper's experiments (3x3 stem, no
initial max-pool, batch norm).  ``dtype`` is the compute dtype (``jnp.bfloat16`` on a GPU);
parameters stay in float32.
"""

from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax.numpy as jnp

MODELS = ("small-cnn", "vgg16", "resnet18")


def _window(x, size: int) -> tuple[int, ...]:
    """A ``size`` window over every spatial axis of channels-last ``x`` (batch first)."""
    return (size,) * (x.ndim - 2)


def _global_average(x):
    return x.mean(axis=tuple(range(1, x.ndim - 1)))


class SmallCNN(nn.Module):
    """Three conv layers (3-wide kernels, ReLU, 2x max-pool while the input is at least 8
    wide), global average pooling, a 128-unit embedding and a linear head."""

    num_classes: int
    width: int = 16
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, x, train: bool = False):
        x = x.astype(self.dtype)
        for features in (self.width, 2 * self.width, 4 * self.width):
            x = nn.relu(nn.Conv(features, _window(x, 3), dtype=self.dtype)(x))
            if min(x.shape[1:-1]) >= 8:
                x = nn.max_pool(x, _window(x, 2), strides=_window(x, 2))
        embedding = nn.relu(nn.Dense(128, dtype=self.dtype)(_global_average(x)))
        return nn.Dense(self.num_classes, dtype=self.dtype)(embedding).astype(jnp.float32), embedding


class VGG16(nn.Module):
    """VGG-16 with batch norm for 32x32 inputs (13 conv layers, 5 max-pools)."""

    num_classes: int
    dtype: Any = jnp.float32
    layers: tuple = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")

    @nn.compact
    def __call__(self, x, train: bool = False):
        x = x.astype(self.dtype)
        for layer in self.layers:
            if layer == "M":
                x = nn.max_pool(x, (2, 2), strides=(2, 2))
            else:
                x = nn.Conv(layer, (3, 3), use_bias=False, dtype=self.dtype)(x)
                x = nn.relu(nn.BatchNorm(use_running_average=not train, dtype=self.dtype)(x))
        embedding = _global_average(x)
        return nn.Dense(self.num_classes, dtype=self.dtype)(embedding).astype(jnp.float32), embedding


class _BasicBlock(nn.Module):
    features: int
    strides: int
    dtype: Any

    @nn.compact
    def __call__(self, x, train: bool):
        def norm():
            return nn.BatchNorm(use_running_average=not train, dtype=self.dtype)

        out = nn.Conv(self.features, (3, 3), strides=self.strides, use_bias=False, dtype=self.dtype)(x)
        out = nn.relu(norm()(out))
        out = norm()(nn.Conv(self.features, (3, 3), use_bias=False, dtype=self.dtype)(out))
        if self.strides != 1 or x.shape[-1] != self.features:
            x = norm()(nn.Conv(self.features, (1, 1), strides=self.strides, use_bias=False, dtype=self.dtype)(x))
        return nn.relu(out + x)


class ResNet18(nn.Module):
    """ResNet-18 (CIFAR variant): 3x3 stem, four stages of two basic blocks."""

    num_classes: int
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, x, train: bool = False):
        x = x.astype(self.dtype)
        x = nn.Conv(64, (3, 3), use_bias=False, dtype=self.dtype)(x)
        x = nn.relu(nn.BatchNorm(use_running_average=not train, dtype=self.dtype)(x))
        for stage, features in enumerate((64, 128, 256, 512)):
            for block in range(2):
                strides = 2 if stage > 0 and block == 0 else 1
                x = _BasicBlock(features, strides, self.dtype)(x, train)
        embedding = _global_average(x)
        return nn.Dense(self.num_classes, dtype=self.dtype)(embedding).astype(jnp.float32), embedding


def make_model(name: str, num_classes: int, input_shape: tuple[int, ...], *, bf16: bool = False,
               width: int | None = None) -> nn.Module:
    """The model called ``name``; ``"auto"`` picks ResNet-18 for inputs of 32x32 and larger,
    the small CNN otherwise (digits, mnist1d, 28x28 images).  ``width`` sets the small CNN's
    first-layer channels (16 by default)."""
    if name == "auto":
        name = "resnet18" if len(input_shape) == 3 and min(input_shape[:2]) >= 32 else "small-cnn"
    dtype = jnp.bfloat16 if bf16 else jnp.float32
    if width is not None and not (isinstance(width, int) and width >= 1):
        raise ValueError(f"width must be an integer >= 1, got {width!r}")
    if name == "small-cnn":
        return SmallCNN(num_classes, width=width or SmallCNN.width, dtype=dtype)
    if width is not None:
        raise ValueError(f"width applies to the small CNN only, not to model {name!r}")
    if name == "vgg16":
        return VGG16(num_classes, dtype=dtype)
    if name == "resnet18":
        return ResNet18(num_classes, dtype=dtype)
    raise ValueError(f"model must be 'auto' or one of {', '.join(map(repr, MODELS))}, got {name!r}")
