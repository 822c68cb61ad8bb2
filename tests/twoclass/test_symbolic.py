"""Tests of gmm_theory.twoclass.symbolic: the sympy identities hold, and the derived formulas, evaluated
numerically, agree with independent numerics (scipy root finding, quadrature, sampling) and
with the JAX closed forms of the package."""

from __future__ import annotations

import json

import mpmath
import numpy as np
import pytest
import sympy as sp
from scipy import integrate, optimize, stats

from gmm_theory.twoclass import symbolic as sym

N_DRAWS = 30


# --------------------------------------------------------------------------------------------
# Parameter draws and independent numerics (scipy only; no formula from gmm_theory)
# --------------------------------------------------------------------------------------------


def _discriminant(p):
    L = np.log(p["phi_0"] * p["sigma_1"] / (p["phi_1"] * p["sigma_0"]))
    return (p["mu_1"] - p["mu_0"]) ** 2 + 2 * (p["sigma_1"] ** 2 - p["sigma_0"] ** 2) * L


def _draws(seed, n=N_DRAWS):
    """Random models with a real interior stationary point (D > 0); stds cycle through the
    orderings sigma_0 < sigma_1, sigma_0 > sigma_1 and sigma_0 == sigma_1."""
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < n:
        mu_0 = rng.uniform(-3, 3)
        sigma_0 = np.exp(rng.uniform(np.log(0.2), np.log(3)))
        ratio = np.exp(rng.uniform(np.log(1.2), np.log(5)))
        ordering = len(out) % 3
        sigma_1 = sigma_0 * ratio if ordering == 0 else sigma_0 / ratio if ordering == 1 else sigma_0
        phi_0 = rng.uniform(0.05, 0.95)
        p = dict(
            mu_0=mu_0,
            mu_1=mu_0 + rng.uniform(0.3, 4),
            sigma_0=sigma_0,
            sigma_1=sigma_1,
            phi_0=phi_0,
            phi_1=1 - phi_0,
            M=rng.uniform(0.0, 3.0),
        )
        if _discriminant(p) > 1e-6:
            out.append(p)
    return out


DRAWS = _draws(20250101)
DRAW_IDS = [
    f"{i}-" + ("s0<s1" if p["sigma_0"] < p["sigma_1"] else "s0>s1" if p["sigma_0"] > p["sigma_1"] else "s0=s1")
    for i, p in enumerate(DRAWS)
]


def _log_density_gap(p, t):
    """ln(phi_1 f_1(t)) - ln(phi_0 f_0(t)): has the sign of R'(t) = -phi_0 f_0 + phi_1 f_1."""
    return (
        np.log(p["phi_1"]) + stats.norm.logpdf(t, p["mu_1"], p["sigma_1"])
        - np.log(p["phi_0"]) - stats.norm.logpdf(t, p["mu_0"], p["sigma_0"])
    )


def _grid(p):
    offsets = np.concatenate([-np.logspace(-3, 4, 600), np.linspace(-50, 50, 2001), np.logspace(-3, 4, 600)])
    return np.unique(np.concatenate([p[f"mu_{k}"] + p[f"sigma_{k}"] * offsets for k in (0, 1)]))


def _stationary_points(p):
    """Brentq roots of R' on a grid: (local minima, where R' goes - to +; local maxima, + to -)."""
    grid = _grid(p)
    gap = _log_density_gap(p, grid)
    sign = np.sign(gap)

    def root(i):
        return optimize.brentq(lambda t: _log_density_gap(p, t), grid[i], grid[i + 1], xtol=1e-15, rtol=1e-15, maxiter=500)

    minima = [root(i) for i in np.flatnonzero((sign[:-1] < 0) & (sign[1:] > 0))]
    maxima = [root(i) for i in np.flatnonzero((sign[:-1] > 0) & (sign[1:] < 0))]
    return minima, maxima


def _average_risk(p, t):
    return p["phi_0"] * stats.norm.sf(t, p["mu_0"], p["sigma_0"]) + p["phi_1"] * stats.norm.cdf(t, p["mu_1"], p["sigma_1"])


def _worst_class_root(p):
    f = lambda t: stats.norm.sf(t, p["mu_0"], p["sigma_0"]) - stats.norm.cdf(t, p["mu_1"], p["sigma_1"])
    return optimize.brentq(f, p["mu_0"], p["mu_1"], xtol=1e-15, rtol=1e-15, maxiter=500)


