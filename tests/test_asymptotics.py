import numpy as np
import pytest

from gmm_theory.asymptotics import solve
from gmm_theory.highdim import simulate
from gmm_theory.mixture import TwoClassMixture
from gmm_theory.risk import linear_class_risks
from gmm_theory.surrogate import least_squares_rule, logistic_rule

CASES = [
    ("square", {"alpha": 2.0, "lam": 0.1, "r": 1.0, "stds": (0.5, 1.5), "priors": (0.3, 0.7)}, 1000),
    ("square", {"alpha": 4.0, "lam": 0.01, "r": 2.0, "stds": (1.2, 0.8), "priors": (0.5, 0.5),
                "densities": (0.4, 1.0)}, 1000),
    ("logistic", {"alpha": 2.0, "lam": 0.1, "r": 1.0, "stds": (0.5, 1.5), "priors": (0.3, 0.7)}, 500),
    # Nearly separable: the damped iteration circles the fixed point and Newton's method ends it.
    ("logistic", {"alpha": 4.0, "lam": 0.01, "r": 2.0, "stds": (1.0, 1.0), "priors": (0.5, 0.5),
                  "densities": (0.5, 1.0)}, 500),
]


@pytest.mark.parametrize(("loss", "problem", "dimension"), CASES)
def test_theory_agrees_with_erm_simulation_within_three_standard_errors(loss, problem, dimension):
    arguments = dict(problem)
    densities = arguments.pop("densities", (1.0, 1.0))
    theory = solve(**arguments, loss=loss, densities=densities)
    assert bool(theory.converged)
    trials = simulate(**arguments, loss=loss, densities=densities, dimension=dimension, seeds=16)
    for simulated, predicted in ((trials.m, theory.m), (trials.q, theory.q), (trials.bias, theory.bias),
                                 (trials.class_errors, theory.class_errors), (trials.train_loss, theory.train_loss)):
        standard_error = simulated.std(axis=0, ddof=1) / np.sqrt(len(simulated))
        assert np.all(np.abs(simulated.mean(axis=0) - np.asarray(predicted)) <= 3 * standard_error + 1e-3)


@pytest.mark.parametrize("loss", ["square", "logistic"])
def test_many_samples_and_no_ridge_give_the_population_minimiser(loss):
    # As alpha -> infinity with lam -> 0 the ERM rule tends to the population minimiser of the
    # loss, which lives on the mean direction: the one-dimensional rule of THEORY.md 1.6 for
    # the projected mixture (means -+sqrt(r), the same stds and priors).
    r, stds, priors = 1.5, (0.5, 1.5), (0.4, 0.6)
    theory = solve(4000.0, 1e-8, r, stds, priors, loss=loss)
    projected = TwoClassMixture((-np.sqrt(r), np.sqrt(r)), stds, priors)
    rule = least_squares_rule(projected) if loss == "square" else logistic_rule(projected)
    expected = linear_class_risks(projected, *rule)
    np.testing.assert_allclose(theory.class_errors, expected, atol=2e-3)


def test_pruning_is_fewer_samples_at_other_priors():
    pruned = solve(3.0, 0.05, 1.0, (0.7, 1.3), (0.5, 0.5), loss="square", densities=(0.5, 1.0))
    # Keeping half of class - and all of class +: alpha' = 3 * 0.75, priors (1/3, 2/3).
    equivalent = solve(2.25, 0.05, 1.0, (0.7, 1.3), (1 / 3, 2 / 3), loss="square")
    for a, b in ((pruned.m, equivalent.m), (pruned.q, equivalent.q), (pruned.bias, equivalent.bias)):
        assert float(a) == pytest.approx(float(b), abs=1e-9)
    # The test errors are averaged under the data's priors, not the training priors.
    assert float(pruned.average_error) == pytest.approx(float(np.mean(pruned.class_errors)), abs=1e-12)


@pytest.mark.parametrize(("options", "message"), [({"alpha": -1.0}, "alpha"), ({"lam": -0.1}, "lam"),
                                                 ({"stds": (0.0, 1.0)}, "stds"), ({"priors": (0.5, 0.6)}, "priors"),
                                                 ({"densities": (0.0, 1.0)}, "densities"),
                                                 ({"loss": "exponential"}, "loss")])
def test_bad_input_names_the_parameter(options, message):
    arguments = {"alpha": 2.0, "lam": 0.1, "r": 1.0, "stds": (1.0, 1.0), "priors": (0.5, 0.5)}
    loss = options.pop("loss", "square")
    densities = options.pop("densities", (1.0, 1.0))
    with pytest.raises(ValueError, match=message):
        solve(**(arguments | options), loss=loss, densities=densities)


@pytest.mark.parametrize("variance", [0.1, 3.0, 29.0, 100.0, 1e4])
def test_logistic_proximal_margin_matches_root_finding(variance):
    import jax
    from scipy import optimize, special

    from gmm_theory.asymptotics import proximal_margin

    # -3.021 at variance 29 sends plain Newton into a two-cycle.
    margins = np.r_[np.linspace(-30, 30, 7), -3.021]
    proximal, slope = proximal_margin("logistic", jax.numpy.asarray(margins), jax.numpy.asarray(variance))
    for margin, t, dt in zip(margins, np.asarray(proximal), np.asarray(slope)):
        root = optimize.brentq(lambda s: s - margin - variance * special.expit(-s), margin, margin + variance,
                               xtol=1e-13)
        assert t == pytest.approx(root, abs=1e-8 * max(1.0, variance))
        sigma = special.expit(root) * special.expit(-root)
        assert dt == pytest.approx(1 / (1 + variance * sigma), rel=1e-6)


def test_a_learning_curve_is_one_vmapped_call():
    import jax

    alphas = np.array([0.5, 1.0, 2.0, 4.0, 8.0])
    curve = jax.vmap(lambda a: solve(a, 0.05, 1.0, (0.6, 1.4), (0.4, 0.6), loss="logistic"))(alphas)
    assert np.all(np.asarray(curve.converged)) and np.all(np.asarray(curve.residual) < 1e-10)
    for i, alpha in enumerate(alphas):
        single = solve(float(alpha), 0.05, 1.0, (0.6, 1.4), (0.4, 0.6), loss="logistic")
        np.testing.assert_allclose(np.asarray(curve.class_errors)[i], np.asarray(single.class_errors), atol=1e-9)
    # More data, lower test error.
    assert np.all(np.diff(np.asarray(curve.average_error)) < 0)
