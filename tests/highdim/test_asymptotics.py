import numpy as np
import pytest

from scipy.stats import norm

from gmm_theory.highdim.asymptotics import solve
from gmm_theory.highdim.simulation import simulate
from gmm_theory.twoclass.mixture import TwoClassMixture
from gmm_theory.twoclass.risk import linear_class_risks
from gmm_theory.twoclass.surrogate import least_squares_rule, logistic_rule

CASES = [
    ("square", {"alpha": 2.0, "lam": 0.1, "r": 1.0, "stds": (0.5, 1.5), "priors": (0.3, 0.7)}, 1000),
    ("square", {"alpha": 4.0, "lam": 0.01, "r": 2.0, "stds": (1.2, 0.8), "priors": (0.5, 0.5),
                "densities": (0.4, 1.0)}, 1000),
    ("logistic", {"alpha": 2.0, "lam": 0.1, "r": 1.0, "stds": (0.5, 1.5), "priors": (0.3, 0.7)}, 500),
    # Nearly separable: the damped iteration circles the fixed point and Newton's method ends it.
    ("logistic", {"alpha": 4.0, "lam": 0.01, "r": 2.0, "stds": (1.0, 1.0), "priors": (0.5, 0.5),
                  "densities": (0.5, 1.0)}, 500),
    ("hinge", {"alpha": 2.0, "lam": 0.1, "r": 1.0, "stds": (0.5, 1.5), "priors": (0.3, 0.7)}, 500),
    # Separable training data: every margin reaches 1 and the training loss is 0.
    ("hinge", {"alpha": 1.5, "lam": 0.05, "r": 1.5, "stds": (1.3, 0.7), "priors": (0.6, 0.4),
               "densities": (0.6, 1.0)}, 500),
]


@pytest.mark.parametrize(("loss", "problem", "dimension"), CASES)
@pytest.mark.slow
def test_theory_agrees_with_erm_simulation_within_three_standard_errors(loss, problem, dimension):
    arguments = dict(problem)
    densities = arguments.pop("densities", (1.0, 1.0))
    theory = solve(**arguments, loss=loss, densities=densities)
    assert bool(theory.converged)
    trials = simulate(**arguments, loss=loss, densities=densities, dimension=dimension, seeds=16)
    assert np.all(trials.converged)
    for simulated, predicted in ((trials.m, theory.m), (trials.q, theory.q), (trials.bias, theory.bias),
                                 (trials.class_errors, theory.class_errors), (trials.train_loss, theory.train_loss)):
        standard_error = simulated.std(axis=0, ddof=1) / np.sqrt(len(simulated))
        assert np.all(np.abs(simulated.mean(axis=0) - np.asarray(predicted)) <= 3 * standard_error + 1e-3)


@pytest.mark.parametrize("loss", ["square", "logistic"])
@pytest.mark.slow
def test_many_samples_and_no_ridge_give_the_population_minimiser(loss):
    # As alpha -> infinity with lam -> 0 the ERM rule tends to the population minimiser of the
    # loss, which lives on the mean direction: the one-dimensional surrogate rule for
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
                                                 ({"loss": "exponential"}, "loss"), ({"damping": 0.0}, "damping"),
                                                 ({"damping": 1.5}, "damping"), ({"nodes": 1}, "nodes"),
                                                 ({"max_steps": 0}, "max_steps"), ({"newton_steps": 0}, "newton_steps"),
                                                 ({"quadrature_tolerance": 0.0}, "quadrature_tolerance"),
                                                 ({"alpha": np.nan}, "alpha"), ({"stds": (1.0, 1.0, 1.0)}, "stds"),
                                                 ({"priors": [[0.5, 0.5], [0.2, 0.7]]}, "priors"),
                                                 ({"alpha": [1.0, 2.0], "lam": [0.1, 0.2, 0.3]}, "shape")])
def test_bad_input_names_the_parameter(options, message):
    arguments = {"alpha": 2.0, "lam": 0.1, "r": 1.0, "stds": (1.0, 1.0), "priors": (0.5, 0.5)}
    loss = options.pop("loss", "square")
    densities = options.pop("densities", (1.0, 1.0))
    with pytest.raises(ValueError, match=message):
        solve(**(arguments | options), loss=loss, densities=densities)


