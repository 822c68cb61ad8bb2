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

the expectations over xi by Gauss-Legendre panels cut where the proximal map bends
(:func:`_margin_rule`; for the hinge loss, whose t* is piecewise linear in xi, in closed
form), with the error of that rule estimated by doubling it.  They are iterated with an adaptive damping and
Anderson acceleration (the b equation by a Newton step per iteration), then solved by
Newton's method from the point of smallest residual that the iteration reached (Newton's
method on the uncapped equations, tried first from the start); where that fails, by
continuation in the ridge, from lam + 10 (a contraction) down to lam.  The
residual is measured in the units the errors see (:func:`_distance` from v to update(v)).
Random pruning inside classes with class densities d_y (DRoP paper, Section 4) trains on
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
from scipy.special import roots_legendre

from gmm_theory import _checks
from gmm_theory._errors import NotConverged
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
    discretisation: jax.Array
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


# The margin rule integrates over |xi| <= _EDGE (the Gaussian mass beyond is below 1e-18), in
# panels that isolate the two places, each _FEATURE_HALF_WIDTH wide in margin units, where the
# proximal map bends.
_EDGE, _FEATURE_HALF_WIDTH = 9.0, 6.0
# Fixed cuts keep every panel within 3 standard units, where the Gaussian density itself varies.
_FIXED_CUTS = (-6.0, -3.0, 0.0, 3.0, 6.0)


def _margin_rule(mean, scale, variance, legendre):
    """Nodes and weights (2, 10 n) for E g(u), u = mean + scale xi, xi ~ N(0, 1), per class.

    The logistic proximal map t*(u) bends at scale 1 near u = log(1 + v) (where t* leaves u)
    and near u = -v - log(1 + v) (where it reaches u + v), v the proximal variance, and is
    smooth on scale v between; in xi those bends are 1 / scale wide, which a Gauss-Hermite
    rule resolves only with O(scale^2) nodes.  Here [-_EDGE, _EDGE] is cut at the bends, +-
    _FEATURE_HALF_WIDTH, and at _FIXED_CUTS into 10 panels, each integrated by the n-point
    Gauss-Legendre rule ``legendre`` with the Gaussian density in the weights (the square
    loss, with no bends, takes the same panels).
    """
    bend = jnp.log1p(variance)
    bends = (jnp.stack([-variance - bend, bend], axis=-1) - mean[:, None]) / scale[:, None]
    width = _FEATURE_HALF_WIDTH / scale[:, None]
    fixed = jnp.broadcast_to(jnp.asarray(_FIXED_CUTS), (2, len(_FIXED_CUTS)))
    cuts = jnp.sort(jnp.concatenate([jnp.clip(jnp.concatenate([bends - width, bends + width], axis=-1), -_EDGE, _EDGE),
                                     fixed], axis=-1), axis=-1)
    edges = jnp.concatenate([jnp.full((2, 1), -_EDGE), cuts, jnp.full((2, 1), _EDGE)], axis=-1)
    half, middle = (edges[:, 1:] - edges[:, :-1]) / 2, (edges[:, 1:] + edges[:, :-1]) / 2
    points, weights = legendre
    nodes = middle[..., None] + half[..., None] * points
    return nodes.reshape(2, -1), (half[..., None] * weights * jax.scipy.stats.norm.pdf(nodes)).reshape(2, -1)


def _channel(loss: str, state: Overlaps, stds, legendre):
    """Per class: E f, E f^2, E df/domega and E loss(t*), each (2,), over the margin
    u = m + y b + y sigma sqrt(q) xi (xi's sign is immaterial), by :func:`_margin_rule`."""
    if loss == "hinge":
        return _hinge_channel(state, stds)
    labels = jnp.asarray(LABELS)
    mean, scale = state.m + labels * state.bias, stds * jnp.sqrt(state.q)
    variance = stds**2 * state.variance
    nodes, weights = _margin_rule(mean, scale, variance, legendre)
    margin = mean[:, None] + scale[:, None] * nodes
    proximal, slope = proximal_margin(loss, margin, variance[:, None])
    f = labels[:, None] * (proximal - margin) / variance[:, None]
    df = (slope - 1) / variance[:, None]
    return tuple(jnp.sum(values * weights, axis=-1) for values in (f, f**2, df, loss_value(loss, proximal)))


