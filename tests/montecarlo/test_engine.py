import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gmm_theory as gt
from gmm_theory.twoclass.montecarlo import selection
from gmm_theory.twoclass.montecarlo import engine as simulate
from gmm_theory.twoclass.montecarlo.policies import margin_counts

ALLOCATIONS = [[0.2, 0.6], [1.0, 1.0], [0.5, 0.1], [0.05, 0.9]]


@pytest.fixture
def mixture():
    return gt.TwoClassMixture()  # built under the float64 fixture


@pytest.mark.parametrize("fit", ["threshold", "least-squares", "plugin", "logistic"])
@pytest.mark.parametrize("prune", ["random", "keep-hard"])
@pytest.mark.slow
def test_sweep_equals_a_loop_of_single_trials(fit, prune, mixture):
    key = jax.random.key(3)
    risks = np.asarray(simulate.sweep(mixture, key, 300, ALLOCATIONS, 4, fit=fit, prune=prune, chunk_size=3))
    keys = jax.random.split(key, 4)
    for s in range(4):
        for a, densities in enumerate(ALLOCATIONS):
            single = simulate.trial(mixture, keys[s], 300, jnp.asarray(densities), fit=fit, prune=prune)
            np.testing.assert_allclose(risks[s, a], single, rtol=1e-12, atol=1e-15)


@pytest.mark.slow
def test_same_seed_same_result_and_chunking_does_not_matter(mixture):
    key = jax.random.key(5)
    first = simulate.sweep(mixture, key, 500, ALLOCATIONS, 8, fit="logistic", chunk_size=1)
    second = simulate.sweep(mixture, key, 500, ALLOCATIONS, 8, fit="logistic", chunk_size=64)
    np.testing.assert_allclose(first, second, rtol=1e-12)  # batch width changes only the rounding


@pytest.mark.parametrize("fit", ["threshold", "least-squares", "plugin", "logistic"])
@pytest.mark.slow
def test_random_pruning_converges_to_the_population_limit(fit, mixture):
    # At n = 64000 the finite-sample bias is well below the Monte Carlo error of 64 seeds.
    summary = simulate.summarise(mixture, simulate.sweep(mixture, jax.random.key(7), 64_000, ALLOCATIONS, 64, fit=fit))
    limit = np.asarray(simulate.population_class_risks(mixture, ALLOCATIONS, fit))
    gap = np.abs(summary.class_risks_mean - limit)
    # Within 4 standard errors; a trivial rule learned by every seed has no spread at all.
    assert np.all(gap <= 4 * summary.class_risks_se + 1e-12), gap / summary.class_risks_se


@pytest.mark.slow
def test_threshold_erm_error_shrinks_with_n(mixture):
    results = simulate.convergence(mixture, jax.random.key(8), [250, 4000, 64_000], [[0.3, 0.9]], 64)
    limit = np.asarray(simulate.population_class_risks(mixture, [[0.3, 0.9]]))[0]
    errors = [np.sqrt(np.mean((s.class_risks_mean[0] - limit) ** 2 + s.class_risks_se[0] ** 2)) for _, s in results]
    assert errors[0] > errors[1] > errors[2]


@pytest.mark.parametrize("margin", [0.3, 0.8])
@pytest.mark.slow
def test_ssp_margin_pruning_matches_the_closed_form_at_large_n(margin, mixture):
    key = jax.random.key(9)
    samples = simulate.draw_seeds(mixture, key, 64_000, 32, prune="ssp")
    counts = margin_counts(samples, margin)
    kept = counts[:, 0] / np.asarray(jax.vmap(selection.class_sizes)(samples.y))
    np.testing.assert_allclose(kept.mean(axis=0), gt.ssp_kept_fractions(mixture, margin), atol=0.01)
    summary = simulate.summarise(mixture, simulate.evaluate_counts(mixture, samples, counts))
    expected = gt.class_risks(mixture, gt.ssp_threshold(mixture, margin))
    z = (summary.class_risks_mean[0] - expected) / summary.class_risks_se[0]
    assert np.all(np.abs(z) < 4), z


