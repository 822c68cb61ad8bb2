"""Multivariate normal orthant probabilities P(Z <= a), Z ~ N(0, C), in JAX.

Genz's separation of variables (Genz, 1992; Genz and Bretz, 2009, Section 4.1): with
Z = L v, L lower (trapezoidal when C is singular), after ordering the variables by
increasing a_i / sqrt(C_ii) (the cheap form of Genz and Bretz's prioritisation),

    P(Z <= a) = int_[0,1]^(r-1) prod_i e_i(w) dw,   e_i = Phi((a_i - sum_{j<i} L_ij y_j) / L_ii),
    y_j = Phi^-1(w_j e_j),

estimated by randomised quasi-Monte Carlo: a rank-1 lattice rule with a prime number n of
points, its generating vector built component by component (CBC) for the Korobov space
with product weights 1/j^2 by the fast algorithm of Nuyens and Cools (2006), under the
baker's transform w -> |2w - 1| (Hickernell, 2002) and S = ``shifts`` independent uniform
random shifts.

The error bound.  The S shifted rules give independent unbiased estimates P_1 .. P_S of the
integral; their mean P^ has standard error s / sqrt(S), s the estimates' sample standard
deviation.  Were the P_s normal, (P^ - P) / (s / sqrt S) would follow Student's t with S - 1
degrees of freedom, so 3 standard errors (Genz and Bretz's rule of thumb, Section 4.2) cover
only about 98 % of errors at S = 8, and the shift estimates of a lattice rule are heavier
tailed than normal.  The bound returned is

    t_{S-1}(0.99975) s / sqrt(S) + 4 m eps,

the two-sided 99.95 % t quantile (6.08 standard errors at S = 8), which keeps at least 99 %
coverage for the heavier tails, plus a rounding allowance of 4 eps per constraint (m
constraints, eps the machine epsilon of the dtype): the integrand is a product of m factors,
each rounded, and the rounding is a bias that no number of shifts reveals.  A coverage test
against independent references (tests/multiclass/test_multiclass_orthant.py) checks it.

Phi(x) = (1 + erf(x / sqrt 2)) / 2 in both precisions, and Phi^-1(p) = sqrt(2) erfinv(2p - 1)
with Giles's (2010) approximations of erfinv: erfinv(x) = x q(w), w = -ln(1 - x^2), q
piecewise polynomial.  In float32 (2 pieces) both functions are accurate to about 1e-7 in
probability, which is what the integral's absolute accuracy depends on; in float64 (3
pieces) Phi^-1 is accurate to about 1e-15 relative.  Both are several times cheaper than
jax.scipy's ndtr and ndtri.

The estimate is differentiable in ``upper`` and ``factor`` (jax.grad): the ordering is
piecewise constant and the rest is smooth, so with a fixed key the gradient is the exact
derivative of the estimate.  Limits beyond 1000 standard deviations, +-inf included, are
clipped there (the probabilities do not change), which keeps the gradients finite.

References: A. Genz, Numerical computation of multivariate normal probabilities, J. Comput.
Graph. Statist. 1 (1992); A. Genz and F. Bretz, Computation of Multivariate Normal and t
Probabilities, Springer (2009); D. Nuyens and R. Cools, Math. Comp. 75 (2006);
F. J. Hickernell, Obtaining O(N^-2+e) convergence for lattice quadrature rules (2002);
M. Giles, Approximating the erfinv function, GPU Computing Gems (2010).
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
from scipy.special import stdtrit

from gmm_theory import _checks

# Giles (2010): erfinv(x) = x q(w), w = -ln(1 - x^2); each piece (the w below which it holds,
# whether it is a polynomial in sqrt(w) rather than in w, its centre, its coefficients from the
# highest degree down).  Single precision:
_GILES_SINGLE = (
    (5.0, False, 2.5, (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                       -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)),
    (math.inf, True, 3.0, (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                           -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)),
)
# Double precision:
_GILES_DOUBLE = (
    (6.25, False, 3.125, (
        -3.6444120640178196996e-21, -1.685059138182016589e-19, 1.2858480715256400167e-18,
        1.115787767802518096e-17, -1.333171662854620906e-16, 2.0972767875968561637e-17,
        6.6376381343583238325e-15, -4.0545662729752068639e-14, -8.1519341976054721522e-14,
        2.6335093153082322977e-12, -1.2975133253453532498e-11, -5.4154120542946279317e-11,
        1.051212273321532285e-09, -4.1126339803469836976e-09, -2.9070369957882005086e-08,
        4.2347877827932403518e-07, -1.3654692000834678645e-06, -1.3882523362786468719e-05,
        0.0001867342080340571352, -0.00074070253416626697512, -0.0060336708714301490533,
        0.24015818242558961693, 1.6536545626831027356)),
    (16.0, True, 3.25, (
        2.2137376921775787049e-09, 9.0756561938885390979e-08, -2.7517406297064545428e-07,
        1.8239629214389227755e-08, 1.5027403968909827627e-06, -4.013867526981545969e-06,
        2.9234449089955446044e-06, 1.2475304481671778723e-05, -4.7318229009055733981e-05,
        6.8284851459573175448e-05, 2.4031110387097893999e-05, -0.0003550375203628474796,
        0.00095328937973738049703, -0.0016882755560235047313, 0.0024914420961078508066,
        -0.0037512085075692412107, 0.005370914553590063617, 1.0052589676941592334,
        3.0838856104922207635)),
    (math.inf, True, 5.0, (
        -2.7109920616438573243e-11, -2.5556418169965252055e-10, 1.5076572693500548083e-09,
        -3.7894654401267369937e-09, 7.6157012080783393804e-09, -1.4960026627149240478e-08,
        2.9147953450901080826e-08, -6.7711997758452339498e-08, 2.2900482228026654717e-07,
        -9.9298272942317002539e-07, 4.5260625972231537039e-06, -1.9681778105531670567e-05,
        7.5995277030017761139e-05, -0.00021503011930044477347, -0.00013871931833623122026,
        1.0103004648645343977, 4.8499064014085844221)),
)
_COVERAGE = 0.99975  # one-sided level of the t quantile: two-sided 99.95 %
_FAR = 1000.0  # limits are clipped to +-_FAR standard deviations


def _is_prime(n: int) -> bool:
    return n >= 2 and all(n % p for p in range(2, math.isqrt(n) + 1))


def _primitive_root(n: int) -> int:
    """The least generator of the multiplicative group modulo the prime ``n``."""
    factors = [q for q in range(2, n) if (n - 1) % q == 0 and _is_prime(q)]
    return next(g for g in range(1, n) if all(pow(g, (n - 1) // q, n) != 1 for q in factors))


def lattice_size(points: int) -> int:
    """The number of lattice points actually used for ``points``: the largest prime <= points."""
    if points < 2:
        raise ValueError(f"points must be at least 2, got {points}")
    return next(n for n in range(points, 1, -1) if _is_prime(n))


def _korobov_kernel(x: np.ndarray) -> np.ndarray:
    """sum_{h != 0} exp(2 pi i h x) / h^2 = 2 pi^2 B_2(x) on [0, 1]."""
    return 2 * np.pi**2 * (x * x - x + 1 / 6)


@functools.lru_cache(maxsize=None)
def _generating_vector(size: int, dimension: int) -> np.ndarray:
    """Fast CBC (Nuyens and Cools, 2006) for a prime ``size``: component j minimises the
    shift-averaged squared worst-case error sum_k prod_{i<=j} (1 + gamma_i omega(z_i k / n)),
    gamma_i = 1 / i^2.  With z = g^i and k = g^-l (g a primitive root) the candidates' errors
    form a circular convolution, evaluated by FFT."""
    powers = np.ones(size - 1, dtype=np.int64)
    root = _primitive_root(size)
    for i in range(1, size - 1):
        powers[i] = powers[i - 1] * root % size
    kernel_transform = np.fft.fft(_korobov_kernel(powers / size))
    inverse_powers = powers[-np.arange(size - 1) % (size - 1)]
    products = np.ones(size)
    vector = np.empty(dimension, dtype=np.int64)
    for j in range(dimension):
        errors = np.fft.ifft(kernel_transform * np.fft.fft(products[inverse_powers])).real
        # z and n - z give the same rule, so half the candidates suffice.
        vector[j] = powers[np.argmin(errors[: max(1, (size - 1) // 2)])]
        products *= 1 + _korobov_kernel(np.arange(size) * vector[j] % size / size) / (j + 1) ** 2
    return vector


def _lattice(points: int, dimension: int) -> np.ndarray:
    """The rank-1 lattice k z / n mod 1, k = 0..n-1, n = lattice_size(points): (n, dimension)."""
    size = lattice_size(points)
    return np.outer(np.arange(size), _generating_vector(size, dimension)) % size / size


def _horner(coefficients, x):
    result = coefficients[0]
    for c in coefficients[1:]:
        result = result * x + c
    return result


def _erfinv_factor(w, pieces):
    """q(w) of erfinv(x) = x q(w), w = -ln(1 - x^2), from Giles's ``pieces``.  The square root
    is taken of w no smaller than the piece's start, which keeps the unselected pieces'
    gradients finite."""
    value, start = None, 0.0
    for end, in_root, centre, coefficients in pieces:
        variable = jnp.sqrt(jnp.maximum(w, start)) if in_root else w
        piece = _horner(coefficients, variable - centre)
        value = piece if value is None else jnp.where(w < start, value, piece)
        start = end
    return value


@functools.partial(jax.custom_jvp, nondiff_argnums=(1, 2, 3))
def _quantile(p, pieces, lowest, highest):
    """Phi^-1(p) = sqrt(2) erfinv(2p - 1), with 1 - (2p - 1)^2 = 4p(1 - p) formed from p so that
    it keeps its relative accuracy near 0 and 1; p is first clipped to [lowest, highest]."""
    p = jnp.clip(p, lowest, highest)
    w = -jnp.log(4 * p * (1 - p))
    return np.sqrt(2).astype(p.dtype) * (2 * p - 1) * _erfinv_factor(w, pieces)


@_quantile.defjvp
def _quantile_jvp(pieces, lowest, highest, primals, tangents):
    """d Phi^-1(p) / dp = 1 / phi(Phi^-1(p)) = sqrt(2 pi) exp(y^2 / 2), zero where p is clipped:
    computed from the value y, it spares reverse mode the polynomials' intermediates."""
    (p,), (tangent,) = primals, tangents
    y = _quantile(p, pieces, lowest, highest)
    slope = np.sqrt(2 * np.pi).astype(y.dtype) * jnp.exp(0.5 * y * y)
    return y, jnp.where((p > lowest) & (p < highest), slope, 0.0) * tangent


