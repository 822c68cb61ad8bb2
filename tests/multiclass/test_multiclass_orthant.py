"""The orthant probabilities' error bounds and normal functions, against independent numerics.

Coverage: 240 seeded random problems P(Z <= a), Z ~ N(0, C), in m = 2 to 9 dimensions, some
limits +inf, references by adaptive deterministic quadrature (scipy.integrate) of a form that
the engine's randomised lattice rule does not use:

- general covariances (m = 2, 3): the Cholesky separation integrated by quad / dblquad;
- factor covariances C = V V^T + diag(D), V (m, k), k = 1 or 2 (m = 4 to 9): given the k
  factors the Z_i are independent, so P = E_s[prod_i Phi((a_i - V_i s) / sqrt(D_i))], a k-fold
  integral;
- singular covariances C = V V^T of rank 2 and 1 (D = 0): the mass of a polygon in the plane,
  by quad over s_1 of the exact interval in s_2, and an interval on the line.

If each bound covers an error with probability 0.99, the misses among n independent problems
are Binomial(n, 0.01); the test allows its 99 % quantile (7 of 240), so that a correct bound
fails it at most 1 % of the time.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import integrate, special, stats

from gmm_theory.multiclass import orthant

PROBLEMS = 240
POINTS = 1024
_ACCURACY = dict(epsabs=1e-13, epsrel=1e-12, limit=400)
_REACH = 10.0  # the standard normal mass beyond 10 is 1.5e-23


def _pdf(x):
    return np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi)


def _general_probability(upper, covariance):
    """P(Z <= a) = int phi(u_1) [int phi(u_2) Phi(...) du_2] du_1 over the Cholesky separation."""
    factor = np.linalg.cholesky(covariance)
    clipped = np.clip(upper, -_REACH * np.sqrt(np.diag(covariance)), _REACH * np.sqrt(np.diag(covariance)))
    first = clipped[0] / factor[0, 0]

    def second_limit(u):
        return np.clip((clipped[1] - factor[1, 0] * u) / factor[1, 1], -_REACH, _REACH)

    if len(upper) == 2:
        return integrate.quad(lambda u: _pdf(u) * special.ndtr(second_limit(u)), -_REACH, first, **_ACCURACY)[0]

    def inner(v, u):
        return _pdf(u) * _pdf(v) * special.ndtr((upper[2] - factor[2, 0] * u - factor[2, 1] * v) / factor[2, 2])

    return integrate.dblquad(inner, -_REACH, first, -_REACH, lambda u: max(second_limit(u), -_REACH),
                             epsabs=1e-12, epsrel=1e-10)[0]


def _factor_probability(upper, loadings, variances):
    """E_s[prod_i Phi((a_i - V_i s) / sqrt(D_i))] over s ~ N(0, I_k): quad for k = 1, scipy's
    adaptive Gauss-Kronrod cubature for k = 2."""
    scales = np.sqrt(variances)

    def integrand(s):  # s (n, k)
        density = np.exp(-0.5 * np.sum(s * s, axis=1)) / (2 * np.pi) ** (s.shape[1] / 2)
        return density * np.prod(special.ndtr((upper - s @ loadings.T) / scales), axis=1)

    if loadings.shape[1] == 1:
        return integrate.quad(lambda s: integrand(np.array([[s]]))[0], -_REACH, _REACH, **_ACCURACY)[0]
    result = integrate.cubature(integrand, [-_REACH, -_REACH], [_REACH, _REACH], rule="gk21", atol=1e-13,
                                rtol=1e-11)
    assert result.status == "converged" and result.error < 1e-10
    return result.estimate


def _interval_mass(rests, slopes):
    """P(slopes_i x <= rests_i for all i), x ~ N(0, 1)."""
    if np.any((slopes == 0) & (rests < 0)):
        return 0.0
    upper = np.min(rests[slopes > 0] / slopes[slopes > 0], initial=np.inf)
    lower = np.max(rests[slopes < 0] / slopes[slopes < 0], initial=-np.inf)
    return max(special.ndtr(upper) - special.ndtr(lower), 0.0)


def _singular_probability(upper, loadings):
    """P(V s <= a), s ~ N(0, I_k), k = 1 or 2: exact for k = 1; for k = 2 quad over s_1, split
    where two rows' limits on s_2 cross, of the exact interval mass in s_2."""
    finite = np.isfinite(upper)
    upper, loadings = upper[finite], loadings[finite]
    if loadings.shape[1] == 1:
        return _interval_mass(upper, loadings[:, 0])
    crossings = [(upper[i] * loadings[j, 1] - upper[j] * loadings[i, 1])
                 / (loadings[i, 0] * loadings[j, 1] - loadings[j, 0] * loadings[i, 1])
                 for i in range(len(upper)) for j in range(i)]
    breaks = sorted(c for c in crossings if abs(c) < _REACH)
    integrand = lambda s: _pdf(s) * _interval_mass(upper - loadings[:, 0] * s, loadings[:, 1])
    return integrate.quad(integrand, -_REACH, _REACH, points=breaks or None, **_ACCURACY)[0]


