"""Latency of the command line over ``python -c "import jax"``, against a reference revision, in
one run.

Each command is timed end to end as a fresh process, first (an empty compilation cache) and
repeated (the cache the first run filled), interleaved with the baseline and with the same
command of the reference revision (by default the last one before the persistent compilation
cache, the lazy imports and the vectorised learning curve), run from a temporary git worktree.
The learning curve is 20 values of alpha: one command now, 20 commands of the reference (which
took one alpha).  Medians over ``--repeats``.

    python benchmarks/cli_latency_bench.py [--reference a93c221] [--repeats 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
CURVE = [f"{alpha:.4g}" for alpha in [0.2 * 100 ** (i / 19) for i in range(20)]]
COMMANDS = {
    "theory": ["theory"],
    "simulate": ["simulate"],
    "derive": ["derive"],
    "asymptotics": ["asymptotics"],
}


def _seconds(argv: list[str], source: Path, cache: Path) -> float:
    """Wall time of one process running ``argv`` in ``source`` (first on the path, ahead of the
    editable install)."""
    environment = os.environ | {"GMM_THEORY_CACHE": str(cache)}
    start = time.perf_counter()
    subprocess.run(argv, cwd=source, env=environment, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def _cli(arguments: list[str]) -> list[str]:
    return [sys.executable, "-m", "gmm_theory.cli", *arguments]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", default="a93c221", help="git revision to compare with (default: a93c221)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    samples: dict[str, list[float]] = {}

    def record(name: str, seconds: float) -> None:
        samples.setdefault(name, []).append(seconds)

    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        reference = scratch / "reference"
        subprocess.run(["git", "-C", str(REPOSITORY), "worktree", "add", "--detach", str(reference),
                        args.reference], check=True, capture_output=True)
        try:
            for repeat in range(args.repeats):
                record("import jax", _seconds([sys.executable, "-c", "import jax"], REPOSITORY, scratch / "none"))
                for name, arguments in COMMANDS.items():
                    cache = scratch / f"cache-{name}-{repeat}"
                    record(f"{name}: first", _seconds(_cli(arguments), REPOSITORY, cache))
                    record(f"{name}: repeated", _seconds(_cli(arguments), REPOSITORY, cache))
                    record(f"{name}: reference", _seconds(_cli(arguments), reference, scratch / "none"))
                cache = scratch / f"cache-curve-{repeat}"
                curve = ["asymptotics", "--alpha", *CURVE]
                record("learning curve: first", _seconds(_cli(curve), REPOSITORY, cache))
                record("learning curve: repeated", _seconds(_cli(curve), REPOSITORY, cache))
                if repeat == 0:  # 20 processes: once is enough to see it
                    record("learning curve: reference", sum(
                        _seconds(_cli(["asymptotics", "--alpha", alpha]), reference, scratch / "none")
                        for alpha in CURVE))
        finally:
            subprocess.run(["git", "-C", str(REPOSITORY), "worktree", "remove", "--force", str(reference)],
                           check=True, capture_output=True)

    medians = {name: statistics.median(values) for name, values in samples.items()}
    baseline = medians["import jax"]
    report = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "repeats": args.repeats,
        "reference": args.reference,
        "median_seconds": medians,
        "over_import_jax_seconds": {name: value - baseline for name, value in medians.items() if name != "import jax"},
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"median of {args.repeats} (import jax: {baseline:.2f} s); seconds, and over import jax")
    for name, value in medians.items():
        print(f"  {name:28s} {value:7.2f}  {value - baseline:+7.2f}")


if __name__ == "__main__":
    main()
