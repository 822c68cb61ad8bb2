"""Time the class risks of the LDA rule over many training priors against reference paths.

Workload (the issue's speed target): a random K = 10, d = 32 mixture with one shared
covariance (fixed seed; class risks 0.09-0.17 at uniform priors) and P = 4096 training prior
vectors drawn from the uniform (Dirichlet(1)) distribution on the simplex: P K = 40960
orthant probabilities in 9 dimensions, each wanted to absolute accuracy 1e-4.

- engine: ``lda_risks_over_priors`` (float32 Genz integration on CBC lattices, refinement of the
  largest bounds); best of ``--repeats`` runs after a first, compiling call (its excess over the
  best run is reported as the compilation time), with wall and CPU time: XLA splits the
  integrand over both cores of an idle 2-core machine, so CPU time near twice the wall time
  means both were free, and near the wall time that other work held one of them;
- per-prior ``class_risks``: the float64 path one prior vector at a time (``lax.map``), on the
  ``--per-prior-points`` lattice points, timed on ``--subset`` prior vectors and extrapolated;
- scipy: ``scipy.stats.multivariate_normal.cdf`` (Genz's QMC, absolute tolerance 1e-5) once per
  class and prior vector, timed on a few prior vectors and extrapolated; its values also check
  the engine's on those priors.

Accuracy: plain Monte Carlo of the LDA rule (weights solved by numpy, samples drawn from the
mixture, predictions by argmax of the scores) with ``--mc-samples`` draws per prior vector on
``--mc-priors`` of them; the claim checked is |engine - MC| <= 1e-4 + 3 MC standard errors.

    python benchmarks/multiclass_bench.py [--priors 4096] [--repeats 3] [--quick] [--json]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import time

import jax
import jax.numpy as jnp
import numpy as np
from scipy import stats

from gmm_theory.multiclass.classifiers import lda_classifier
from gmm_theory.multiclass.mixture import KClassMixture
from gmm_theory.multiclass.prior_sweep import lda_risks_over_priors
from gmm_theory.multiclass.risk import class_risks

CLASSES, DIMENSION = 10, 32
TOLERANCE = 1e-4


def benchmark_mixture(seed: int = 0) -> KClassMixture:
    """K = 10 means 0.45 N(0, I_32) apart, shared covariance a a^T / d + I / 2 with a ~ N(0, 1)."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(DIMENSION, DIMENSION)) / np.sqrt(DIMENSION)
    covariance = a @ a.T + 0.5 * np.eye(DIMENSION)
    means = 0.45 * rng.normal(size=(CLASSES, DIMENSION))
    return KClassMixture(means, np.broadcast_to(covariance, (CLASSES, DIMENSION, DIMENSION)),
                         np.full(CLASSES, 1 / CLASSES))