def _limits(rng, covariance, infinite_share=0.15):
    """Limits a_i = sqrt(C_ii) N(0.5, 1), each +inf with probability ``infinite_share``."""
    upper = np.sqrt(np.diag(covariance)) * rng.normal(0.5, 1.0, size=len(covariance))
    return np.where(rng.uniform(size=upper.size) < infinite_share, np.inf, upper)


def _problems():
    """(upper, factor, reference) for every problem, seeded; ``factor`` F with C = F F^T."""
    rng = np.random.default_rng(20260)
    problems = []
    for m, count in ((2, 30), (3, 30)):
        for _ in range(count):
            scales = np.exp(rng.uniform(-1, 1, size=m))
            factor = scales[:, None] * rng.normal(size=(m, m))
            covariance = factor @ factor.T
            upper = _limits(rng, covariance)
            problems.append((upper, factor, _general_probability(upper, covariance)))
    for k, count in ((1, 10), (2, 15)):
        for m in range(4, 10):
            for _ in range(count):
                loadings = rng.normal(size=(m, k)) * np.exp(rng.uniform(-1, 0.5, size=(m, 1)))
                variances = np.exp(rng.uniform(-1.5, 0.5, size=m))
                covariance = loadings @ loadings.T + np.diag(variances)
                upper = _limits(rng, covariance)
                problems.append((upper, np.linalg.cholesky(covariance), _factor_probability(upper, loadings, variances)))
    for m, k, count in ((4, 2, 10), (7, 2, 10), (5, 1, 10)):
        for _ in range(count):
            loadings = rng.normal(size=(m, k))
            upper = _limits(rng, loadings @ loadings.T)
            problems.append((upper, loadings, _singular_probability(upper, loadings)))
    assert len(problems) == PROBLEMS
    return problems


@pytest.fixture(scope="module")
def problems():
    return _problems()


def _estimates(problems, dtype):
    """The engine's probabilities and bounds, one compiled batch per problem shape."""
    probabilities, bounds = np.empty(len(problems)), np.empty(len(problems))
    keys = jax.random.split(jax.random.key(7), len(problems))
    shapes = sorted({problem[1].shape for problem in problems})
    batch = jax.jit(jax.vmap(lambda u, f, k: orthant.orthant_probability(u, f, k, POINTS, 8)))
    for shape in shapes:
        chosen = [i for i, problem in enumerate(problems) if problem[1].shape == shape]
        upper = jnp.asarray(np.array([problems[i][0] for i in chosen]), dtype)
        factor = jnp.asarray(np.array([problems[i][1] for i in chosen]), dtype)
        value, bound = batch(upper, factor, keys[np.array(chosen)])
        probabilities[chosen], bounds[chosen] = np.asarray(value, np.float64), np.asarray(bound, np.float64)
    return probabilities, bounds


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [jnp.float64, jnp.float32])
def test_the_bounds_cover_at_least_99_percent_of_errors(problems, dtype):
    allowance = int(stats.binom.ppf(0.99, PROBLEMS, 0.01))
    assert allowance == 7
    references = np.array([problem[2] for problem in problems])
    assert np.all((references > -1e-12) & (references < 1 + 1e-12))
    estimates, bounds = _estimates(problems, dtype)
    misses = np.abs(estimates - references) > bounds
    assert misses.sum() <= allowance, (misses.sum(), np.flatnonzero(misses))
    # The bounds are not vacuous: at most a few times 1e-4 on 1021-point lattices.
    assert np.median(bounds) < 1e-4 and bounds.max() < 2e-3