@pytest.mark.slow
def test_an_empty_kept_class_gives_nan_and_counts_as_invalid(mixture):
    risks = simulate.sweep(mixture, jax.random.key(0), 50, [[0.0, 1.0], [0.5, 0.5]], 6)
    assert np.all(np.isnan(risks[:, 0]))
    summary = simulate.summarise(mixture, risks)
    assert summary.valid.tolist() == [0.0, 1.0]
    assert np.all(np.isnan(summary.class_risks_mean[0])) and np.all(np.isfinite(summary.class_risks_mean[1]))


@pytest.mark.parametrize(
    "densities, pattern",
    [([[1.2, 0.5]], r"densities\[0, 0\] must lie in \[0, 1\]"),
     ([[0.5, np.nan]], r"densities\[0, 1\] must lie in \[0, 1\]"),
     ([0.5, 0.5], r"densities must have shape \(A, 2\)")],
)
def test_bad_densities_are_named(densities, pattern, mixture):
    with pytest.raises(ValueError, match=pattern):
        simulate.sweep(mixture, jax.random.key(0), 100, densities, 2)


def test_unknown_rules_are_named(mixture):
    with pytest.raises(ValueError, match="prune must be one of"):
        simulate.sweep(mixture, jax.random.key(0), 100, ALLOCATIONS, 2, prune="el2n")
    with pytest.raises(ValueError, match="fit must be one of"):
        simulate.sweep(mixture, jax.random.key(0), 100, ALLOCATIONS, 2, fit="svm")


@pytest.mark.parametrize("n, seeds, name", [(1, 2, "n must be"), (100, 0, "seeds must be"), (10.5, 2, "n must be")])
def test_bad_sizes_are_named(n, seeds, name, mixture):
    with pytest.raises(ValueError, match=name):
        simulate.sweep(mixture, jax.random.key(0), n, ALLOCATIONS, seeds)


@pytest.mark.parametrize("fit", ["threshold", "logistic"])
@pytest.mark.parametrize(("n", "seeds", "grid"), [(500, 8, 8), (4000, 4, 4), (500, 16, 24)])
@pytest.mark.slow
def test_the_memory_estimate_bounds_xla_s_own_accounting(fit, n, seeds, grid):
    mixture = gt.TwoClassMixture((-1.0, 1.0), (0.5, 1.5), (0.5, 0.5))
    keys = jax.random.split(jax.random.key(0), seeds)

    def peak(compiled) -> int:
        usage = compiled.memory_analysis()
        return usage.temp_size_in_bytes + usage.argument_size_in_bytes + usage.output_size_in_bytes

    drawing = peak(simulate._draw_seeds.lower(mixture, keys, n, "random", fit).compile())
    samples = simulate.draw_seeds(mixture, jax.random.key(0), n, seeds, "random", fit)
    axis = simulate.density_grid(grid)
    counts = simulate.density_counts(samples, simulate.grid_allocations(axis, axis))
    evaluating = peak(simulate._evaluate_counts.lower(mixture, samples, counts, fit, 128).compile())
    estimate = simulate.memory_needed(n, seeds, grid**2, fit)
    assert max(drawing, evaluating) <= estimate <= 4 * max(drawing, evaluating)


def test_sizes_beyond_the_memory_are_refused_before_allocation():
    mixture = gt.TwoClassMixture((-1.0, 1.0), (0.5, 1.5), (0.5, 0.5))
    with pytest.raises(ValueError, match=r"32 seeds x 0 allocations at n = 1000000000000 needs about .* GiB"):
        simulate.draw_seeds(mixture, jax.random.key(0), 10**12, 32)
    with pytest.raises(ValueError, match="32 seeds x 10000000000 allocations at n = 2000"):
        simulate.check_memory(2000, 32, 10**10)
