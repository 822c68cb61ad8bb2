"""Time a learning curve of the high-dimensional asymptotics against reference solvers, in one process.

Workload (the issue's speed target): the logistic loss, lam = 0.01, r = 1, stds (0.5, 1.5),
priors (0.3, 0.7), at 50 values of alpha from 0.2 to 20 (log-spaced), every fixed point to a
residual max |update(v) - v| below 1e-8.

- engine: ``jax.vmap`` of :func:`gmm_theory.highdim.asymptotics.solve` over alpha, jitted once; the
  first call (with compilation) and the best of ``--repeats`` later calls are reported;
- loop: the same jitted solver called once per alpha from Python (what one writes first);
- scipy: ``scipy.optimize.root`` (MINPACK's hybrid method) on the same jitted equations
  (with the bias equation itself as the fourth), once per alpha, from the same start; where
  it converges its fixed points check the engine's.

    python benchmarks/asymptotics_bench.py [--alphas 50] [--repeats 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import time

import jax
import jax.numpy as jnp
import numpy as np
from scipy import optimize

from gmm_theory.highdim import asymptotics

PROBLEM = {"lam": 0.01, "r": 1.0, "stds": (0.5, 1.5), "priors": (0.3, 0.7)}


def _timed(function):
    start = time.perf_counter()
    result = jax.block_until_ready(function())
    return result, time.perf_counter() - start


def _scipy_curve(alphas) -> tuple[np.ndarray, np.ndarray]:
    quadrature = asymptotics._legendre(16)
    stds, priors = jnp.asarray(PROBLEM["stds"]), jnp.asarray(PROBLEM["priors"])

    @jax.jit
    def residual(vector, alpha):
        # The (m, q, V) updates minus their arguments, and the bias equation sum_c phi_c E f_c
        # itself in place of the engine's capped Newton step on it.
        state = asymptotics.Overlaps(*vector)
        new = asymptotics._update("logistic", state, alpha, PROBLEM["lam"], PROBLEM["r"], stds, priors, quadrature)
        mean_f = asymptotics._channel("logistic", state, stds, quadrature)[0]
        return jnp.stack([*(jnp.stack(new) - vector)[:3], priors @ mean_f])

    points, residuals = [], []
    for alpha in alphas:
        found = optimize.root(lambda v: np.asarray(residual(jnp.asarray(v), alpha)), [0.5, 1.0, 1.0, 0.0],
                              method="hybr", options={"xtol": 1e-13})
        points.append(found.x)
        residuals.append(np.max(np.abs(np.asarray(residual(jnp.asarray(found.x), alpha)))))
    return np.array(points), np.array(residuals)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alphas", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    jax.config.update("jax_enable_x64", True)
    alphas = jnp.geomspace(0.2, 20.0, args.alphas)

    curve_fn = jax.jit(jax.vmap(lambda a: asymptotics.solve(a, loss="logistic", **PROBLEM)))
    curve, first = _timed(lambda: curve_fn(alphas))
    best = min(_timed(lambda: curve_fn(alphas))[1] for _ in range(args.repeats))

    single = jax.jit(lambda a: asymptotics.solve(a, loss="logistic", **PROBLEM))
    _timed(lambda: single(alphas[0]))  # compile
    _, loop = _timed(lambda: [single(a) for a in alphas])

    start = time.perf_counter()
    points, scipy_residuals = _scipy_curve(np.asarray(alphas))
    scipy_seconds = time.perf_counter() - start
    engine_points = np.stack([curve.m, curve.q, curve.variance, curve.bias], axis=1)
    solved = scipy_residuals < 1e-8

    report = {
        "alphas": args.alphas,
        "engine_seconds_first_call": first,
        "engine_seconds": best,
        "loop_seconds": loop,
        "scipy_root_seconds": scipy_seconds,
        "engine_max_residual": float(np.max(curve.residual)),
        "engine_all_converged": bool(np.all(curve.converged)),
        "scipy_converged": f"{int(np.sum(solved))} of {args.alphas}",
        "max_difference_engine_vs_scipy_where_it_converged": float(np.max(np.abs(engine_points - points)[solved])),
        "speedup_vs_loop": loop / best,
        "speedup_vs_scipy": scipy_seconds / best,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for key, value in report.items():
        print(f"{key:50s} {value:.4g}" if isinstance(value, float) else f"{key:50s} {value}")


if __name__ == "__main__":
    main()
