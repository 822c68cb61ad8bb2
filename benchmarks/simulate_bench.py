"""Time the Monte Carlo engine against straightforward reference loops, in one process.

Workload (the issue's speed target): a G x G grid of class densities x S seeds with
n = 4000 training samples, random within-class pruning and exact threshold ERM, on the
paper's mixture.  The references run the same trials on the same samples:

- numpy, straightforward: a Python loop over seeds and grid points that takes each trial's
  kept subsample, sorts it, and minimises the cumulative errors (what one writes first);
- numpy, same algorithm: the same loop on the presorted samples with the engine's exact
  algorithm and tie rule (mask, cumulative sum, argmin), which must match it to rounding;
- scikit-learn: a loop of LogisticRegression fits, against the engine's logistic fit.

Reference loops are timed on a random subset of trials and reported in trials per second;
their answers are checked against the engine's on that subset.

    python benchmarks/simulate_bench.py [--grid 64] [--seeds 64] [--n 4000] [--subset 2000]
"""

from __future__ import annotations

import argparse
import time

import jax
import numpy as np
from scipy.special import ndtr

import gmm_theory as gt
from gmm_theory.twoclass.montecarlo import engine as simulate


def _best_time(function, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(function())
        times.append(time.perf_counter() - start)
    return min(times)


def _numpy_threshold_risks(x, y, ranks, counts, prefer_right, mixture) -> np.ndarray:
    """One trial the plain way: kept mask, cumulative excess errors, first (or last) argmin."""
    kept = ranks < counts[y]
    excess = np.concatenate([[0], np.cumsum(np.where(kept, 2 * y - 1, 0))])
    j = len(excess) - 1 - np.argmin(excess[::-1]) if prefer_right else np.argmin(excess)
    n = len(x)
    t = -np.inf if j == 0 else np.inf if j == n else 0.5 * (x[j - 1] + x[j])
    means, stds = np.asarray(mixture.means), np.asarray(mixture.stds)
    return np.array([ndtr((means[0] - t) / stds[0]), ndtr((t - means[1]) / stds[1])])


def _straightforward_threshold_risks(x, y, ranks, counts, mixture) -> np.ndarray:
    """One trial as first written: subsample, sort, cumulative errors, midpoint threshold."""
    kept = ranks < counts[y]
    order = np.argsort(x[kept])
    xs, ys = x[kept][order], y[kept][order]
    excess = np.concatenate([[0], np.cumsum(2 * ys - 1)])
    j = np.argmin(excess)
    t = -np.inf if j == 0 else np.inf if j == len(xs) else 0.5 * (xs[j - 1] + xs[j])
    means, stds = np.asarray(mixture.means), np.asarray(mixture.stds)
    return np.array([ndtr((means[0] - t) / stds[0]), ndtr((t - means[1]) / stds[1])])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grid", type=int, default=64)
    parser.add_argument("--seeds", type=int, default=64)
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--subset", type=int, default=2000, help="trials timed in each reference loop")
    args = parser.parse_args()

    jax.config.update("jax_enable_x64", True)
    mixture = gt.TwoClassMixture()
    axis = simulate.density_grid(args.grid)
    densities = simulate.grid_allocations(axis, axis)
    trials = args.seeds * densities.shape[0]
    key = jax.random.key(0)

    engine = lambda fit: simulate.sweep(mixture, key, args.n, densities, args.seeds, fit=fit)
    start = time.perf_counter()
    risks = np.asarray(jax.block_until_ready(engine("threshold")))
    compile_and_run = time.perf_counter() - start
    engine_seconds = _best_time(lambda: engine("threshold"))

    samples = simulate.draw_seeds(mixture, key, args.n, args.seeds)
    counts = np.asarray(simulate.density_counts(samples, densities))
    x, y, ranks, right = (np.asarray(a) for a in (samples.x, samples.y, samples.ranks, samples.prefer_right))
    rng = np.random.default_rng(0)
    picks = [(int(s), int(a)) for s, a in zip(rng.integers(0, args.seeds, args.subset),
                                              rng.integers(0, densities.shape[0], args.subset))]

    start = time.perf_counter()
    plain_risks = [_straightforward_threshold_risks(x[s], y[s], ranks[s], counts[s, a], mixture) for s, a in picks]
    plain_seconds = (time.perf_counter() - start) * trials / args.subset
    plain_gap = np.mean([np.abs(r.max() - risks[s, a].max()) for r, (s, a) in zip(plain_risks, picks)])

    start = time.perf_counter()
    numpy_risks = [_numpy_threshold_risks(x[s], y[s], ranks[s], counts[s, a], right[s], mixture) for s, a in picks]
    numpy_seconds = (time.perf_counter() - start) * trials / args.subset
    worst_gap = max(np.max(np.abs(r - risks[s, a])) for r, (s, a) in zip(numpy_risks, picks))

    logistic_subset = densities[: max(1, 4096 // args.seeds)]
    logistic_trials = args.seeds * logistic_subset.shape[0]
    logistic_engine = lambda: simulate.sweep(mixture, key, args.n, logistic_subset, args.seeds, fit="logistic")
    jax.block_until_ready(logistic_engine())
    logistic_seconds = _best_time(logistic_engine, repeats=1)

    from sklearn.linear_model import LogisticRegression

    sklearn_picks = picks[: max(1, args.subset // 10)]
    start = time.perf_counter()
    for s, a in sklearn_picks:
        kept = ranks[s] < counts[s, a][y[s]]
        LogisticRegression(C=1e4).fit(x[s][kept, None], y[s][kept])
    sklearn_rate = len(sklearn_picks) / (time.perf_counter() - start)

    engine_rate = trials / engine_seconds
    plain_rate = trials / plain_seconds
    numpy_rate = trials / numpy_seconds
    logistic_rate = logistic_trials / logistic_seconds
    print(f"workload: {args.grid} x {args.grid} grid x {args.seeds} seeds = {trials} trials, n = {args.n}, "
          f"random pruning, float64, {jax.device_count()} {jax.devices()[0].platform} device(s)")
    print(f"engine, threshold ERM:  {engine_seconds:8.3f} s  {engine_rate:12.0f} trials/s "
          f"(first call incl. compilation {compile_and_run:.2f} s)")
    print(f"numpy loop, plain:      {plain_seconds:8.1f} s  {plain_rate:12.0f} trials/s "
          f"(extrapolated from {args.subset} trials; mean |worst-class risk difference| {plain_gap:.1e}, "
          f"from the threshold convention)")
    print(f"numpy loop, same alg.:  {numpy_seconds:8.1f} s  {numpy_rate:12.0f} trials/s "
          f"(extrapolated from {args.subset} trials; max |risk difference| {worst_gap:.1e})")
    print(f"engine, logistic:       {logistic_rate:12.0f} trials/s ({logistic_trials} trials)")
    print(f"sklearn logistic loop:  {sklearn_rate:12.0f} trials/s ({len(sklearn_picks)} trials)")
    print(f"speed-up vs plain numpy loop:         {engine_rate / plain_rate:8.0f}x")
    print(f"speed-up vs same-algorithm numpy loop: {engine_rate / numpy_rate:8.0f}x")
    print(f"speed-up of engine logistic vs sklearn loop: {logistic_rate / sklearn_rate:8.1f}x")


if __name__ == "__main__":
    main()
