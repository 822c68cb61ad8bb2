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
# # Ratio landscapes
#
# Two classes, $x \mid y = k \sim \mathcal N(\mu_k, \sigma_k^2)$ with priors $\phi_k$; the paper's example is
# $\mu = (-1, 1)$, $\sigma = (0.5, 1.5)$, $\phi = (0.5, 0.5)$. Random pruning inside classes with class densities
# $(d_0, d_1)$ keeps the dataset density $d = \phi_0 d_0 + \phi_1 d_1$ and leaves each class law unchanged, so its only
# effect is on the training priors (DRoP paper, Section 4):
#
# $$\phi'_k = \frac{\phi_k d_k}{\sum_j \phi_j d_j}.$$
#
# Each allocation on the iso-density line of $d$ is therefore one training prior $\phi'_0$, within the range that
# $d_k \le 1$ allows. In the population limit the landscape over $(d_0, d_1)$ is the risk of the rule trained at
# $\phi'_0$ seen through this change of variables; at finite $n$ it also depends on how much data is kept.

# %%
import os
QUICK = os.environ.get("GMM_THEORY_QUICK") == "1"  # small sizes, used by the test suite

# %%
# %matplotlib inline
import ipywidgets as widgets
import jax
import numpy as np
from IPython.display import display

from gmm_theory import TwoClassMixture, figures, training_priors

# %% [markdown]
# Allocations with the same ratio $d_1 / d_0$ train at the same prior, whatever density they keep: on the paper's
# example $(0.2, 0.6)$ and $(0.3, 0.9)$ both train at the std-proportional prior $(0.25, 0.75)$.

# %%
with jax.enable_x64(True):
    paper = TwoClassMixture(means=(-1.0, 1.0), stds=(0.5, 1.5), priors=(0.5, 0.5))
    for densities in [(1.0, 1.0), (0.5, 0.5), (0.2, 0.6), (0.3, 0.9), (0.9, 0.3)]:
        density = float(np.dot(paper.priors, densities))
        prior = np.asarray(training_priors(paper.priors, densities))
        print(f"(d_0, d_1) = {densities}: dataset density {density:.2f}, "
              f"training priors ({prior[0]:.3f}, {prior[1]:.3f})")

# %% [markdown]
# ## The paper's example
#
# Top row: population limit; bottom row: Monte Carlo means of threshold ERM at finite $n$. Left: worst-class risk;
# right: average risk. White lines are iso-density lines, the red path is the best allocation on each, and the dashed
# ray holds the allocations that train at the worst-class optimal prior.
#
# In the limit the worst-class optimum $0.1587$ is reached everywhere on the ray $d_1 = 3 d_0$ (training prior $0.25$)
# up to $d = 2/3$, where class 1 is kept whole; at higher densities the best allocation is $(2d - 1, 1)$. The average
# risk is smallest on the diagonal $d_0 = d_1$, where training at the data's priors keeps $t^*$ (average risk $0.1331$
# at every density). At finite $n$ the worst-class landscape is no longer constant along rays: with $n = 4000$ the best
# value per density below $2/3$ lies between $0.175$ and $0.193$ and rises as fewer samples are kept, and the best
# allocations keep relatively more of class 0 (training priors of about $0.28$ to $0.33$ instead of $0.25$), away from
# the priors below $0.149$ where the trained rule becomes constant.

# %%
landscape = figures.ratio_landscape(**(figures.QUICK_OPTIONS["ratio_landscape"] if QUICK else {}))
display(landscape.figure)

# %%
print("best worst-class allocation per density: (d_0, d_1), training prior phi'_0, worst-class risk")
for source, paths in landscape.data["paths"].items():
    print(source)
    best = paths["worst"]
    for d, allocation, value in zip(landscape.data["path_densities"], best["allocations"], best["values"]):
        prior = float(training_priors(paper.priors, allocation)[0])
        print(f"   d = {d:.2f}: ({allocation[0]:.3f}, {allocation[1]:.3f}), phi'_0 = {prior:.3f}, risk {value:.4f}")

# %% [markdown]
# ## Explore other mixtures
#
# The sliders set $\mu_0, \mu_1, \sigma_0, \sigma_1$ and the prior $\phi_0$ (so $\phi = (\phi_0, 1 - \phi_0)$); their
# ranges keep the mixture valid ($\mu_0 \le 0 < \mu_1$, $\sigma_k \ge 0.1$, $0 < \phi_0 < 1$). $n$ is the training-set
# size of the Monte Carlo points and *fit* the learner. Below the landscape, the prior curve: class, average and
# worst-class risk of the rule trained at prior $\phi'_0$ (lines: population limit; points: Monte Carlo at dataset
# density $d$), with marks at the data's prior, the std-proportional prior, one DRoP step and the iterated-DRoP limit
# at density $d$. Grids and seed counts are small, so a redraw takes a few seconds; the first draw at a new $n$ or fit
# also compiles, and logistic regression is the slowest fit.

# %%
LANDSCAPE = (dict(grid=8, path_densities=(0.3, 0.6, 0.9), path_points=21, mc_path_points=5, seeds=4) if QUICK else
             dict(grid=12, path_densities=tuple(np.linspace(0.1, 1.0, 10)), path_points=101, mc_path_points=11,
                  seeds=12))
PRIOR_CURVE = dict(points=49, mc_points=5, seeds=4) if QUICK else dict(points=199, mc_points=11, seeds=12)


def slider(value, low, high, step, description):
    return widgets.FloatSlider(value=value, min=low, max=high, step=step, description=description,
                               continuous_update=False)


def explore(mu0, mu1, sigma0, sigma1, phi0, n, density, fit):
    with jax.enable_x64(True):
        mixture = TwoClassMixture((mu0, mu1), (sigma0, sigma1), (phi0, 1 - phi0))
    display(figures.ratio_landscape(mixture, n=n, fit=fit, **LANDSCAPE).figure)
    display(figures.risk_vs_training_prior(mixture, n=n, fit=fit, density=density, **PRIOR_CURVE).figure)


widgets.interact(
    explore,
    mu0=slider(-1.0, -3.0, 0.0, 0.1, "μ₀"),
    mu1=slider(1.0, 0.1, 3.0, 0.1, "μ₁"),
    sigma0=slider(0.5, 0.1, 3.0, 0.05, "σ₀"),
    sigma1=slider(1.5, 0.1, 3.0, 0.05, "σ₁"),
    phi0=slider(0.5, 0.05, 0.95, 0.05, "φ₀"),
    n=widgets.IntSlider(value=400 if QUICK else 2000, min=200, max=4000, step=200, description="n",
                        continuous_update=False),
    density=slider(0.5, 0.1, 1.0, 0.05, "density d"),
    fit=widgets.Dropdown(options=["threshold", "least-squares", "logistic", "plugin"], description="fit"),
);
