import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gmm_theory as gt
from gmm_theory.twoclass.montecarlo import selection
from gmm_theory.twoclass.montecarlo import engine as simulate
from gmm_theory.allocate import allocate
from gmm_theory.drop import IteratedDrop
from gmm_theory.twoclass.montecarlo.policies import margin_counts, policy_counts, validation_errors
from gmm_theory.twoclass.risk import LinearRule


@pytest.fixture
def mixture():
    return gt.TwoClassMixture()


@pytest.fixture
def samples(mixture):
    return simulate.draw_seeds(mixture, jax.random.key(0), 2000, 6)


def test_stratified_and_optimal_counts_come_from_the_allocator(mixture, samples):
    sizes = np.asarray(jax.vmap(selection.class_sizes)(samples.y))
    stratified = policy_counts(mixture, jax.random.key(1), samples, [0.3, 0.7], "stratified")
    optimal = policy_counts(mixture, jax.random.key(1), samples, [0.3, 0.7], "optimal")
    for s, size in enumerate(sizes):
        for i, d in enumerate([0.3, 0.7]):
            assert stratified[s, i].tolist() == allocate(size, density=d).counts.tolist()
            assert optimal[s, i].tolist() == allocate(size, density=d, rule="weights", weights=[0.25, 0.75],
                                                     semantics="count").counts.tolist()


def test_drop_keeps_densities_proportional_to_validation_errors(mixture, samples):
    counts = policy_counts(mixture, jax.random.key(1), samples, [0.3], "drop")
    sizes = np.asarray(jax.vmap(selection.class_sizes)(samples.y))
    densities = counts[:, 0] / sizes
    # The hard class errs about 4.6 times as often as the easy one (0.219 vs 0.047 in the limit).
    assert np.all(densities[:, 1] / densities[:, 0] > 2)
    np.testing.assert_array_equal(counts.sum(axis=-1)[:, 0], np.floor(0.3 * 2000 + 0.5))


def test_global_counts_meet_the_budget(mixture, samples):
    counts = policy_counts(mixture, jax.random.key(1), samples, [0.25, 1.0], "class-blind")
    np.testing.assert_array_equal(counts.sum(axis=-1), [[500, 2000]] * 6)


@pytest.mark.slow
def test_damped_iterated_drop_approaches_the_worst_class_optimal_prior(mixture):
    samples = simulate.draw_seeds(mixture, jax.random.key(2), 20_000, 8)
    counts = policy_counts(mixture, jax.random.key(3), samples, [0.5], "iterated-drop",
                           config=IteratedDrop(rounds=8, step=0.5))
    share = counts[:, 0, 0] / counts[:, 0].sum(axis=-1)
    # The minimax training prior of class 0 is 0.25 (std-proportional, paper Appendix B.2); one-step DRoP gives 0.177.
    assert np.mean(share) == pytest.approx(0.25, abs=0.02)


def test_validation_errors_match_counting():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=300), rng.integers(0, 2, 300)
    rule = LinearRule(jnp.asarray([1.0, -2.0, np.nan]), jnp.asarray([0.1, 0.3, 0.0]))
    errors = np.asarray(validation_errors(rule, jnp.asarray(x), jnp.asarray(y)))
    for a, (w, b) in enumerate([(1.0, 0.1), (-2.0, 0.3)]):
        wrong = (w * x + b > 0) != (y == 1)
        np.testing.assert_allclose(errors[a], [wrong[y == 0].mean(), wrong[y == 1].mean()])
    assert np.all(np.isnan(errors[2]))


def test_unknown_policy_and_bad_margin_are_named(mixture, samples):
    with pytest.raises(ValueError, match="policy must be one of"):
        policy_counts(mixture, jax.random.key(1), samples, [0.5], "best")
    for margin in (-1.0, float("nan")):
        with pytest.raises(ValueError, match="margin must be a finite number >= 0"):
            margin_counts(samples, margin)
