"""jit, vmap and grad of the closed forms agree with plain calls and with finite differences."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import oracles
import gmm_theory as gt

CLOSED_FORMS = {
    "risk_minimising_threshold": gt.risk_minimising_threshold,
    "worst_class_threshold": gt.worst_class_threshold,
    "worst_class_optimal_risk": gt.worst_class_optimal_risk,
    "worst_class_optimal_priors": gt.worst_class_optimal_priors,
    "least_squares_threshold": gt.least_squares_threshold,
    "ssp_threshold": lambda m: gt.ssp_threshold(m, 0.3),
    "ssp_kept_fractions": lambda m: gt.ssp_kept_fractions(m, 0.3),
    "average_risk_at_optimum": lambda m: gt.average_risk(m, gt.risk_minimising_threshold(m)),
    "class_risks": lambda m: gt.class_risks(m, 0.1),
}


def _random_mixtures(seed, count):
    rng = np.random.default_rng(seed)
    return [gt.TwoClassMixture(*oracles.random_parameters(rng, extreme_priors=False)) for _ in range(count)]


@pytest.mark.parametrize("name", sorted(CLOSED_FORMS))
def test_jit_equals_plain_call(name):
    f = CLOSED_FORMS[name]
    for mixture in _random_mixtures(8, 10) + [gt.TwoClassMixture(), gt.TwoClassMixture((0.0, 2.0), (1.0, 5.0))]:
        np.testing.assert_allclose(jax.jit(f)(mixture), f(mixture), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", sorted(CLOSED_FORMS))
def test_vmap_over_a_batch_of_mixtures_equals_a_loop(name):
    f = CLOSED_FORMS[name]
    mixtures = _random_mixtures(9, 16)
    batch = jax.tree.map(lambda *leaves: jnp.stack(leaves), *mixtures)
    np.testing.assert_allclose(jax.vmap(f)(batch), np.stack([f(m) for m in mixtures]), rtol=1e-12, atol=1e-14)


def _finite_difference(f, mixture, field, index, step=1e-6):
    def shifted(sign):
        values = {name: np.array(getattr(mixture, name)) for name in ("means", "stds", "priors")}
        values[field][index] += sign * step
        if field == "priors":  # stay on the simplex
            values[field][1 - index] -= sign * step
        return np.asarray(f(gt.TwoClassMixture(**values)))
    return (shifted(+1) - shifted(-1)) / (2 * step)


@pytest.mark.parametrize("name", ["risk_minimising_threshold", "worst_class_threshold", "worst_class_optimal_risk",
                                  "least_squares_threshold", "average_risk_at_optimum", "ssp_threshold"])
@pytest.mark.parametrize("means, stds, priors", [((-1.0, 1.0), (0.5, 1.5), (0.5, 0.5)),
                                                 ((0.0, 2.0), (2.0, 0.7), (0.3, 0.7)),
                                                 ((0.0, 1.0), (1.0, 1.0), (0.4, 0.6))])
@pytest.mark.slow
def test_grad_matches_finite_differences(name, means, stds, priors):
    f = CLOSED_FORMS[name]
    mixture = gt.TwoClassMixture(means, stds, priors)
    gradient = jax.grad(f)(mixture)
    for field in ("means", "stds"):
        for index in (0, 1):
            expected = _finite_difference(f, mixture, field, index)
            assert float(getattr(gradient, field)[index]) == pytest.approx(float(expected), rel=1e-5, abs=1e-7)
    # Along the simplex: d/dphi_0 with phi_1 = 1 - phi_0.
    along_simplex = float(gradient.priors[0] - gradient.priors[1])
    assert along_simplex == pytest.approx(float(_finite_difference(f, mixture, "priors", 0)), rel=1e-5, abs=1e-7)


@pytest.mark.parametrize("means, stds", [((-1.0, 1.0), (0.5, 1.5)), ((0.0, 2.0), (1.0, 5.0)), ((0.0, 1.0), (4.0, 1.0))])
def test_grad_of_worst_class_optimal_priors_matches_finite_differences(means, stds):
    # Covers both regimes: std-proportional priors and the bisected crossing (implicit gradient).
    f = lambda m: gt.worst_class_optimal_priors(m)[0]
    mixture = gt.TwoClassMixture(means, stds)
    gradient = jax.grad(f)(mixture)
    for field in ("means", "stds"):
        for index in (0, 1):
            expected = _finite_difference(f, mixture, field, index)
            assert float(getattr(gradient, field)[index]) == pytest.approx(float(expected), rel=1e-4, abs=1e-7)


def test_gradients_are_finite_at_trivial_rules_and_degenerate_priors():
    for priors in [(1.0, 0.0), (0.0, 1.0)]:
        mixture = gt.TwoClassMixture(priors=priors)
        for name in ("average_risk_at_optimum", "least_squares_threshold"):
            leaves = jax.tree_util.tree_leaves(jax.grad(lambda m: jnp.tanh(CLOSED_FORMS[name](m)))(mixture))
            assert all(np.all(np.isfinite(leaf)) for leaf in leaves)
    trivial = gt.TwoClassMixture((0.0, 0.1), (1.0, 100.0), (0.2, 0.8))
    assert float(gt.risk_minimising_threshold(trivial)) == -np.inf
    leaves = jax.tree_util.tree_leaves(jax.grad(lambda m: gt.average_risk(m, gt.risk_minimising_threshold(m)))(trivial))
    assert all(np.all(np.isfinite(leaf)) for leaf in leaves)