@pytest.mark.slow
def test_the_quadrature_error_is_measured_and_refined_until_small():
    """A sharp logistic channel (q about 23).  At a fixed rule of 4 nodes per panel (under
    jit) the answer is flagged as not converged, and its discretisation estimate is at least
    its actual error (measured against the adaptive answer); the adaptive answer satisfies the
    saddle-point equations when their expectations are taken by scipy's adaptive quadrature,
    with the proximal margin by Brent's method; and the largest rule gives no NaN."""
    import jax

    from gmm_theory.highdim.asymptotics import MAX_ADAPTIVE_NODES

    problem = (2.0, 0.01, 1.0, (1.5, 1.5), (0.5, 0.5))
    coarse = jax.jit(lambda alpha: solve(alpha, *problem[1:], loss="logistic", nodes=4))(problem[0])
    fine = solve(*problem, loss="logistic")
    assert not bool(coarse.converged) and float(coarse.discretisation) > 1e-7
    assert bool(fine.converged) and float(fine.discretisation) <= 1e-7
    scale = np.sqrt(float(fine.q))
    actual = max(abs(float(coarse.m) - float(fine.m)) / scale, abs(float(coarse.q) - float(fine.q)) / float(fine.q),
                 abs(float(coarse.bias) - float(fine.bias)) / scale)
    assert float(coarse.discretisation) >= actual
    largest = jax.jit(lambda alpha: solve(alpha, *problem[1:], loss="logistic", nodes=MAX_ADAPTIVE_NODES))(
        problem[0])
    assert all(np.isfinite(float(v)) for v in (largest.m, largest.q, largest.bias, largest.discretisation))
    from scipy.integrate import quad
    from scipy.optimize import brentq
    from scipy.special import expit

    from gmm_theory.highdim.asymptotics import LABELS

    problem = (2.0, 0.01, 1.0, (1.5, 1.5), (0.5, 0.5))
    alpha, lam, r, (sigma, _), (phi, _) = problem
    m, q, bias, variance = (float(v) for v in (fine.m, fine.q, fine.bias, fine.variance))
    v = sigma**2 * variance

    def channel(xi, label):
        margin = label * (label * m + sigma * np.sqrt(q) * xi + bias)
        t = brentq(lambda t: t - margin - v * expit(-t), margin - 1, margin + v + 1, xtol=1e-14)
        s = expit(-t)
        return np.array([label * (t - margin) / v, ((t - margin) / v) ** 2, (1 / (1 + v * s * (1 - s)) - 1) / v])

    def expectation(label, which):
        return quad(lambda xi: channel(xi, label)[which] * np.exp(-xi**2 / 2) / np.sqrt(2 * np.pi),
                    -np.inf, np.inf, epsabs=1e-13, epsrel=1e-12, limit=200)[0]

    m_hat = alpha * phi * sum(label * expectation(label, 0) for label in LABELS)
    q_hat = alpha * phi * sigma**2 * sum(expectation(label, 1) for label in LABELS)
    v_hat = -alpha * phi * sigma**2 * sum(expectation(label, 2) for label in LABELS)
    expected_variance = 1 / (lam + v_hat)
    np.testing.assert_allclose([variance, m, q],
                               [expected_variance, r * m_hat * expected_variance,
                                (r * m_hat**2 + q_hat) * expected_variance**2], rtol=1e-6)


@pytest.mark.parametrize("variance", [0.1, 3.0, 29.0, 100.0, 1e4])
def test_logistic_proximal_margin_matches_root_finding(variance):
    import jax
    from scipy import optimize, special

    from gmm_theory.highdim.asymptotics import proximal_margin

    # -3.021 at variance 29 sends plain Newton into a two-cycle.
    margins = np.r_[np.linspace(-30, 30, 7), -3.021]
    proximal, slope = proximal_margin("logistic", jax.numpy.asarray(margins), jax.numpy.asarray(variance))
    for margin, t, dt in zip(margins, np.asarray(proximal), np.asarray(slope)):
        root = optimize.brentq(lambda s: s - margin - variance * special.expit(-s), margin, margin + variance,
                               xtol=1e-13)
        assert t == pytest.approx(root, abs=1e-8 * max(1.0, variance))
        sigma = special.expit(root) * special.expit(-root)
        assert dt == pytest.approx(1 / (1 + variance * sigma), rel=1e-6)


