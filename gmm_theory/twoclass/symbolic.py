"""Symbolic (sympy) re-derivation of the closed forms behind the two-class Gaussian model.

The model is the one analysed in Section 4 and Appendix B of Vysogorets, Ahuja and Kempe,
"DRoP: Distributionally Robust Data Pruning" (ICLR 2025): classes ``k in {0, 1}`` with priors
``phi_0 + phi_1 = 1`` and ``x | y=k ~ N(mu_k, sigma_k^2)``, ``mu_0 < mu_1``, classified by the
threshold rule "predict 1 iff x > t".  Class risks are

    R_0(t) = 1 - Phi((t - mu_0)/sigma_0),     R_1(t) = Phi((t - mu_1)/sigma_1),

the average risk is ``R = phi_0 R_0 + phi_1 R_1`` and the worst-class risk ``W = max(R_0, R_1)``.

Every formula is obtained by sympy (``diff``, ``solve``, ``integrate``, ``limit``, ``simplify``)
rather than typed in.  The LaTeX of each derivation is printed from a hand-arranged
(unevaluated) sympy tree laid out as in the paper; :func:`checks` proves each of those
display forms equal to the derived expression (``latex_forms_match_expressions``), next to the
identities of the model (stable root = '+' root, LDA limit, the '+' root is a minimum, ...).

Public API
----------
``symbols()``                      the shared sympy symbols (a :class:`Symbols` named tuple).
``class_risks()``, ``stationarity_quadratic()``, ``risk_minimiser_roots()``, ``risk_minimiser()``,
``equal_variance_limit()``, ``worst_class_threshold()``, ``worst_class_common_risk()``,
``ssp_kept_fraction()``, ``least_squares_moments()``, ``least_squares_threshold()``,
``pruned_priors()``, ``worst_class_pruning_ratio()``
                                   one :class:`Derivation` each (name, description, expression, latex).
``derivations()``                  all of them, in a logical order.
``checks()``                       ``{name: bool}`` of the symbolic identities, each decided by sympy.
``numeric(name, backend)``         a lambdified numpy/scipy or mpmath function of a derivation.
``report(as_json)``                the text printed by ``gmm-theory derive``.

Nothing is derived at import time: every derivation is computed on first use and cached
(all of them plus all checks take a few seconds).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Callable, NamedTuple

import sympy as sp

__all__ = [
    "PARAMETERS",
    "Derivation",
    "Phi",
    "Symbols",
    "checks",
    "class_risks",
    "derivations",
    "equal_variance_limit",
    "least_squares_moments",
    "least_squares_threshold",
    "numeric",
    "pruned_priors",
    "report",
    "risk_minimiser",
    "risk_minimiser_roots",
    "ssp_kept_fraction",
    "stationarity_quadratic",
    "symbols",
    "worst_class_common_risk",
    "worst_class_pruning_ratio",
    "worst_class_threshold",
]

PAPER = 'Vysogorets, Ahuja, Kempe, "DRoP: Distributionally Robust Data Pruning", ICLR 2025'

#: Symbols that may appear in a derivation's expression, in the order ``numeric`` lists them.
PARAMETERS = ("t", "mu_0", "mu_1", "sigma_0", "sigma_1", "phi_0", "phi_1", "M", "d_0", "d_1")


# --------------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------------


class Phi(sp.Function):
    r"""Standard normal CDF :math:`\Phi(z) = \tfrac12\,\mathrm{erfc}(-z/\sqrt2)`.

    A named function so that formulas print as ``\Phi(...)``; ``.rewrite(sp.erf)`` or
    ``.rewrite(sp.erfc)`` turns it into elementary special functions (``numeric`` uses the erfc
    form, which keeps full relative precision in the lower tail).  ``diff`` knows
    ``Phi'(z) = exp(-z^2/2)/sqrt(2 pi)``.
    """

    nargs = 1

    @classmethod
    def eval(cls, z):
        if z is sp.S.Zero:
            return sp.S.Half
        if z is sp.S.Infinity:
            return sp.S.One
        if z is sp.S.NegativeInfinity:
            return sp.S.Zero
        return None

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise sp.ArgumentIndexError(self, argindex)
        z = self.args[0]
        return sp.exp(-(z**2) / 2) / sp.sqrt(2 * sp.pi)

    def _eval_rewrite_as_erf(self, z, **kwargs):
        return (1 + sp.erf(z / sp.sqrt(2))) / 2

    def _eval_rewrite_as_erfc(self, z, **kwargs):
        return sp.erfc(-z / sp.sqrt(2)) / 2

    def _latex(self, printer, exp=None):
        text = r"\Phi\left(%s\right)" % printer._print(self.args[0])
        return text if exp is None else r"%s^{%s}" % (text, exp)


class Symbols(NamedTuple):
    """The sympy symbols shared by all derivations.

    Parameters (also the keyword names accepted by :func:`numeric`): ``t`` (threshold),
    ``mu_0, mu_1`` (real class means), ``sigma_0, sigma_1`` (positive stds), ``phi_0, phi_1``
    (positive priors, summing to one), ``M`` (positive SSP margin), ``d_0, d_1`` (positive
    within-class keep fractions).  Integration variable ``x``; a generic class ``mu, sigma``.
    Abbreviations, which never appear in a derivation's ``expression``: ``Delta = mu_1 - mu_0``
    (positive), ``L = ln(phi_0 sigma_1 / (phi_1 sigma_0))`` and
    ``D = Delta^2 + 2 (sigma_1^2 - sigma_0^2) L``.
    """

    t: sp.Symbol
    mu_0: sp.Symbol
    mu_1: sp.Symbol
    sigma_0: sp.Symbol
    sigma_1: sp.Symbol
    phi_0: sp.Symbol
    phi_1: sp.Symbol
    M: sp.Symbol
    d_0: sp.Symbol
    d_1: sp.Symbol
    x: sp.Symbol
    mu: sp.Symbol
    sigma: sp.Symbol
    Delta: sp.Symbol
    L: sp.Symbol
    D: sp.Symbol


@functools.cache
def symbols() -> Symbols:
    """Return the shared symbols (cached, so every derivation uses the same objects)."""
    real = dict(real=True)
    pos = dict(positive=True)
    return Symbols(
        t=sp.Symbol("t", **real),
        mu_0=sp.Symbol("mu_0", **real),
        mu_1=sp.Symbol("mu_1", **real),
        sigma_0=sp.Symbol("sigma_0", **pos),
        sigma_1=sp.Symbol("sigma_1", **pos),
        phi_0=sp.Symbol("phi_0", **pos),
        phi_1=sp.Symbol("phi_1", **pos),
        M=sp.Symbol("M", **pos),
        d_0=sp.Symbol("d_0", **pos),
        d_1=sp.Symbol("d_1", **pos),
        x=sp.Symbol("x", **real),
        mu=sp.Symbol("mu", **real),
        sigma=sp.Symbol("sigma", **pos),
        Delta=sp.Symbol("Delta", **pos),
        L=sp.Symbol("L", **real),
        D=sp.Symbol("D", **real),
    )


@dataclass(frozen=True)
class Derivation:
    """One derived formula.

    ``expression`` is a ``sympy.Eq`` whose right-hand side uses only the symbols named in
    :data:`PARAMETERS` (vector results have ``ImmutableMatrix`` on both sides), or a bare
    ``sympy.Expr`` meaning ``expression = 0``.  ``latex`` is the readable form, possibly using
    the abbreviations ``Delta, L, D``, which it then defines after a ``\\quad``.
    """

    name: str
    description: str
    expression: sp.Basic
    latex: str


# Unevaluated construction, so the LaTeX keeps the paper's arrangement.
def _add(*terms):
    return sp.Add(*terms, evaluate=False)


def _mul(*factors):
    return sp.Mul(*factors, evaluate=False)


def _neg(term):
    return sp.Mul(sp.S.NegativeOne, term, evaluate=False)


def _sub(a, b):
    return _add(a, _neg(b))


def _div(a, b):
    return sp.Mul(a, sp.Pow(b, -1, evaluate=False), evaluate=False)


def _tex(expr) -> str:
    return sp.latex(expr, order="none", ln_notation=True)


def _evaluated(expr):
    """Rebuild an unevaluated tree with evaluation switched back on."""
    if isinstance(expr, sp.MatrixBase):
        return sp.ImmutableMatrix([_evaluated(e) for e in expr])
    if not expr.args:
        return expr
    return expr.func(*[_evaluated(a) for a in expr.args])


def _is_zero(expr) -> bool:
    """Decide ``expr == 0`` with sympy (simplify; then again after erf rewriting / log expansion)."""
    expr = sp.sympify(expr)
    if sp.simplify(expr) == 0:
        return True
    expanded = sp.expand_log(expr.rewrite(sp.erf), force=True)
    return sp.simplify(expanded) == 0


def _normal_pdf(x, mu, sigma):
    return sp.exp(-((x - mu) ** 2) / (2 * sigma**2)) / sp.sqrt(2 * sp.pi * sigma**2)


@functools.cache
def _displays() -> dict:
    """The display (unevaluated) form of every formula, as the paper writes it.

    ``checks()['latex_forms_match_expressions']`` proves each equal to what sympy derived.
    """
    s = symbols()
    t, m0, m1, s0, s1, p0, p1 = s.t, s.mu_0, s.mu_1, s.sigma_0, s.sigma_1, s.phi_0, s.phi_1
    sigma_k = sp.Symbol("sigma_k", positive=True)
    var = sp.Symbol(r"\mathrm{Var}(x)")
    lda = _add(
        _div(_add(m0, m1), 2),
        _div(_mul(s0**2, sp.log(_div(p0, p1))), _sub(m1, m0)),
    )
    t_w = _div(_add(_mul(s1, m0), _mul(s0, m1)), _add(s0, s1))
    pruned_den = _add(_mul(p0, s.d_0), _mul(p1, s.d_1))
    return {
        "Delta": _sub(m1, m0),
        "L": sp.log(_div(_mul(p0, s1), _mul(p1, s0))),
        "D": _add(s.Delta**2, _mul(2, _sub(s1**2, s0**2), s.L)),
        "R_0": _sub(1, Phi(_div(_sub(t, m0), s0))),
        "R_1": Phi(_div(_sub(t, m1), s1)),
        "quadratic": sp.Eq(
            _sub(_mul(s1**2, sp.Pow(_sub(t, m0), 2)), _mul(s0**2, sp.Pow(_sub(t, m1), 2))),
            _mul(2, s0**2, s1**2, s.L),
            evaluate=False,
        ),
        "t_plus": _div(_add(_mul(s1**2, m0), _neg(_mul(s0**2, m1)), _mul(s0, s1, sp.sqrt(s.D))), _sub(s1**2, s0**2)),
        "t_minus": _div(_add(_mul(s1**2, m0), _neg(_mul(s0**2, m1)), _neg(_mul(s0, s1, sp.sqrt(s.D)))), _sub(s1**2, s0**2)),
        "t_star": _add(
            m0,
            _div(_mul(s0, _add(s.Delta**2, _mul(2, s1**2, s.L))), _add(_mul(s0, s.Delta), _mul(s1, sp.sqrt(s.D)))),
        ),
        "t_lda": lda,
        "t_w": t_w,
        "common_risk": Phi(_neg(_div(_sub(m1, m0), _add(s0, s1)))),
        "sigma_k": sigma_k,
        "ssp": _mul(2, Phi(_neg(_div(s.M, sigma_k)))),
        "Var(x)": var,
        "moments": {
            r"\mathrm{E}[x]": _add(_mul(p0, m0), _mul(p1, m1)),
            r"\mathrm{Var}(x)": _add(_mul(p0, s0**2), _mul(p1, s1**2), _mul(p0, p1, s.Delta**2)),
            r"\mathrm{Cov}(x, y)": _mul(p0, p1, s.Delta),
            r"\mathrm{E}[y]": p1,
        },
        "t_ls": _add(_mul(p0, m0), _mul(p1, m1), _div(_mul(_sub(p0, p1), var), _mul(2, p0, p1, s.Delta))),
        "pruned": (_div(_mul(p0, s.d_0), pruned_den), _div(_mul(p1, s.d_1), pruned_den)),
        "ratio": _div(_mul(p1, s0), _mul(p0, s1)),
    }


def _where(*names: str) -> str:
    r"""LaTeX ``\quad`` clauses defining the named abbreviations (``"Delta"``, ``"L"``, ``"D"``)."""
    s = symbols()
    d = _displays()
    return "".join(r", \quad %s = %s" % (_tex(getattr(s, n)), _tex(d[n])) for n in names)


@functools.cache
def _aux() -> dict:
    """Definitions of the abbreviations in the parameters: ``{Delta: ..., L: ..., D: ...}``."""
    s = symbols()
    L_def = sp.log(s.phi_0 * s.sigma_1 / (s.phi_1 * s.sigma_0))
    delta_def = s.mu_1 - s.mu_0
    D_def = delta_def**2 + 2 * (s.sigma_1**2 - s.sigma_0**2) * L_def
    return {s.Delta: delta_def, s.L: L_def, s.D: D_def}


def _expand_aux(expr):
    """Replace ``D``, then ``L``, then ``Delta`` by their definitions in the parameters."""
    s = symbols()
    aux = _aux()
    expr = expr.subs(s.D, s.Delta**2 + 2 * (s.sigma_1**2 - s.sigma_0**2) * s.L)
    return expr.subs(s.L, aux[s.L]).subs(s.Delta, aux[s.Delta])


def _on_line(expr):
    """Impose ``mu_1 = mu_0 + Delta`` with ``Delta > 0``, so that ``sqrt(Delta^2) = Delta``."""
    s = symbols()
    return expr.subs(s.mu_1, s.mu_0 + s.Delta)


def _on_simplex(expr):
    """Impose ``phi_1 = 1 - phi_0``."""
    s = symbols()
    return expr.subs(s.phi_1, 1 - s.phi_0)


def _risk_terms():
    """Standardised ``z_k = (t - mu_k)/sigma_k`` and the risks ``(R_0, R_1, R)``."""
    s = symbols()
    z0 = (s.t - s.mu_0) / s.sigma_0
    z1 = (s.t - s.mu_1) / s.sigma_1
    R0 = 1 - Phi(z0)
    R1 = Phi(z1)
    return z0, z1, R0, R1, s.phi_0 * R0 + s.phi_1 * R1


# --------------------------------------------------------------------------------------------
# Derivation steps (cached; the public builders below package them)
# --------------------------------------------------------------------------------------------


@functools.cache
def _risk_derivative():
    """``dR/dt`` by ``sympy.diff`` and the weighted densities ``f_k = (phi_k/sigma_k) pdf(z_k)``."""
    s = symbols()
    z0, z1, _, _, R = _risk_terms()
    dR = sp.diff(R, s.t)
    f0 = s.phi_0 / s.sigma_0 * sp.exp(-(z0**2) / 2) / sp.sqrt(2 * sp.pi)
    f1 = s.phi_1 / s.sigma_1 * sp.exp(-(z1**2) / 2) / sp.sqrt(2 * sp.pi)
    return dR, f0, f1


@functools.cache
def _quadratic():
    """``Q(t) = 2 sigma_0^2 sigma_1^2 ln(f_1/f_0)``, expanded by sympy, with ``L`` collected.

    ``Q`` has the sign of ``R'(t) = f_1 - f_0`` and the same zeros.  Returned in the compact
    form ``sigma_1^2 (t-mu_0)^2 - sigma_0^2 (t-mu_1)^2 - 2 sigma_0^2 sigma_1^2 L`` (the
    agreement with the raw logarithm is a check).
    """
    s = symbols()
    _, f0, f1 = _risk_derivative()
    raw = sp.expand(2 * s.sigma_0**2 * s.sigma_1**2 * sp.expand_log(sp.log(f1) - sp.log(f0), force=True))
    # The t-free part of raw is -2 s0^2 s1^2 (ln phi_0 + ln s1 - ln phi_1 - ln s0) = -2 s0^2 s1^2 L.
    polynomial = sp.expand(s.sigma_1**2 * (s.t - s.mu_0) ** 2 - s.sigma_0**2 * (s.t - s.mu_1) ** 2)
    log_part = sp.simplify((raw - polynomial) / (-2 * s.sigma_0**2 * s.sigma_1**2))
    compact = s.sigma_1**2 * (s.t - s.mu_0) ** 2 - s.sigma_0**2 * (s.t - s.mu_1) ** 2 - 2 * s.sigma_0**2 * s.sigma_1**2 * s.L
    return raw, log_part, compact


@functools.cache
def _roots():
    """Solve ``Q(t) = 0`` with ``mu_1 = mu_0 + Delta`` and ``L`` eliminated in favour of ``D > 0``.

    ``L = (D - Delta^2) / (2 (sigma_1^2 - sigma_0^2))``.  Returns ``(t_plus, t_minus, slope, D)``
    with ``slope = Q'(t_plus) > 0``: ``Q``, hence ``R'``, crosses zero upwards at ``t_plus`` (a
    local minimum of ``R``) and downwards at ``t_minus``.  ``D`` is the positive symbol used.
    """
    s = symbols()
    D = sp.Symbol("D", positive=True)  # two distinct real roots iff D > 0
    Q = _on_line(_quadratic()[2]).subs(s.L, (D - s.Delta**2) / (2 * (s.sigma_1**2 - s.sigma_0**2)))
    dQ = sp.diff(Q, s.t)
    plus = minus = slope = None
    for root in sp.solve(Q, s.t):
        root_slope = sp.simplify(dQ.subs(s.t, root))
        if root_slope.is_positive:
            plus, slope = sp.simplify(root), root_slope
        elif root_slope.is_negative:
            minus = sp.simplify(root)
    if plus is None or minus is None:  # pragma: no cover - would mean sympy changed behaviour
        raise RuntimeError("could not classify the stationary points of R")
    return plus, minus, slope, D


def _shared_D(expr):
    """Swap the positive ``D`` of :func:`_roots` for the shared (real) symbol ``D``."""
    return expr.subs(_roots()[3], symbols().D)


@functools.cache
def _stable():
    """Rationalise ``t_+ - mu_0`` by the conjugate ``sigma_1 sqrt(D) + sigma_0 Delta``.

    ``t_+ - mu_0 = sigma_0 (sigma_1 sqrt(D) - sigma_0 Delta)/(sigma_1^2 - sigma_0^2)``; times the
    conjugate the numerator is ``sigma_0 (sigma_1^2 D - sigma_0^2 Delta^2)``, which after
    ``D = Delta^2 + 2 (sigma_1^2 - sigma_0^2) L`` factors as
    ``sigma_0 (sigma_1^2 - sigma_0^2)(Delta^2 + 2 sigma_1^2 L)`` and cancels the vanishing
    denominator.  Returned with the shared symbols ``Delta, L, D``.
    """
    s = symbols()
    plus, _, _, D = _roots()
    offset = sp.factor(plus - s.mu_0)
    conjugate = s.sigma_1 * sp.sqrt(D) + s.sigma_0 * s.Delta
    numerator = sp.expand(sp.numer(offset) * conjugate)
    numerator = sp.factor(numerator.subs(D, s.Delta**2 + 2 * (s.sigma_1**2 - s.sigma_0**2) * s.L))
    return _shared_D(s.mu_0 + sp.cancel(numerator / sp.denom(offset)) / conjugate)


@functools.cache
def _lda_limit():
    """``lim_{sigma_1 -> sigma_0}`` of the '+' root, by ``sympy.limit`` (with ``mu_1 = mu_0 + Delta``)."""
    s = symbols()
    plus = _on_line(_expand_aux(_shared_D(_roots()[0])))  # D spelled out, L = ln(...), mu_1 = mu_0 + Delta
    limit = sp.limit(plus, s.sigma_1, s.sigma_0)
    limit = sp.expand(sp.expand_log(sp.expand(limit), force=True))
    return sp.collect(limit, s.sigma_0**2 / s.Delta)


@functools.cache
def _worst_class():
    """``t_w`` from ``R_0 = R_1``: ``R_0 = Phi(-z_0)``, ``R_1 = Phi(z_1)`` and ``Phi`` is injective."""
    s = symbols()
    z0, z1, _, _, _ = _risk_terms()
    (t_w,) = sp.solve(sp.Eq(-z0, z1), s.t)
    return sp.simplify(t_w)


@functools.cache
def _ssp_integral():
    """``P(|x - mu| >= M)`` for ``x ~ N(mu, sigma^2)``, by ``sympy.integrate`` over both tails."""
    s = symbols()
    pdf = _normal_pdf(s.x, s.mu, s.sigma)
    kept = sp.integrate(pdf, (s.x, -sp.oo, s.mu - s.M)) + sp.integrate(pdf, (s.x, s.mu + s.M, sp.oo))
    return sp.simplify(kept)


@functools.cache
def _moments():
    """``E[x], Var(x), Cov(x, y), E[y]`` by integrating against the two class densities."""
    s = symbols()
    pdf0 = _normal_pdf(s.x, s.mu_0, s.sigma_0)
    pdf1 = _normal_pdf(s.x, s.mu_1, s.sigma_1)

    def expect(g0, g1):  # E[g_y(x)] = phi_0 E_0[g_0] + phi_1 E_1[g_1]
        part0 = sp.integrate(g0 * pdf0, (s.x, -sp.oo, sp.oo))
        part1 = sp.integrate(g1 * pdf1, (s.x, -sp.oo, sp.oo))
        return sp.simplify(s.phi_0 * part0 + s.phi_1 * part1)

    mean_x = expect(s.x, s.x)
    mean_x2 = expect(s.x**2, s.x**2)
    mean_y = expect(sp.S.Zero, sp.S.One)
    mean_xy = expect(sp.S.Zero, s.x)
    return {
        "E[x]": mean_x,
        "Var(x)": mean_x2 - mean_x**2,
        "Cov(x,y)": mean_xy - mean_x * mean_y,
        "E[y]": mean_y,
    }


@functools.cache
def _least_squares():
    """``t_ls = (1/2 - b)/w`` with ``w = Cov/Var``, ``b = E[y] - w E[x]``, on the simplex."""
    m = {k: _on_simplex(v) for k, v in _moments().items()}
    w = m["Cov(x,y)"] / m["Var(x)"]
    b = m["E[y]"] - w * m["E[x]"]
    return sp.simplify((sp.Rational(1, 2) - b) / w), sp.factor(sp.simplify(m["Cov(x,y)"]))


@functools.cache
def _pruned():
    """Bayes: ``P(y=k | kept) = phi_k d_k / P(kept)``, ``P(kept) = phi_0 d_0 + phi_1 d_1``."""
    s = symbols()
    joint = [s.phi_0 * s.d_0, s.phi_1 * s.d_1]
    kept = sp.Add(*joint)
    return tuple(j / kept for j in joint)


@functools.cache
def _worst_class_ratio():
    """Solve ``phi'_0/phi'_1 = sigma_0/sigma_1`` for ``d_0``; return ``d_0/d_1``."""
    s = symbols()
    p0, p1 = _pruned()
    (d0,) = sp.solve(sp.Eq(p0 / p1, s.sigma_0 / s.sigma_1), s.d_0)
    return sp.simplify(d0 / s.d_1)


# --------------------------------------------------------------------------------------------
# Derivations
# --------------------------------------------------------------------------------------------


@functools.cache
def class_risks() -> Derivation:
    """Class risks of the rule "predict 1 iff x > t" (paper, Section 4).

    ``R_0(t) = 1 - Phi((t - mu_0)/sigma_0)`` (class 0 read as 1), ``R_1(t) = Phi((t - mu_1)/sigma_1)``
    and ``R(t) = phi_0 R_0(t) + phi_1 R_1(t)``; ``expression`` maps ``[R_0, R_1, R]`` to them.
    """
    s = symbols()
    d = _displays()
    _, _, R0, R1, R = _risk_terms()
    names = [sp.Function(n)(s.t) for n in ("R_0", "R_1", "R")]
    latex = (
        r"R_{0}(t) = %s, \quad R_{1}(t) = %s, \quad R(t) = \phi_{0} R_{0}(t) + \phi_{1} R_{1}(t)"
        % (_tex(d["R_0"]), _tex(d["R_1"]))
    )
    return Derivation(
        name="class_risks",
        description="Class risks R_0, R_1 and average risk R of the rule 'predict 1 iff x > t'.",
        expression=sp.Eq(sp.ImmutableMatrix(names), sp.ImmutableMatrix([R0, R1, R])),
        latex=latex,
    )


@functools.cache
def stationarity_quadratic() -> Derivation:
    """Stationarity of the average risk (paper, Appendix B.1).

    ``R'(t) = -(phi_0/sigma_0) pdf(z_0) + (phi_1/sigma_1) pdf(z_1)`` vanishes iff the logs of the
    two terms agree; multiplying ``ln f_1 - ln f_0`` by ``2 sigma_0^2 sigma_1^2`` gives

        sigma_1^2 (t - mu_0)^2 - sigma_0^2 (t - mu_1)^2 = 2 sigma_0^2 sigma_1^2 L,
        L = ln(phi_0 sigma_1 / (phi_1 sigma_0)).

    ``expression`` is ``Q(t)`` = left minus right side, in the parameters (``= 0`` implied);
    ``Q`` has the sign of ``R'(t)``.
    """
    return Derivation(
        name="stationarity_quadratic",
        description="R'(t) = 0 <=> phi_0 pdf_0(t) = phi_1 pdf_1(t); taking logs gives this quadratic in t.",
        expression=_expand_aux(_quadratic()[2]),
        latex=_tex(_displays()["quadratic"]) + _where("L"),
    )


@functools.cache
def risk_minimiser_roots() -> Derivation:
    """Both roots of the stationarity quadratic, for ``sigma_0 != sigma_1`` (paper, Appendix B.1).

        t_pm = [sigma_1^2 mu_0 - sigma_0^2 mu_1 pm sigma_0 sigma_1 sqrt(D)] / (sigma_1^2 - sigma_0^2),
        D = (mu_1 - mu_0)^2 + 2 (sigma_1^2 - sigma_0^2) L.

    From ``sympy.solve``.  The root labelled '+' is where ``Q`` (sign of ``R'``) increases,
    ``Q'(t_+) = 2 sigma_0 sigma_1 sqrt(D) > 0``: the local minimum of ``R`` for either ordering
    of the stds (the larger root if ``sigma_1 > sigma_0``, the smaller if ``sigma_1 < sigma_0``);
    ``t_-`` is the local maximum.  ``expression`` maps ``[t_+, t_-]`` to the solved roots; they
    are real iff ``D >= 0`` (numerically: NaN otherwise).
    """
    d = _displays()
    plus, minus, _, _ = _roots()
    names = [sp.Symbol("t_+"), sp.Symbol("t_-")]
    values = [_expand_aux(_shared_D(r)) for r in (plus, minus)]
    latex = (
        _tex(sp.Eq(names[0], d["t_plus"], evaluate=False))
        + r", \quad "
        + _tex(sp.Eq(names[1], d["t_minus"], evaluate=False))
        + _where("D", "Delta", "L")
    )
    return Derivation(
        name="risk_minimiser_roots",
        description="Roots of the stationarity quadratic (sigma_0 != sigma_1): t_+ is the local minimum of R, t_- the local maximum.",
        expression=sp.Eq(sp.ImmutableMatrix(names), sp.ImmutableMatrix(values)),
        latex=latex,
    )


@functools.cache
def risk_minimiser() -> Derivation:
    """The local minimiser of the average risk, cancellation-free (paper, Appendix B.1).

        t* = mu_0 + sigma_0 (Delta^2 + 2 sigma_1^2 L) / (sigma_0 Delta + sigma_1 sqrt(D)).

    Derived from ``t_+`` by rationalising (see ``_stable``).  Its denominator is
    ``2 sigma_0 Delta > 0`` at ``sigma_0 = sigma_1``, where ``t*`` is the LDA threshold; this is
    the form the numeric code evaluates.  Whether this local minimum is also the global one
    (versus the trivial rules ``t = -inf``/``+inf`` with risks ``phi_0``/``phi_1``) is not
    decided here.
    """
    t_star = sp.Symbol("t^*")
    return Derivation(
        name="risk_minimiser",
        description="Local minimiser of the average risk (the '+' root), rationalised so it is finite at sigma_0 = sigma_1.",
        expression=sp.Eq(t_star, _expand_aux(_stable())),
        latex=_tex(sp.Eq(t_star, _displays()["t_star"], evaluate=False)) + _where("Delta", "L", "D"),
    )


@functools.cache
def equal_variance_limit() -> Derivation:
    """Equal stds: ``lim_{sigma_1 -> sigma_0} t_+ = (mu_0 + mu_1)/2 + sigma^2 ln(phi_0/phi_1)/(mu_1 - mu_0)``.

    The LDA threshold; ``sympy.limit`` resolves the 0/0 of the '+' root.  ``expression`` is the
    computed limit, with ``sigma = sigma_0``.
    """
    s = symbols()
    limit = _lda_limit().subs(s.Delta, s.mu_1 - s.mu_0)
    return Derivation(
        name="equal_variance_limit",
        description="As sigma_1 -> sigma_0 the '+' root tends to the LDA threshold (sigma = sigma_0).",
        expression=sp.Eq(sp.Symbol("t_LDA"), limit),
        latex=r"\lim_{\sigma_{1} \to \sigma_{0}} t_{+} = " + _tex(_displays()["t_lda"]),
    )


@functools.cache
def worst_class_threshold() -> Derivation:
    """The worst-class-optimal threshold (paper, Section 4 and Appendix B.2).

    ``R_0`` decreases and ``R_1`` increases in ``t``, so ``max(R_0, R_1)`` is smallest where they
    cross; ``R_0 = Phi(-z_0)`` and ``R_1 = Phi(z_1)`` cross iff ``-z_0 = z_1`` (``sympy.solve``):

        t_w = (sigma_1 mu_0 + sigma_0 mu_1) / (sigma_0 + sigma_1).
    """
    t_w = sp.Symbol("t_w")
    return Derivation(
        name="worst_class_threshold",
        description="Threshold equalising the class risks; it minimises the worst-class risk max(R_0, R_1).",
        expression=sp.Eq(t_w, _worst_class()),
        latex=_tex(sp.Eq(t_w, _displays()["t_w"], evaluate=False)),
    )


@functools.cache
def worst_class_common_risk() -> Derivation:
    """The common class risk at ``t_w``: ``R_0(t_w) = R_1(t_w) = Phi(-(mu_1 - mu_0)/(sigma_0 + sigma_1))``."""
    s = symbols()
    _, z1, _, _, _ = _risk_terms()
    risk = Phi(sp.simplify(z1.subs(s.t, _worst_class())))
    return Derivation(
        name="worst_class_common_risk",
        description="Common, hence worst-class, risk at t_w: the smallest achievable worst-class risk.",
        expression=sp.Eq(sp.Symbol("R_0(t_w)"), risk),
        latex=r"R_{0}(t_{w}) = R_{1}(t_{w}) = " + _tex(_displays()["common_risk"]),
    )


@functools.cache
def ssp_kept_fraction() -> Derivation:
    """SSP margin pruning (paper, Appendix B.3): drop every sample within ``M`` of its class mean.

    Class ``k`` keeps ``P(|x - mu_k| >= M) = 2 Phi(-M/sigma_k)``: sympy integrates the normal
    density over both tails (``1 - erf(M/(sqrt(2) sigma))``) and :func:`checks` proves that equal
    to ``2 Phi(-M/sigma)``, which is the ``expression`` (``[q_0, q_1]``).
    """
    s = symbols()
    d = _displays()
    generic = 2 * Phi(-s.M / s.sigma)
    names = sp.ImmutableMatrix([sp.Symbol("q_0"), sp.Symbol("q_1")])
    values = sp.ImmutableMatrix([generic.subs(s.sigma, s.sigma_0), generic.subs(s.sigma, s.sigma_1)])
    latex = (
        r"q_{k} = \int_{|x - \mu_{k}| \ge M} \mathcal{N}(x; \mu_{k}, \sigma_{k}^{2})\, dx = "
        + _tex(_ssp_integral().subs(s.sigma, d["sigma_k"]))
        + " = "
        + _tex(d["ssp"])
    )
    return Derivation(
        name="ssp_kept_fraction",
        description="Fraction q_k of class k kept by SSP margin pruning (margin M around the class mean).",
        expression=sp.Eq(names, values),
        latex=latex,
    )


@functools.cache
def least_squares_moments() -> Derivation:
    """Moments of ``(x, y)`` under the mixture, for the least-squares rule (``phi_0 + phi_1 = 1``).

    ``E[x] = phi_0 mu_0 + phi_1 mu_1``, ``Var(x) = phi_0 sigma_0^2 + phi_1 sigma_1^2 + phi_0 phi_1 Delta^2``,
    ``Cov(x, y) = phi_0 phi_1 Delta``, ``E[y] = phi_1``.  sympy integrates ``x, x^2, y, x y``
    against the mixture; :func:`checks` proves these forms (the ``expression``) equal to the
    integrals once ``phi_1 = 1 - phi_0``.
    """
    moments = _displays()["moments"]
    names = sp.ImmutableMatrix([sp.Symbol(n) for n in ("E[x]", "Var(x)", "Cov(x,y)", "E[y]")])
    values = sp.ImmutableMatrix([_expand_aux(_evaluated(v)) for v in moments.values()])
    latex = r", \quad ".join(r"%s = %s" % (k, _tex(v)) for k, v in moments.items()) + _where("Delta")
    return Derivation(
        name="least_squares_moments",
        description="Mean and variance of x, Cov(x, y) and E[y] under the mixture (phi_0 + phi_1 = 1).",
        expression=sp.Eq(names, values),
        latex=latex,
    )


@functools.cache
def least_squares_threshold() -> Derivation:
    """Least-squares linear rule on the mixture (the paper's surrogate-loss comparison).

    Regress ``y in {0, 1}`` on ``x``: ``w = Cov(x, y)/Var(x) > 0``, ``b = E[y] - w E[x]``; the rule
    ``w x + b > 1/2`` is the threshold ``t_ls = (1/2 - b)/w``, which sympy simplifies to

        t_ls = phi_0 mu_0 + phi_1 mu_1 + (phi_0 - phi_1) Var(x) / (2 phi_0 phi_1 (mu_1 - mu_0)),

    the midpoint ``(mu_0 + mu_1)/2`` for balanced priors whatever the stds.  The ``expression``
    is this form (proved equal to ``(1/2 - b)/w`` on ``phi_0 + phi_1 = 1`` by :func:`checks`).
    """
    d = _displays()
    variance = _evaluated(d["moments"][r"\mathrm{Var}(x)"])
    value = _expand_aux(_evaluated(d["t_ls"]).subs(d["Var(x)"], variance))
    latex = (
        r"t_{ls} = \frac{1/2 - b}{w} = "
        + _tex(d["t_ls"])
        + r", \quad w = \frac{\mathrm{Cov}(x, y)}{\mathrm{Var}(x)}, \quad b = \mathrm{E}[y] - w\,\mathrm{E}[x]"
        + r", \quad \mathrm{Var}(x) = "
        + _tex(d["moments"][r"\mathrm{Var}(x)"])
        + _where("Delta")
    )
    return Derivation(
        name="least_squares_threshold",
        description="Threshold of the least-squares linear fit of y in {0, 1} on x over the mixture.",
        expression=sp.Eq(sp.Symbol("t_ls"), value),
        latex=latex,
    )


@functools.cache
def pruned_priors() -> Derivation:
    """Random within-class pruning keeping a fraction ``d_k`` of class ``k`` (paper, Section 4).

    Class-conditional laws are unchanged and, by Bayes, ``phi'_k = phi_k d_k / sum_j phi_j d_j``;
    ``L`` becomes ``L + ln(d_0/d_1)``.  ``expression`` maps ``[phi'_0, phi'_1]``.
    """
    names = sp.ImmutableMatrix([sp.Symbol("phi'_0"), sp.Symbol("phi'_1")])
    p0, p1 = _displays()["pruned"]
    latex = r"\phi'_{0} = %s, \quad \phi'_{1} = %s" % (_tex(p0), _tex(p1))
    return Derivation(
        name="pruned_priors",
        description="Class priors after random pruning that keeps a fraction d_k of class k.",
        expression=sp.Eq(names, sp.ImmutableMatrix(_pruned())),
        latex=latex,
    )


@functools.cache
def worst_class_pruning_ratio() -> Derivation:
    """Keep fractions that make the average-risk minimiser worst-class optimal (cf. Section 4, B.2).

    With ``phi_0/phi_1 = sigma_0/sigma_1`` we have ``L = 0`` and then ``t_+ = t_w``; random
    pruning reaches such priors iff ``d_0/d_1 = phi_1 sigma_0 / (phi_0 sigma_1)`` (``sympy.solve``).
    """
    latex = (
        r"\frac{\phi'_{0}}{\phi'_{1}} = \frac{\sigma_{0}}{\sigma_{1}} \iff \frac{d_{0}}{d_{1}} = "
        + _tex(_displays()["ratio"])
        + r" \;\Rightarrow\; L' = 0, \quad t^{*} = t_{w}"
    )
    return Derivation(
        name="worst_class_pruning_ratio",
        description="Keep-fraction ratio d_0/d_1 making the pruned priors proportional to the stds, so that t* = t_w.",
        expression=sp.Eq(sp.Symbol("d_0/d_1"), _worst_class_ratio()),
        latex=latex,
    )


_BUILDERS: tuple[Callable[[], Derivation], ...] = (
    class_risks,
    stationarity_quadratic,
    risk_minimiser_roots,
    risk_minimiser,
    equal_variance_limit,
    worst_class_threshold,
    worst_class_common_risk,
    ssp_kept_fraction,
    least_squares_moments,
    least_squares_threshold,
    pruned_priors,
    worst_class_pruning_ratio,
)


def derivations() -> list[Derivation]:
    """All derivations, from the model's risks to pruning (a fresh list of cached objects)."""
    return [build() for build in _BUILDERS]


def _by_name() -> dict[str, Callable[[], Derivation]]:
    return {build.__name__: build for build in _BUILDERS}


# --------------------------------------------------------------------------------------------
# Checks: each decided by sympy
# --------------------------------------------------------------------------------------------


def _check_stationarity() -> bool:
    """``diff`` gives ``R' = f_1 - f_0``, and ``2 s0^2 s1^2 ln(f_1/f_0)`` is the quadratic with ``L``."""
    s = symbols()
    dR, f0, f1 = _risk_derivative()
    raw, log_part, compact = _quadratic()
    return (
        _is_zero(dR - (f1 - f0))
        and _is_zero(sp.expand_log(log_part - _aux()[s.L], force=True))
        and _is_zero(sp.expand_log(raw - compact.subs(s.L, _aux()[s.L]), force=True))
    )


def _check_solve_roots() -> bool:
    """The roots from ``sympy.solve`` are the textbook '+' and '-' forms."""
    d = _displays()
    plus, minus, _, _ = _roots()
    return _is_zero(_shared_D(plus) - _on_line(_evaluated(d["t_plus"]))) and _is_zero(
        _shared_D(minus) - _on_line(_evaluated(d["t_minus"]))
    )


@functools.cache
def _curvature_at_stationary_point():
    """``R''(t) / f_0(t)`` at a stationary point, ``= (t - mu_0)/sigma_0^2 - (t - mu_1)/sigma_1^2``.

    At a root of ``R'`` we may replace ``phi_1`` by the value (from ``solve(R' = 0, phi_1)``) that
    makes ``f_1 = f_0``.
    """
    s = symbols()
    dR, f0, _ = _risk_derivative()
    (phi_1_at_root,) = sp.solve(dR, s.phi_1)
    return sp.simplify(sp.diff(dR, s.t).subs(s.phi_1, phi_1_at_root) / f0)


def _curvature_at(root):
    s = symbols()
    return sp.simplify(_on_line(_curvature_at_stationary_point()).subs(s.t, root))


def _check_plus_root_minimum() -> bool:
    """``Q'(t_+) = 2 s0 s1 sqrt(D)`` and ``R''(t_+) = f_0(t_+) sqrt(D)/(s0 s1) > 0`` (either ordering)."""
    s = symbols()
    plus, _, slope, D = _roots()
    curvature = _curvature_at(plus)
    return (
        _is_zero(slope - 2 * s.sigma_0 * s.sigma_1 * sp.sqrt(D))
        and _is_zero(curvature - sp.sqrt(D) / (s.sigma_0 * s.sigma_1))
        and bool(curvature.is_positive)
    )


def _check_minus_root_maximum() -> bool:
    return bool(_curvature_at(_roots()[1]).is_negative)


def _check_root_order() -> bool:
    """``t_+ - t_- = 2 s0 s1 sqrt(D)/(s1^2 - s0^2)``: ``t_+`` is the larger root iff ``sigma_1 > sigma_0``."""
    s = symbols()
    plus, minus, _, D = _roots()
    gap = sp.simplify(plus - minus)
    eps = sp.Symbol("epsilon", positive=True)
    larger = sp.factor(sp.simplify(gap.subs(s.sigma_1, s.sigma_0 + eps))).is_positive
    smaller = sp.factor(sp.simplify(gap.subs(s.sigma_0, s.sigma_1 + eps))).is_negative
    formula = _is_zero(gap - 2 * s.sigma_0 * s.sigma_1 * sp.sqrt(D) / (s.sigma_1**2 - s.sigma_0**2))
    return formula and bool(larger) and bool(smaller)


def _check_stable_form() -> bool:
    """The rationalised root equals the '+' root (in the parameters, so ``D``, ``L`` are tied)."""
    d = _displays()
    stable = _stable()
    return _is_zero(_expand_aux(stable - _evaluated(d["t_plus"]))) and _is_zero(
        _expand_aux(stable - _evaluated(d["t_star"]))
    )


def _check_stable_finite_at_equal_stds() -> bool:
    """At ``sigma_1 = sigma_0`` the stable form's denominator is ``2 sigma_0 Delta > 0``."""
    s = symbols()
    den = sp.denom(sp.together(_stable() - s.mu_0))
    den = sp.simplify(_on_line(_expand_aux(den)).subs(s.sigma_1, s.sigma_0))
    return _is_zero(den - 2 * s.sigma_0 * s.Delta) and bool(den.is_positive)


def _check_lda_limit() -> bool:
    """``sympy.limit`` of ``t_+`` and the stable form at ``sigma_1 = sigma_0`` both give LDA."""
    s = symbols()
    lda = _on_line(_evaluated(_displays()["t_lda"]))
    at_equal = _on_line(_expand_aux(_stable())).subs(s.sigma_1, s.sigma_0)
    return _is_zero(_lda_limit() - lda) and _is_zero(at_equal - lda)


def _check_worst_class() -> bool:
    """``R_0(t_w) - R_1(t_w)`` simplifies to 0."""
    s = symbols()
    _, _, R0, R1, _ = _risk_terms()
    return _is_zero((R0 - R1).subs(s.t, _worst_class()))


def _check_worst_class_risk() -> bool:
    s = symbols()
    _, _, R0, R1, _ = _risk_terms()
    t_w = _worst_class()
    common = _evaluated(_displays()["common_risk"])
    return _is_zero(R0.subs(s.t, t_w) - common) and _is_zero(R1.subs(s.t, t_w) - common)


def _check_plus_root_at_L0() -> bool:
    """``phi_0/phi_1 = sigma_0/sigma_1`` gives ``L = 0``, and then ``t_+ = t_w`` (either ordering)."""
    s = symbols()
    L_at = _aux()[s.L].subs(s.phi_0, s.phi_1 * s.sigma_0 / s.sigma_1)
    plus = _on_line(_expand_aux(_shared_D(_roots()[0])))
    plus_at_L0 = plus.subs(s.phi_0, s.phi_1 * s.sigma_0 / s.sigma_1)
    return _is_zero(L_at) and _is_zero(plus_at_L0 - _on_line(_worst_class()))


def _check_ssp() -> bool:
    s = symbols()
    return _is_zero(_ssp_integral() - 2 * Phi(-s.M / s.sigma))


def _check_moments() -> bool:
    """The integrated moments equal the closed forms once ``phi_1 = 1 - phi_0``."""
    derived = _moments()
    shown = least_squares_moments().expression.rhs
    return all(_is_zero(_on_simplex(derived[k] - v)) for k, v in zip(derived, shown))


def _check_least_squares() -> bool:
    """``(1/2 - b)/w`` from the integrated moments equals ``t_ls``; ``w > 0``; balanced gives the midpoint."""
    s = symbols()
    derived, cov = _least_squares()
    shown = _on_simplex(least_squares_threshold().expression.rhs)
    balanced = shown.subs(s.phi_0, sp.Rational(1, 2))
    covariance = s.phi_0 * s.phi_1 * s.Delta  # positive: w > 0, so "w x + b > 1/2" means "x > t_ls"
    return (
        _is_zero(derived - shown)
        and _is_zero(_on_line(cov) - _on_simplex(covariance))
        and bool(covariance.is_positive)
        and _is_zero(balanced - (s.mu_0 + s.mu_1) / 2)
    )


def _check_pruned_priors() -> bool:
    s = symbols()
    p0, p1 = _pruned()
    shifted = sp.log(p0 * s.sigma_1 / (p1 * s.sigma_0)) - _aux()[s.L] - sp.log(s.d_0 / s.d_1)
    return _is_zero(p0 + p1 - 1) and _is_zero(sp.expand_log(shifted, force=True))


def _check_pruning_to_worst_class() -> bool:
    """With ``d_0/d_1`` from :func:`worst_class_pruning_ratio`, ``t*`` on pruned priors is ``t_w``."""
    s = symbols()
    ratio = _worst_class_ratio()
    p0, p1 = _pruned()
    stable = _expand_aux(_stable()).subs({s.phi_0: p0, s.phi_1: p1}, simultaneous=True)
    stable = _on_line(stable.subs(s.d_0, ratio * s.d_1))
    return _is_zero(sp.expand_log(stable, force=True) - _on_line(_worst_class()))


def _check_latex_forms() -> bool:
    """Every display form printed as LaTeX equals the derivation's expression."""
    s = symbols()
    d = _displays()
    _, _, R0, R1, _ = _risk_terms()
    sigma_k = d["sigma_k"]
    variance = _evaluated(d["moments"][r"\mathrm{Var}(x)"])
    quadratic = _evaluated(d["quadratic"].lhs - d["quadratic"].rhs)

    def rhs(builder):
        return builder().expression.rhs

    pairs = [
        (_evaluated(d["R_0"]), R0),
        (_evaluated(d["R_1"]), R1),
        (_expand_aux(quadratic), stationarity_quadratic().expression),
        (_expand_aux(_evaluated(d["t_plus"])), rhs(risk_minimiser_roots)[0]),
        (_expand_aux(_evaluated(d["t_minus"])), rhs(risk_minimiser_roots)[1]),
        (_expand_aux(_evaluated(d["t_star"])), rhs(risk_minimiser)),
        (_evaluated(d["t_lda"]), rhs(equal_variance_limit)),
        (_evaluated(d["t_w"]), rhs(worst_class_threshold)),
        (_evaluated(d["common_risk"]), rhs(worst_class_common_risk)),
        (_evaluated(d["ssp"]).subs(sigma_k, s.sigma_0), rhs(ssp_kept_fraction)[0]),
        (_evaluated(d["ssp"]).subs(sigma_k, s.sigma_1), rhs(ssp_kept_fraction)[1]),
        (_expand_aux(_evaluated(d["t_ls"]).subs(d["Var(x)"], variance)), rhs(least_squares_threshold)),
        (_evaluated(d["pruned"][0]), rhs(pruned_priors)[0]),
        (_evaluated(d["pruned"][1]), rhs(pruned_priors)[1]),
        (_evaluated(d["ratio"]), rhs(worst_class_pruning_ratio)),
    ]
    pairs += [(_expand_aux(_evaluated(v)), w) for v, w in zip(d["moments"].values(), rhs(least_squares_moments))]
    return all(_is_zero(shown - derived) for shown, derived in pairs)


_CHECKS: dict[str, Callable[[], bool]] = {
    "stationarity_quadratic_from_densities": _check_stationarity,
    "solve_roots_are_plus_minus_forms": _check_solve_roots,
    "plus_root_is_local_minimum": _check_plus_root_minimum,
    "minus_root_is_local_maximum": _check_minus_root_maximum,
    "plus_root_is_larger_iff_sigma_1_larger": _check_root_order,
    "stable_form_equals_plus_root": _check_stable_form,
    "stable_form_finite_at_equal_stds": _check_stable_finite_at_equal_stds,
    "equal_variance_limit_is_lda": _check_lda_limit,
    "worst_class_threshold_equalises_risks": _check_worst_class,
    "worst_class_common_risk": _check_worst_class_risk,
    "plus_root_at_L0_is_worst_class_threshold": _check_plus_root_at_L0,
    "ssp_kept_fraction_integral": _check_ssp,
    "least_squares_moments_integral": _check_moments,
    "least_squares_threshold_from_moments": _check_least_squares,
    "pruned_priors_normalised_and_shift_L": _check_pruned_priors,
    "std_proportional_pruning_gives_t_w": _check_pruning_to_worst_class,
    "latex_forms_match_expressions": _check_latex_forms,
}


@functools.cache
def _checks() -> tuple[tuple[str, bool], ...]:
    return tuple((name, bool(check())) for name, check in _CHECKS.items())


def checks() -> dict[str, bool]:
    """Decide each symbolic identity with sympy: ``{name: True/False}`` (computed once, cached).

    ``stationarity_quadratic_from_densities``: ``dR/dt = f_1 - f_0`` and ``2 s0^2 s1^2 ln(f_1/f_0)``
    is the quadratic; ``solve_roots_are_plus_minus_forms``; ``plus_root_is_local_minimum``
    (``R''(t_+) > 0`` for either ordering of the stds) and ``minus_root_is_local_maximum``;
    ``plus_root_is_larger_iff_sigma_1_larger``; ``stable_form_equals_plus_root``;
    ``stable_form_finite_at_equal_stds``; ``equal_variance_limit_is_lda``;
    ``worst_class_threshold_equalises_risks``; ``worst_class_common_risk``;
    ``plus_root_at_L0_is_worst_class_threshold``; ``ssp_kept_fraction_integral``;
    ``least_squares_moments_integral``; ``least_squares_threshold_from_moments``;
    ``pruned_priors_normalised_and_shift_L``; ``std_proportional_pruning_gives_t_w``;
    ``latex_forms_match_expressions``.
    """
    return dict(_checks())


# --------------------------------------------------------------------------------------------
# Numerics and report
# --------------------------------------------------------------------------------------------


def _evaluable(name: str):
    try:
        derivation = _by_name()[name]()
    except KeyError:
        known = ", ".join(_by_name())
        raise ValueError(f"unknown derivation {name!r}; expected one of: {known}") from None
    expr = derivation.expression
    expr = expr.rhs if isinstance(expr, sp.Eq) else expr
    return expr.replace(Phi, lambda z: sp.erfc(-z / sp.sqrt(2)) / 2)


@functools.cache
def _lambdified(name: str, backend: str):
    expr = _evaluable(name)
    by_name = {sym.name: sym for sym in expr.free_symbols}
    unexpected = sorted(set(by_name) - set(PARAMETERS))
    if unexpected:  # pragma: no cover - guards the invariant documented on Derivation
        raise RuntimeError(f"{name}: expression has non-parameter symbols {unexpected}")
    params = tuple(p for p in PARAMETERS if p in by_name)
    is_vector = isinstance(expr, sp.MatrixBase)
    body = list(expr) if is_vector else expr
    modules = {"numpy": ["scipy", "numpy"], "mpmath": ["mpmath"]}[backend]
    return params, is_vector, sp.lambdify([by_name[p] for p in params], body, modules=modules)


def numeric(name: str, backend: str = "numpy") -> Callable[..., object]:
    """A numeric function of derivation ``name`` (the right-hand side of its expression).

    The function takes keyword arguments named as in :data:`PARAMETERS` (``t, mu_0, mu_1,
    sigma_0, sigma_1, phi_0, phi_1, M, d_0, d_1``); extra keywords are ignored, so one parameter
    dict serves every formula, and a missing one raises ``TypeError``.  Its ``parameters``
    attribute lists the keywords it needs.  ``backend="numpy"`` evaluates with numpy/scipy and
    broadcasts over arrays (``Phi`` via ``scipy.special.erfc``); ``backend="mpmath"`` evaluates
    at the current ``mpmath.mp.dps``.  Vector-valued derivations (``class_risks``,
    ``risk_minimiser_roots``, ``ssp_kept_fraction``, ``least_squares_moments``,
    ``pruned_priors``) return a numpy array (first axis = component) or a tuple of ``mpf``.
    """
    if backend not in ("numpy", "mpmath"):
        raise ValueError(f"backend must be 'numpy' or 'mpmath', got {backend!r}")
    params, is_vector, func = _lambdified(name, backend)

    def evaluate(**values):
        missing = [p for p in params if p not in values]
        if missing:
            raise TypeError(f"{name} needs parameter(s) {', '.join(missing)}")
        result = func(*(values[p] for p in params))
        if not is_vector:
            return result
        if backend == "mpmath":
            return tuple(result)
        import numpy as np

        return np.stack(np.broadcast_arrays(*result)).astype(float)

    evaluate.__name__ = name
    evaluate.__doc__ = f"Evaluate {name} ({backend} backend); parameters: {', '.join(params)}."
    evaluate.parameters = params  # type: ignore[attr-defined]
    return evaluate


def report(as_json: bool = False) -> str:
    """The text printed by ``gmm-theory derive``.

    Plain text: a header, then per derivation its name, one-line description and LaTeX, then the
    checks.  JSON: ``{"derivations": [{"name", "description", "latex"}, ...], "checks": {name: bool}}``.
    """
    items = derivations()
    results = checks()
    if as_json:
        payload = {
            "derivations": [{"name": d.name, "description": d.description, "latex": d.latex} for d in items],
            "checks": results,
        }
        return json.dumps(payload, indent=2)
    lines = [f"Two-class Gaussian model: symbolic derivations ({PAPER}; Section 4, Appendix B.1-B.3)", ""]
    for number, d in enumerate(items, start=1):
        lines += [f"{number:2d}. {d.name}", f"    {d.description}", f"    $$ {d.latex} $$", ""]
    lines.append(f"Symbolic checks ({sum(results.values())}/{len(results)} hold):")
    lines += [f"    [{'ok' if ok else 'FAIL'}] {name}" for name, ok in results.items()]
    return "\n".join(lines)
