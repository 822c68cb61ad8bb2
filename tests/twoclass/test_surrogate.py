import numpy as np
import pytest
from scipy import integrate, stats

import oracles
from gmm_theory import TwoClassMixture, least_squares_threshold


def _least_squares_threshold_by_quadrature(means, stds, priors):
    """Solve the population normal equations with moments from quad."""
    standard = [integrate.quad(lambda z: z**power * stats.norm.pdf(z), -40, 40, points=[0],
                               epsabs=1e-14, epsrel=1e-12, limit=200)[0] for power in (0, 1, 2)]
    # x = mu + sigma z, expanded so that a tiny mean next to a huge std loses nothing.
    moment = lambda k, power: (means[k] * standard[0] + stds[k] * standard[1] if power == 1 else
                               means[k] ** 2 * standard[0] + 2 * means[k] * stds[k] * standard[1]
                               + stds[k] ** 2 * standard[2])
    ex = sum(p * moment(k, 1) for k, p in enumerate(priors))
    exx = sum(p * moment(k, 2) for k, p in enumerate(priors))
    exy = priors[1] * moment(1, 1)
    ey = priors[1]
    w, b = np.linalg.solve([[exx, ex], [ex, 1.0]], [exy, ey])
    return (0.5 - b) / w


@pytest.mark.slow
def test_least_squares_threshold_matches_quadrature_moments():
    rng = np.random.default_rng(6)
    for _ in range(100):
        means, stds, priors = oracles.random_parameters(rng, extreme_priors=False)
        expected = _least_squares_threshold_by_quadrature(means, stds, priors)
        t = float(least_squares_threshold(TwoClassMixture(means, stds, priors)))
        assert t == pytest.approx(expected, rel=1e-7, abs=1e-7 * max(stds))


def test_least_squares_threshold_matches_a_large_sample_fit():
    rng = np.random.default_rng(7)
    means, stds, priors = (-1.0, 1.0), (0.5, 1.5), (0.3, 0.7)
    n = 2_000_000
    y = (rng.random(n) < priors[1]).astype(float)
    x = np.where(y == 1, rng.normal(means[1], stds[1], n), rng.normal(means[0], stds[0], n))
    w, b = np.polyfit(x, y, 1)
    fitted = (0.5 - b) / w
    t = float(least_squares_threshold(TwoClassMixture(means, stds, priors)))
    # Sampling error of the fitted threshold at this n is ~2e-3; allow 4 standard errors.
    assert t == pytest.approx(fitted, abs=8e-3)


@pytest.mark.parametrize("priors, expected", [((1.0, 0.0), np.inf), ((0.0, 1.0), -np.inf)])
def test_a_single_class_gives_a_trivial_rule(priors, expected):
    assert float(least_squares_threshold(TwoClassMixture(priors=priors))) == expected
