"""Convolution and max-pooling in forms that XLA runs fast on the CPU, with the gradients of
the standard forms.

Measured on a 2-core CPU for the Fashion-MNIST network (batch 256): XLA's convolution of a
one-channel 28x28 input into 16 channels takes 6-8 ms forward, the shifted sums below about
1 ms; the gradient of a reshape-and-max pooling takes 7.7 ms on a 28x28x16 map, the mask below
3.6 ms.  ``benchmarks/training_bench.py`` times the whole training step against PyTorch.
"""

from __future__ import annotations

import functools
import itertools

import jax
import jax.numpy as jnp
from jax import lax


def _channels_last(ndim: int) -> lax.ConvDimensionNumbers:
    """The dimension numbers ``flax.linen.Conv`` passes: batch first, channels last, kernels
    (spatial..., in, out)."""
    spatial = tuple(range(1, ndim - 1))
    return lax.ConvDimensionNumbers((0, ndim - 1, *spatial), (ndim - 1, ndim - 2, *range(ndim - 2)),
                                    (0, ndim - 1, *spatial))


@functools.partial(jax.custom_vjp, nondiff_argnums=(2,))
def _shifted_sum_conv(lhs, rhs, pads):
    """Cross-correlation of one-channel ``lhs`` (batch, spatial..., 1) with ``rhs``
    (kernel..., 1, out) as the sum over kernel offsets o of the shifted input times the tap
    ``rhs[o]``: y[b, i, f] = sum_o x[b, i + o] w[o, f], accumulated in float32."""
    padded = jnp.pad(lhs, [(0, 0), *pads, (0, 0)]).astype(jnp.float32)
    kernel = rhs.astype(jnp.float32)
    out_shape = [padded.shape[1 + axis] - size + 1 for axis, size in enumerate(rhs.shape[:-2])]
    total = 0.0
    for offset in itertools.product(*(range(size) for size in rhs.shape[:-2])):
        window = padded[(slice(None), *(slice(o, o + n) for o, n in zip(offset, out_shape)), slice(None))]
        total = total + window * kernel[offset][0]
    return total.astype(jnp.result_type(lhs, rhs))


def _lax_conv(lhs, rhs, pads):
    return lax.conv_general_dilated(lhs, rhs, (1,) * (lhs.ndim - 2), pads,
                                    dimension_numbers=_channels_last(lhs.ndim))


def _shifted_sum_forward(lhs, rhs, pads):
    return _shifted_sum_conv(lhs, rhs, pads), (lhs, rhs)


def _shifted_sum_backward(pads, residuals, cotangent):
    # XLA's own transposed convolutions are the fast form of the gradient.
    return jax.vjp(functools.partial(_lax_conv, pads=pads), *residuals)[1](cotangent)


_shifted_sum_conv.defvjp(_shifted_sum_forward, _shifted_sum_backward)


def conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=None, rhs_dilation=None,
                         dimension_numbers=None, feature_group_count=1, precision=None):
    """``lax.conv_general_dilated`` with the same arguments, for ``flax.linen.Conv``'s
    ``conv_general_dilated`` field.  A one-channel input at unit strides and dilations, with
    flax's channels-last layout and non-negative padding, is convolved as shifted sums
    (:func:`_shifted_sum_conv`), its gradient taken from ``lax.conv_general_dilated``; every
    other case is ``lax.conv_general_dilated`` itself."""
    ndim = lhs.ndim
    units = all(value == 1 for value in (*window_strides, *(lhs_dilation or ()), *(rhs_dilation or ())))
    if lhs.shape[-1] == 1 and units and feature_group_count == 1 and dimension_numbers == _channels_last(ndim):
        pads = (lax.padtype_to_pads(lhs.shape[1:-1], rhs.shape[:-2], window_strides, padding)
                if isinstance(padding, str) else padding)
        pads = tuple((int(low), int(high)) for low, high in pads)
        if all(low >= 0 and high >= 0 for low, high in pads):
            return _shifted_sum_conv(lhs, rhs, pads)
    return lax.conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=lhs_dilation,
                                    rhs_dilation=rhs_dilation, dimension_numbers=dimension_numbers,
                                    feature_group_count=feature_group_count, precision=precision)


def _paired(x):
    """``x`` cropped to even spatial sizes and reshaped to (batch, s1/2, 2, s2/2, 2, ..., channels)."""
    spatial = x.shape[1:-1]
    x = x[(slice(None), *(slice(0, 2 * (s // 2)) for s in spatial))]
    return x.reshape([x.shape[0]] + [n for s in spatial for n in (s // 2, 2)] + [x.shape[-1]])


def _pair_axes(ndim: int) -> tuple[int, ...]:
    return tuple(range(2, 2 * (ndim - 2) + 1, 2))


@jax.custom_vjp
def max_pool_2(x):
    """2-wide, stride-2 max-pooling over every spatial axis of channels-last ``x`` (odd
    trailing rows dropped), as ``nn.max_pool(x, 2, strides=2)``.

    Its gradient goes to every element equal to its window's maximum.  Where the maximum is
    unique (almost surely, for continuous inputs) that is the gradient of the max; ties are in
    practice the zeros a ReLU leaves, whose gradient the ReLU then discards.  Written by hand
    because XLA on the CPU runs both ``nn.max_pool``'s select-and-scatter and the autodiff of a
    reshape-and-max (which splits the gradient among ties) about twice as slowly."""
    return _paired(x).max(axis=_pair_axes(x.ndim))


def _max_pool_forward(x):
    paired = _paired(x)
    return paired.max(axis=_pair_axes(x.ndim)), (x, paired)


def _max_pool_backward(residuals, cotangent):
    x, paired = residuals
    axes = _pair_axes(x.ndim)
    widened = jnp.expand_dims(cotangent, axes)
    gradient = jnp.where(paired == paired.max(axis=axes, keepdims=True), widened, 0).reshape(
        [x.shape[0]] + [2 * (s // 2) for s in x.shape[1:-1]] + [x.shape[-1]])
    return (jnp.pad(gradient, [(0, 0)] + [(0, s % 2) for s in x.shape[1:-1]] + [(0, 0)]).astype(x.dtype),)


max_pool_2.defvjp(_max_pool_forward, _max_pool_backward)
