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
# # The figures of the DRoP theory
#
# Every figure of `gmm_theory.figures.twoclass.FIGURES`, drawn on the paper's example: $x \mid y = k \sim \mathcal N(\mu_k,
# \sigma_k^2)$ with $\mu = (-1, 1)$, $\sigma = (0.5, 1.5)$, $\phi = (0.5, 0.5)$, and threshold rules that predict
# class 1 for $x > t$. The class risks are
#
# $$R_0(t) = \Phi\!\left(\frac{\mu_0 - t}{\sigma_0}\right), \qquad R_1(t) = \Phi\!\left(\frac{t - \mu_1}{\sigma_1}\right).$$
#
# Lines are population limits ($n \to \infty$), points are Monte Carlo means over seeds with $\pm 1$ standard error.
# The numbers quoted in the text are population values unless a sample size is given; Monte Carlo numbers refer to the
# full-size run (`QUICK` off).

# %%
import os
QUICK = os.environ.get("GMM_THEORY_QUICK") == "1"  # small sizes, used by the test suite

# %%
# %matplotlib inline
import jax
import numpy as np
from IPython.display import display

from gmm_theory import (TwoClassMixture, class_risks, figures, risk_minimising_threshold, std_proportional_priors,
                        trained_worst_class_risk, training_priors, worst_class_optimal_risk,
                        worst_class_threshold)
from gmm_theory.twoclass.montecarlo.comparison import drop_regret_map, method_limits, regret_mixture
from gmm_theory.twoclass.limits import trained_class_risks
from gmm_theory.twoclass.montecarlo.policies import policy_counts
from gmm_theory.twoclass.montecarlo.engine import draw_seeds, evaluate_counts


def options(name):
    return figures.QUICK_OPTIONS[name] if QUICK else {}


with jax.enable_x64(True):
    paper = TwoClassMixture(means=(-1.0, 1.0), stds=(0.5, 1.5), priors=(0.5, 0.5))
    t_star = float(risk_minimising_threshold(paper))
    print(f"t* = {t_star:.4f}, class risks {np.asarray(class_risks(paper, t_star)).round(4)}")
    print(f"t_w = {float(worst_class_threshold(paper)):.4f}, common risk {float(worst_class_optimal_risk(paper)):.4f}")
    print(f"std-proportional priors {np.asarray(std_proportional_priors(paper))}")

# %% [markdown]
# ## Risk of the trained rule vs the training prior
#
# Random pruning only moves the training prior $\phi'_0$. The rule trained at priors $\phi'$ is the average-risk
# minimiser $t^*$, the root of
#
# $$\phi'_0\, \mathcal N(t; \mu_0, \sigma_0^2) = \phi'_1\, \mathcal N(t; \mu_1, \sigma_1^2)$$
#
# between the means, or a constant rule $t = \pm\infty$ when that has lower average risk. The worst-class risk
# $\max_k R_k(t)$ is smallest at the threshold where the class risks are equal,
#
# $$t_w = \frac{\sigma_1 \mu_0 + \sigma_0 \mu_1}{\sigma_0 + \sigma_1}, \qquad
# R_0(t_w) = R_1(t_w) = \Phi\!\left(-\frac{\mu_1 - \mu_0}{\sigma_0 + \sigma_1}\right),$$
#
# and training at std-proportional priors $\phi'_k \propto \sigma_k$ learns exactly $t_w$ (paper, Appendix B.2). One
# DRoP step at dataset density $d$ keeps class $k$ in proportion to its error $e_k$ under the full-data rule, so
# $\phi'_k \propto \phi_k e_k$ (while no class density exceeds 1). Iterated DRoP repeats the step on the current
# training priors, $\pi_k \leftarrow \pi_k e_k^s / Z$ with $Z = \sum_j \pi_j e_j^s$ and step $s = 0.5$.
#
# On the paper's example (density $0.5$) full data trains at $t^* = -0.1635$ with worst-class risk $0.219$. One DRoP
# step overshoots: it trains at $\phi'_0 = 0.177$, and its worst-class risk $0.266$ (now class 0) is *worse* than full
# data. Iterated DRoP converges to $\phi'_0 = 0.25$ and the optimum $0.1587$. Below $\phi'_0 \approx 0.149$ the
# trained rule is the constant "always class 1" (worst-class risk 1), so one-step DRoP sits near a cliff. At
# $n = 4000$ the Monte Carlo worst-class risk near $\phi'_0 = 0.18$ ($0.280 \pm 0.010$) is above its limit ($0.260$).

# %%
drawn = figures.risk_vs_training_prior(**options("risk_vs_training_prior"))
display(drawn.figure)

# %%
data = drawn.data
with jax.enable_x64(True):
    for label, prior in data["marks"].items():
        risks = np.asarray(trained_class_risks(paper, np.array([prior, 1 - prior])))
        print(f"{label:>20}: phi'_0 = {prior:.4f}, class risks {risks.round(4)}")
    i = np.argmin(abs(data["mc_priors"] - data["marks"]["one-step DRoP"]))
    prior = data["mc_priors"][i]
    limit = np.max(np.asarray(trained_class_risks(paper, np.array([prior, 1 - prior]))))