def _quad(f, lo, hi):
    return integrate.quad(f, lo, hi, epsabs=1e-14, epsrel=1e-13, limit=200)[0]


def _moments_by_quadrature(p):
    """E[x], E[x^2], E[xy], E[y] of the mixture by integrating each class density."""
    def class_moment(k, power):
        m, s = p[f"mu_{k}"], p[f"sigma_{k}"]
        f = lambda x: x**power * stats.norm.pdf(x, m, s)
        return _quad(f, m - 40 * s, m) + _quad(f, m, m + 40 * s)

    e_x = sum(p[f"phi_{k}"] * class_moment(k, 1) for k in (0, 1))
    e_x2 = sum(p[f"phi_{k}"] * class_moment(k, 2) for k in (0, 1))
    e_xy = p["phi_1"] * class_moment(1, 1)
    e_y = p["phi_1"] * class_moment(1, 0)
    return e_x, e_x2, e_xy, e_y


def _close(actual, expected, rtol=1e-9):
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol)


# --------------------------------------------------------------------------------------------
# The symbolic identities
# --------------------------------------------------------------------------------------------


REQUIRED_CHECKS = [
    "stable_form_equals_plus_root",
    "plus_root_at_L0_is_worst_class_threshold",
    "equal_variance_limit_is_lda",
    "plus_root_is_local_minimum",
    "ssp_kept_fraction_integral",
]


class TestChecks:
    @pytest.mark.parametrize("name", list(sym._CHECKS))
    def test_check_holds(self, name):
        assert sym.checks()[name] is True

    def test_brief_identities_are_checked(self):
        assert set(REQUIRED_CHECKS) <= set(sym.checks())

    def test_zero_test_is_not_vacuous(self):
        s = sym.symbols()
        t_star = sym.risk_minimiser().expression.rhs
        plus = sym.risk_minimiser_roots().expression.rhs[0]
        assert sym._is_zero(t_star - plus)
        assert not sym._is_zero(t_star - plus + s.sigma_0 * 1e-3)
        assert not sym._is_zero(t_star - sym.risk_minimiser_roots().expression.rhs[1])

    def test_checks_returns_a_fresh_dict(self):
        first = sym.checks()
        first["stable_form_equals_plus_root"] = False
        assert sym.checks()["stable_form_equals_plus_root"] is True


class TestDerivations:
    def test_names_and_order(self):
        names = [d.name for d in sym.derivations()]
        assert names == [
            "class_risks",
            "stationarity_quadratic",
            "risk_minimiser_roots",
            "risk_minimiser",
            "equal_variance_limit",
            "worst_class_threshold",
            "worst_class_common_risk",
            "ssp_kept_fraction",
            "least_squares_moments",
            "least_squares_threshold",
            "pruned_priors",
            "worst_class_pruning_ratio",
        ]

    @pytest.mark.parametrize("derivation", sym.derivations(), ids=lambda d: d.name)
    def test_expression_uses_only_parameters(self, derivation):
        expr = derivation.expression
        expr = expr.rhs if isinstance(expr, sp.Eq) else expr
        assert {str(x) for x in expr.free_symbols} <= set(sym.PARAMETERS)
        assert derivation.latex and derivation.description and "\n" not in derivation.description

    def test_derivation_is_frozen(self):
        with pytest.raises(Exception):
            sym.risk_minimiser().name = "other"

    def test_closed_forms(self):
        s = sym.symbols()
        t_w = sym.worst_class_threshold().expression.rhs
        assert sp.simplify(t_w - (s.sigma_1 * s.mu_0 + s.sigma_0 * s.mu_1) / (s.sigma_0 + s.sigma_1)) == 0
        lda = sym.equal_variance_limit().expression.rhs
        assert sp.simplify(sp.expand_log(
            lda - (s.mu_0 + s.mu_1) / 2 - s.sigma_0**2 * sp.log(s.phi_0 / s.phi_1) / (s.mu_1 - s.mu_0), force=True)) == 0
        assert r"\Phi" in sym.ssp_kept_fraction().latex and r"\sqrt{D}" in sym.risk_minimiser().latex

    def test_report_text(self):
        text = sym.report(as_json=False)
        for d in sym.derivations():
            assert d.name in text and d.latex in text
        assert f"{len(sym.checks())}/{len(sym.checks())} hold" in text and "FAIL" not in text

    def test_report_json(self):
        payload = json.loads(sym.report(as_json=True))
        assert set(payload) == {"derivations", "checks"}
        assert [d["name"] for d in payload["derivations"]] == [d.name for d in sym.derivations()]
        assert all(set(d) == {"name", "description", "latex"} for d in payload["derivations"])
        assert payload["checks"] == sym.checks()