@pytest.mark.slow
def test_a_learning_curve_is_one_vmapped_call():
    import jax

    alphas = np.array([0.5, 1.0, 2.0, 4.0, 8.0])
    curve = jax.vmap(lambda a: solve(a, 0.05, 1.0, (0.6, 1.4), (0.4, 0.6), loss="logistic"))(alphas)
    assert np.all(np.asarray(curve.converged)) and np.all(np.asarray(curve.residual) < 1e-10)
    # The same on concrete numbers: an array of alpha is one vectorised call.
    concrete = solve(alphas, 0.05, 1.0, (0.6, 1.4), (0.4, 0.6), loss="logistic")
    assert np.asarray(concrete.class_errors).shape == (5, 2)
    for i, alpha in enumerate(alphas):
        single = solve(float(alpha), 0.05, 1.0, (0.6, 1.4), (0.4, 0.6), loss="logistic")
        np.testing.assert_allclose(np.asarray(curve.class_errors)[i], np.asarray(single.class_errors), atol=1e-9)
        np.testing.assert_allclose(np.asarray(concrete.class_errors)[i], np.asarray(single.class_errors), atol=1e-9)
    # More data, lower test error.
    assert np.all(np.diff(np.asarray(curve.average_error)) < 0)


@pytest.mark.slow
def test_hinge_channel_matches_quadrature_of_the_proximal_step():
    import jax.numpy as jnp
    from scipy import integrate, optimize, stats

    from gmm_theory.highdim.asymptotics import Overlaps, _channel

    state = Overlaps(m=jnp.asarray(0.8), q=jnp.asarray(1.7), variance=jnp.asarray(0.6), bias=jnp.asarray(-0.3))
    stds = np.array([0.7, 1.4])
    mean_f, mean_f2, mean_df, mean_loss = (np.asarray(v) for v in _channel("hinge", state, jnp.asarray(stds), None))
    for k, (label, std) in enumerate(zip((-1.0, 1.0), stds)):
        variance = std**2 * 0.6

        def step(xi):
            # The proximal margin by direct minimisation, not by its piecewise formula.
            margin = label * (label * 0.8 + std * np.sqrt(1.7) * xi - 0.3)
            t = optimize.minimize_scalar(lambda t: (t - margin) ** 2 / (2 * variance) + max(0.0, 1 - t),
                                         bounds=(margin - 1, margin + variance + 1), method="bounded",
                                         options={"xatol": 1e-12}).x
            return label * (t - margin) / variance, max(0.0, 1 - t)

        def expect(function):
            return integrate.quad(lambda xi: function(xi) * stats.norm.pdf(xi), -12, 12, limit=400, points=(-3, 0, 3))[0]

        assert mean_f[k] == pytest.approx(expect(lambda xi: step(xi)[0]), abs=1e-7)
        assert mean_f2[k] == pytest.approx(expect(lambda xi: step(xi)[0] ** 2), abs=1e-7)
        assert mean_loss[k] == pytest.approx(expect(lambda xi: step(xi)[1]), abs=1e-7)
        # Stein's lemma: E df/domega = E[xi f] / (sigma sqrt(q)), as omega = y m + sigma sqrt(q) xi.
        stein = expect(lambda xi: xi * step(xi)[0]) / (std * np.sqrt(1.7))
        assert mean_df[k] == pytest.approx(stein, abs=1e-7)