def _cdf(x):
    """Phi(x) = (1 + erf(x / sqrt 2)) / 2."""
    return 0.5 + 0.5 * jax.lax.erf(x * np.sqrt(0.5).astype(x.dtype))


def _normal_functions(dtype):
    """(Phi, Phi^-1) for ``dtype``: Giles's single-precision pieces on [2^-25, 1 - 2^-24] (his
    range) in float32, the double-precision ones on [2^-60, 1 - 2^-53] otherwise.  A quantile
    clipped at 2^-60 belongs to a point whose factor e_j, and so whose contribution, is below
    2^-60 n (the baker's transform keeps every w_j >= 1 / n or so), far below any bound."""
    if dtype == jnp.float32:
        return _cdf, lambda p: _quantile(p, _GILES_SINGLE, 2.0**-25, 1 - 2.0**-24)
    return _cdf, lambda p: _quantile(p, _GILES_DOUBLE, 2.0**-60, 1 - 2.0**-53)


def _integrand(w, bounds, factor):
    """prod_j e_j(w) for each row of w (N, r - 1): the constraints factor @ u <= bounds on
    u ~ N(0, I_r), ``factor`` (m, r) lower trapezoidal with a positive diagonal.

    A scan over the variables j < r - 1 keeps every row's limit less its terms in the
    variables sampled so far (m, N); variable j is bounded above by row j alone.  The last
    variable collects rows r - 1 .. m - 1 (one row at full rank, more when the covariance
    has rank r < m), each an upper or a lower limit by the sign of its last entry.
    """
    rank = factor.shape[1]
    cdf, quantile = _normal_functions(bounds.dtype)

    def sample(carry, variable):
        rests, product = carry
        j, w_j = variable
        e = cdf(rests[j] / factor[j, j])
        y = quantile(w_j * e)
        return (rests - factor[:, j, None] * y, product * e), None

    start = (jnp.broadcast_to(bounds[:, None], (bounds.shape[0], w.shape[0])), jnp.ones(w.shape[0], bounds.dtype))
    (rests, product), _ = jax.lax.scan(sample, start, (jnp.arange(rank - 1), w.T))
    slopes, rests = factor[rank - 1:, rank - 1, None], rests[rank - 1:]
    limits = rests / jnp.where(slopes == 0, 1.0, slopes)
    upper = jnp.min(jnp.where(slopes > 0, limits, jnp.inf), axis=0)
    lower = jnp.max(jnp.where(slopes < 0, limits, -jnp.inf), axis=0)
    feasible = jnp.all((slopes != 0) | (rests >= 0), axis=0)
    return product * jnp.where(feasible, jnp.maximum(cdf(upper) - cdf(lower), 0.0), 0.0)


