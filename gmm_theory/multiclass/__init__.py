"""K classes in d dimensions: Gaussian mixtures, the class risks of linear rules as orthant
probabilities, worst-class optimal priors and the class-quota allocators as n -> infinity.
"""

from gmm_theory.multiclass.allocators import ALLOCATORS as ALLOCATORS
from gmm_theory.multiclass.allocators import CLASSIFIERS as CLASSIFIERS
from gmm_theory.multiclass.allocators import Allocated as Allocated
from gmm_theory.multiclass.allocators import Quadrature as Quadrature
from gmm_theory.multiclass.allocators import allocate_model as allocate_model
from gmm_theory.multiclass.allocators import optimal_priors as optimal_priors
from gmm_theory.multiclass.allocators import trained_class_risks as trained_class_risks
from gmm_theory.multiclass.allocators import worst_class_regrets as worst_class_regrets
from gmm_theory.multiclass.classifiers import LinearClassifier as LinearClassifier
from gmm_theory.multiclass.classifiers import lda_classifier as lda_classifier
from gmm_theory.multiclass.classifiers import least_squares_classifier as least_squares_classifier
from gmm_theory.multiclass.classifiers import logistic_classifier as logistic_classifier
from gmm_theory.multiclass.minimax import MinimaxPriors as MinimaxPriors
from gmm_theory.multiclass.minimax import RealisableMinimax as RealisableMinimax
from gmm_theory.multiclass.minimax import equalise_risks as equalise_risks
from gmm_theory.multiclass.minimax import minimax_priors as minimax_priors
from gmm_theory.multiclass.minimax import realisable_minimax as realisable_minimax
from gmm_theory.multiclass.mixture import KClassMixture as KClassMixture
from gmm_theory.multiclass.mixture import fit_mixture as fit_mixture
from gmm_theory.multiclass.mixture import random_mixture as random_mixture
from gmm_theory.multiclass.mixture import sample as sample
from gmm_theory.multiclass.orthant import orthant_probability as orthant_probability
from gmm_theory.multiclass.prior_sweep import lda_risks_over_priors as lda_risks_over_priors
from gmm_theory.multiclass.quadratic import quadratic_class_risks as quadratic_class_risks
from gmm_theory.multiclass.quadratic import quadratic_scores as quadratic_scores
from gmm_theory.multiclass.risk import class_risks as class_risks

__all__ = [
    "allocate_model",
    "Allocated",
    "ALLOCATORS",
    "class_risks",
    "CLASSIFIERS",
    "equalise_risks",
    "fit_mixture",
    "KClassMixture",
    "lda_classifier",
    "lda_risks_over_priors",
    "least_squares_classifier",
    "LinearClassifier",
    "logistic_classifier",
    "minimax_priors",
    "MinimaxPriors",
    "optimal_priors",
    "orthant_probability",
    "quadratic_class_risks",
    "quadratic_scores",
    "Quadrature",
    "random_mixture",
    "realisable_minimax",
    "RealisableMinimax",
    "sample",
    "trained_class_risks",
    "worst_class_regrets",
]
