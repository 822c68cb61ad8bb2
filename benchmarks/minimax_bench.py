"""Time the realisable worst-class optimal priors of K = 20 classes in d = 64 against the solver
before the reverse-mode Jacobian, in one run.

Workload (the issue's speed target): ``random_mixture(0, 20, 64, heterogeneity=0.5)``, density
0.5, the LDA rule, the default quadrature (1021-point lattices, 8 shifts, float64).  Claim: the
solver takes under 30 s per mixture, compilation included.

- new: :func:`gmm_theory.multiclass.allocators.optimal_priors` (10 rounds of iterated DRoP,
  then sequential linear programming in log priors with reverse-mode Jacobians); the first call
  (with compilation) and the median of ``--repeats`` later calls;
- reference: the solver of ``--reference`` (default d015bfa, the last revision before this
  change), run from a temporary git worktree in a subprocess between the new solver's first
  and later calls.  Its full run (200 rounds of iterated DRoP, then per step one
  central-difference Jacobian, 2K risk evaluations, and one trial evaluation) takes tens of
  minutes, so only a bounded part is timed: a risk evaluation and a Jacobian, each first
  (compiling) and again.  Its time is *modelled* as both compilations + 200 risk evaluations
  + (Jacobian + risk evaluation) per step, with the number of steps the new solver took (an
  assumption in the reference's favour: its steps in the priors themselves need more).
  The reference also evaluates its class risks at the new solution, so the two worst-class
  risks can be compared on one quadrature.

    python benchmarks/minimax_bench.py [--repeats 3] [--reference d015bfa] [--quick] [--json]

``--quick`` runs K = 10, d = 32 with one repeat and writes no results file; the full run
writes benchmarks/results/minimax.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jax
import numpy as np

from gmm_theory.multiclass.allocators import Quadrature, optimal_priors, trained_class_risks
from gmm_theory.multiclass.mixture import random_mixture

REPOSITORY = Path(__file__).resolve().parents[1]
RESULTS = REPOSITORY / "benchmarks" / "results" / "minimax.json"
SEED, HETEROGENEITY, DENSITY, OLD_ROUNDS = 0, 0.5, 0.5, 200

# Run in the reference revision's worktree (first on the path): times its risk evaluation and
# its finite-difference Jacobian at the data priors (first and repeated calls) and evaluates
# its class risks at the data priors and at the new solution.
_REFERENCE_DRIVER = """
import json, sys, time
import jax, jax.numpy as jnp
jax.config.update("jax_enable_x64", True)
from gmm_theory.multiclass.allocators import _risk_jacobian, _risks
from gmm_theory.multiclass.mixture import random_mixture
job = json.loads(sys.argv[1])
mixture = random_mixture(job["seed"], job["classes"], job["dimension"], heterogeneity=job["heterogeneity"])
args = (jax.random.key(0), "lda", 1024, 8, None)
def seconds(function, priors):
    start = time.perf_counter()
    jax.block_until_ready(function(mixture, jnp.asarray(priors), *args))
    return time.perf_counter() - start
report = {name: [seconds(function, job["data"]) for _ in range(2)]
          for name, function in (("risks", _risks), ("jacobian", _risk_jacobian))}
report["risks_at"] = {name: [float(r) for r in _risks(mixture, jnp.asarray(job[name]), *args)[0]]
                      for name in ("data", "solution")}