def test_square_loss_variance_is_the_resolvent_trace_of_the_sample_covariance():
    # For the square loss V = lim Tr (X^T X / d + lam)^-1 / d (the Hessian of the objective; the
    # means and the intercept are rank-one changes), a generalised Marchenko-Pastur law when the
    # class variances differ.  Checked against the eigenvalues of one large sample.
    alpha, lam, stds, priors, dimension = 2.0, 0.3, np.array([0.6, 1.5]), np.array([0.35, 0.65]), 1200
    theory = solve(alpha, lam, 1.0, stds, priors, loss="square")
    rng = np.random.default_rng(0)
    n = int(alpha * dimension)
    spread = np.where(rng.random(n) < priors[1], stds[1], stds[0])
    x = spread[:, None] * rng.standard_normal((n, dimension))
    eigenvalues = np.linalg.eigvalsh(x.T @ x / dimension)
    assert float(theory.variance) == pytest.approx(np.mean(1 / (eigenvalues + lam)), rel=5e-3)


def _balanced_ridge_closed_form(alpha, lam, r, sigma):
    """The square-loss fixed point at equal variances and priors, solved by hand: b = 0 by
    symmetry, V the Marchenko-Pastur root of lam s^2 V^2 + (lam + (alpha - 1) s^2) V = 1, and
    m, q linear in the rest."""
    s2 = sigma**2
    linear = lam + (alpha - 1) * s2
    variance = (-linear + np.sqrt(linear**2 + 4 * lam * s2)) / (2 * lam * s2)
    shrink = 1 + s2 * variance
    m = r * alpha * variance / (shrink + r * alpha * variance)
    q = (1 - m) ** 2 * alpha * variance**2 * (r * alpha + s2) / (shrink**2 - alpha * s2**2 * variance**2)
    return variance, m, q


@pytest.mark.parametrize(("alpha", "lam", "r", "sigma"), [(0.5, 0.1, 1.0, 1.0), (2.0, 0.01, 2.0, 0.7),
                                                          (8.0, 1.0, 0.5, 1.3)])
def test_equal_variances_give_the_shared_covariance_ridge_solution(alpha, lam, r, sigma):
    variance, m, q = _balanced_ridge_closed_form(alpha, lam, r, sigma)
    theory = solve(alpha, lam, r, (sigma, sigma), (0.5, 0.5), loss="square")
    np.testing.assert_allclose([theory.variance, theory.m, theory.q, theory.bias], [variance, m, q, 0.0], atol=1e-9)
    error = norm.cdf(-m / (sigma * np.sqrt(q)))
    np.testing.assert_allclose(theory.class_errors, [error, error], atol=1e-9)


@pytest.mark.slow
def test_equal_variance_closed_form_agrees_with_large_ridge_simulations():
    # The shared-covariance result (Mignacco et al., 2020) from an independent route: ridge
    # fits at d = 2000.
    alpha, lam, r, sigma = 1.5, 0.05, 1.0, 1.0
    _, m, q = _balanced_ridge_closed_form(alpha, lam, r, sigma)
    trials = simulate(alpha, lam, r, (sigma, sigma), (0.5, 0.5), loss="square", dimension=2000, seeds=8)
    error = norm.cdf(-m / (sigma * np.sqrt(q)))
    for simulated, predicted in ((trials.m, m), (trials.q, q), (trials.bias, 0.0),
                                 (trials.class_errors, [error, error])):
        standard_error = simulated.std(axis=0, ddof=1) / np.sqrt(len(simulated))
        assert np.all(np.abs(simulated.mean(axis=0) - np.asarray(predicted)) <= 3 * standard_error)


@pytest.mark.slow
def test_without_a_fixed_point_the_solver_says_so():
    import jax

    from gmm_theory.highdim.asymptotics import NotConverged

    # Logistic loss, no ridge, alpha below the separability threshold: ||w|| diverges.
    with pytest.raises(NotConverged, match="residual"):
        solve(0.5, 0.0, 1.0, (0.6, 1.4), (0.4, 0.6), loss="logistic")
    traced = jax.jit(lambda alpha: solve(alpha, 0.0, 1.0, (0.6, 1.4), (0.4, 0.6), loss="logistic"))(0.5)
    assert not bool(traced.converged) and float(traced.residual) > 1e-10


