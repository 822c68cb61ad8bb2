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
# # K classes in d dimensions: worst-class optimal quotas and allocators compared
#
# The paper's theory has two classes on a line. Here $x \mid y=k \sim \mathcal N(\mu_k, \Sigma_k)$ with $K$ classes in
# $d$ dimensions (THEORY.md section 2). A linear rule predicts $\arg\max_k (w_k^\top x + b_k)$; class $k$ is right when
# every score difference $D_j = (w_k - w_j)^\top x + b_k - b_j$ is positive, so its risk is one minus a
# $(K-1)$-dimensional Gaussian orthant probability, computed by Genz's separation of variables with randomised lattice
# rules and an error bound (`gmm_theory.multiclass.risk.class_risks`).
#
# Random pruning inside classes only changes the training priors $\pi'$. The question the paper leaves open: how far is
# one-step DRoP from the worst-class optimal quotas, and what closes the gap?

# %%
import os
QUICK = os.environ.get("GMM_THEORY_QUICK") == "1"  # small sizes, used by the test suite

# %%
# %matplotlib inline
import jax
import matplotlib.pyplot as plt
import numpy as np

jax.config.update("jax_enable_x64", True)

from gmm_theory.multiclass.allocators import ALLOCATORS, Quadrature, allocate_model, optimal_priors
from gmm_theory.multiclass.classifiers import lda_classifier, least_squares_classifier, logistic_classifier
from gmm_theory.multiclass.minimax import minimax_priors
from gmm_theory.multiclass.mixture import random_mixture, sample
from gmm_theory.multiclass.quadratic import quadratic_class_risks
from gmm_theory.multiclass.risk import class_risks

K, DIM = (4, 3) if QUICK else (10, 32)
POINTS = 128 if QUICK else 1024
mixture = random_mixture(0, K, DIM, separation=4.0, heterogeneity=0.5)
quadrature = Quadrature(jax.random.key(0), POINTS)
print("class stds:", np.sqrt(np.asarray(mixture.covariances)[:, 0, 0]).round(2))

# %% [markdown]
# ## Closed form against Monte Carlo
#
# The orthant probabilities of the LDA rule against the error rate on a large sample, with the quadrature's bound
# (3 standard errors over random lattice shifts) and the sample's standard error:

# %%
rule = lda_classifier(mixture)
risks, bounds = map(np.asarray, class_risks(mixture, rule, quadrature.key, POINTS))
x, y = sample(mixture, jax.random.key(1), 20_000 if QUICK else 1_000_000)
wrong = np.asarray(rule.predict(x)) != np.asarray(y)
counts = np.bincount(np.asarray(y), minlength=K)
estimate = np.bincount(np.asarray(y), weights=wrong, minlength=K) / counts
standard_error = np.sqrt(estimate * (1 - estimate) / counts)
for k in range(K):
    print(f"class {k}: closed form {risks[k]:.4f} +- {bounds[k]:.1e}   Monte Carlo {estimate[k]:.4f} +- "
          f"{standard_error[k]:.4f}   ({(risks[k] - estimate[k]) / standard_error[k]:+.1f} SE)")

# %% [markdown]
# ## Four classifiers at the data's priors
#
# LDA (pooled covariance), population least squares, population multinomial logistic regression (expected
# cross-entropy on a fixed antithetic sample, L-BFGS) and, for comparison, the Bayes rule, which is quadratic when the
# covariances differ (its risks by Monte Carlo conditional on each class).

# %%
linear = {"LDA": lda_classifier(mixture), "least squares": least_squares_classifier(mixture),
          "logistic": logistic_classifier(mixture, jax.random.key(2))}
table = {name: np.asarray(class_risks(mixture, rule, quadrature.key, POINTS)[0]) for name, rule in linear.items()}
table["Bayes (quadratic)"] = np.asarray(quadratic_class_risks(mixture, mixture.priors, jax.random.key(3))[0])
priors = np.asarray(mixture.priors)
for name, risks in table.items():
    print(f"{name:18s} worst {risks.max():.4f}  average {risks @ priors:.4f}  classes {risks.round(3)}")