def test_the_float64_quantile_is_accurate_to_rounding_in_the_centre_and_in_probability_in_the_tails():
    _, quantile = orthant._normal_functions(jnp.float64)
    central = np.concatenate([np.geomspace(1e-10, 0.5 - 1e-6, 20000), 1 - np.geomspace(1e-10, 0.5 - 1e-6, 20000)])
    values = np.asarray(jax.jit(quantile)(jnp.asarray(central)))
    assert np.max(np.abs(values / special.ndtri(central) - 1)) < 2e-15
    # Below 1e-10 Giles's fit (made for p >= 2^-54) degrades slowly: 4e-13 relative at 1e-17,
    # 3e-11 at 2^-60, where the quantile is clipped.  In probability that is a relative error
    # below 3e-9, absolutely below 1e-27.
    tail = np.geomspace(2.0**-60, 1e-10, 20000)
    values = np.asarray(jax.jit(quantile)(jnp.asarray(tail)))
    assert np.max(np.abs(values / special.ndtri(tail) - 1)) < 1e-10
    assert np.max(np.abs(special.ndtr(values) / tail - 1)) < 1e-8
    assert float(quantile(jnp.asarray(1e-300))) == pytest.approx(special.ndtri(2.0**-60), rel=1e-10)


def test_the_float64_cdf_is_accurate_in_absolute_terms():
    cdf, _ = orthant._normal_functions(jnp.float64)
    x = np.linspace(-40, 40, 80001)
    values = np.asarray(jax.jit(cdf)(jnp.asarray(x)))
    # (1 + erf) / 2 has absolute error below 3e-16 everywhere, which is what the integral's
    # absolute accuracy needs; its relative accuracy falls in the lower tail (1e-10 at x = -5,
    # 4 % at x = -8), where it is not needed.
    assert np.max(np.abs(values - special.ndtr(x))) < 3e-16
    upper_half = x > -1
    assert np.max(np.abs(values[upper_half] / special.ndtr(x[upper_half]) - 1)) < 1e-15


def test_the_float32_normal_functions_are_accurate_in_probability():
    cdf, quantile = orthant._normal_functions(jnp.float32)
    p = np.concatenate([np.logspace(-7, np.log10(0.5), 2000), 1 - np.logspace(-7, np.log10(0.5), 2000)])
    y = np.asarray(quantile(jnp.asarray(p, jnp.float32)), np.float64)
    assert np.max(np.abs(special.ndtr(y) - p)) < 1e-6
    x = np.linspace(-9, 9, 4001)
    assert np.max(np.abs(np.asarray(cdf(jnp.asarray(x, jnp.float32))) - special.ndtr(x))) < 2e-7


@pytest.mark.parametrize("dtype", [jnp.float64, jnp.float32])
@pytest.mark.slow
def test_the_quantile_derivative_is_one_over_the_density(dtype):
    _, quantile = orthant._normal_functions(dtype)
    p = np.array([1e-6, 0.01, 0.3, 0.5, 0.8, 0.999])
    slopes = np.asarray(jax.vmap(jax.grad(quantile))(jnp.asarray(p, dtype)), np.float64)
    expected = 1 / stats.norm.pdf(special.ndtri(p))
    np.testing.assert_allclose(slopes, expected, rtol=1e-12 if dtype == jnp.float64 else 2e-5)


@pytest.mark.slow
def test_gradients_match_central_differences_of_a_scipy_reference():
    # Z = F u in 3 dimensions; the derivative in the limits by central differences of scipy's
    # CDF (step 1e-3, accurate to ~1e-6), against jax.grad of the fixed-key estimate.
    rng = np.random.default_rng(4)
    factor = rng.normal(size=(3, 3))
    upper = np.array([0.3, 1.0, -0.2])
    law = stats.multivariate_normal(np.zeros(3), factor @ factor.T, abseps=1e-9, releps=0, seed=0)
    gradient = np.asarray(jax.grad(lambda a: orthant.orthant_probability(a, factor, jax.random.key(0), 8192)[0])(
        jnp.asarray(upper)))
    step = 1e-3
    expected = [(law.cdf(upper + step * e) - law.cdf(upper - step * e)) / (2 * step) for e in np.eye(3)]
    np.testing.assert_allclose(gradient, expected, atol=1e-4)


def test_infinite_limits_give_finite_gradients():
    gradient = jax.grad(lambda a: orthant.orthant_probability(a, jnp.eye(3), jax.random.key(0))[0])(
        jnp.array([np.inf, 0.0, 1.0]))
    np.testing.assert_allclose(gradient, [0.0, stats.norm.pdf(0) * stats.norm.cdf(1), stats.norm.cdf(0) * stats.norm.pdf(1)],
                               atol=1e-6)


def test_shifts_below_two_are_rejected():
    with pytest.raises(ValueError, match="shifts"):
        orthant.orthant_probability(jnp.zeros(3), jnp.eye(3), jax.random.key(0), shifts=1)
