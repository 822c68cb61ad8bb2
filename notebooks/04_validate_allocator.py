# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Validating the allocator on real data
#
# `gmm-theory sweep` trains CNNs on real datasets with class quotas from the same allocator the
# Gaussian theory uses (`gmm_theory.allocate.allocate`), and stores one record per finished run.
# The records of the validation sweeps are committed under `figures/empirical/<dataset>/`:
# Random, Random+DRoP, Random+iterated-DRoP, EL2N, Forgetting and EL2N+DRoP at densities 0.3, 0.5,
# 0.8 and 1.0, three seeds each (the `sweep.toml` beside the records gives the model and epochs).
#
# This notebook loads those records and draws them beside the theory's prediction: the
# population limit of the same quoters in the paper's two-Gaussian example
# ($\mu = (-1, 1)$, $\sigma = (0.5, 1.5)$, equal priors), as accuracy $1 - R$.

# %%
import os
QUICK = os.environ.get("GMM_THEORY_QUICK") == "1"  # small sizes, used by the test suite

# %%
from pathlib import Path

import jax
import numpy as np
from IPython.display import display

from gmm_theory.figures import empirical
from gmm_theory.figures import monte_carlo_curves, theory_curves
from gmm_theory.twoclass.mixture import TwoClassMixture

EMPIRICAL = Path("..") / "figures" / "empirical"
records = {path.parent.name: empirical.load_records(path.parent)
           for path in sorted(EMPIRICAL.glob("*/records.jsonl"))}
{name: len(runs) for name, runs in records.items()}

# %% [markdown]
# ## The summary tables
#
# Accuracies in %, the mean over seeds with [min, max]. At density 1.0 every method keeps the
# whole training set and trains the same final model (same kept set, same seed): those rows agree.

# %%
for name, runs in records.items():
    print(name)
    print(empirical.format_table(empirical.summary(runs)), end="\n\n")

# %% [markdown]
# ## Theory beside experiment
#
# Solid lines: CNN test accuracy, mean over seeds with a min–max band. Dashed lines: the
# Gaussian model's population limit for the random-pruning quoters; dotted lines with squares:
# the same model at n = 2000 samples (Monte Carlo, ±1 standard error), drawn by the same
# function as the CNN curves. The theory is the paper's
# one-dimensional example, not a model of these datasets: compare shapes (how worst-class
# accuracy moves as density falls under each quoter), not levels.

# %%
with jax.enable_x64(True):
    paper = TwoClassMixture((-1.0, 1.0), (0.5, 1.5), (0.5, 0.5))
    methods = ("Random", "Random+DRoP", "Random+iterated-DRoP")
    theory = theory_curves(paper, np.linspace(0.3, 1.0, 8 if QUICK else 36), methods=methods)
    sampled = monte_carlo_curves(paper, jax.random.key(0), 200 if QUICK else 2000, [0.3, 0.5, 0.8, 1.0],
                                 4 if QUICK else 32, methods=methods)
theory = {key: theory[key] + sampled[key] for key in theory}
for name, runs in records.items():
    display(empirical.accuracy_vs_density(runs, extra_curves=theory))


# %% [markdown]
# ## The paper's claims, checked
#
# For Random+DRoP against Random: the change in worst-class accuracy (positive = DRoP helps) and
# in average accuracy (negative = its cost), in points, at each density below 1. The paper's
# claim is that worst-class accuracy improves, increasingly so as density falls, at a modest
# cost in average accuracy.

# %%
def mean_metric(runs, method, density, metric):
    values = [r[metric] for r in runs if r["method"] == method and r["density"] == density]
    return np.mean(values) if values else np.nan

for name, runs in records.items():
    print(name)
    for density in sorted({r["density"] for r in runs if r["density"] < 1}):
        gains = [100 * (mean_metric(runs, "Random+DRoP", density, m) - mean_metric(runs, "Random", density, m))
                 for m in ("worst_class_accuracy", "average_accuracy")]
        print(f"  d = {density:.1f}: worst-class {gains[0]:+5.1f} points, average {gains[1]:+5.1f} points")

# %% [markdown]
# ## What each method keeps
#
# DRoP keeps the classes the query model finds hard and prunes the easy ones hardest; EL2N and
# Forgetting, cutting one class-blind ranking, also skew the class densities, but towards
# whichever classes hold most high-score samples.

# %%
for name, runs in records.items():
    display(empirical.class_densities(runs))
    display(empirical.density_vs_accuracy(runs))
