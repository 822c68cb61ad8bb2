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
# # Precise asymptotics: class-wise errors of ridge ERM when n and d grow together
#
# The paper's theory is the $n \to \infty$ limit in one dimension. Here $x \mid y \sim \mathcal N(y\mu, \sigma_y^2 I_d)$,
# $\|\mu\|^2 = r$, and $n = \alpha d$ samples train $\mathrm{sign}(w^\top x/\sqrt d + b)$ by minimising
# $\sum_i \ell(y_i(w^\top x_i/\sqrt d + b)) + \lambda\|w\|^2/2$. As $d \to \infty$ the overlaps $m = w^\top\mu/\sqrt d$,
# $q = \|w\|^2/d$ and the bias $b$ concentrate on the solution of the saddle-point equations written out in
# `gmm_theory.highdim.asymptotics` (Mignacco et al., ICML 2020; Loureiro et al., NeurIPS 2021, with one variance per class),
# and class $y$ errs with probability $\Phi(-(m + y b)/(\sigma_y\sqrt q))$.

# %%
import os
QUICK = os.environ.get("GMM_THEORY_QUICK") == "1"  # small sizes, used by the test suite

# %%
# %matplotlib inline
import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

jax.config.update("jax_enable_x64", True)

from gmm_theory.highdim.asymptotics import solve
from gmm_theory.highdim.simulation import simulate

R, STDS, PRIORS = 1.0, (0.5, 1.5), (0.5, 0.5)

# %% [markdown]
# ## Theory against ERM at finite d, for each loss
#
# The fixed point at $\alpha = 2$, $\lambda = 0.1$, and real ERM fits at $d = 500$ (mean and standard error over
# seeds): least squares in closed form, logistic regression by Newton's method, and the soft-margin SVM solved exactly through
# its dual (`gmm_theory.highdim.soft_margin`, certified by the duality gap). The hinge loss's channel is integrated in closed
# form, since its proximal step is piecewise linear.

# %%
dimension, seeds = (100, 3) if QUICK else (500, 16)
for loss in ("square", "logistic", "hinge"):
    theory = solve(2.0, 0.1, R, STDS, PRIORS, loss=loss)
    trials = simulate(2.0, 0.1, R, STDS, PRIORS, loss=loss, dimension=dimension, seeds=seeds)
    se = trials.class_errors.std(axis=0, ddof=1) / np.sqrt(seeds)
    print(f"{loss:8s} theory: m = {float(theory.m):.4f}, q = {float(theory.q):.4f}, b = {float(theory.bias):+.4f}, "
          f"class errors {np.asarray(theory.class_errors).round(4)}")
    print(f"{'':8s} ERM:    m = {trials.m.mean():.4f}, q = {trials.q.mean():.4f}, b = {trials.bias.mean():+.4f}, "
          f"class errors {trials.class_errors.mean(axis=0).round(4)} +- {se.round(4)}, "
          f"all fits converged: {bool(trials.converged.all())}")

# %% [markdown]
# ## Learning curves
#
# One `vmap` over $\alpha$ gives a whole curve. The wide class $+$ ($\sigma_+ = 1.5$) carries the worst-class error
# at every sample size; the tight class's error is not monotone in $\alpha$.

# %%
from gmm_theory.figures.highdim import learning_curves, pruning_landscape
from gmm_theory.figures import QUICK_OPTIONS

learning_curves(**(QUICK_OPTIONS["asymptotic_learning_curves"] if QUICK else {})).figure

# %% [markdown]
# ## Pruning in the proportional regime
#
# Random pruning with class densities $(d_-, d_+)$ trains on $\alpha D$ samples per dimension at priors
# $\phi_y d_y / D$, with the dataset density $D = \sum_y \phi_y d_y$. The figure maps the worst-class error over
# $(d_-, d_+)$ at $\alpha = 2$ (logistic, $\lambda = 0.01$) and compares four allocations of each $D$: the
# worst-class optimum of this regime, the infinite-data optimum (std-proportional training priors, THEORY.md 1.2),
# one DRoP step and stratified pruning. ERM at $d = 500$ checks the optimum.