class TestNumericInterface:
    def test_keywords(self):
        f = sym.numeric("worst_class_threshold")
        assert f.parameters == ("mu_0", "mu_1", "sigma_0", "sigma_1")
        assert f(mu_0=-1.0, mu_1=1.0, sigma_0=0.5, sigma_1=1.5, phi_0=0.3, unused=7) == pytest.approx(-0.5)
        with pytest.raises(TypeError, match="sigma_1"):
            f(mu_0=-1.0, mu_1=1.0, sigma_0=0.5)

    def test_unknown_name_and_backend(self):
        with pytest.raises(ValueError, match="unknown derivation"):
            sym.numeric("nope")
        with pytest.raises(ValueError, match="backend"):
            sym.numeric("risk_minimiser", backend="torch")

    def test_vector_results_and_broadcasting(self):
        q = sym.numeric("ssp_kept_fraction")(sigma_0=0.5, sigma_1=np.array([1.0, 2.0]), M=1.0)
        assert q.shape == (2, 2)
        roots = sym.numeric("risk_minimiser_roots")(mu_0=-1.0, mu_1=1.0, sigma_0=0.5, sigma_1=1.5, phi_0=0.5, phi_1=0.5)
        assert roots.shape == (2,)

    def test_mpmath_backend_beats_cancellation(self):
        """At nearly equal stds the textbook '+' root cancels in float64; the stable form, in
        float64, matches the '+' root evaluated with 50 digits."""
        p = dict(mu_0=-1.0, mu_1=1.0, sigma_0=1.0, sigma_1=1.0 + 1e-9, phi_0=0.3, phi_1=0.7)
        stable = sym.numeric("risk_minimiser")(**p)
        with mpmath.workdps(50):
            exact = sym.numeric("risk_minimiser_roots", backend="mpmath")(**{k: mpmath.mpf(v) for k, v in p.items()})[0]
        _close(stable, float(exact), rtol=1e-12)
        lda = sym.numeric("equal_variance_limit")(**p)
        assert abs(stable - lda) < 1e-7


# --------------------------------------------------------------------------------------------
# Derived formulas against independent numerics
# --------------------------------------------------------------------------------------------


