import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from gmm_theory.bridge import models, ops


def _flax_layout(ndim):
    """flax.linen.Conv's dimension numbers: channels last, kernels (spatial..., in, out)."""
    return lax.conv_dimension_numbers((1,) * ndim, (1,) * ndim, {
        3: ("NWC", "WIO", "NWC"), 4: ("NHWC", "HWIO", "NHWC")}[ndim])


@pytest.mark.parametrize(("lhs_shape", "kernel", "strides", "padding"), [
    ((3, 10, 9, 1), (3, 3), (1, 1), "SAME"),
    ((3, 10, 9, 1), (3, 2), (1, 1), "VALID"),
    ((2, 12, 1), (5,), (1,), ((2, 1),)),
    ((2, 8, 8, 1), (7, 7), (1, 1), ((3, 3), (3, 3))),
    ((2, 8, 8, 1), (3, 3), (2, 2), "SAME"),     # strided: lax itself
    ((2, 8, 8, 3), (3, 3), (1, 1), "SAME"),     # three channels: lax itself
])
@pytest.mark.slow
def test_conv_and_its_gradients_equal_lax(float32, lhs_shape, kernel, strides, padding):
    keys = jax.random.split(jax.random.key(0), 3)
    lhs = jax.random.normal(keys[0], lhs_shape)
    rhs = jax.random.normal(keys[1], (*kernel, lhs_shape[-1], 4))
    numbers = _flax_layout(lhs.ndim)

    def conv(lhs, rhs, implementation):
        return implementation(lhs, rhs, strides, padding, dimension_numbers=numbers)

    expected, reference_vjp = jax.vjp(lambda a, b: conv(a, b, lax.conv_general_dilated), lhs, rhs)
    got, fast_vjp = jax.vjp(lambda a, b: conv(a, b, ops.conv_general_dilated), lhs, rhs)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    cotangent = jax.random.normal(keys[2], expected.shape)
    for fast_grad, reference_grad in zip(fast_vjp(cotangent), reference_vjp(cotangent)):
        np.testing.assert_allclose(fast_grad, reference_grad, rtol=1e-5, atol=1e-4)


def test_flax_conv_with_the_fast_form_is_a_plain_flax_conv(float32):
    x = jax.random.normal(jax.random.key(1), (4, 9, 9, 1))
    plain, fast = nn.Conv(8, (3, 3)), models.Conv(8, (3, 3))
    variables = plain.init(jax.random.key(2), x)
    assert jax.tree.structure(fast.init(jax.random.key(2), x)) == jax.tree.structure(variables)
    np.testing.assert_allclose(fast.apply(variables, x), plain.apply(variables, x), rtol=1e-5, atol=1e-5)


def test_conv_keeps_a_low_precision_dtype(float32):
    x = jnp.ones((2, 6, 6, 1), jnp.bfloat16)
    y = models.Conv(4, (3, 3), dtype=jnp.bfloat16).init_with_output(jax.random.key(0), x)[0]
    assert y.dtype == jnp.bfloat16


def _reshape_max(x):
    """2x2 pooling as a reshape and a max, differentiated by JAX itself (ties split)."""
    spatial = x.shape[1:-1]
    x = x[(slice(None), *(slice(0, 2 * (s // 2)) for s in spatial))]
    paired = x.reshape([x.shape[0]] + [n for s in spatial for n in (s // 2, 2)] + [x.shape[-1]])
    return paired.max(axis=tuple(range(2, 2 * len(spatial) + 1, 2)))


@pytest.mark.parametrize("shape", [(2, 9, 7, 3), (2, 8, 8, 1), (3, 11, 2)])
@pytest.mark.slow
def test_max_pool_2_equals_flax_max_pool_and_its_gradient_the_max_gradient(float32, shape):
    x = jax.random.normal(jax.random.key(0), shape)
    window = (2,) * (len(shape) - 2)
    np.testing.assert_array_equal(ops.max_pool_2(x), nn.max_pool(x, window, strides=window))
    pooled, fast_vjp = jax.vjp(ops.max_pool_2, x)
    cotangent = jax.random.normal(jax.random.key(1), pooled.shape)
    np.testing.assert_array_equal(fast_vjp(cotangent)[0], jax.vjp(_reshape_max, x)[1](cotangent)[0])


def test_max_pool_2_after_relu_has_the_gradient_of_the_chain(float32):
    """ReLU leaves tied zeros in a window; their gradient dies in the ReLU either way."""
    x = jax.random.normal(jax.random.key(3), (4, 8, 6, 2)) - 0.8
    assert np.any(np.asarray(_reshape_max(jax.nn.relu(x))) == 0)
    weights = jax.random.normal(jax.random.key(4), (4, 4, 3, 2))
    fast = jax.grad(lambda x: jnp.sum(weights * ops.max_pool_2(jax.nn.relu(x))))(x)
    reference = jax.grad(lambda x: jnp.sum(weights * _reshape_max(jax.nn.relu(x))))(x)
    np.testing.assert_array_equal(fast, reference)
