import numpy as np
import pytest
from scipy import integrate, stats

import oracles
from gmm_theory import (
    TwoClassMixture,
    risk_minimising_threshold,
    ssp_kept_fractions,
    ssp_threshold,
    ssp_training_priors,
    ssp_training_risk,
    training_priors,
)


def test_training_priors_match_counting_a_pruned_finite_population():
    rng = np.random.default_rng(4)
    for _ in range(50):
        sizes = rng.integers(1000, 100_000, size=2)
        densities = rng.uniform(0.05, 1.0, size=2)
        kept = np.round(sizes * densities)
        priors = sizes / sizes.sum()
        # Rounding to whole samples moves the ratio by at most 1 / min(kept).
        np.testing.assert_allclose(training_priors(priors, densities), kept / kept.sum(), atol=2 / kept.min())


def test_training_priors_keep_priors_under_uniform_pruning():
    np.testing.assert_allclose(training_priors([0.3, 0.7], [0.4, 0.4]), [0.3, 0.7], rtol=1e-14)


@pytest.mark.parametrize(
    "priors, densities, pattern",
    [
        ([0.5, 0.5], [1.2, 0.5], r"densities\[0\] must lie in \[0, 1\]"),
        ([0.5, 0.5], [0.5, -0.1], r"densities\[1\] must lie in \[0, 1\]"),
        ([0.5, 0.5], [0.5, np.nan], r"densities\[1\] must be finite"),
        ([1.0, 0.0], [0.0, 1.0], r"densities must keep some data"),
        ([0.5, 0.5], [0.5], r"densities must have 2 entries"),
        ([0.6, 0.6], [0.5, 0.5], r"priors must sum to 1"),
    ],
)
def test_training_priors_reject_bad_input(priors, densities, pattern):
    with pytest.raises(ValueError, match=pattern):
        training_priors(priors, densities)


def _ssp_kept_by_quadrature(mean, std, margin):
    f = lambda x: stats.norm.pdf(x, mean, std)
    kw = dict(epsabs=1e-14, epsrel=1e-12, limit=200)
    return (integrate.quad(f, mean - 40 * std, mean - margin, **kw)[0]
            + integrate.quad(f, mean + margin, mean + 40 * std, **kw)[0])


def test_ssp_kept_fractions_match_quadrature():
    rng = np.random.default_rng(5)
    for _ in range(50):
        means, stds, priors = oracles.random_parameters(rng, extreme_priors=False)
        margin = rng.uniform(0, 3) * min(stds)
        expected = [_ssp_kept_by_quadrature(m, s, margin) for m, s in zip(means, stds)]
        np.testing.assert_allclose(ssp_kept_fractions(TwoClassMixture(means, stds, priors), margin),
                                   expected, rtol=1e-9, atol=1e-13)


def test_paper_ssp_example():
    # Paper Appendix B.3: M = 0.3 keeps 55 % / 84 % but t* stays at -0.16.
    mixture = TwoClassMixture()
    np.testing.assert_allclose(ssp_kept_fractions(mixture, 0.3), [0.55, 0.84], atol=0.01)
    assert float(ssp_threshold(mixture, 0.3)) == pytest.approx(float(risk_minimising_threshold(mixture)), abs=1e-14)
    kept = np.asarray(ssp_kept_fractions(mixture, 0.3))
    np.testing.assert_allclose(ssp_training_priors(mixture, 0.3), kept / kept.sum(), rtol=1e-14)


def _pruned_risk_by_integration(means, stds, priors, margin):
    """Pruned training risk on a grid, by Simpson integration of the pruned class densities
    piece by piece between the margin edges (independent of the closed form).

    Returns the grid, the risk on it, and the risks of the trivial rules t = -inf, +inf."""
    lo, hi = means[0] - 12 * max(stds), means[1] + 12 * max(stds)
    edges = [e for m in means for e in (m - margin, m + margin) if lo < e < hi]
    breakpoints = np.unique([lo, hi, *edges])
    grid, masses_below, offset = [], [], np.zeros(2)
    for a, b in zip(breakpoints[:-1], breakpoints[1:]):
        x = np.linspace(a, b, 20_001)
        piece = np.stack([p * stats.norm.pdf(x, m, s) * (abs((a + b) / 2 - m) >= margin)
                          for p, m, s in zip(priors, means, stds)])
        cumulative = offset[:, None] + integrate.cumulative_simpson(piece, x=x, axis=1, initial=0)
        grid.append(x)
        masses_below.append(cumulative)
        offset = cumulative[:, -1]
    x, below = np.concatenate(grid), np.concatenate(masses_below, axis=1)
    risk = (offset[0] - below[0]) + below[1]
    return x, risk, offset[0], offset[1]


@pytest.mark.parametrize(
    "means, stds, priors, margin",
    [((-1.0, 1.0), (0.5, 1.5), (0.5, 0.5), m) for m in (0.0, 0.3, 0.6, 0.8, 1.0, 1.5)]
    + [((0.0, 1.0), (1.0, 0.6), (0.3, 0.7), 0.5), ((0.0, 3.0), (1.0, 1.0), (0.4, 0.6), 2.0),
       ((0.0, 2.0), (0.8, 2.0), (0.7, 0.3), 0.9)],
)
def test_ssp_threshold_is_the_global_minimiser_of_the_pruned_risk(means, stds, priors, margin):
    mixture = TwoClassMixture(means, stds, priors)
    t = float(ssp_threshold(mixture, margin))
    x, risk, at_minus_inf, at_plus_inf = _pruned_risk_by_integration(means, stds, priors, margin)
    best_on_grid = min(risk.min(), at_minus_inf, at_plus_inf)
    achieved = float(ssp_training_risk(mixture, margin, t))
    assert achieved <= best_on_grid + 1e-9
    if np.isfinite(t):
        # The closed-form pruned risk agrees with the integrated one where both exist.
        assert achieved == pytest.approx(np.interp(t, x, risk), abs=1e-9)
        # Unique minimiser in these cases: the grid's argmin lies next to it.
        assert abs(x[np.argmin(risk)] - t) < 1e-3 or at_minus_inf <= risk.min() or at_plus_inf <= risk.min()


def test_ssp_moves_the_minimiser_to_a_margin_edge():
    # M = 0.8 prunes the easy class to 11 %: the minimiser leaves t* for the left edge of
    # class 0's margin, where R' jumps from negative to positive.
    mixture = TwoClassMixture()
    assert float(ssp_threshold(mixture, 0.8)) == pytest.approx(-1.8, abs=1e-14)


def test_ssp_rejects_negative_margin():
    with pytest.raises(ValueError, match="margin"):
        ssp_kept_fractions(TwoClassMixture(), -0.1)
    with pytest.raises(ValueError, match="margin"):
        ssp_threshold(TwoClassMixture(), float("nan"))