@pytest.mark.slow
def test_one_vmapped_call_covers_ridges_and_class_densities():
    import jax

    lams = np.array([0.01, 0.1, 1.0])
    densities = np.array([[0.3, 1.0], [1.0, 0.3], [0.6, 0.6]])
    batch = jax.vmap(lambda lam, d: solve(2.0, lam, 1.0, (0.6, 1.4), (0.4, 0.6), loss="hinge", densities=d))(
        lams, densities)
    for i in range(3):
        single = solve(2.0, float(lams[i]), 1.0, (0.6, 1.4), (0.4, 0.6), loss="hinge", densities=densities[i])
        np.testing.assert_allclose(np.asarray(batch.class_errors)[i], np.asarray(single.class_errors), atol=1e-9)


def _log_uniform(rng, low, high, size):
    return np.exp(rng.uniform(np.log(low), np.log(high), size))


def _parameter_grid(count, seed):
    """alpha in [0.1, 20], lam in [1e-4, 10], r in [0.25, 4], stds in [0.3, 3] (a third of them
    shared), priors and densities in [0.1, 0.9] and [0.1, 1], drawn log-uniformly."""
    rng = np.random.default_rng(seed)
    alpha, lam, r = (_log_uniform(rng, 0.1, 20, count), _log_uniform(rng, 1e-4, 10, count),
                     _log_uniform(rng, 0.25, 4, count))
    stds = _log_uniform(rng, 0.3, 3, (count, 2))
    shared = rng.random(count) < 1 / 3
    stds[shared, 1] = stds[shared, 0]
    first = rng.uniform(0.1, 0.9, count)
    return alpha, lam, r, stds, np.stack([first, 1 - first], axis=1), rng.uniform(0.1, 1, (count, 2))


@pytest.mark.parametrize(("loss", "count"), [("square", 200), ("logistic", 48)])
@pytest.mark.slow
def test_the_fixed_point_is_found_across_the_parameter_grid(loss, count):
    """One call on the whole grid, which raises unless every point converges, its quadrature
    included; with the imbalanced square-loss cases where a fixed damping of 1/2 gave up."""
    alpha, lam, r, stds, priors, densities = _parameter_grid(count, seed=7)
    if loss == "square":
        for p in (0.35, 0.25, 0.2):
            alpha, lam, r = np.append(alpha, 2.0), np.append(lam, 0.01), np.append(r, 1.0)
            stds, priors = np.vstack([stds, [0.5, 0.5]]), np.vstack([priors, [p, 1 - p]])
            densities = np.vstack([densities, [1.0, 1.0]])
    found = solve(alpha, lam, r, stds, priors, loss=loss, densities=densities)
    assert np.all(np.asarray(found.converged)) and np.asarray(found.m).shape == alpha.shape
    assert np.all(np.asarray(found.residual) <= 1e-10) and np.all(np.asarray(found.discretisation) <= 1e-7)
    assert np.all(np.asarray(found.q) > 0) and np.all(np.asarray(found.variance) > 0)


@pytest.mark.slow
def test_the_hinge_fixed_point_is_found_unless_the_minimiser_is_the_constant_rule():
    """Over 300 grid points the hinge solver converges except where it approaches w = 0 and
    |b| = 1; at such a point the error says so, and ERM at d = 200 finds w = 0 exactly."""
    import jax

    from gmm_theory.highdim.asymptotics import NotConverged

    grid = _parameter_grid(300, seed=1)
    found = jax.vmap(lambda *args: solve(*args[:5], loss="hinge", densities=args[5]))(*grid)
    failed = ~np.asarray(found.converged)
    assert np.all(np.asarray(found.q)[failed] < 1e-4) and np.all(abs(abs(np.asarray(found.bias)[failed]) - 1) < 1e-2)
    assert 0 < failed.sum() <= 0.02 * failed.size
    point = [value[np.flatnonzero(failed)[0]] for value in grid]
    with pytest.raises(NotConverged, match="approaches w = 0"):
        solve(*point[:5], loss="hinge", densities=point[5])
    trials = simulate(*point[:5], loss="hinge", densities=point[5], dimension=200, seeds=2)
    assert np.all(trials.q < 1e-12) and np.allclose(abs(trials.bias), 1.0)