def _ordered_trapezoid(upper, factor):
    """The constraints ``factor @ u <= upper`` (limits clipped to +-_FAR standard deviations)
    reordered by increasing upper_i / |factor_i|, with a lower-trapezoidal factor of the same
    covariance: (bounds (m,), trapezoid (m, r)), r = min(m, d).

    With F the ordered factor and Q R the QR factorisation of its first r rows' transpose
    (Q (d, r) orthonormal), Z = F u = (F Q)(Q^T u) when r = m or r = d, Q^T u ~ N(0, I_r),
    and F Q is lower trapezoidal with first rows R^T: the generalised Cholesky factor
    (Genz and Bretz, Section 4.1.3), differentiable because the QR is of a tall matrix.
    """
    scales = jnp.linalg.norm(factor, axis=-1)
    upper = jnp.clip(upper, -_FAR * scales, _FAR * scales)
    order = jnp.argsort(upper / scales)
    ordered = factor[order]
    q, r = jnp.linalg.qr(ordered[: min(factor.shape)].T)
    signs = jnp.where(jnp.diag(r) < 0, -1.0, 1.0)
    return upper[order], ordered @ q * signs


def _rounding(constraints: int, dtype) -> float:
    """4 m eps: the rounding allowance of an integrand with m factors."""
    return 4 * constraints * float(jnp.finfo(dtype).eps)