class TestAgainstScipy:
    @pytest.mark.parametrize("p", DRAWS[:6], ids=DRAW_IDS[:6])
    def test_class_risks(self, p):
        t = np.linspace(p["mu_0"] - 3, p["mu_1"] + 3, 7)
        R0, R1, R = sym.numeric("class_risks")(t=t, **p)
        _close(R0, stats.norm.sf(t, p["mu_0"], p["sigma_0"]), rtol=1e-12)
        _close(R1, stats.norm.cdf(t, p["mu_1"], p["sigma_1"]), rtol=1e-12)
        _close(R, _average_risk(p, t), rtol=1e-12)

    @pytest.mark.parametrize("p", DRAWS, ids=DRAW_IDS)
    def test_risk_minimiser_is_the_local_minimum(self, p):
        minima, maxima = _stationary_points(p)
        assert len(minima) == 1
        _close(sym.numeric("risk_minimiser")(**p), minima[0])
        # The stationarity quadratic vanishes there.
        scale = p["sigma_0"] ** 2 * p["sigma_1"] ** 2 * max(1.0, minima[0] ** 2)
        assert abs(sym.numeric("stationarity_quadratic")(t=minima[0], **p)) < 1e-9 * scale
        if p["sigma_0"] != p["sigma_1"]:
            plus, minus = sym.numeric("risk_minimiser_roots")(**p)
            assert len(maxima) == 1
            _close(plus, minima[0], rtol=1e-8)
            _close(minus, maxima[0], rtol=1e-8)
            assert (plus > minus) == (p["sigma_1"] > p["sigma_0"])
        else:
            assert maxima == []
            _close(sym.numeric("equal_variance_limit")(**p), minima[0])

    @pytest.mark.parametrize("p", DRAWS[:9], ids=DRAW_IDS[:9])
    def test_worst_class_threshold_and_risk(self, p):
        t_w = _worst_class_root(p)
        _close(sym.numeric("worst_class_threshold")(**p), t_w, rtol=1e-10)
        _close(sym.numeric("worst_class_common_risk")(**p), stats.norm.sf(t_w, p["mu_0"], p["sigma_0"]), rtol=1e-10)
        # t_w minimises max(R_0, R_1) over a grid.
        grid = np.linspace(p["mu_0"], p["mu_1"], 2001)
        worst = np.maximum(stats.norm.sf(grid, p["mu_0"], p["sigma_0"]), stats.norm.cdf(grid, p["mu_1"], p["sigma_1"]))
        assert sym.numeric("worst_class_common_risk")(**p) <= worst.min() + 1e-15

    @pytest.mark.parametrize("p", DRAWS[:6], ids=DRAW_IDS[:6])
    def test_std_proportional_priors_make_t_star_equal_t_w(self, p):
        ratio = sym.numeric("worst_class_pruning_ratio")(**p)
        d = dict(d_0=min(1.0, ratio), d_1=min(1.0, 1 / ratio))
        phi = sym.numeric("pruned_priors")(**p, **d)
        pruned = dict(p, phi_0=phi[0], phi_1=phi[1])
        _close(phi[0] / phi[1], p["sigma_0"] / p["sigma_1"], rtol=1e-12)
        minima, _ = _stationary_points(pruned)
        _close(minima[0], _worst_class_root(p), rtol=1e-8)

    @pytest.mark.parametrize("p", DRAWS[:8], ids=DRAW_IDS[:8])
    def test_ssp_kept_fraction(self, p):
        q = sym.numeric("ssp_kept_fraction")(**p)
        for k in (0, 1):
            m, s = p[f"mu_{k}"], p[f"sigma_{k}"]
            f = lambda x: stats.norm.pdf(x, m, s)
            tails = _quad(f, m + p["M"], m + p["M"] + 40 * s) + _quad(f, m - p["M"] - 40 * s, m - p["M"])
            _close(q[k], tails, rtol=1e-9)

    @pytest.mark.parametrize("p", DRAWS[:8], ids=DRAW_IDS[:8])
    def test_least_squares_against_quadrature_moments(self, p):
        e_x, e_x2, e_xy, e_y = _moments_by_quadrature(p)
        var, cov = e_x2 - e_x**2, e_xy - e_x * e_y
        _close(sym.numeric("least_squares_moments")(**p), [e_x, var, cov, e_y], rtol=1e-9)
        w = cov / var
        b = e_y - w * e_x
        _close(sym.numeric("least_squares_threshold")(**p), (0.5 - b) / w, rtol=1e-8)

    @pytest.mark.parametrize(
        "p",
        [
            dict(mu_0=-1.0, mu_1=1.0, sigma_0=0.5, sigma_1=1.5, phi_0=0.3, phi_1=0.7),
            dict(mu_0=0.0, mu_1=1.5, sigma_0=2.0, sigma_1=0.7, phi_0=0.8, phi_1=0.2),
        ],
        ids=["s0<s1", "s0>s1"],
    )
    def test_least_squares_against_sampled_fit(self, p):
        """OLS of y on (x, 1) over 20 batches of 10^5 samples; the batch mean of the fitted
        threshold must lie within 5 standard errors (estimated from the batches)."""
        rng = np.random.default_rng(7)
        fitted = []
        for _ in range(20):
            y = (rng.random(100_000) < p["phi_1"]).astype(float)
            mean = np.where(y == 1, p["mu_1"], p["mu_0"])
            std = np.where(y == 1, p["sigma_1"], p["sigma_0"])
            x = rng.normal(mean, std)
            (w, b), *_ = np.linalg.lstsq(np.column_stack([x, np.ones_like(x)]), y, rcond=None)
            fitted.append((0.5 - b) / w)
        fitted = np.array(fitted)
        se = fitted.std(ddof=1) / np.sqrt(len(fitted))
        assert abs(fitted.mean() - sym.numeric("least_squares_threshold")(**p)) < 5 * se

    def test_pruned_priors_by_sampling(self):
        rng = np.random.default_rng(11)
        p = dict(phi_0=0.3, phi_1=0.7, d_0=0.9, d_1=0.2)
        n = 1_000_000
        y = rng.random(n) < p["phi_1"]
        kept = rng.random(n) < np.where(y, p["d_1"], p["d_0"])
        share_0 = np.mean(~y[kept])
        se = np.sqrt(share_0 * (1 - share_0) / kept.sum())
        phi = sym.numeric("pruned_priors")(**p)
        assert abs(share_0 - phi[0]) < 5 * se and phi.sum() == pytest.approx(1.0)