def _update(loss, state: Overlaps, alpha, lam, r, stds, priors, quadrature, bias_step_cap=_MAX_BIAS_STEP) -> Overlaps:
    mean_f, mean_f2, mean_df, _ = _channel(loss, state, stds, quadrature)
    labels = jnp.asarray(LABELS)
    m_hat = alpha * jnp.sum(priors * labels * mean_f)
    q_hat = alpha * jnp.sum(priors * stds**2 * mean_f2)
    v_hat = -alpha * jnp.sum(priors * stds**2 * mean_df)
    variance = 1 / (lam + v_hat)
    # A Newton step on the bias equation, capped for the iteration (far from the fixed point its
    # slope can vanish) and not for Newton's method on the whole system, to which a capped step
    # would be a flat, uninformative equation.
    newton = -jnp.sum(priors * mean_f) / jnp.sum(priors * mean_df)
    bias = state.bias + jnp.clip(newton, -bias_step_cap, bias_step_cap)
    return Overlaps(r * m_hat * variance, (r * m_hat**2 + q_hat) * variance**2, variance, bias)


def _problem_lanes(alpha, lam, r, stds, priors, densities):
    """The problem as lanes: alpha, lam, r (B,) and stds, priors, densities (B, 2), broadcast
    together (pairs along their last axis), validated; and the batch shape."""
    scalars = {name: np.asarray(value, dtype=np.float64) for name, value in (("alpha", alpha), ("lam", lam), ("r", r))}
    pairs = {name: np.asarray(value, dtype=np.float64)
             for name, value in (("stds", stds), ("priors", priors), ("densities", densities))}
    for name, array in [*scalars.items(), *pairs.items()]:
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{name} must be finite, got {array.tolist()}")
    for name, array in pairs.items():
        if array.ndim == 0 or array.shape[-1] != 2:
            raise ValueError(f"{name} must have 2 entries (one per class) along its last axis, got shape {array.shape}")
    for name in ("alpha", "r"):
        if not np.all(scalars[name] > 0):
            raise ValueError(f"{name} must be positive, got {scalars[name].tolist()}")
    if not np.all(scalars["lam"] >= 0):
        raise ValueError(f"lam must be non-negative, got {scalars['lam'].tolist()}")
    if not np.all(pairs["stds"] > 0):
        raise ValueError(f"stds must be positive, got {pairs['stds'].tolist()}")
    if not (np.all(pairs["priors"] >= 0) and np.allclose(pairs["priors"].sum(axis=-1), 1.0, rtol=0, atol=1e-9)):
        raise ValueError(f"priors must be non-negative and sum to 1, got {pairs['priors'].tolist()}")
    if not np.all((pairs["densities"] > 0) & (pairs["densities"] <= 1)):
        raise ValueError(f"densities must lie in (0, 1], got {pairs['densities'].tolist()}")
    shapes = [a.shape for a in scalars.values()] + [a.shape[:-1] for a in pairs.values()]
    try:
        shape = np.broadcast_shapes(*shapes)
    except ValueError:
        raise ValueError(f"alpha, lam, r and the pairs stds, priors, densities must broadcast to one shape, got "
                         f"shapes {shapes}") from None
    lanes = [np.broadcast_to(a, shape).reshape(-1) for a in scalars.values()]
    lanes += [np.broadcast_to(a, shape + (2,)).reshape(-1, 2) for a in pairs.values()]
    return lanes, shape