print(f"constant trained rule below phi'_0 = {data['priors'][np.argmax(data['class_risks'].max(axis=-1) < 1)]:.3f}")
print(f"Monte Carlo at phi'_0 = {prior:.3f}: worst-class risk {data['mc_worst_mean'][i]:.3f} "
      f"+- {data['mc_worst_se'][i]:.3f} (limit {limit:.3f})")

# %% [markdown]
# ## SSP margin pruning vs random pruning
#
# SSP removes every sample within $M$ of its own class mean, so class $k$ keeps $2\Phi(-M / \sigma_k)$: the easy class
# (small $\sigma$) loses more (paper, Appendix B.3). Random pruning at the same dataset density keeps $t^*$.
#
# The pruned law's 0-1 risk minimiser stays at $t^*$ only for small margins: up to $M \approx 0.40$ on the paper's
# example. There its global minimiser jumps to the lower edge $-1 - M$ of class 0's removed band (although $t^*$ is
# still a local minimum), and the class-0 risk jumps to about $0.79$; from $M = 1$ on it is the constant rule "always
# class 1" (worst-class risk 1). So beyond small margins SSP hurts the worst class badly, while random pruning stays at
# $0.219$. The Monte Carlo points ($n = 4000$; for thresholds, the median and quartiles over seeds) follow the limit.

# %%
drawn = figures.ssp_vs_random(**options("ssp_vs_random"))
display(drawn.figure)

# %%
data = drawn.data
margins, thresholds = data["margins"], data["thresholds"]
moved = np.flatnonzero(abs(thresholds - data["t_star"]) > 1e-9)
print(f"threshold at t* = {data['t_star']:.4f} up to M = {margins[moved[0] - 1]:.3f}; "
      f"at M = {margins[moved[0]]:.3f} it is {thresholds[moved[0]]:.3f}, "
      f"class risks {data['ssp_class_risks'][moved[0]].round(3)}")
print(f"constant rule from M = {margins[np.argmax(np.isinf(thresholds))]:.3f}")
print("kept fractions at M = 0.3:", [round(float(np.interp(0.3, margins, f)), 3) for f in data["kept_fractions"].T])
print("margin    SSP worst (MC)   random worst (MC)")
for M, ssp, random in zip(data["mc_margins"], data["mc_worst_mean"]["ssp"], data["mc_worst_mean"]["random"]):
    print(f"{M:6.2f}    {ssp:.3f}            {random:.3f}")

# %% [markdown]
# ## Pruning methods vs dataset density
#
# All methods on the same seeds: class-blind score cuts (SSP, keep-hard and keep-easy by distance to the full-data
# rule) and random pruning inside classes with stratified, one-step DRoP, iterated-DRoP or worst-class optimal quotas
# (DRoP's errors are measured on a validation sample). Dashed lines are population limits where known.
#
# Random pruning keeps $t^*$ (worst-class risk $0.219$ at every density). keep-hard returns exactly the full-data rule:
# the kept window around the full-data threshold contains it, and inside the window the empirical risk differs from the
# full-data one by a constant. keep-easy and SSP degrade as the density falls. The optimal quotas and iterated DRoP reach
# $0.1587$ in the limit for $d \le 2/3$; at $n = 4000$ they sit at $0.18$ to $0.21$. One-step DRoP's limit is $0.266$
# for $d \le 0.6$, worse than random pruning, and at $n = 4000$ it is far worse ($0.44$ to $0.48$ for $d \le 0.5$): the
# validation errors vary between seeds, the training prior with them ($\pm 0.04$ around $0.177$), and in about a quarter
# of the seeds it crosses the cliff at $0.149$ to a practically constant rule (cell below).

# %%
drawn = figures.risk_vs_density(**options("risk_vs_density"))
display(drawn.figure)

# %%
data = drawn.data
with jax.enable_x64(True):
    limits = method_limits(paper, data["densities"])
print("worst-class risk, Monte Carlo mean (population limit)")
print(f"{'density':<21}" + "".join(f"{d:>16.2f}" for d in data["densities"]))
for name, mean in data["worst_mean"].items():
    limit = limits[name].worst_class_risk_mean if name in limits else np.full_like(mean, np.nan)
    print(f"{name:<21}" + "".join(f"{m:8.3f} ({l:.3f})" for m, l in zip(mean, limit)))
full_data = data["worst_mean"]["Random"][-1]  # density 1
print(f"keep-hard: largest difference from full data {np.max(abs(data['worst_mean']['keep-hard'] - full_data)):.1e}")

# %%
n, seeds = (400, 8) if QUICK else (4000, 64)
densities = np.array([0.25, 0.5]) if QUICK else np.array([0.1, 0.3, 0.5, 0.7])
with jax.enable_x64(True):
    key = jax.random.key(0)
    samples = draw_seeds(paper, key, n, seeds)
    counts = np.asarray(policy_counts(paper, jax.random.fold_in(key, 1), samples, densities, "drop"))
    worst = np.asarray(evaluate_counts(paper, samples, counts)).max(axis=-1)
