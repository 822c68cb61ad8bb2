import jax
import numpy as np
import pytest
from scipy import stats

import gmm_theory as gt
from gmm_theory.drop import IteratedDrop
from gmm_theory.twoclass.montecarlo import comparison

import oracles

PAPER = ((-1.0, 1.0), (0.5, 1.5), (0.5, 0.5))


@pytest.fixture
def mixture():
    return gt.TwoClassMixture()


@pytest.mark.slow
def test_methods_on_the_same_seeds_agree_when_nothing_is_pruned(mixture):
    names = ["Random", "Random+DRoP", "Random+iterated-DRoP", "Random+optimal", "SSP", "keep-easy"]
    summaries = comparison.compare_methods(mixture, jax.random.key(3), 500, [0.5, 1.0], 6, methods=names,
                                           config=IteratedDrop(rounds=3))
    full = [summaries[name].class_risks_mean[1] for name in names]
    for risks in full[1:]:
        np.testing.assert_array_equal(risks, full[0])
    assert all(summaries[name].valid.shape == (2,) for name in names)


def test_unknown_methods_are_named(mixture):
    with pytest.raises(ValueError, match=r"methods must be drawn from .* got 'Random\+SSP'"):
        comparison.compare_methods(mixture, jax.random.key(0), 100, [0.5], 2, methods=["Random+SSP"])
    with pytest.raises(ValueError, match="got 'EL2N'"):
        comparison.method_limits(mixture, [0.5], methods=["EL2N"])


def test_limits_of_random_pruning_and_optimal_quotas(mixture):
    densities = np.array([0.2, 0.5, 0.8, 1.0])
    limits = comparison.method_limits(mixture, densities)
    assert set(limits) == {"Random", "SSP", "Random+DRoP", "Random+iterated-DRoP", "Random+optimal"}
    full = oracles.trained_class_risks(*PAPER)
    np.testing.assert_allclose(limits["Random"].class_risks_mean, np.broadcast_to(full, (4, 2)), atol=1e-9)
    assert np.all(limits["Random"].class_risks_se == 0) and np.all(limits["Random"].valid == 1)
    # Choosing the priors can only help the worst class, and reaches the optimum
    # Phi(-(mu_1 - mu_0) / (sigma_0 + sigma_1)) while the density allows the std-proportional prior.
    assert np.all(limits["Random+optimal"].worst_class_risk_mean <= full.max() + 1e-12)
    np.testing.assert_allclose(limits["Random+optimal"].worst_class_risk_mean[:2], stats.norm.cdf(-1.0), atol=1e-9)
    # Every method keeps all the data at density 1.
    for summary in limits.values():
        np.testing.assert_allclose(summary.class_risks_mean[-1], full, atol=1e-9)
    assert "SSP" not in comparison.method_limits(mixture, densities, fit="least-squares")


def test_regret_map_optimum_is_a_lower_bound_and_the_minimax_risk_when_reachable():
    ratios, gaps = np.array([1.0, 1.5, 3.0]), np.array([0.5, 2.0, 4.0])
    maps = comparison.drop_regret_map(ratios, gaps, config=IteratedDrop(rounds=20))
    for name in ("full", "drop", "iterated-drop"):
        assert np.all(maps[name] >= maps["optimal"] - 1e-12)
    for i, ratio in enumerate(ratios):
        for j, gap in enumerate(gaps):
            minimax = stats.norm.cdf(-gap / (1 + ratio))  # no threshold does better (paper B.2)
            assert maps["optimal"][i, j] >= minimax - 1e-12
    # Equal stds: the balanced data already train the minimax rule.
    np.testing.assert_allclose(maps["optimal"][0], stats.norm.cdf(-gaps / 2), atol=1e-12)
    np.testing.assert_allclose(maps["full"][0], maps["optimal"][0], atol=1e-12)


def test_regret_map_cell_of_the_papers_example():
    # sigma = (1, 3), gap 4 is the paper's example rescaled by sigma_0 = 0.5.
    maps = comparison.drop_regret_map([3.0], [4.0], config=IteratedDrop(rounds=40))
    means, stds = (-2.0, 2.0), (1.0, 3.0)
    drop_prior = oracles.drop_step((0.5, 0.5), oracles.trained_class_risks(means, stds, (0.5, 0.5)))
    assert maps["drop"][0, 0] == pytest.approx(oracles.trained_class_risks(means, stds, drop_prior).max(), abs=1e-9)
    assert maps["iterated-drop"][0, 0] == pytest.approx(stats.norm.cdf(-1.0), abs=1e-6)
    assert maps["full"][0, 0] == pytest.approx(oracles.trained_class_risks(means, stds, (0.5, 0.5)).max(), abs=1e-9)