print(json.dumps(report))
"""


def _timed(function):
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def _reference(revision: str, job: dict) -> dict:
    """The reference driver's report, run in a temporary worktree of ``revision``."""
    with tempfile.TemporaryDirectory() as scratch:
        worktree = Path(scratch) / "reference"
        subprocess.run(["git", "-C", str(REPOSITORY), "worktree", "add", "--detach", str(worktree), revision],
                       check=True, capture_output=True)
        try:
            completed = subprocess.run([sys.executable, "-c", _REFERENCE_DRIVER, json.dumps(job)], cwd=worktree,
                                       check=True, capture_output=True, text=True)
        finally:
            subprocess.run(["git", "-C", str(REPOSITORY), "worktree", "remove", "--force", str(worktree)],
                           check=True, capture_output=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed calls after the first (default 3)")
    parser.add_argument("--reference", default="d015bfa", help="git revision of the reference solver")
    parser.add_argument("--quick", action="store_true", help="K = 10, d = 32, one repeat, no results file")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    classes, dimension, repeats = (10, 32, 1) if args.quick else (20, 64, args.repeats)
    jax.config.update("jax_enable_x64", True)
    mixture = random_mixture(SEED, classes, dimension, heterogeneity=HETEROGENEITY)
    quadrature = Quadrature(jax.random.key(0))

    solution, first = _timed(lambda: optimal_priors(mixture, DENSITY, quadrature))
    job = {"seed": SEED, "classes": classes, "dimension": dimension, "heterogeneity": HETEROGENEITY,
           "data": np.asarray(mixture.priors).tolist(), "solution": solution.priors.tolist()}
    reference = _reference(args.reference, job)
    later = [_timed(lambda: optimal_priors(mixture, DENSITY, quadrature))[1] for _ in range(repeats)]

    risk_first, risk_seconds = reference["risks"]
    jacobian_first, jacobian_seconds = reference["jacobian"]
    compilation = (risk_first - risk_seconds) + (jacobian_first - jacobian_seconds)
    modelled = compilation + OLD_ROUNDS * risk_seconds + solution.steps * (jacobian_seconds + risk_seconds)
    own_risks = trained_class_risks(mixture, solution.priors, quadrature)[0]
    report = {
        "workload": {"classes": classes, "dimension": dimension, "seed": SEED, "heterogeneity": HETEROGENEITY,
                     "density": DENSITY, "classifier": "lda", "lattice_points": 1021, "shifts": 8,
                     "cpus": os.cpu_count(), "load_average_1min": os.getloadavg()[0]},
        "new": {"first_call_seconds": first, "median_seconds": statistics.median(later), "seconds": later,
                "steps": solution.steps, "gap": solution.gap, "worst_class_risk": float(solution.risks.max())},
        "reference": {"revision": args.reference, "risk_evaluation_first_seconds": risk_first,
                      "risk_evaluation_seconds": risk_seconds, "jacobian_first_seconds": jacobian_first,
                      "jacobian_seconds": jacobian_seconds, "modelled_seconds": modelled,
                      "model": f"compilation + {OLD_ROUNDS} risk evaluations + {solution.steps} x "
                               "(Jacobian + risk evaluation)",
                      "worst_class_risk_at_the_data_priors": max(reference["risks_at"]["data"]),
                      "worst_class_risk_at_the_new_solution": max(reference["risks_at"]["solution"])},
        "new_worst_class_risk_on_its_own_quadrature": float(own_risks.max()),
        "claim": "new solver under 30 s per mixture, first call included",
        "claim_holds": bool(first < 30 and max(later) < 30),
    }
    if not args.quick:
        RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    if args.json:
        print(json.dumps(report, indent=2))
        return
    new, old = report["new"], report["reference"]
    print(f"K = {classes}, d = {dimension}, density {DENSITY}, LDA; {os.cpu_count()} CPUs, "
          f"load average {report['workload']['load_average_1min']:.1f}")
    print(f"new solver: first call {new['first_call_seconds']:.1f} s, median {new['median_seconds']:.1f} s "
          f"({new['steps']} steps, gap {new['gap']:.1e}), worst-class risk {new['worst_class_risk']:.6f}")
    print(f"reference {args.reference}: risk evaluation {risk_seconds:.2f} s (first {risk_first:.1f} s), "
          f"Jacobian {jacobian_seconds:.1f} s (first {jacobian_first:.1f} s); modelled {modelled:.0f} s; "
          f"its worst-class risk at the new solution {old['worst_class_risk_at_the_new_solution']:.6f}")
    print(f"claim ({report['claim']}): {report['claim_holds']}")


if __name__ == "__main__":
    main()