prior = counts[..., 0] / counts.sum(axis=-1)
print(f"one-step DRoP, n = {n}, {seeds} seeds")
for j, d in enumerate(densities):
    print(f"d = {d:.2f}: training prior {prior[:, j].mean():.3f} +- {prior[:, j].std():.3f} (sd over seeds), "
          f"worst-class risk > 0.99 in {np.mean(worst[:, j] > 0.99):.0%} of seeds, mean {worst[:, j].mean():.3f}")

# %% [markdown]
# ## Ratio landscape
#
# The risks over class densities $(d_0, d_1)$, whose training prior is $\phi'_k = \phi_k d_k / \sum_j \phi_j d_j$
# (top: limit; bottom: Monte Carlo, $n = 4000$). Iso-density lines $\phi_0 d_0 + \phi_1 d_1 = d$ are white, the best
# allocation per density is red. In the limit the worst-class optimum $0.1587$ lies on the ray $d_1 = 3 d_0$ (prior
# $0.25$) up to $d = 2/3$ and at $(2d - 1, 1)$ above; the average risk is smallest on the diagonal (prior $0.5$,
# $0.1331$). The Monte Carlo optimum per density stays above $0.1587$ and rises as the density falls; its
# allocations train at priors of about $0.28$ to $0.33$, away from the cliff at $0.149$.
# `01_ratio_landscapes.ipynb` draws the landscape for other mixtures and fits.

# %%
drawn = figures.ratio_landscape(**options("ratio_landscape"))
display(drawn.figure)

# %%
data = drawn.data
for source, paths in data["paths"].items():
    for objective in ("worst", "average"):
        best = paths[objective]
        print(f"{source}, {objective}: best value per density from {best['values'].min():.4f} "
              f"to {best['values'].max():.4f}")
        for d, allocation, value in list(zip(data["path_densities"], best["allocations"], best["values"]))[::3]:
            prior = float(training_priors(paper.priors, allocation)[0])
            print(f"   d = {d:.2f}: ({allocation[0]:.3f}, {allocation[1]:.3f}), phi'_0 = {prior:.3f}, risk {value:.4f}")

# %% [markdown]
# ## How near-optimal is DRoP across mixtures?
#
# Balanced mixtures $\sigma = (1, r)$, $\mu = (-g/2, g/2)$ on a grid of std ratios $r$ and mean gaps $g$, population
# limit, threshold rules, dataset density $0.5$. The regret of a method $m$ is its worst-class risk minus the best one
# achievable by choosing the training prior,
#
# $$\mathrm{regret}_m(r, g) = \max_k R_k\big(t^*(\phi'_m)\big) - \min_{\phi'} \max_k R_k\big(t^*(\phi')\big),$$
#
# for training on the full data, one DRoP step, and iterated DRoP (30 steps of size $0.5$). The star is the paper's
# example, rescaled to $\sigma_0 = 1$ ($r = 3$, $g = 4$).
#
# On the $21 \times 16$ grid one-step DRoP beats full data in only 15 % of the cells, iterated DRoP in 33 %. Full data
# is optimal only when $\sigma_0 = \sigma_1$. Iterated DRoP reaches the optimum in 38 % of the cells, essentially those
# where the std-proportional prior trains a non-constant rule. Elsewhere no prior trains $t_w$, so none equalises the
# class errors, and the optimum lies at the edge of the priors that train a constant rule. The multiplicative update
# steps past that edge, the constant rule's errors $(1, 0)$ drop the class it gets right, and the worst-class risk ends
# at 1 (62 % of the cells). One-step DRoP lands on a constant rule in 70 % of the cells.

# %%
drawn = figures.drop_regret(**options("drop_regret"))
display(drawn.figure)


# %%
def constant_at_std_proportional(std_ratio, gap):
    mixture = regret_mixture(std_ratio, gap)
    return float(trained_worst_class_risk(mixture, std_proportional_priors(mixture))) > 1 - 1e-9


data = drawn.data
maps = data["maps"]
with jax.enable_x64(True):
    std_proportional_fails = np.array([[constant_at_std_proportional(r, g) for g in data["gaps"]]
                                       for r in data["std_ratios"]])
    star = {name: float(value[0, 0]) for name, value in drop_regret_map([data["star"][0]], [data["star"][1]]).items()}
print(f"{maps['full'].size} cells")
print(f"one-step DRoP below full data: {np.mean(maps['drop'] < maps['full'] - 1e-9):.1%}")
print(f"iterated DRoP below full data: {np.mean(maps['iterated-drop'] < maps['full'] - 1e-9):.1%}")
print(f"full data optimal: {np.mean(data['regrets']['full'] < 1e-6):.1%}")
print(f"iterated DRoP optimal: {np.mean(data['regrets']['iterated-drop'] < 1e-6):.1%}")
print(f"worst-class risk 1: one-step DRoP {np.mean(maps['drop'] > 1 - 1e-9):.1%}, "
      f"iterated DRoP {np.mean(maps['iterated-drop'] > 1 - 1e-9):.1%}; "
      f"constant rule at the std-proportional prior {np.mean(std_proportional_fails):.1%}")
print("paper's example:", {name: round(value, 4) for name, value in star.items()})
