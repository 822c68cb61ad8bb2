"""Monte Carlo twin of the two-class model: finite samples drawn, pruned inside classes,
fitted and scored exactly, vectorised over seeds and allocations.

- :mod:`~gmm_theory.twoclass.montecarlo.selection`: which samples each pruning rule keeps;
- :mod:`~gmm_theory.twoclass.montecarlo.engine`: draw, prune, fit, evaluate, summarise;
- :mod:`~gmm_theory.twoclass.montecarlo.policies`: class quotas from the shared allocator;
- :mod:`~gmm_theory.twoclass.montecarlo.comparison`: methods at finite n beside their limits.
"""

from gmm_theory._lazy import export_lazily

export_lazily(__name__, {
    "METHODS": "gmm_theory.twoclass.montecarlo.comparison",
    "Method": "gmm_theory.twoclass.montecarlo.comparison",
    "compare_methods": "gmm_theory.twoclass.montecarlo.comparison",
    "drop_regret_map": "gmm_theory.twoclass.montecarlo.comparison",
    "method_limits": "gmm_theory.twoclass.montecarlo.comparison",
    "regret_mixture": "gmm_theory.twoclass.montecarlo.comparison",
    "SeedSample": "gmm_theory.twoclass.montecarlo.engine",
    "Summary": "gmm_theory.twoclass.montecarlo.engine",
    "convergence": "gmm_theory.twoclass.montecarlo.engine",
    "density_counts": "gmm_theory.twoclass.montecarlo.engine",
    "density_grid": "gmm_theory.twoclass.montecarlo.engine",
    "draw": "gmm_theory.twoclass.montecarlo.engine",
    "draw_seeds": "gmm_theory.twoclass.montecarlo.engine",
    "evaluate_counts": "gmm_theory.twoclass.montecarlo.engine",
    "fit_rules": "gmm_theory.twoclass.montecarlo.engine",
    "grid_allocations": "gmm_theory.twoclass.montecarlo.engine",
    "population_class_risks": "gmm_theory.twoclass.montecarlo.engine",
    "summarise": "gmm_theory.twoclass.montecarlo.engine",
    "sweep": "gmm_theory.twoclass.montecarlo.engine",
    "trial": "gmm_theory.twoclass.montecarlo.engine",
    "margin_counts": "gmm_theory.twoclass.montecarlo.policies",
    "policy_counts": "gmm_theory.twoclass.montecarlo.policies",
    "validation_errors": "gmm_theory.twoclass.montecarlo.policies",
    "PRUNING_RULES": "gmm_theory.twoclass.montecarlo.selection",
    "class_mean_distance": "gmm_theory.twoclass.montecarlo.selection",
    "class_sizes": "gmm_theory.twoclass.montecarlo.selection",
    "global_ranks": "gmm_theory.twoclass.montecarlo.selection",
    "priority": "gmm_theory.twoclass.montecarlo.selection",
    "within_class_ranks": "gmm_theory.twoclass.montecarlo.selection",
})

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
