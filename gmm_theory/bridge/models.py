"""Classifiers for the bridge, in flax.linen: every model maps inputs to (logits, embedding).

The embedding (the input of the last linear layer) feeds the embedding-based scorers
(coreset, SSP, GMM uncertainty).  ``small-cnn`` and ``bn-cnn`` convolve in any number of
spatial dimensions, so they serve 8x8 digits, 1D mnist1d signals and 28x28 images.  VGG-16,
VGG-19, ResNet-18 and ResNet-50 are the networks of the DRoP paper's experiments, as in the
official code (avysogorets/fair-data-pruning, ``models/``): VGG with batch norm, ResNet-18 in
its CIFAR form (3x3 stem, no initial max-pool), ResNet-50 in its ImageNet form (7x7 stride-2
stem, 3x3 max-pool, bottleneck blocks).  ``dtype`` is the compute dtype (``jnp.bfloat16`` on
a GPU); parameters stay in float32.
"""

from __future__ import annotations

import functools
from typing import Any

import flax.linen as nn
import jax.numpy as jnp

from gmm_theory._checks import check_count
from gmm_theory.bridge.ops import conv_general_dilated, max_pool_2

#: The network names :func:`make_model` accepts: ``small-cnn`` and ``bn-cnn`` (the toolkit's
#: small CNNs, for inputs with any number of spatial axes), ``vgg16`` and ``vgg19`` (VGG with
#: batch norm), ``resnet18`` (CIFAR form) and ``resnet50`` (ImageNet form), the last four for
#: images ``(H, W, C)`` only.
MODELS = ("small-cnn", "bn-cnn", "vgg16", "vgg19", "resnet18", "resnet50")

# Every convolution goes through the CPU-fast form of ``gmm_theory.bridge.ops``.
Conv = functools.partial(nn.Conv, conv_general_dilated=conv_general_dilated)


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
            x = nn.relu(Conv(features, _window(x, 3), dtype=self.dtype)(x))
            if min(x.shape[1:-1]) >= 8:
                x = max_pool_2(x)
        embedding = nn.relu(nn.Dense(128, dtype=self.dtype)(_global_average(x)))
        return nn.Dense(self.num_classes, dtype=self.dtype)(embedding).astype(jnp.float32), embedding


class BatchNormCNN(nn.Module):
    """Two conv layers (3-wide kernels, 2x max-pool, batch norm, ReLU), then the flattened
    feature map into a ``features``-unit embedding and a linear head: the toolkit's fast
    Fashion-MNIST network.  Pooling comes before the batch norm, as in airbench's conv groups
    (Jordan, 2024), so the norm and its gradient touch a quarter of the activations: on the
    CPU the step is about a third faster.  Flattening keeps where a feature sits, which global
    averaging loses and which tells a shirt from a pullover."""

    num_classes: int
    width: int = 16
    features: int = 256
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, x, train: bool = False):
        x = x.astype(self.dtype)
        for channels in (self.width, 2 * self.width):
            x = Conv(channels, _window(x, 3), use_bias=False, dtype=self.dtype)(x)
            if min(x.shape[1:-1]) >= 2:
                x = max_pool_2(x)
            x = nn.relu(nn.BatchNorm(use_running_average=not train, momentum=0.9, dtype=self.dtype)(x))
        embedding = nn.relu(nn.Dense(self.features, dtype=self.dtype)(x.reshape(x.shape[0], -1)))
        return nn.Dense(self.num_classes, dtype=self.dtype)(embedding).astype(jnp.float32), embedding


VGG16_LAYERS = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")
VGG19_LAYERS = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
                512, 512, 512, 512, "M")


class VGG(nn.Module):
    """VGG with batch norm for 32x32 inputs: 3x3 conv layers and 2x max-pools ("M") as
    ``layers`` lists them, global average pooling (the official code's flatten, at 1x1) and a
    linear head."""

    num_classes: int
    layers: tuple = VGG16_LAYERS
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, x, train: bool = False):
        x = x.astype(self.dtype)
        for layer in self.layers:
            if layer == "M":
                x = max_pool_2(x)
            else:
                x = Conv(layer, (3, 3), use_bias=False, dtype=self.dtype)(x)
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

        out = Conv(self.features, (3, 3), strides=self.strides, use_bias=False, dtype=self.dtype)(x)
        out = nn.relu(norm()(out))
        out = norm()(Conv(self.features, (3, 3), use_bias=False, dtype=self.dtype)(out))
        if self.strides != 1 or x.shape[-1] != self.features:
            x = norm()(Conv(self.features, (1, 1), strides=self.strides, use_bias=False, dtype=self.dtype)(x))
        return nn.relu(out + x)


