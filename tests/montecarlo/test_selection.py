import jax.numpy as jnp
import numpy as np
import pytest

from gmm_theory.twoclass.montecarlo import selection as prune


def _labels_and_priority(seed, n=200):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 2, n), rng.random(n)


def test_within_class_ranks_order_each_class_by_priority():
    y, priority = _labels_and_priority(0)
    ranks = np.asarray(prune.within_class_ranks(jnp.asarray(y), jnp.asarray(priority)))
    for k in (0, 1):
        members = np.flatnonzero(y == k)
        assert sorted(ranks[members]) == list(range(members.size))
        np.testing.assert_array_equal(ranks[members], np.argsort(np.argsort(-priority[members])))


def test_kept_mask_keeps_the_counts():
    y, priority = _labels_and_priority(1)
    ranks = prune.within_class_ranks(jnp.asarray(y), jnp.asarray(priority))
    kept = np.asarray(prune.kept_mask(jnp.asarray(y), ranks, jnp.asarray([13, 40])))
    assert [np.sum(kept & (y == 0)), np.sum(kept & (y == 1))] == [13, 40]


@pytest.mark.parametrize("budget", [0, 1, 57, 200])
def test_global_counts_match_a_numpy_top_k(budget):
    y, priority = _labels_and_priority(2)
    top = np.argsort(-priority, kind="stable")[:budget]
    expected = [np.sum(y[top] == 0), np.sum(y[top] == 1)]
    assert np.asarray(prune.global_counts(jnp.asarray(y), jnp.asarray(priority), budget)).tolist() == expected


def test_margin_counts_and_class_mean_distance():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 500)
    x = np.where(y == 1, rng.normal(1, 1.5, 500), rng.normal(-1, 0.5, 500))
    distance = np.asarray(prune.class_mean_distance(jnp.asarray(x), jnp.asarray(y)))
    expected = np.abs(x - np.where(y == 1, x[y == 1].mean(), x[y == 0].mean()))
    np.testing.assert_allclose(distance, expected, rtol=1e-6)
    counts = np.asarray(prune.margin_counts(jnp.asarray(y), jnp.asarray(distance), 0.4))
    assert counts.tolist() == [np.sum((expected >= 0.4) & (y == k)) for k in (0, 1)]


def test_counts_from_densities_round_half_up():
    counts = prune.counts_from_densities(jnp.asarray([10, 7]), jnp.asarray([0.25, 0.5]))
    assert np.asarray(counts).tolist() == [3, 4]


def test_priority_rejects_unknown_rules():
    with pytest.raises(ValueError, match="prune must be one of"):
        prune.priority("el2n", jnp.zeros(3), jnp.zeros(3, int))
