import functools

import jax
import jax.numpy as jnp
import numpy as np

from gmm_theory import _exported
from gmm_theory.highdim import asymptotics


@functools.partial(jax.jit, static_argnames=("power",))
def _powers_until(values, limit, *, power):
    """Raise each value to ``power`` until it passes ``limit`` (a loop with a data-dependent end)."""
    def step(carry):
        value, count = carry
        return value**power, count + 1

    return tuple(jax.vmap(lambda v: jax.lax.while_loop(lambda c: c[0] < limit, step, (v, 0)))(values))


def _stored(folder):
    return sorted(folder.glob("*.jaxexport"))


def test_the_store_gives_the_function_s_answer_for_every_batch_length(tmp_path):
    _exported.enable(tmp_path)
    for values in (np.array([1.5, 2.0, 3.0]), np.array([1.1]), np.linspace(1.01, 9.0, 7)):
        stored = _exported.call(_powers_until, {"power": 2}, values, np.asarray(100.0))
        direct = _powers_until(values, 100.0, power=2)
        for got, expected in zip(stored, direct):
            np.testing.assert_array_equal(got, expected)
    assert len(_stored(tmp_path)) == 1  # the symbolic batch: one entry for every length


def test_a_static_argument_gets_its_own_entry(tmp_path):
    _exported.enable(tmp_path)
    for power in (2, 3):
        value, count = _exported.call(_powers_until, {"power": power}, np.array([1.5]), np.asarray(50.0))
        assert value[0] >= 50.0 and value[0] ** (1 / power) < 50.0
    assert len(_stored(tmp_path)) == 2


def test_a_damaged_entry_is_traced_again_and_replaced(tmp_path):
    _exported.enable(tmp_path)
    arguments = ({"power": 2}, np.array([1.5, 2.0]), np.asarray(10.0))
    expected = _exported.call(_powers_until, *arguments)
    (entry,) = _stored(tmp_path)
    entry.write_bytes(b"not a program")
    np.testing.assert_array_equal(_exported.call(_powers_until, *arguments)[0], expected[0])
    assert entry.stat().st_size > len(b"not a program")


def test_without_a_store_the_function_is_called_and_nothing_is_written(tmp_path):
    _exported.enable(None)
    value, _ = _exported.call(_powers_until, {"power": 2}, jnp.array([3.0]), np.asarray(10.0))
    assert value[0] == 81.0 and not list(tmp_path.iterdir())


def test_a_stored_solver_answers_without_tracing_it_again(tmp_path):
    problem = dict(r=1.0, stds=(0.6, 1.4), priors=(0.4, 0.6), loss="hinge")
    direct = asymptotics.solve(np.array([0.8, 2.5]), 0.1, **problem)
    _exported.enable(tmp_path)
    asymptotics.solve(np.array([1.0, 3.0]), 0.1, **problem)  # traces and stores the solver
    jax.clear_caches()
    stored = asymptotics.solve(np.array([0.8, 2.5]), 0.1, **problem)
    assert asymptotics._solve_lanes._cache_size() == 0
    for field, got, expected in zip(direct._fields, stored, direct):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14, err_msg=field)