class _Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (stride on the first block of a stage, as the official code), 1x1
    expand by 4, with a projected shortcut where the shape changes."""

    features: int
    strides: int
    dtype: Any

    @nn.compact
    def __call__(self, x, train: bool):
        def norm():
            return nn.BatchNorm(use_running_average=not train, dtype=self.dtype)

        out = nn.relu(norm()(Conv(self.features, (1, 1), strides=self.strides, use_bias=False,
                                  dtype=self.dtype)(x)))
        out = nn.relu(norm()(Conv(self.features, (3, 3), use_bias=False, dtype=self.dtype)(out)))
        out = norm()(Conv(4 * self.features, (1, 1), use_bias=False, dtype=self.dtype)(out))
        if self.strides != 1 or x.shape[-1] != 4 * self.features:
            x = norm()(Conv(4 * self.features, (1, 1), strides=self.strides, use_bias=False,
                            dtype=self.dtype)(x))
        return nn.relu(out + x)


class ResNet18(nn.Module):
    """ResNet-18 (CIFAR variant): 3x3 stem, four stages of two basic blocks."""

    num_classes: int
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, x, train: bool = False):
        x = x.astype(self.dtype)
        x = Conv(64, (3, 3), use_bias=False, dtype=self.dtype)(x)
        x = nn.relu(nn.BatchNorm(use_running_average=not train, dtype=self.dtype)(x))
        for stage, features in enumerate((64, 128, 256, 512)):
            for block in range(2):
                strides = 2 if stage > 0 and block == 0 else 1
                x = _BasicBlock(features, strides, self.dtype)(x, train)
        embedding = _global_average(x)
        return nn.Dense(self.num_classes, dtype=self.dtype)(embedding).astype(jnp.float32), embedding


class ResNet50(nn.Module):
    """ResNet-50 (ImageNet variant): 7x7 stride-2 stem, 3x3 stride-2 max-pool, stages of 3, 4,
    6 and 3 bottleneck blocks of widths 64..512 (outputs 256..2048)."""

    num_classes: int
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, x, train: bool = False):
        x = x.astype(self.dtype)
        x = Conv(64, (7, 7), strides=2, padding=3, use_bias=False, dtype=self.dtype)(x)
        x = nn.relu(nn.BatchNorm(use_running_average=not train, dtype=self.dtype)(x))
        x = nn.max_pool(x, (3, 3), strides=(2, 2), padding=((1, 1), (1, 1)))
        for stage, (features, blocks) in enumerate(zip((64, 128, 256, 512), (3, 4, 6, 3))):
            for block in range(blocks):
                strides = 2 if stage > 0 and block == 0 else 1
                x = _Bottleneck(features, strides, self.dtype)(x, train)
        embedding = _global_average(x)
        return nn.Dense(self.num_classes, dtype=self.dtype)(embedding).astype(jnp.float32), embedding


def make_model(name: str, num_classes: int, input_shape: tuple[int, ...], *, bf16: bool = False,
               width: int | None = None) -> nn.Module:
    """The model called ``name`` (one of ``MODELS``); ``width`` sets the first-layer channels
    of ``small-cnn`` and ``bn-cnn`` (16 by default).  A dataset's own choice of model is
    :func:`gmm_theory.bridge.recipes.recipe`'s.

    Every model maps a batch of channels-last inputs to ``(logits, embedding)``, the embedding
    being the input of the last linear layer (what the embedding-based scorers read).
    ``small-cnn``: three 3-wide conv layers with ReLU and 2x max-pooling while the input is at
    least 8 wide, global average pooling, a 128-unit embedding and a linear head.  ``bn-cnn``:
    two conv layers (2x max-pool, batch norm, ReLU), the flattened feature map into a 256-unit
    embedding and a linear head.  ``vgg16`` / ``vgg19``: VGG with batch norm for 32x32 inputs,
    global average pooling.  ``resnet18``: 3x3 stem, no initial max-pool, four stages of two
    basic blocks.  ``resnet50``: 7x7 stride-2 stem, 3x3 max-pool, bottleneck stages of 3, 4,
    6 and 3 blocks.  Logits are float32 whatever the compute dtype.

    Args:
        name (str): One of :data:`MODELS`.
        num_classes (int): The number of classes K, the width of the linear head.
        input_shape (tuple[int, ...]): The shape of one input, without the batch axis:
            ``(H, W, C)`` for images (required by the VGG and ResNet models), ``(L, 1)`` for
            sequences.
        bf16 (bool): Compute in ``jnp.bfloat16`` (for a GPU) instead of float32; parameters
            stay in float32.
        width (int | None): The first-layer channels of ``small-cnn`` and ``bn-cnn``, an
            integer >= 1; ``None`` for 16.

    Returns:
        flax.linen.Module: The untrained model; ``model.apply(variables, x, train=...)``
        returns logits ``(N, K)`` and embeddings ``(N, E)``.

    Raises:
        ValueError: If ``name`` is not one of :data:`MODELS`, ``width`` is not an integer
            >= 1 or is given for a model other than the small CNNs, or a VGG or ResNet is
            asked for inputs that are not images ``(H, W, C)``.

    References:
        Vysogorets, Ahuja, Kempe, "DRoP: Distributionally Robust Data Pruning", ICLR 2025,
        and its official code, avysogorets/fair-data-pruning (``models/``: the VGG and ResNet
        networks); ``bn-cnn`` pools before its batch norm as airbench's conv groups do
        (Jordan, 2024).
    """
    dtype = jnp.bfloat16 if bf16 else jnp.float32
    if width is not None:
        check_count("width", width)
    if name in ("small-cnn", "bn-cnn"):
        kind = SmallCNN if name == "small-cnn" else BatchNormCNN
        return kind(num_classes, width=width or 16, dtype=dtype)
    if name not in MODELS:
        raise ValueError(f"model must be 'auto' or one of {', '.join(map(repr, MODELS))}, got {name!r}")
    if width is not None:
        raise ValueError(f"width applies to the small CNNs only, not to model {name!r}")
    if len(input_shape) != 3:
        raise ValueError(f"model {name!r} needs images (height, width, channels), got input shape {input_shape}")
    if name == "vgg16":
        return VGG(num_classes, VGG16_LAYERS, dtype=dtype)
    if name == "vgg19":
        return VGG(num_classes, VGG19_LAYERS, dtype=dtype)
    return {"resnet18": ResNet18, "resnet50": ResNet50}[name](num_classes, dtype=dtype)
