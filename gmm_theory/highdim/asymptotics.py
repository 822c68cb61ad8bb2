"""Precise high-dimensional asymptotics of regularised ERM on a pruned two-class Gaussian mixture.

Model: y in {-1, +1} with priors (phi_-, phi_+), x | y ~ N(y mu, sigma_y^2 I_d), ||mu||^2 = r;
n = alpha d samples; the rule sign(w.x / sqrt(d) + b) minimises

    sum_i loss(y_i (w.x_i / sqrt(d) + b)) + lam ||w||^2 / 2,   loss in {square, logistic, hinge}.

As d -> infinity at fixed alpha the overlaps m = w.mu / sqrt(d), q = ||w||^2 / d and the bias b
concentrate, and the class-y test error is Phi(-(m + y b) / (sigma_y sqrt(q))).  They solve the
replica-symmetric saddle-point equations (Mignacco et al., ICML 2020, for one shared variance;
Loureiro et al., NeurIPS 2021, for clusters with general covariances, of which isotropic
class variances are the special case written here).  With V = lim Tr (Hessian^-1) / d and,
for each class c with label y_c, the local field omega_c = y_c m + sigma_c sqrt(q) xi,
xi ~ N(0, 1), and the proximal margin

    t*_c = argmin_t (t - u_c)^2 / (2 sigma_c^2 V) + loss(t),   u_c = y_c (omega_c + b),

f_c = y_c (t*_c - u_c) / (sigma_c^2 V) (the score function of the channel), the equations are

    m_hat = alpha sum_c phi_c y_c E f_c,
    q_hat = alpha sum_c phi_c sigma_c^2 E f_c^2,
    v_hat = -alpha sum_c phi_c sigma_c^2 E d f_c / d omega,
    V = 1 / (lam + v_hat),   m = r m_hat V,   q = (r m_hat^2 + q_hat) V^2,
    0 = sum_c phi_c E f_c                       (stationarity in b),

the expectations over xi by Gauss-Hermite quadrature (for the hinge loss, whose t* is
piecewise linear in xi, in closed form).  They are iterated with an adaptive damping and
Anderson acceleration (the b equation by a Newton step per iteration), then solved by
Newton's method from the point of smallest residual that the iteration reached; where that
fails, by continuation in the ridge, from lam + 10 (a contraction) down to lam.  The
residual is measured in the units the errors see (:func:`_residual`).
Random pruning inside classes with class densities d_y (THEORY.md 1.3) trains on
alpha sum_y phi_y d_y samples per dimension with priors phi_y d_y / sum phi d; the test law
keeps the priors phi.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import ndtr
from scipy.special import roots_hermitenorm

from gmm_theory import _checks
from gmm_theory.twoclass.pruned_law import training_priors

LOSSES = ("square", "logistic", "hinge")
LABELS = np.array([-1.0, 1.0])
_BISECTION_STEPS = 40
_NEWTON_STEPS = 8
_MAX_BIAS_STEP = 0.5


def loss_value(loss: str, margin):
    """loss(t) for the margin t = y (w.x / sqrt(d) + b)."""
    if loss == "square":
        return (1 - margin) ** 2 / 2
    if loss == "hinge":
        return jnp.maximum(0.0, 1 - margin)
    return jnp.logaddexp(0.0, -margin)


def proximal_margin(loss: str, margin, variance):
    """t* = argmin_t (t - margin)^2 / (2 variance) + loss(t), and d t* / d margin, for the
    square and logistic losses (the hinge channel is integrated in closed form instead)."""
    if loss == "square":
        return (margin + variance) / (1 + variance), jnp.full_like(margin, 1 / (1 + variance))
    # Logistic: the root of F(t) = t - margin - variance sigmoid(-t), increasing, lies in
    # [margin, margin + variance].  Bisection first (plain Newton can cycle around the
    # inflection of F when the variance is large), then Newton steps kept inside the bracket.
    def step(carry, index):
        t, low, high = carry
        s = jax.nn.sigmoid(-t)
        excess = t - margin - variance * s
        low, high = jnp.where(excess < 0, t, low), jnp.where(excess > 0, t, high)
        candidate = t - excess / (1 + variance * s * (1 - s))
        use_newton = (index >= _BISECTION_STEPS) & (candidate > low) & (candidate < high)
        return (jnp.where(use_newton, candidate, (low + high) / 2), low, high), None

    start = (margin + variance / 2, margin, margin + variance)
    (root, _, _), _ = jax.lax.scan(step, start, jnp.arange(_BISECTION_STEPS + _NEWTON_STEPS))
    # One more Newton step from the (constant) root leaves its value and gives its derivatives
    # by the implicit function theorem, which the bisection steps would not.
    root = jax.lax.stop_gradient(root)
    s = jax.nn.sigmoid(-root)
    proximal = root - (root - margin - variance * s) / (1 + variance * s * (1 - s))
    s = jax.nn.sigmoid(-proximal)
    return proximal, 1 / (1 + variance * s * (1 - s))


class NotConverged(RuntimeError):
    """The saddle-point iteration ended without meeting its tolerance."""


class Overlaps(NamedTuple):
    """The order parameters iterated: m, q, V and the bias b."""

    m: jax.Array
    q: jax.Array
    variance: jax.Array
    bias: jax.Array


class Asymptotics(NamedTuple):
    """The fixed point and what it predicts: class errors (2,) in the order (-, +), the test
    error under the data priors, and the mean training loss per sample (without the penalty)."""

    m: jax.Array
    q: jax.Array
    bias: jax.Array
    variance: jax.Array
    class_errors: jax.Array
    average_error: jax.Array
    train_loss: jax.Array
    converged: jax.Array
    residual: jax.Array
    steps: jax.Array


def pruned_problem(alpha, priors, densities):
    """Samples per dimension alpha sum_k phi_k d_k and training priors
    (:func:`gmm_theory.twoclass.pruned_law.training_priors`) after random pruning with class
    densities d_k."""
    return alpha * jnp.sum(jnp.asarray(priors) * jnp.asarray(densities)), training_priors(priors, densities)


def _hinge_channel(state: Overlaps, stds):
    """The channel of the hinge loss in closed form.

    The margin u_c = m + y_c b + sigma_c sqrt(q) z is Gaussian and, with v = sigma_c^2 V, the
    proximal step t* - u is v below 1 - v, 1 - u on [1 - v, 1] and 0 above 1, so every
    expectation is a truncated Gaussian moment.  (Quadrature would integrate the jumps of
    d t* / d u badly.)
    """
    labels = jnp.asarray(LABELS)
    mean, scale, v = state.m + labels * state.bias, stds * jnp.sqrt(state.q), stds**2 * state.variance
    # The kinks of t* at u = 1 - v and u = 1 in standard units, z = (u - mean) / scale.
    low, high = (1 - v - mean) / scale, (1 - mean) / scale
    below_mass, middle_mass = ndtr(low), ndtr(high) - ndtr(low)
    density_low, density_high = jax.scipy.stats.norm.pdf(low), jax.scipy.stats.norm.pdf(high)
    # E[z 1] and E[z^2 1] over the middle piece, and E[z 1] below it.
    middle_z, below_z = density_low - density_high, -density_low
    middle_z2 = middle_mass + low * density_low - high * density_high
    gap = 1 - mean
    step = v * below_mass + gap * middle_mass - scale * middle_z
    step_squared = v**2 * below_mass + gap**2 * middle_mass - 2 * gap * scale * middle_z + scale**2 * middle_z2
    train_loss = (gap - v) * below_mass - scale * below_z
    return labels * step / v, step_squared / v**2, -middle_mass / v, train_loss


def _channel(loss: str, state: Overlaps, stds, quadrature):
    """Per class: E f, E f^2, E df/domega and E loss(t*), each (2,)."""
    if loss == "hinge":
        return _hinge_channel(state, stds)
    nodes, weights = quadrature
    labels = jnp.asarray(LABELS)
    omega = labels[:, None] * state.m + stds[:, None] * jnp.sqrt(state.q) * nodes
    margin = labels[:, None] * (omega + state.bias)
    variance = stds[:, None] ** 2 * state.variance
    proximal, slope = proximal_margin(loss, margin, variance)
    f = labels[:, None] * (proximal - margin) / variance
    df = (slope - 1) / variance
    return f @ weights, f**2 @ weights, df @ weights, loss_value(loss, proximal) @ weights


def _update(loss, state: Overlaps, alpha, lam, r, stds, priors, quadrature) -> Overlaps:
    mean_f, mean_f2, mean_df, _ = _channel(loss, state, stds, quadrature)
    labels = jnp.asarray(LABELS)
    m_hat = alpha * jnp.sum(priors * labels * mean_f)
    q_hat = alpha * jnp.sum(priors * stds**2 * mean_f2)
    v_hat = -alpha * jnp.sum(priors * stds**2 * mean_df)
    variance = 1 / (lam + v_hat)
    # A Newton step on the bias equation, capped: far from the fixed point its slope can vanish.
    newton = -jnp.sum(priors * mean_f) / jnp.sum(priors * mean_df)
    bias = state.bias + jnp.clip(newton, -_MAX_BIAS_STEP, _MAX_BIAS_STEP)
    return Overlaps(r * m_hat * variance, (r * m_hat**2 + q_hat) * variance**2, variance, bias)


def _check(alpha, lam, r, stds, priors, densities, loss) -> None:
    _checks.check_choice("loss", loss, LOSSES)
    if not _checks.is_concrete(alpha, lam, r, stds, priors, densities):
        return
    for name, value in (("alpha", alpha), ("r", r)):
        if not np.all(np.asarray(value) > 0):
            raise ValueError(f"{name} must be positive, got {value}")
    if not np.all(np.asarray(lam) >= 0):
        raise ValueError(f"lam must be non-negative, got {lam}")
    _checks.check_positive("stds", _checks.as_float_vector("stds", stds, 2))
    _checks.check_probability_vector("priors", _checks.as_float_vector("priors", priors, 2))
    densities = _checks.as_float_vector("densities", densities, 2)
    if not np.all((densities > 0) & (densities <= 1)):
        raise ValueError(f"densities must lie in (0, 1], got {densities.tolist()}")


def _newton(update, state, steps: int, tolerance):
    """Newton's method on update(v) - v = 0 in the coordinates (m, log q, log V, b), which keep
    q and V positive, with backtracking: the step of the largest 1 / 2^j, j = 0..10, that
    lowers the residual (:func:`_residual`).  Stops at ``tolerance``, after ``steps`` steps or
    when no step lowers the residual.  Returns the point and its residual."""
    fractions = 0.5 ** jnp.arange(11.0)
    positive = jnp.asarray([False, True, True, False])

    def point(u):
        return jnp.where(positive, jnp.exp(u), u)

    def equations(u):
        return update(point(u)) - point(u)

    def body(carry):
        u, residual, _, step = carry
        direction = jnp.linalg.solve(jax.jacfwd(equations)(u), -equations(u))
        candidates = u + fractions[:, None] * direction
        norms = jax.vmap(lambda c: _residual(point(c), update(point(c))))(candidates)
        best = jnp.argmin(norms)
        better = norms[best] < residual
        return (jnp.where(better, candidates[best], u), jnp.where(better, norms[best], residual), better, step + 1)

    def running(carry):
        _, residual, improving, step = carry
        return (residual > tolerance) & improving & (step < steps)

    residual = _residual(state, update(state))
    u, residual, _, _ = jax.lax.while_loop(running, body,
                                           (jnp.where(positive, jnp.log(state), state), residual, True, 0))
    return point(u), residual


def _gauss_hermite(nodes: int):
    """Gauss-Hermite nodes and weights for E g(xi), xi ~ N(0, 1), by scipy's rule (stable at
    hundreds of nodes, where numpy's ``hermegauss`` overflows); nodes whose weight underflows
    to 0 are dropped, so that no 0 * inf reaches the sums."""
    points, weights = roots_hermitenorm(nodes)
    keep = weights > 0
    return jnp.asarray(points[keep]), jnp.asarray(weights[keep] / np.sqrt(2 * np.pi))


def _residual(vector, image):
    """The residual of update(v) = v in the units the errors see: |dm| and |db| relative to
    sqrt(q) (errors depend on (m +- b) / sqrt(q)), |dq| relative to q and |dV| to V; infinite
    outside the domain q, V > 0 or where the image is not finite.  (An absolute residual would
    pass the near-degenerate points w -> 0 that the iteration can creep towards.)"""
    m, q, variance, bias = vector
    scale = jnp.stack([jnp.sqrt(q), q, variance, jnp.sqrt(q)])
    valid = (q > 0) & (variance > 0) & jnp.all(jnp.isfinite(image))
    return jnp.where(valid, jnp.max(jnp.abs(image - vector) / scale), jnp.inf)


_ANDERSON_MEMORY = 4


def _fixed_point(update, start, damping, tolerance, max_steps: int, newton_steps: int):
    """A fixed point of ``update`` from ``start``: damped iteration with Anderson acceleration
    (Walker and Ni, SIAM J. Numer. Anal. 2011: the step mixes the last ``_ANDERSON_MEMORY``
    iterates so as to minimise the linearised residual), safeguarded: a step that leaves the
    domain or doubles the residual is retried as a plain damped step, and a plain step that
    does is retried at half the damping; a step taken lengthens the next damping by 1.25, up to
    1.  Then Newton's method from the point of smallest residual.  Returns the point, its
    residual and the iterations."""
    memory = _ANDERSON_MEMORY

    def body(carry):
        x, g, residual, damping, dx, dg, count, best, best_residual, step = carry
        used = (jnp.arange(memory) < count).astype(x.dtype)
        normal = (dg * used).T @ (dg * used)
        weights = jnp.linalg.solve(normal + (1e-10 * jnp.trace(normal) + 1e-300) * jnp.eye(memory), (dg * used).T @ g)
        candidate = x + damping * g - ((dx + damping * dg) * used) @ weights
        candidate_g = update(candidate) - candidate
        candidate_residual = _residual(candidate, candidate_g + candidate)
        accept = candidate_residual < 2 * residual
        better = candidate_residual < best_residual
        pushed_dx = jnp.roll(dx, 1, axis=1).at[:, 0].set(candidate - x)
        pushed_dg = jnp.roll(dg, 1, axis=1).at[:, 0].set(candidate_g - g)
        return (jnp.where(accept, candidate, x), jnp.where(accept, candidate_g, g),
                jnp.where(accept, candidate_residual, residual),
                jnp.where(accept, jnp.minimum(1.0, 1.25 * damping), jnp.where(count > 0, damping, damping / 2)),
                jnp.where(accept, pushed_dx, dx), jnp.where(accept, pushed_dg, dg),
                jnp.where(accept, jnp.minimum(count + 1, memory), 0),
                jnp.where(better, candidate, best), jnp.where(better, candidate_residual, best_residual), step + 1)

    def running(carry):
        residual, damping, step = carry[2], carry[3], carry[9]
        return (residual > tolerance) & (damping > 1e-6) & (step < max_steps)

    g = update(start) - start
    residual = _residual(start, g + start)
    history = jnp.zeros((start.size, memory), start.dtype)
    carry = (start, g, residual, jnp.asarray(damping, start.dtype), history, history, 0, start, residual, 0)
    carry = jax.lax.while_loop(running, body, carry)
    vector, steps = carry[7], carry[9]
    # Newton's method from the best point then converges quadratically where the iteration
    # circles the fixed point (near-separable logistic fits) or creeps towards it.
    vector, residual = _newton(update, vector, newton_steps, tolerance)
    return vector, residual, steps


# Ridge continuation: lam + CONTINUATION_START * 10^(-k), k = 0 ... CONTINUATION_DECADES in
# CONTINUATION_STEPS steps, then lam itself, each solve starting from the previous answer.
CONTINUATION_START, CONTINUATION_DECADES, CONTINUATION_STEPS = 10.0, 6.0, 13


@functools.partial(jax.jit, static_argnames=("loss", "nodes", "max_steps", "newton_steps"))
def _solve(alpha, lam, r, stds, priors, densities, loss, damping, tolerance, max_steps, nodes,
           newton_steps) -> Asymptotics:
    quadrature = _gauss_hermite(nodes)
    stds, priors = jnp.asarray(stds, float), jnp.asarray(priors, float)
    train_alpha, train_priors = pruned_problem(alpha, priors, jnp.asarray(densities, float))

    def solve_at(ridge, start, steps=max_steps):
        def update(vector):
            return jnp.stack(_update(loss, Overlaps(*vector), train_alpha, ridge, r, stds, train_priors, quadrature))
        return _fixed_point(update, start, damping, tolerance, steps, newton_steps)

    start = jnp.asarray([0.5, 1.0, 1.0, 0.0])
    direct = solve_at(lam, start)

    def continued(_):
        # From a strongly regularised problem (a contraction) down to lam along its branch.
        ridges = lam + CONTINUATION_START * 10.0 ** -jnp.linspace(0.0, CONTINUATION_DECADES, CONTINUATION_STEPS)

        def step(vector, ridge):
            found, residual, _ = solve_at(ridge, vector, max(1, max_steps // 10))
            return jnp.where(jnp.isfinite(residual), found, vector), None

        vector, _ = jax.lax.scan(step, start, ridges)
        return solve_at(lam, vector)

    vector, residual, steps = jax.lax.cond(direct[1] <= tolerance, lambda _: direct, continued, None)
    state = Overlaps(*vector)
    errors = ndtr(-(state.m + jnp.asarray(LABELS) * state.bias) / (stds * jnp.sqrt(state.q)))
    losses = _channel(loss, state, stds, quadrature)[3]
    converged = (residual <= tolerance) & jnp.all(jnp.isfinite(vector))
    return Asymptotics(state.m, state.q, state.bias, state.variance, errors, priors @ errors, train_priors @ losses,
                       converged, residual, steps)


def solve(alpha, lam, r, stds, priors, *, loss: str = "logistic", densities=(1.0, 1.0), damping: float = 0.5,
          tolerance: float = 1e-10, max_steps: int = 3000, newton_steps: int = 20, nodes: int = 80) -> Asymptotics:
    """The asymptotic overlaps, bias and class errors of ``loss`` ERM with ridge ``lam`` at
    ``alpha`` samples per dimension; arguments broadcast under ``jax.vmap``.

    Up to ``max_steps`` damped, Anderson-accelerated iterations from ``damping``, then up to
    ``newton_steps`` Newton steps on the undamped equations from the point of smallest
    residual; if that misses ``tolerance``, the same from lam + 10 down to lam in 13 steps of
    continuation.  ``residual`` is max(|dm| / sqrt(q), |dq| / q, |dV| / V, |db| / sqrt(q)) for
    update(v) - v at the answer.  Called on concrete numbers, a fixed point that misses
    ``tolerance`` raises :class:`NotConverged`; under ``jax.vmap`` or ``jax.jit`` ``converged`` is
    False there instead (and those numbers are not to be trusted).  No fixed point exists, for
    example, for the logistic loss without ridge on separable data (small ``alpha``), where
    ||w|| grows without bound; the hinge loss's minimiser can be w = 0 (a constant rule), where
    the iteration creeps towards q = 0 and is reported as not converged.
    """
    _check(alpha, lam, r, stds, priors, densities, loss)
    if not 0 < damping <= 1:
        raise ValueError(f"damping must lie in (0, 1], got {damping}")
    for name, value, least in (("max_steps", max_steps, 1), ("newton_steps", newton_steps, 0), ("nodes", nodes, 2)):
        _checks.check_count(name, value, least)
    result = _solve(alpha, lam, r, stds, priors, densities, loss, damping, tolerance, max_steps, nodes, newton_steps)
    if _checks.is_concrete(result.converged) and not bool(result.converged):
        raise NotConverged(f"the saddle-point equations did not converge: residual {float(result.residual):.3g} > "
                           f"tolerance {tolerance:g} (try a smaller damping, more max_steps or newton_steps, or "
                           f"lam > 0 if the training data may be separable)")
    return result