def _error_bound(estimates, constraints: int):
    """t_{S-1}(0.99975) s / sqrt(S) + 4 m eps for S independent ``estimates``."""
    shifts = estimates.shape[0]
    quantile = float(stdtrit(shifts - 1, _COVERAGE))
    return quantile * jnp.std(estimates, ddof=1) / np.sqrt(shifts) + _rounding(constraints, estimates.dtype)


def _shifted_lattices(key, points: int, shifts: int, dimension: int, dtype) -> jax.Array:
    """``shifts`` random shifts of the lattice under the baker's transform: (shifts, n, dimension)."""
    lattice = jnp.asarray(_lattice(points, dimension), dtype)
    offsets = jax.random.uniform(key, (shifts, 1, dimension), dtype)
    return jnp.abs(2 * jnp.mod(lattice + offsets, 1.0) - 1)



@functools.partial(jax.jit, static_argnames=("points", "shifts"))
def orthant_probability(upper, factor, key, points: int = 4096, shifts: int = 8):
    """P(Z <= upper) for Z = factor @ u, u ~ N(0, I) (covariance factor @ factor.T, of any
    rank), and an error bound that covers at least 99 % of errors: t_{S-1}(0.99975) standard
    errors over the S = ``shifts`` random shifts plus 4 m eps for rounding (the rounding
    allowance alone when the covariance has rank 1, where the formula is exact).  Entries of
    ``upper`` may be +-inf.  The lattice has :func:`lattice_size` (``points``) points.
    Differentiable in ``upper`` and ``factor``."""
    _checks.check_count("shifts", shifts, 2)
    upper = jnp.asarray(upper)
    factor = jnp.asarray(factor, upper.dtype)
    bounds, trapezoid = _ordered_trapezoid(upper, factor)
    rank = trapezoid.shape[1]
    if rank == 1:
        exact = _integrand(jnp.zeros((1, 0), upper.dtype), bounds, trapezoid)[0]
        return exact, jnp.full((), _rounding(upper.shape[0], upper.dtype), upper.dtype)
    lattices = _shifted_lattices(key, points, shifts, rank - 1, upper.dtype)
    values = _integrand(lattices.reshape(-1, rank - 1), bounds, trapezoid)
    estimates = jnp.mean(values.reshape(shifts, -1), axis=-1)
    return jnp.mean(estimates), _error_bound(estimates, upper.shape[0])