def numpy_lda_rule(mixture: KClassMixture, priors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    means, covariances = np.asarray(mixture.means), np.asarray(mixture.covariances)
    weights = np.linalg.solve(np.einsum("k,kij->ij", priors, covariances), means.T).T
    return weights, -0.5 * np.sum(weights * means, axis=1) + np.log(priors)


def _timed(function):
    """(result, wall seconds, CPU seconds) of one call, waiting for JAX's results."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = jax.block_until_ready(function())
    return result, time.perf_counter() - wall, time.process_time() - cpu


@functools.partial(jax.jit, static_argnames=("samples", "chunk"))
def _monte_carlo_errors(key, means, cholesky, weights, biases, samples: int, chunk: int):
    """Misclassified draws among ``samples`` from each class under argmax(weights x + biases)."""
    num_classes, dimension = means.shape

    def class_errors(k, class_key):
        def chunk_errors(chunk_key):
            x = means[k] + jax.random.normal(chunk_key, (chunk, dimension), means.dtype) @ cholesky[k].T
            return jnp.sum(jnp.argmax(x @ weights.T + biases, axis=1) != k)

        return jnp.sum(jax.lax.map(chunk_errors, jax.random.split(class_key, samples // chunk)))

    return jax.vmap(class_errors)(jnp.arange(num_classes), jax.random.split(key, num_classes))


def monte_carlo_risks(mixture, priors, key, samples_per_prior: int) -> tuple[np.ndarray, np.ndarray]:
    """Class risks (rows of ``priors``, K) by plain Monte Carlo, and their standard errors."""
    per_class = samples_per_prior // CLASSES
    chunk = min(per_class, 100_000)
    per_class -= per_class % chunk
    risks = []
    for row, prior in zip(jax.random.split(key, len(priors)), priors):
        weights, biases = numpy_lda_rule(mixture, prior)
        errors = _monte_carlo_errors(row, mixture.means.astype(jnp.float32), mixture.cholesky.astype(jnp.float32),
                                     jnp.asarray(weights, jnp.float32), jnp.asarray(biases, jnp.float32),
                                     per_class, chunk)
        risks.append(np.asarray(errors) / per_class)
    risks = np.array(risks)
    return risks, np.sqrt(np.maximum(risks * (1 - risks), 1 / per_class) / per_class)


def scipy_class_risks(mixture, prior) -> np.ndarray:
    """Class risks of the LDA rule at ``prior`` by scipy's multivariate normal CDF."""
    weights, biases = numpy_lda_rule(mixture, prior)
    means, covariances = np.asarray(mixture.means), np.asarray(mixture.covariances)
    risks = []
    for k in range(CLASSES):
        rivals = [j for j in range(CLASSES) if j != k]
        directions = weights[k] - weights[rivals]
        upper = directions @ means[k] + biases[k] - biases[rivals]
        covariance = directions @ covariances[k] @ directions.T
        law = stats.multivariate_normal(np.zeros(CLASSES - 1), covariance, seed=k, abseps=1e-5, releps=0)
        risks.append(1 - law.cdf(upper))
    return np.array(risks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--priors", type=int, default=4096, help="training prior vectors in the sweep")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs after the compiling one")
    parser.add_argument("--subset", type=int, default=64, help="prior vectors timed on the per-prior path")
    parser.add_argument("--per-prior-points", type=int, default=2048, help="lattice points of the per-prior path")
    parser.add_argument("--scipy-priors", type=int, default=2, help="prior vectors timed with scipy")
    parser.add_argument("--mc-priors", type=int, default=6, help="prior vectors checked by Monte Carlo")
    parser.add_argument("--mc-samples", type=int, default=10_000_000, help="Monte Carlo draws per prior vector")
    parser.add_argument("--quick", action="store_true", help="a small run: 256 priors, fewer checks")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    if args.quick:
        args.priors, args.repeats, args.subset, args.scipy_priors = 256, 1, 16, 1
        args.mc_priors, args.mc_samples = 2, 1_000_000

    jax.config.update("jax_enable_x64", True)
    mixture = benchmark_mixture()
    priors = np.random.default_rng(1).dirichlet(np.ones(CLASSES), size=args.priors)
    key = jax.random.key(0)

    engine = lambda: lda_risks_over_priors(mixture, priors, key)
    (risks, bounds), first_wall, _ = _timed(engine)
    runs = [_timed(engine)[1:] for _ in range(args.repeats)]
    engine_wall, engine_cpu = min(runs)
    risks, bounds = np.asarray(risks, np.float64), np.asarray(bounds, np.float64)

    subset = jnp.asarray(priors[: args.subset])
    per_prior = jax.jit(lambda chosen: jax.lax.map(
        lambda prior: class_risks(mixture, lda_classifier(mixture.with_priors(prior)), key, args.per_prior_points, 8),
        chosen))
    jax.block_until_ready(per_prior(subset))
    (_, per_prior_bounds), per_prior_wall, per_prior_cpu = _timed(lambda: per_prior(subset))
    per_prior_scale = args.priors / args.subset

    scipy_rows = range(args.scipy_priors)
    start = time.perf_counter()
    scipy_risks = np.array([scipy_class_risks(mixture, priors[p]) for p in scipy_rows])
    scipy_seconds = (time.perf_counter() - start) * args.priors / args.scipy_priors
    scipy_gap = np.max(np.abs(scipy_risks - risks[list(scipy_rows)]))

    checked = np.linspace(0, args.priors - 1, args.mc_priors).astype(int)
    mc_risks, mc_errors = monte_carlo_risks(mixture, priors[checked], jax.random.key(1), args.mc_samples)
    mc_gap = np.abs(risks[checked] - mc_risks)
    claim = bool(np.all(mc_gap <= TOLERANCE + 3 * mc_errors))

    results = {
        "workload": {"classes": CLASSES, "dimension": DIMENSION, "priors": args.priors,
                     "integrals": args.priors * CLASSES, "devices": f"{jax.device_count()} {jax.devices()[0].platform}",
                     "cpus": os.cpu_count(), "load_average_1min": os.getloadavg()[0]},
        "engine": {"seconds": engine_wall, "cpu_seconds": engine_cpu, "first_call_seconds": first_wall,
                   "compile_seconds": first_wall - engine_wall,
                   "max_bound": bounds.max(), "bound_quantiles_50_99_999": np.quantile(bounds, [.5, .99, .999]).tolist(),
                   "risk_range": [risks.min(), risks.max()]},
        "per_prior_class_risks": {"seconds": per_prior_wall * per_prior_scale, "cpu_seconds": per_prior_cpu * per_prior_scale,
                                  "timed_priors": args.subset, "max_bound": float(np.max(per_prior_bounds))},
        "scipy": {"seconds": scipy_seconds, "timed_priors": args.scipy_priors, "max_abs_difference": scipy_gap},
        "monte_carlo": {"priors": len(checked), "samples_per_prior": args.mc_samples,
                        "max_abs_difference": mc_gap.max(), "max_standard_error": mc_errors.max(),
                        "claim": f"|engine - MC| <= {TOLERANCE} + 3 SE", "claim_holds": claim},
    }
    if args.json:
        print(json.dumps(results, indent=2, default=float))
        return
    load = results["workload"]["load_average_1min"]
    print(f"workload: K = {CLASSES}, d = {DIMENSION}, {args.priors} Dirichlet(1) training priors = "
          f"{args.priors * CLASSES} orthant probabilities; {results['workload']['devices']} device(s), "
          f"{os.cpu_count()} CPUs, load average {load:.1f}")
    print(f"{'method':26s} {'seconds':>10s} {'CPU s':>10s} {'speed-up':>9s}  accuracy")
    print(f"{'engine':26s} {engine_wall:10.2f} {engine_cpu:10.2f} {1:9.0f}  max bound {bounds.max():.1e} "
          f"(median {np.median(bounds):.1e}); compilation {first_wall - engine_wall:.1f} s")
    print(f"{'per-prior class_risks':26s} {per_prior_wall * per_prior_scale:10.1f} "
          f"{per_prior_cpu * per_prior_scale:10.1f} {per_prior_wall * per_prior_scale / engine_wall:9.1f}  "
          f"max bound {np.max(per_prior_bounds):.1e} (extrapolated from {args.subset} priors)")
    print(f"{'scipy mvn cdf':26s} {scipy_seconds:10.0f} {'':>10s} {scipy_seconds / engine_wall:9.0f}  "
          f"max |engine - scipy| {scipy_gap:.1e} (extrapolated from {args.scipy_priors} priors)")
    print(f"Monte Carlo, {len(checked)} priors x {args.mc_samples:.0e} draws: max |engine - MC| {mc_gap.max():.1e}, "
          f"max MC standard error {mc_errors.max():.1e}; |engine - MC| <= {TOLERANCE:.0e} + 3 SE: {claim}")


if __name__ == "__main__":
    main()
