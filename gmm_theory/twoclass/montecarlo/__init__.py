"""Monte Carlo twin of the two-class model: finite samples drawn, pruned inside classes,
fitted and scored exactly, vectorised over seeds and allocations.

- :mod:`~gmm_theory.twoclass.montecarlo.selection`: which samples each pruning rule keeps;
- :mod:`~gmm_theory.twoclass.montecarlo.engine`: draw, prune, fit, evaluate, summarise;
- :mod:`~gmm_theory.twoclass.montecarlo.policies`: class quotas from the shared allocator;
- :mod:`~gmm_theory.twoclass.montecarlo.comparison`: methods at finite n beside their limits.
"""

from gmm_theory.twoclass.montecarlo.comparison import METHODS as METHODS
from gmm_theory.twoclass.montecarlo.comparison import Method as Method
from gmm_theory.twoclass.montecarlo.comparison import compare_methods as compare_methods
from gmm_theory.twoclass.montecarlo.comparison import drop_regret_map as drop_regret_map
from gmm_theory.twoclass.montecarlo.comparison import method_limits as method_limits
from gmm_theory.twoclass.montecarlo.comparison import regret_mixture as regret_mixture
from gmm_theory.twoclass.montecarlo.engine import SeedSample as SeedSample
from gmm_theory.twoclass.montecarlo.engine import Summary as Summary
from gmm_theory.twoclass.montecarlo.engine import convergence as convergence
from gmm_theory.twoclass.montecarlo.engine import density_counts as density_counts
from gmm_theory.twoclass.montecarlo.engine import density_grid as density_grid
from gmm_theory.twoclass.montecarlo.engine import draw as draw
from gmm_theory.twoclass.montecarlo.engine import draw_seeds as draw_seeds
from gmm_theory.twoclass.montecarlo.engine import evaluate_counts as evaluate_counts
from gmm_theory.twoclass.montecarlo.engine import fit_rules as fit_rules
from gmm_theory.twoclass.montecarlo.engine import grid_allocations as grid_allocations
from gmm_theory.twoclass.montecarlo.engine import population_class_risks as population_class_risks
from gmm_theory.twoclass.montecarlo.engine import summarise as summarise
from gmm_theory.twoclass.montecarlo.engine import sweep as sweep
from gmm_theory.twoclass.montecarlo.engine import trial as trial
from gmm_theory.twoclass.montecarlo.policies import margin_counts as margin_counts
from gmm_theory.twoclass.montecarlo.policies import policy_counts as policy_counts
from gmm_theory.twoclass.montecarlo.policies import validation_errors as validation_errors
from gmm_theory.twoclass.montecarlo.selection import PRUNING_RULES as PRUNING_RULES
from gmm_theory.twoclass.montecarlo.selection import class_mean_distance as class_mean_distance
from gmm_theory.twoclass.montecarlo.selection import class_sizes as class_sizes
from gmm_theory.twoclass.montecarlo.selection import global_ranks as global_ranks
from gmm_theory.twoclass.montecarlo.selection import priority as priority
from gmm_theory.twoclass.montecarlo.selection import within_class_ranks as within_class_ranks

__all__ = [
    "class_mean_distance",
    "class_sizes",
    "compare_methods",
    "convergence",
    "density_counts",
    "density_grid",
    "draw",
    "draw_seeds",
    "drop_regret_map",
    "evaluate_counts",
    "fit_rules",
    "global_ranks",
    "grid_allocations",
    "margin_counts",
    "Method",
    "method_limits",
    "METHODS",
    "policy_counts",
    "population_class_risks",
    "priority",
    "PRUNING_RULES",
    "regret_mixture",
    "SeedSample",
    "summarise",
    "Summary",
    "sweep",
    "trial",
    "validation_errors",
    "within_class_ranks",
]