# %% [markdown]
# ## Worst-class optimal training priors
#
# `minimax_priors` runs iterated DRoP in log space, $\theta_k \leftarrow \theta_k + s(\ln R_k - \sum_j \pi'_j \ln R_j)$,
# until the class risks are equal; the spread $\max_k R_k - \min_k R_k$ is its certificate. Pruning at density $d$ can
# only realise $d\,\pi'_k \le \pi_k$; `optimal_priors` solves the problem on that set by sequential linear programming
# from the iterated-DRoP fixed point, and certifies a first-order KKT point by the linearised gap.

# %%
free = minimax_priors(mixture, quadrature.key, points=POINTS)
print("unconstrained optimum:", np.asarray(free.priors).round(3), " equal risks", np.asarray(free.risks).round(4),
      f" spread {float(free.spread):.1e}")
for density in (0.3, 0.7):
    solution = optimal_priors(mixture, density, quadrature)
    capped = np.isclose(solution.priors, priors / density)
    print(f"density {density}: worst-class risk {solution.risks.max():.4f}, KKT gap {solution.gap:.1e}, "
          f"capped classes {np.flatnonzero(capped).tolist()}")

# %% [markdown]
# ## Allocators at one density
#
# Stratified, one-step DRoP in both semantics (kept fraction or kept count proportional to the full-data error),
# iterated DRoP (10 rounds, step 0.5), the one-query logit adjustment, and the realisable optimum. The same
# `water_fill` as the CNN bridge realises every one of them.

# %%
DENSITY = 0.5
allocated = allocate_model(mixture, [DENSITY], quadrature)
best = allocated["optimal"].worst_class_risk()[0]
for name, result in allocated.items():
    print(f"{name:14s} worst {result.worst_class_risk()[0]:.4f} (regret {result.worst_class_risk()[0] - best:+.4f})"
          f"  average {result.average_risk(priors)[0]:.4f}  priors {result.priors[0].round(3)}")

# %% [markdown]
# ## K = 3: the landscape over the prior simplex
#
# Worst-class risk of the LDA rule trained at every prior vector; white dashes bound what density 0.5 can realise.
# With equal covariances (left) the logit adjustment of the full-data rule lands on the optimum, because the training
# priors enter the LDA rule only through its biases. With unequal covariances (right) retraining also moves the pooled
# covariance and so the weights, and one-step DRoP and the adjustment both overshoot.

# %%
from gmm_theory.figures import QUICK_OPTIONS
from gmm_theory.figures.multiclass import allocators_vs_density, multiclass_ternary

options = QUICK_OPTIONS["multiclass_ternary"] if QUICK else {}
multiclass_ternary(**options).figure

# %% [markdown]
# Explore one mixture: heterogeneity and density sliders redraw the landscape.

# %%
import ipywidgets

def explore(heterogeneity=0.8, density=0.5):
    options = QUICK_OPTIONS["multiclass_ternary"] if QUICK else {"subdivisions": 40}
    display(multiclass_ternary(heterogeneities=(heterogeneity,), density=density, **options).figure)

ipywidgets.interact(explore, heterogeneity=(0.0, 1.5, 0.1), density=(0.1, 0.9, 0.1));

# %% [markdown]
# ## Against density
#
# Worst-class and average risk of every allocator, K = 10 in d = 32:

# %%
options = QUICK_OPTIONS["allocators_vs_density"] if QUICK else {}
allocators_vs_density(**options).figure

# %% [markdown]
# ## What the model says
#
# - With equal class covariances one query is enough: the logit-adjusted full-data rule reaches the realisable
#   optimum exactly, while one-step DRoP leaves a regret of about 0.02 and stratified pruning about 0.05 (K = 10,
#   d = 32, density 0.5).
# - With unequal covariances one-step DRoP can starve the easy classes: at heterogeneity 0.5-1 some mixtures lose
#   0.4-0.6 in worst-class risk, far worse than not rebalancing at all. The logit adjustment does not help there,
#   because retraining moves the pooled covariance. On digits and mnist1d with small CNNs (`--quoter adjusted` in
#   the bridge) it also starves the easy classes at density 0.3.
# - Damped iterated DRoP (10 rounds, step 0.5) stays within about 0.05 of the optimum everywhere we looked, at the price
#   of one query model per round; the figure `multiclass_regret` (`gmm-theory figures --only multiclass_regret`)
#   shows the regret against K and heterogeneity.
# - The iterated-DRoP fixed point is not always the optimum: when a class is capped by the density, or when a class's
#   risk does not fall as its own prior rises, the realisable minimax solver finds lower worst-class risks.