# --------------------------------------------------------------------------------------------
# Derived formulas against the package's JAX closed forms
# --------------------------------------------------------------------------------------------


@pytest.fixture
def jax_api():
    """The JAX closed forms; skipped if those modules are not importable."""
    jax = pytest.importorskip("jax")
    mixture = pytest.importorskip("gmm_theory.twoclass.mixture")
    optimal = pytest.importorskip("gmm_theory.twoclass.optimal")
    surrogate = pytest.importorskip("gmm_theory.twoclass.surrogate")
    pruning = pytest.importorskip("gmm_theory.twoclass.pruned_law")
    return dict(
        jax=jax,
        mixture=lambda p: mixture.TwoClassMixture(
            means=(p["mu_0"], p["mu_1"]), stds=(p["sigma_0"], p["sigma_1"]), priors=(p["phi_0"], p["phi_1"])
        ),
        optimal=optimal,
        surrogate=surrogate,
        pruning=pruning,
    )


def _interior_is_global(p):
    """The local minimum beats both trivial rules (risks phi_0 at t=-inf, phi_1 at t=+inf) clearly."""
    minima, _ = _stationary_points(p)
    return bool(minima) and _average_risk(p, minima[0]) < min(p["phi_0"], p["phi_1"]) - 1e-9


class TestAgainstJax:
    def test_risk_minimiser(self, jax_api):
        jax = jax_api["jax"]
        compared = 0
        with jax.enable_x64(True):
            for p in DRAWS:
                mix = jax_api["mixture"](p)
                formula = sym.numeric("risk_minimiser")(**p)
                t_local, exists = jax_api["optimal"].interior_threshold(mix)
                assert bool(exists)
                _close(float(t_local), formula)
                if _interior_is_global(p):
                    _close(float(jax_api["optimal"].risk_minimising_threshold(mix)), formula)
                    compared += 1
        assert compared >= N_DRAWS // 3

    def test_worst_class(self, jax_api):
        jax = jax_api["jax"]
        with jax.enable_x64(True):
            for p in DRAWS:
                mix = jax_api["mixture"](p)
                _close(float(jax_api["optimal"].worst_class_threshold(mix)), sym.numeric("worst_class_threshold")(**p))
                _close(float(jax_api["optimal"].worst_class_optimal_risk(mix)), sym.numeric("worst_class_common_risk")(**p))

    def test_least_squares(self, jax_api):
        jax = jax_api["jax"]
        with jax.enable_x64(True):
            for p in DRAWS:
                jax_value = float(jax_api["surrogate"].least_squares_threshold(jax_api["mixture"](p)))
                _close(jax_value, sym.numeric("least_squares_threshold")(**p))

    def test_ssp_kept_fractions(self, jax_api):
        jax = jax_api["jax"]
        with jax.enable_x64(True):
            for p in DRAWS:
                jax_value = np.asarray(jax_api["pruning"].ssp_kept_fractions(jax_api["mixture"](p), p["M"]))
                _close(jax_value, sym.numeric("ssp_kept_fraction")(**p))

    def test_pruned_priors(self, jax_api):
        jax = jax_api["jax"]
        training_priors = getattr(jax_api["pruning"], "training_priors", None)
        if training_priors is None:
            pytest.skip("gmm_theory.twoclass.pruned_law.training_priors not available")
        rng = np.random.default_rng(3)
        with jax.enable_x64(True):
            for p in DRAWS[:10]:
                d = dict(d_0=rng.uniform(0.05, 1), d_1=rng.uniform(0.05, 1))
                jax_value = np.asarray(training_priors((p["phi_0"], p["phi_1"]), (d["d_0"], d["d_1"])))
                _close(jax_value, sym.numeric("pruned_priors")(**p, **d))
