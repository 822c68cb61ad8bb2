"""Independent numerical references for the two-class model, built on scipy only.

Nothing here uses gmm_theory's formulas: risks come from scipy.stats / quadrature, minimisers
from a brute-force grid refined by root finding on the sign of R'(t).
"""

from __future__ import annotations

import numpy as np
from scipy import integrate, optimize, stats


def class_risks(means, stds, t):
    """(P_0(x > t), P_1(x <= t)) by scipy.stats; t may be +-inf or an array."""
    t = np.asarray(t, dtype=float)
    return stats.norm.sf(t, means[0], stds[0]), stats.norm.cdf(t, means[1], stds[1])


def average_risk(means, stds, priors, t):
    risk_0, risk_1 = class_risks(means, stds, t)
    return priors[0] * risk_0 + priors[1] * risk_1


def class_risks_by_quadrature(means, stds, t):
    """The same class risks by integrating the densities (quad), as a check of the check."""
    f_0 = lambda x: stats.norm.pdf(x, means[0], stds[0])
    f_1 = lambda x: stats.norm.pdf(x, means[1], stds[1])
    kw = dict(epsabs=1e-13, epsrel=1e-12, limit=200)
    # Split at the class mean so quad sees the bump.
    upper_0 = integrate.quad(f_0, max(t, means[0]), np.inf, **kw)[0]
    if t < means[0]:
        upper_0 += integrate.quad(f_0, t, means[0], **kw)[0]
    lower_1 = integrate.quad(f_1, -np.inf, min(t, means[1]), **kw)[0]
    if t > means[1]:
        lower_1 += integrate.quad(f_1, means[1], t, **kw)[0]
    return upper_0, lower_1


def threshold_grid(means, stds):
    """Grid points resolving both class scales, near and far from each mean."""
    far = np.logspace(-3, 4, 1500)
    near = np.linspace(-40, 40, 4001)
    offsets = np.concatenate([-far, near, far])
    return np.unique(np.concatenate([m + s * offsets for m, s in zip(means, stds)]))


def _log_density_gap(means, stds, priors, t):
    """ln(phi_1 f_1(t)) - ln(phi_0 f_0(t)): has the sign of R'(t)."""
    return (np.log(priors[1]) + stats.norm.logpdf(t, means[1], stds[1])
            - np.log(priors[0]) - stats.norm.logpdf(t, means[0], stds[0]))


def risk_minimiser(means, stds, priors):
    """Global minimiser of the average 0-1 risk over t in R and +-inf.

    Returns (t_best, risk_best, gap): gap is the risk margin to the best candidate at a
    different threshold (small gap = near-tie, where the argmin is ill-conditioned).
    """
    candidates = [-np.inf, np.inf]
    if priors[0] > 0 and priors[1] > 0:
        grid = threshold_grid(means, stds)
        sign = np.sign(_log_density_gap(means, stds, priors, grid))
        # Local minima of R: R' changes sign from - to +.
        for i in np.flatnonzero((sign[:-1] < 0) & (sign[1:] >= 0)):
            root = optimize.brentq(lambda t: _log_density_gap(means, stds, priors, t),
                                   grid[i], grid[i + 1], xtol=1e-15, rtol=1e-15, maxiter=500)
            candidates.append(root)
    candidates = np.array(candidates)
    risks = average_risk(means, stds, priors, candidates)
    order = np.argsort(risks, kind="stable")
    gap = risks[order[1]] - risks[order[0]] if len(order) > 1 else np.inf
    return candidates[order[0]], risks[order[0]], gap


def worst_class_threshold(means, stds):
    """Root of ln R_0(t) - ln R_1(t) by brentq (logs keep far-apart classes resolvable)."""
    lo, hi = means[0] - 50 * max(stds), means[1] + 50 * max(stds)
    f = lambda t: stats.norm.logsf(t, means[0], stds[0]) - stats.norm.logcdf(t, means[1], stds[1])
    return optimize.brentq(f, lo, hi, xtol=1e-15, rtol=1e-15, maxiter=500)


def random_parameters(rng, extreme_priors=True):
    """A random two-class model: mean gaps 0.05-10, stds 0.01-10, std ratios 1e-3-1e3
    (about one draw in six with equal stds), priors uniform or extreme (1e-6)."""
    mu_0 = rng.uniform(-3, 3)
    delta = np.exp(rng.uniform(np.log(0.05), np.log(10)))
    sigma_0 = np.exp(rng.uniform(np.log(0.01), np.log(10)))
    ratio = 1.0 if rng.random() < 1 / 6 else np.exp(rng.uniform(np.log(1e-3), np.log(1e3)))
    u = rng.random()
    if extreme_priors and u < 0.1:
        phi_0 = 1e-6
    elif extreme_priors and u < 0.2:
        phi_0 = 1 - 1e-6
    else:
        phi_0 = rng.uniform(0.01, 0.99)
    return (mu_0, mu_0 + delta), (sigma_0, sigma_0 * ratio), (phi_0, 1 - phi_0)


def trained_class_risks(means, stds, training_priors):
    """Test-law class risks of the 0-1 risk minimiser trained at ``training_priors``."""
    t, _, _ = risk_minimiser(means, stds, training_priors)
    return np.array(class_risks(means, stds, t))


def drop_step(priors, errors):
    """One uncapped DRoP step: phi'_k = phi_k e_k / sum_j phi_j e_j."""
    weighted = np.asarray(priors) * np.asarray(errors)
    return weighted / weighted.sum()


def ssp_pruned_risk(means, stds, priors, margin, thresholds):
    """Unnormalised risk of x > t on the SSP-pruned law, by cumulative trapezoid integration of
    the kept densities phi_k f_k(x) 1{|x - mu_k| >= M} on a fine grid (t outside the grid: a
    constant rule).  Accurate to about 1e-5."""
    lo = min(m - 12 * s for m, s in zip(means, stds))
    hi = max(m + 12 * s for m, s in zip(means, stds))
    x = np.linspace(lo, hi, 400_001)
    kept = [priors[k] * stats.norm.pdf(x, means[k], stds[k]) * (np.abs(x - means[k]) >= margin) for k in (0, 1)]
    below = [integrate.cumulative_trapezoid(density, x, initial=0.0) for density in kept]
    thresholds = np.clip(np.asarray(thresholds, dtype=float), lo, hi)
    above_0 = below[0][-1] - np.interp(thresholds, x, below[0])
    return above_0 + np.interp(thresholds, x, below[1])
