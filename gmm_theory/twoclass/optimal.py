"""Optimal threshold rules in the two-class model (DRoP paper, Appendix B.1-B.2).

Average-risk minimiser t*(phi).  R'(t) = phi_1 f_1(t) - phi_0 f_0(t), so stationary points
solve the quadratic obtained from the log-densities,

    sigma_1^2 (t - mu_0)^2 - sigma_0^2 (t - mu_1)^2 = 2 sigma_0^2 sigma_1^2 L,
    L = ln(phi_0 sigma_1 / (phi_1 sigma_0)),

whose root ``[sigma_1^2 mu_0 - sigma_0^2 mu_1 + sigma_0 sigma_1 sqrt(D)] / (sigma_1^2 - sigma_0^2)``,
D = Delta^2 + 2 (sigma_1^2 - sigma_0^2) L, Delta = mu_1 - mu_0, is the local minimum for
either ordering of the stds.  Rationalising it gives the form used here, which has no 0/0
at sigma_0 = sigma_1 (where it is the LDA threshold) and no cancellation:

    t* = mu_0 + sigma_0 (Delta^2 + 2 sigma_1^2 L) / (sigma_0 Delta + sigma_1 sqrt(D)).

The local minimum competes with the trivial rules t = -inf (risk phi_0) and t = +inf
(risk phi_1); the global minimiser is the best of the three, and D < 0 leaves only the
trivial rules.

Worst-class optimum.  W(t) = max(R_0, R_1) is smallest where R_0 = R_1:
t_w = (sigma_1 mu_0 + sigma_0 mu_1) / (sigma_0 + sigma_1), with common risk
Phi(-Delta / (sigma_0 + sigma_1)).  At priors phi_k proportional to sigma_k, L = 0 and the
local minimum is exactly t_w (paper B.2).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy.special import ndtr

from gmm_theory import _checks
from gmm_theory.twoclass.mixture import TwoClassMixture
from gmm_theory.twoclass.risk import average_risk, worst_class_risk

_BISECTION_STEPS = 80


@jax.jit
def interior_threshold(mixture: TwoClassMixture) -> tuple[jax.Array, jax.Array]:
    """The local minimum of the average risk, and whether it exists.

    Returns ``(t, exists)``; ``exists`` is False when D < 0 or a prior is 0, and ``t`` is
    then a finite placeholder (so gradients stay finite) that callers must not use.
    """
    mu_0, mu_1 = mixture.means[0], mixture.means[1]
    sigma_0, sigma_1 = mixture.stds[0], mixture.stds[1]
    phi_0, phi_1 = mixture.priors[0], mixture.priors[1]
    both_present = (phi_0 > 0) & (phi_1 > 0)
    log_ratio = jnp.where(
        both_present,
        jnp.log(jnp.where(both_present, phi_0, 1.0)) - jnp.log(jnp.where(both_present, phi_1, 1.0)),
        0.0,
    ) + jnp.log(sigma_1) - jnp.log(sigma_0)
    delta = mu_1 - mu_0
    discriminant = delta**2 + 2.0 * (sigma_1 - sigma_0) * (sigma_1 + sigma_0) * log_ratio
    exists = both_present & (discriminant >= 0)
    safe_discriminant = jnp.where(exists, discriminant, delta**2)
    safe_log_ratio = jnp.where(exists, log_ratio, 0.0)
    numerator = delta**2 + 2.0 * sigma_1**2 * safe_log_ratio
    denominator = sigma_0 * delta + sigma_1 * jnp.sqrt(safe_discriminant)
    return mu_0 + sigma_0 * numerator / denominator, exists


@jax.jit
def risk_minimising_threshold(mixture: TwoClassMixture) -> jax.Array:
    """t*(phi): the threshold (possibly +-inf) minimising the average 0-1 risk.

    Ties between the local minimum and a trivial rule go to the finite threshold.
    """
    t_interior, exists = interior_threshold(mixture)
    interior_risk = jnp.where(exists, average_risk(mixture, t_interior), jnp.inf)
    phi_0, phi_1 = mixture.priors[0], mixture.priors[1]
    trivial = jnp.where(phi_0 <= phi_1, -jnp.inf, jnp.inf)
    use_interior = interior_risk <= jnp.minimum(phi_0, phi_1)
    return jnp.where(use_interior, t_interior, trivial)


@jax.jit
def worst_class_threshold(mixture: TwoClassMixture) -> jax.Array:
    """t_w = (sigma_1 mu_0 + sigma_0 mu_1) / (sigma_0 + sigma_1), where R_0(t_w) = R_1(t_w)."""
    sigma_0, sigma_1 = mixture.stds[0], mixture.stds[1]
    return (sigma_1 * mixture.means[0] + sigma_0 * mixture.means[1]) / (sigma_0 + sigma_1)


@jax.jit
def worst_class_optimal_risk(mixture: TwoClassMixture) -> jax.Array:
    """min_t max_k R_k(t) = Phi(-(mu_1 - mu_0) / (sigma_0 + sigma_1)), attained at t_w."""
    delta = mixture.means[1] - mixture.means[0]
    return ndtr(-delta / (mixture.stds[0] + mixture.stds[1]))


@jax.jit
def std_proportional_priors(mixture: TwoClassMixture) -> jax.Array:
    """phi_k = sigma_k / (sigma_0 + sigma_1): the priors whose local minimum is t_w (paper B.2)."""
    return mixture.stds / jnp.sum(mixture.stds)


@jax.jit
def worst_class_optimal_priors(mixture: TwoClassMixture) -> jax.Array:
    """Training priors whose average-risk minimiser has the smallest worst-class risk.

    When the local minimum is the global one at the std-proportional priors, these are
    those priors and the trained rule is t_w (paper B.2).  Otherwise (a large std ratio
    with a small mean gap, when Phi(-Delta/(sigma_0+sigma_1)) exceeds the prior of the
    low-variance class) training at those priors yields a trivial rule with worst-class
    risk 1, and no prior yields t_w.  Shifting weight to the low-variance class makes the
    local minimum win (the gap between its risk and the trivial risk falls with slope
    R_easy - R_hard - 1 < 0), and the worst-class risk R_hard(t*) of the trained rule
    grows as it does, so the optimum is the prior where the local minimum starts to
    win (by a few ulps of risk); it is found by bisection, with an implicit-function
    gradient.
    """
    proportional = std_proportional_priors(mixture)
    easy_is_0 = mixture.stds[0] <= mixture.stds[1]
    proportional_easy = jnp.where(easy_is_0, proportional[0], proportional[1])

    def priors_from_easy(easy_prior):
        return jnp.where(easy_is_0, jnp.stack([easy_prior, 1 - easy_prior]),
                         jnp.stack([1 - easy_prior, easy_prior]))

    def interior_advantage(easy_prior, mix):
        trained = mix.with_priors(priors_from_easy(easy_prior))
        t_interior, _ = interior_threshold(trained)
        return average_risk(trained, t_interior) - easy_prior

    frozen = jax.lax.stop_gradient(mixture)
    # Stop where the local minimum wins by a few ulps, so that re-evaluating the risks
    # outside this loop cannot flip the trained rule to the trivial one.
    clear_win = -256 * jnp.finfo(proportional.dtype).eps

    def bisect(_, bracket):
        low, high = bracket
        middle = 0.5 * (low + high)
        interior_wins = interior_advantage(middle, frozen) <= clear_win
        return jnp.where(interior_wins, low, middle), jnp.where(interior_wins, middle, high)

    start = jax.lax.stop_gradient(proportional_easy)
    _, crossing = jax.lax.fori_loop(0, _BISECTION_STEPS, bisect, (start, jnp.ones_like(start)))
    # Value stays at the crossing; the gradient is the implicit one, -dh/dtheta / dh/dphi.
    slope = jax.grad(interior_advantage)(crossing, frozen)
    advantage = interior_advantage(crossing, mixture)
    crossing = crossing - (advantage - jax.lax.stop_gradient(advantage)) / slope

    degenerate = interior_advantage(proportional_easy, mixture) > 0
    return jnp.where(degenerate, priors_from_easy(crossing), proportional)


def _check_training_priors(mixture, training_priors) -> None:
    _checks.check_probability_vector("training_priors", _checks.as_float_vector("training_priors", training_priors, 2))


@_checks.jit_with_checks(_check_training_priors)
def trained_worst_class_risk(mixture: TwoClassMixture, training_priors) -> jax.Array:
    """Worst-class risk on ``mixture`` of the average-risk minimiser under ``training_priors``."""
    return worst_class_risk(mixture, risk_minimising_threshold(mixture.with_priors(training_priors)))