def _newton(update, state, steps, tolerance):
    """Newton's method on update(v) - v = 0 in the coordinates (m, log q, log V, b), which keep
    q and V positive, with backtracking: the step of the largest 1 / 2^j, j = 0..10, that
    lowers the residual (:func:`_distance` from v to update(v)).  Stops at ``tolerance``, after ``steps`` steps or
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
        norms = jax.vmap(lambda c: _distance(point(c), update(point(c))))(candidates)
        best = jnp.argmin(norms)
        better = norms[best] < residual
        return (jnp.where(better, candidates[best], u), jnp.where(better, norms[best], residual), better, step + 1)

    def running(carry):
        _, residual, improving, step = carry
        return (residual > tolerance) & improving & (step < steps)

    residual = _distance(state, update(state))
    u, residual, _, _ = jax.lax.while_loop(running, body,
                                           (jnp.where(positive, jnp.log(state), state), residual, True, 0))
    return point(u), residual


def _legendre(nodes: int):
    """The Gauss-Legendre rule of ``nodes`` points on [-1, 1] (scipy's), as JAX arrays."""
    points, weights = roots_legendre(nodes)
    return jnp.asarray(points), jnp.asarray(weights)


def _distance(vector, other):
    """max(|dm| / sqrt(q), |dq| / q, |dV| / V, |db| / sqrt(q)) between two points (m, q, V, b),
    in the units the errors see (they depend on (m +- b) / sqrt(q)), scaled at ``vector``;
    infinite outside the domain q, V > 0 or where ``other`` is not finite.  From v to
    update(v) it is the residual of the equations.  (An absolute residual would pass the
    near-degenerate points w -> 0 that the iteration can creep towards.)"""
    m, q, variance, bias = vector
    scale = jnp.stack([jnp.sqrt(q), q, variance, jnp.sqrt(q)])
    valid = (q > 0) & (variance > 0) & jnp.all(jnp.isfinite(other))
    return jnp.where(valid, jnp.max(jnp.abs(other - vector) / scale), jnp.inf)


_ANDERSON_MEMORY = 4


def _fixed_point(update, equations, start, damping, tolerance, max_steps, newton_steps):
    """A fixed point of ``update`` from ``start``, solving v = ``equations``(v) (the same fixed
    points, smooth where ``update`` caps a step): damped iteration with Anderson acceleration
    (Walker and Ni, SIAM J. Numer. Anal. 2011: the step mixes the last ``_ANDERSON_MEMORY``
    iterates so as to minimise the linearised residual), safeguarded: a step that leaves the
    domain or doubles the residual is retried as a plain damped step, and a plain step that
    does is retried at half the damping; a step taken lengthens the next damping by 1.25, up to
    1.  Then Newton's method from the point of smallest residual.  Newton's method is tried
    from ``start`` first, and where it meets ``tolerance`` the iteration is skipped: along a
    continuation the previous answer is that close.  Returns the point, its residual and the
    iterations."""
    memory = _ANDERSON_MEMORY

    def body(carry):
        x, g, residual, damping, dx, dg, count, best, best_residual, step = carry
        used = (jnp.arange(memory) < count).astype(x.dtype)
        normal = (dg * used).T @ (dg * used)
        weights = jnp.linalg.solve(normal + (1e-10 * jnp.trace(normal) + 1e-300) * jnp.eye(memory), (dg * used).T @ g)
        candidate = x + damping * g - ((dx + damping * dg) * used) @ weights
        candidate_g = update(candidate) - candidate
        candidate_residual = _distance(candidate, candidate_g + candidate)
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

    near, near_residual = _newton(equations, start, newton_steps, tolerance)
    solved_near = near_residual <= tolerance
    g = update(start) - start
    residual = _distance(start, g + start)
    history = jnp.zeros((start.size, memory), start.dtype)
    carry = (start, g, jnp.where(solved_near, 0.0, residual), jnp.asarray(damping, start.dtype), history, history, 0,
             start, residual, 0)
    carry = jax.lax.while_loop(running, body, carry)
    vector, steps = jnp.where(solved_near, near, carry[7]), carry[9]
    # Newton's method from the best point then converges quadratically where the iteration
    # circles the fixed point (near-separable logistic fits) or creeps towards it.
    vector, residual = _newton(equations, vector, newton_steps, tolerance)
    return vector, residual, steps


# Ridge continuation: lam + CONTINUATION_START * 10^(-k), k = 0 ... CONTINUATION_DECADES in
# CONTINUATION_STEPS rungs of max_steps // 10 iterations, then lam itself, each solve starting
# from the previous answer.
CONTINUATION_START, CONTINUATION_DECADES, CONTINUATION_STEPS = 10.0, 6.0, 13
# The largest rule (nodes per panel) that :func:`solve` doubles ``nodes`` to on concrete numbers
# (it then checks it against twice as many).
MAX_ADAPTIVE_NODES = 256


@functools.partial(jax.jit, static_argnames=("loss", "nodes"))
def _solve(alpha, lam, r, stds, priors, densities, loss, damping, tolerance, quadrature_tolerance, max_steps, nodes,
           newton_steps) -> Asymptotics:
    quadrature = _legendre(nodes)
    stds, priors = jnp.asarray(stds, float), jnp.asarray(priors, float)
    train_alpha, train_priors = pruned_problem(alpha, priors, jnp.asarray(densities, float))

    def update_at(ridge, rule, vector, bias_step_cap=_MAX_BIAS_STEP):
        return jnp.stack(_update(loss, Overlaps(*vector), train_alpha, ridge, r, stds, train_priors, rule,
                                 bias_step_cap))

    def equations_at(ridge, rule, vector):
        return update_at(ridge, rule, vector, jnp.inf)

    # One solve per rung, in one loop (so that the solver is compiled once): lam itself; if that
    # fails, the continuation from a strongly regularised problem (a contraction) down to lam.
    ridges = jnp.concatenate([jnp.stack([lam]), lam + CONTINUATION_START * 10.0 ** -jnp.linspace(
        0.0, CONTINUATION_DECADES, CONTINUATION_STEPS), jnp.stack([lam])])
    start = jnp.asarray([0.5, 1.0, 1.0, 0.0])

    def rung(carry):
        index, vector, _, steps = carry
        origin = jnp.where(index == 1, start, vector)
        budget = jnp.where((index == 0) | (index == ridges.size - 1), max_steps, jnp.maximum(1, max_steps // 10))
        found, residual, used = _fixed_point(functools.partial(update_at, ridges[index], quadrature),
                                             functools.partial(equations_at, ridges[index], quadrature), origin,
                                             damping, tolerance, budget, newton_steps)
        return index + 1, jnp.where(jnp.isfinite(residual), found, origin), residual, steps + used

    def climbing(carry):
        index, _, residual, _ = carry
        return (index == 0) | ((index < ridges.size) & ~((index == 1) & (residual <= tolerance)))

    _, vector, residual, steps = jax.lax.while_loop(climbing, rung, (0, start, jnp.asarray(jnp.inf), 0))
    discretisation = jnp.zeros_like(residual)
    if loss != "hinge":
        # The same equations under the rule of twice the nodes, solved by Newton's method from
        # the answer; the change between the two answers estimates the quadrature's error (and
        # where Newton's method has nothing to do, the residual of the answer under that rule).
        refined_quadrature = _legendre(2 * nodes)
        refined_update = functools.partial(equations_at, lam, refined_quadrature)
        refined, residual = _newton(refined_update, vector, newton_steps, tolerance)
        discretisation = jnp.maximum(_distance(vector, refined), _distance(vector, refined_update(vector)))
        vector, quadrature = refined, refined_quadrature
    state = Overlaps(*vector)
    errors = ndtr(-(state.m + jnp.asarray(LABELS) * state.bias) / (stds * jnp.sqrt(state.q)))
    losses = _channel(loss, state, stds, quadrature)[3]
    converged = (residual <= tolerance) & (discretisation <= quadrature_tolerance) & jnp.all(jnp.isfinite(vector))
    return Asymptotics(state.m, state.q, state.bias, state.variance, errors, priors @ errors, train_priors @ losses,
                       converged, residual, discretisation, steps)


@functools.partial(jax.jit, static_argnames=("loss", "nodes"))
def _solve_lanes(alpha, lam, r, stds, priors, densities, loss, damping, tolerance, quadrature_tolerance, max_steps,
                 nodes, newton_steps) -> Asymptotics:
    return jax.vmap(lambda *problem: _solve(*problem, loss, damping, tolerance, quadrature_tolerance, max_steps, nodes,
                                            newton_steps))(alpha, lam, r, stds, priors, densities)


def _solve_adaptively(lanes, options, nodes: int) -> Asymptotics:
    """Every lane at ``nodes``, then the lanes whose equations are solved but whose quadrature
    misses its tolerance again at twice the nodes, up to :data:`MAX_ADAPTIVE_NODES`."""
    result = _solve_lanes(*lanes, nodes=nodes, **options)
    result = Asymptotics(*(np.array(field) for field in result))
    while nodes < MAX_ADAPTIVE_NODES:
        coarse = np.flatnonzero((result.residual <= options["tolerance"])
                                & ~(result.discretisation <= options["quadrature_tolerance"]))
        if coarse.size == 0:
            break
        nodes *= 2
        refined = _solve_lanes(*(lane[coarse] for lane in lanes), nodes=nodes, **options)
        for field, values in zip(result, refined):
            field[coarse] = values
    return result


def solve(alpha, lam, r, stds, priors, *, loss: str = "logistic", densities=(1.0, 1.0), damping: float = 0.5,
          tolerance: float = 1e-10, quadrature_tolerance: float = 1e-7, max_steps: int = 3000,
          newton_steps: int = 20, nodes: int = 12) -> Asymptotics:
    """The asymptotic overlaps, bias and class errors of ``loss`` ERM with ridge ``lam`` at
    ``alpha`` samples per dimension.

    Up to ``max_steps`` damped, Anderson-accelerated iterations from ``damping``, then up to
    ``newton_steps`` Newton steps on the undamped equations from the point of smallest
    residual; if that misses ``tolerance``, the same from lam + 10 down to lam in 13 steps of
    continuation.  The expectations are taken by ``nodes`` Gauss-Legendre nodes in each of 10
    panels (:func:`_margin_rule`).  The answer is then refined by Newton's method under the
    rule of 2 ``nodes`` per panel, and ``discretisation`` is the change this makes (in the units of the
    residual): an estimate of the quadrature error of the unrefined answer, so a generous one
    of the returned answer's.  ``residual`` is max(|dm| / sqrt(q), |dq| / q, |dV| / V,
    |db| / sqrt(q)) for update(v) - v at the answer.  ``converged`` means both ``residual`` <=
    ``tolerance`` and ``discretisation`` <= ``quadrature_tolerance`` (the hinge channel is
    integrated exactly: its ``discretisation`` is 0).

    On concrete numbers the arguments broadcast (``stds``, ``priors`` and ``densities`` along
    a last axis of 2; a learning curve is an array of ``alpha``) and are solved in one
    vectorised call; the rule is doubled, for the points that need it, until the quadrature
    meets its tolerance (up to 2 x :data:`MAX_ADAPTIVE_NODES` nodes per panel), and a point that misses
    either tolerance raises :class:`NotConverged`.  Under ``jax.vmap`` or ``jax.jit`` ``nodes``
    is fixed and ``converged`` is False there instead (and those numbers are not to be
    trusted).  No fixed point
    exists, for example, for the logistic loss without ridge on separable data (small
    ``alpha``), where ||w|| grows without bound; the hinge loss's minimiser can be w = 0 (a
    constant rule), where the iteration creeps towards q = 0 and is reported as not converged.
    """
    _checks.check_choice("loss", loss, LOSSES)
    if not 0 < damping <= 1:
        raise ValueError(f"damping must lie in (0, 1], got {damping}")
    for name, value, least in (("max_steps", max_steps, 1), ("newton_steps", newton_steps, 1), ("nodes", nodes, 2)):
        _checks.check_count(name, value, least)
    for name, value in (("tolerance", tolerance), ("quadrature_tolerance", quadrature_tolerance)):
        if not value > 0:
            raise ValueError(f"{name} must be positive, got {value}")
    options = {"loss": loss, "damping": damping, "tolerance": tolerance, "quadrature_tolerance": quadrature_tolerance,
               "max_steps": max_steps, "newton_steps": newton_steps}
    if not _checks.is_concrete(alpha, lam, r, stds, priors, densities):
        return _solve(alpha, lam, r, stds, priors, densities, nodes=nodes, **options)
    lanes, shape = _problem_lanes(alpha, lam, r, stds, priors, densities)
    result = _solve_adaptively(lanes, options, nodes)
    failed = np.flatnonzero(~result.converged)
    if failed.size:
        where = "" if not shape else f" at {failed.size} of {result.converged.size} points (indices {failed[:10].tolist()})"
        first = failed[0]
        if result.residual[first] > tolerance:
            q, bias = result.q[first], result.bias[first]
            hint = (f"q = {q:.3g} and b = {bias:.6g}: the iteration approaches w = 0, the constant rule sign(b), "
                    f"and the equations have no solution with q > 0" if q < 1e-4 and abs(abs(bias) - 1) < 1e-2 else
                    "try a smaller damping, more max_steps or newton_steps, or lam > 0 if the training data may "
                    "be separable")
            raise NotConverged(f"the saddle-point equations did not converge{where}: residual "
                               f"{result.residual[first]:.3g} > tolerance {tolerance:g} ({hint})")
        raise NotConverged(f"the quadrature did not converge{where}: discretisation {result.discretisation[first]:.3g} "
                           f"> quadrature_tolerance {quadrature_tolerance:g} at {2 * MAX_ADAPTIVE_NODES} nodes")
    batch = tuple(shape)
    return Asymptotics(*(jnp.asarray(field.reshape(batch + field.shape[1:])) for field in result))
