"""Bridge: the same class-quota allocator on CNNs trained in JAX on real datasets.

Needs the ``bridge`` extra (flax, optax, scikit-learn, mnist1d, tqdm); importing any part of
the bridge without it raises a one-line :class:`gmm_theory._checks.MissingExtra`.
"""

from gmm_theory._checks import BRIDGE_EXTRA, require_extra

require_extra("bridge", BRIDGE_EXTRA)

# The public names, imported once the extra is known to be there.
from gmm_theory.bridge.datasets import DATASETS as DATASETS
from gmm_theory.bridge.datasets import Dataset as Dataset
from gmm_theory.bridge.datasets import load_dataset as load_dataset
from gmm_theory.bridge.embeddings import embedding_mixture as embedding_mixture
from gmm_theory.bridge.models import MODELS as MODELS
from gmm_theory.bridge.models import make_model as make_model
from gmm_theory.bridge.pipeline import BridgeConfig as BridgeConfig
from gmm_theory.bridge.pipeline import full_data_query as full_data_query
from gmm_theory.bridge.pipeline import run as run
from gmm_theory.bridge.recipes import DATASET_RECIPES as DATASET_RECIPES
from gmm_theory.bridge.recipes import recipe as recipe
from gmm_theory.bridge.scores import SCORERS as SCORERS
from gmm_theory.bridge.select import QUOTERS as QUOTERS
from gmm_theory.bridge.store import Store as Store
from gmm_theory.bridge.sweep import SweepConfig as SweepConfig
from gmm_theory.bridge.sweep import load_config as load_config
from gmm_theory.bridge.sweep import run_sweep as run_sweep
from gmm_theory.bridge.train import TrainConfig as TrainConfig
from gmm_theory.bridge.train import predict as predict
from gmm_theory.bridge.train import train as train

__all__ = [
    "DATASETS", "DATASET_RECIPES", "MODELS", "QUOTERS", "SCORERS", "BridgeConfig", "Dataset", "Store", "SweepConfig",
    "TrainConfig", "embedding_mixture", "full_data_query", "load_config", "load_dataset", "make_model", "predict", "recipe",
    "run", "run_sweep", "train",
]