# %%
landscape = pruning_landscape(**(QUICK_OPTIONS["asymptotic_pruning_landscape"] if QUICK else {}))
at_half = list(landscape.data["dataset_densities"]).index(0.5)
print(f"full data: worst-class error {landscape.data['full_worst']:.3f}")
for name, allocation in landscape.data["allocations"].items():
    print(f"D = 0.5, {name:28s} densities {allocation['densities'][at_half].round(3)}, "
          f"worst-class error {allocation['worst'][at_half]:.3f}")
landscape.figure

# %% [markdown]
# At $\alpha = 2$ training on all the data leaves a worst-class error of 0.390. At dataset density 0.5 (full run):
#
# | allocation | $(d_-, d_+)$ | worst-class error |
# | --- | --- | --- |
# | stratified | (0.5, 0.5) | 0.493 |
# | one-step DRoP | (0.107, 0.893) | 0.502: it overshoots, and the tight class's error rises |
# | infinite-data optimum | (0.25, 0.75) | 0.344 |
# | proportional-regime optimum | (0.161, 0.839) | 0.280, with both class errors equal |
#
# The lowest worst-class error, 0.274 at $(0.2, 1.0)$ ($D = 0.6$), is below the full data's: keeping less of the
# tight class helps the wide class even at this sample size. The optimum keeps less of the tight class than the
# infinite-data answer, because with $n/d$ finite the number of samples per dimension matters alongside the balance.

# %% [markdown]
# ## How the optimum moves with the sample size
#
# Along the line $D = 0.5$ (balanced priors, so $d_+ = 1 - d_-$ and the tight class's training prior is $d_-$), the
# worst-class error for a grid of training priors and of $\alpha$, in one `vmap` over both. The paper's infinite-data
# answer $\sigma_- / (\sigma_- + \sigma_+) = 0.25$ is for the risk-minimising threshold. Logistic regression is
# misspecified when the variances differ, so as $\alpha$ grows its best prior tends instead to that of the population
# logistic rule on the projected one-dimensional mixture (THEORY.md 1.6), computed here by `gmm_theory.twoclass.limits`.

# %%
from gmm_theory.twoclass.limits import trained_class_risks
from gmm_theory.twoclass.mixture import TwoClassMixture

alphas = np.geomspace(0.5, 64.0, 8 if QUICK else 24)
kept_tight = np.linspace(0.02, 0.98, 25 if QUICK else 97)


def worst_class(alpha, d_minus):
    result = solve(alpha, 0.01, R, STDS, PRIORS, loss="logistic", densities=jnp.stack([d_minus, 1 - d_minus]))
    return jnp.max(result.class_errors), result.converged


worst, converged = jax.vmap(lambda a: jax.vmap(lambda d: worst_class(a, d))(kept_tight))(alphas)
print("all converged:", bool(np.all(np.asarray(converged))))
best = kept_tight[np.argmin(np.asarray(worst), axis=1)]

projected = TwoClassMixture((-np.sqrt(R), np.sqrt(R)), STDS, PRIORS)
population = [np.max(trained_class_risks(projected, np.array([p, 1 - p]), fit="logistic")) for p in kept_tight]
population_best = kept_tight[np.argmin(population)]
print(f"best prior at alpha = {alphas[-1]:g}: {best[-1]:.3f}; population logistic rule: {population_best:.3f}")

figure, ax = plt.subplots(figsize=(5.5, 3.8), layout="constrained")
ax.plot(alphas, best, "o-", label="proportional regime, ERM with ridge 0.01")
ax.axhline(population_best, color="black", linestyle=":", label=f"population logistic rule ({population_best:.2f})")
ax.axhline(STDS[0] / sum(STDS), color="gray", linestyle="--", label="risk-minimising threshold (0.25)")
ax.set(xscale="log", xlabel="samples per dimension before pruning, alpha",
       ylabel="best training prior of the tight class", title="Dataset density 0.5, logistic loss")
ax.legend(fontsize=8)
figure
