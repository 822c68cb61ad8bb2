"""The bridge pipeline: query models -> class quotas from the shared allocator -> within-class
selection -> final model -> class-wise test accuracies (DRoP paper, Section 5 protocol).

1. Query phase: ``query_inits`` models trained on the current training set; the class
   recalls on the validation split at each model's best-validation-accuracy epoch are
   averaged, and so are the within-class scores.
2. Selection: class counts from :func:`gmm_theory.allocate.allocate` (the very function the
   Gaussian theory uses), then the highest scores inside each class; ``iterated-drop``
   repeats query and selection over a density schedule from 1 to d; ``adjusted`` takes its
   weights from the full-data query's validation log-probabilities.
3. The final model trains on the kept samples for E' = int((0.5 + 0.5 d) E / d) epochs
   with augmentation, and is evaluated on the test split.
"""

from __future__ import annotations

import dataclasses
import time
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from gmm_theory._checks import check_choice
from gmm_theory.bridge import scores as scoring
from gmm_theory.bridge.datasets import Dataset, load_dataset
from gmm_theory.bridge.models import make_model
from gmm_theory.bridge.select import (
    SCHEDULES,
    adjusted_priors,
    budget,
    check_quoter,
    class_counts,
    density_schedule,
    global_top,
    iterated_counts,
    top_within_classes,
)
from gmm_theory.bridge.train import TrainConfig, class_recalls, predict, pruned_epochs, train
from gmm_theory.drop import IteratedDrop, iterated_drop, smoothed_errors


@dataclasses.dataclass(frozen=True)
class Recipe:
    """Training defaults of a dataset: query epochs E, batch size, learning rate, and the
    augmentation of the final model."""

    epochs: int
    batch_size: int
    learning_rate: float
    flip: bool
    shift: int


RECIPES = {
    "digits": Recipe(30, 32, 0.05, False, 1),
    "mnist1d": Recipe(30, 64, 0.05, False, 2),
    "mnist": Recipe(10, 128, 0.05, False, 2),
    "fashion-mnist": Recipe(15, 128, 0.05, True, 2),
    "cifar10": Recipe(100, 128, 0.1, True, 4),
    "cifar100": Recipe(100, 128, 0.1, True, 4),
    "tinyimagenet": Recipe(100, 128, 0.1, True, 8),
    "npz": Recipe(20, 128, 0.05, False, 0),
}


@dataclasses.dataclass(frozen=True)
class BridgeConfig:
    """One bridge run.  ``epochs=None`` takes the dataset's recipe; ``rounds``, ``schedule``
    and ``step`` configure ``iterated-drop``; ``semantics`` is the allocator's for ``drop``;
    ``width`` is the small CNN's first-layer channels."""

    dataset: str = "digits"
    root: str | None = None
    model: str = "auto"
    scorer: str = "random"
    quoter: str = "drop"
    density: float = 0.5
    seed: int = 0
    query_inits: int = 1
    epochs: int | None = None
    rounds: int = 3
    schedule: str = "exponential"
    step: float = 1.0
    semantics: str = "density"
    bf16: bool = False
    width: int | None = None
    progress: bool | None = None

    def __post_init__(self):
        scoring.check_scorer(self.scorer)
        check_quoter(self.quoter)
        if not 0 < self.density <= 1:
            raise ValueError(f"density must lie in (0, 1], got {self.density}")
        if not (isinstance(self.query_inits, int) and self.query_inits >= 1):
            raise ValueError(f"query_inits must be an integer >= 1, got {self.query_inits!r}")
        if self.epochs is not None and not (isinstance(self.epochs, int) and self.epochs >= 1):
            raise ValueError(f"epochs must be an integer >= 1, got {self.epochs!r}")
        check_choice("schedule", self.schedule, SCHEDULES)
        IteratedDrop(self.rounds, self.step)

    @property
    def recipe(self) -> Recipe:
        return RECIPES["npz" if self.dataset.startswith("npz:") else self.dataset]

    @property
    def query_training(self) -> TrainConfig:
        """How a query model trains: the recipe's epochs (unless ``epochs`` is set), batch
        size and learning rate, without augmentation."""
        recipe = self.recipe
        return TrainConfig(epochs=self.epochs or recipe.epochs, batch_size=recipe.batch_size,
                           learning_rate=recipe.learning_rate)


class Query(NamedTuple):
    """Averaged class recalls (K,) on the validation split, within-class scores (n,) of the
    queried samples for each scorer, and the validation log-probabilities (n_val, K), all at
    each query model's best-validation-accuracy epoch; ``None`` where not kept."""

    recalls: np.ndarray
    scores: dict[str, np.ndarray]
    log_probabilities: np.ndarray | None = None


class _Arrays(NamedTuple):
    x_train: jax.Array
    y_train: jax.Array
    x_val: jax.Array
    y_val: np.ndarray


def _scores(scorer: str, model, variables, history, x, y, key) -> np.ndarray:
    """Scores of ``scorer`` for samples ``x, y`` from a trained query model and its history."""
    if scorer == "random":
        return np.asarray(jax.random.uniform(key, (y.shape[0],)), dtype=np.float64)
    if scorer == "forgetting":
        return scoring.forgetting_scores([dynamics[0] for dynamics in history])
    if scorer == "dynamic-uncertainty":
        return scoring.dynamic_uncertainty_scores([dynamics[1] for dynamics in history])
    if scorer == "grand":
        return scoring.grand_scores(model, variables, x, y)
    logits, embeddings = predict(model, variables, x)
    if scorer == "el2n":
        return np.asarray(scoring.el2n_scores(logits, y), dtype=np.float64)
    embedding_scorer = {"coreset": scoring.coreset_scores, "ssp": scoring.ssp_scores,
                        "gmm-uncertainty": scoring.gmm_uncertainty_scores}[scorer]
    return np.asarray(embedding_scorer(embeddings, y), dtype=np.float64)


def _query_once(model, arrays: _Arrays, subset, config: BridgeConfig, train_config: TrainConfig, key, classes,
                scorers):
    """Train one query model on ``subset``; return (recalls and validation log-probabilities
    at the first epoch of best validation accuracy, {scorer: scores})."""
    dynamic = any(scorer in scoring.DYNAMIC_SCORERS for scorer in scorers)
    x_subset, y_subset = arrays.x_train[subset], arrays.y_train[subset]
    # Only the best epoch's validation outputs are kept, so memory does not grow with epochs.
    best = {"accuracy": -np.inf}

    def record(epoch, variables):
        logits = predict(model, variables, arrays.x_val)[0]
        recalls = class_recalls(logits, arrays.y_val, classes)
        accuracy = float(np.mean(recalls[arrays.y_val]))
        if accuracy > best["accuracy"]:
            best.update(accuracy=accuracy, recalls=recalls,
                        log_probabilities=np.asarray(jax.nn.log_softmax(logits, axis=-1)))
        if not dynamic:
            return None
        probabilities = jax.nn.softmax(predict(model, variables, x_subset)[0], axis=-1)
        true_class = np.asarray(jnp.take_along_axis(probabilities, y_subset[:, None], axis=-1)[:, 0])
        correct = np.asarray(jnp.argmax(probabilities, axis=-1) == y_subset)
        return correct, true_class

    train_key, score_key = jax.random.split(key)
    variables, history = train(model, arrays.x_train, arrays.y_train, train_config, train_key, indices=subset,
                               on_epoch=record, progress=config.progress)
    return best["recalls"], best["log_probabilities"], {
        scorer: _scores(scorer, model, variables, history, x_subset, y_subset, score_key) for scorer in scorers}


def query(model, arrays: _Arrays, subset, config: BridgeConfig, key, classes: int, scorers=None) -> Query:
    """The query phase on ``subset`` for ``scorers`` (``config.scorer`` by default), averaged
    over ``config.query_inits`` initialisations."""
    scorers = tuple(scorers or (config.scorer,))
    train_config = config.query_training
    runs = [_query_once(model, arrays, subset, config, train_config, jax.random.fold_in(key, i), classes, scorers)
            for i in range(config.query_inits)]
    recalls, log_probabilities, scores = zip(*runs)
    averaged = {scorer: np.mean([run_scores[scorer] for run_scores in scores], axis=0) for scorer in scorers}
    return Query(np.mean(recalls, axis=0), averaged, np.mean(log_probabilities, axis=0))


def _sizes(y, classes: int) -> np.ndarray:
    return np.bincount(np.asarray(y), minlength=classes)


def prepare(config: BridgeConfig, dataset: Dataset | None):
    """The dataset (loaded unless given), the model and the device arrays of a run."""
    dataset = dataset or load_dataset(config.dataset, config.root)
    model = make_model(config.model, dataset.num_classes, dataset.input_shape, bf16=config.bf16, width=config.width)
    arrays = _Arrays(jnp.asarray(dataset.x_train), jnp.asarray(dataset.y_train), jnp.asarray(dataset.x_val),
                     np.asarray(dataset.y_val))
    return dataset, model, arrays


def selection_key(config: BridgeConfig):
    """The key of a run's query phases and selection."""
    return jax.random.fold_in(jax.random.key(config.seed), 1)


def full_data_query(config: BridgeConfig, dataset: Dataset | None = None, scorers=None) -> Query:
    """The first query phase of :func:`run` (full training set, same keys) for several
    scorers at once, so runs that differ only in scorer, quoter or density can share it."""
    dataset, model, arrays = prepare(config, dataset)
    everything = np.arange(dataset.y_train.size)
    return query(model, arrays, everything, config, jax.random.fold_in(selection_key(config), 0),
                 dataset.num_classes, scorers)


def select(model, arrays: _Arrays, config: BridgeConfig, key, classes: int,
           first: Query | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Kept training indices and the full-data query recalls (K,); ``first`` is the
    full-data query when already computed."""
    y = np.asarray(arrays.y_train)
    validation_sizes = _sizes(arrays.y_val, classes)
    everything = np.arange(y.size)
    if first is None:
        first = query(model, arrays, everything, config, jax.random.fold_in(key, 0), classes)
    if config.quoter == "class-blind":
        return global_top(first.scores[config.scorer], budget(y.size, config.density)), first.recalls
    priors = _sizes(y, classes) / y.size
    if config.quoter in ("stratified", "drop", "adjusted"):
        targets = (adjusted_priors(first.log_probabilities, arrays.y_val, priors, config.density)
                   if config.quoter == "adjusted" else None)
        counts = class_counts(config.quoter, _sizes(y, classes), config.density, priors=targets,
                              errors=smoothed_errors(first.recalls, validation_sizes), semantics=config.semantics)
        return top_within_classes(y, first.scores[config.scorer], counts), first.recalls
    schedule = density_schedule(config.density, config.rounds, config.schedule)
    queries = {0: first}

    def measure(kept, round_):
        if round_ not in queries:
            queries[round_] = query(model, arrays, kept, config, jax.random.fold_in(key, round_), classes)
        return smoothed_errors(queries[round_].recalls, validation_sizes)

    def realise(target, kept, round_):
        counts = iterated_counts(_sizes(y[kept], classes), y.size, schedule[round_ - 1], target)
        return kept[top_within_classes(y[kept], queries[round_ - 1].scores[config.scorer], counts)]

    rounds = IteratedDrop(config.rounds, config.step)
    return iterated_drop(measure, realise, priors, everything, rounds)[-1], first.recalls


def _correlation(a, b) -> float | None:
    """Pearson correlation, or None when either side is constant."""
    if np.std(a) == 0 or np.std(b) == 0:
        return None
    return float(np.corrcoef(a, b)[0, 1])


def metrics(test_recalls, test_labels, class_densities, full_data_recalls) -> dict:
    """Average and worst-class accuracy, their spread, and how kept densities track the
    full-data class accuracies."""
    return {
        "average_accuracy": float(np.mean(test_recalls[np.asarray(test_labels)])),
        "worst_class_accuracy": float(test_recalls.min()),
        "class_accuracies": test_recalls.tolist(),
        "class_accuracy_std": float(test_recalls.std()),
        "best_minus_worst": float(test_recalls.max() - test_recalls.min()),
        "class_densities": class_densities.tolist(),
        "density_accuracy_correlation": _correlation(class_densities, full_data_recalls),
    }


def run(config: BridgeConfig, dataset: Dataset | None = None,
        first: Query | None = None) -> tuple[dict, np.ndarray]:
    """Run the pipeline; returns the result (JSON-ready) and the kept training indices.
    ``first`` is :func:`full_data_query` of the same settings, when already computed."""
    start = time.perf_counter()
    dataset, model, arrays = prepare(config, dataset)
    classes = dataset.num_classes
    kept, full_data_recalls = select(model, arrays, config, selection_key(config), classes, first)

    recipe = config.recipe
    final = TrainConfig(epochs=pruned_epochs(config.epochs or recipe.epochs, config.density),
                        batch_size=recipe.batch_size, learning_rate=recipe.learning_rate, flip=recipe.flip,
                        shift=recipe.shift)
    key = jax.random.key(config.seed)
    variables, _ = train(model, arrays.x_train, arrays.y_train, final, jax.random.fold_in(key, 2), indices=kept,
                         progress=config.progress)
    test_recalls = class_recalls(predict(model, variables, jnp.asarray(dataset.x_test))[0], dataset.y_test, classes)
    kept_per_class = _sizes(dataset.y_train[kept], classes)
    result = {
        "dataset": config.dataset, "model": type(model).__name__, "scorer": config.scorer, "quoter": config.quoter,
        "density": config.density, "seed": config.seed, "query_inits": config.query_inits,
        "query_epochs": config.epochs or recipe.epochs, "final_epochs": final.epochs,
        **metrics(test_recalls, dataset.y_test, kept_per_class / dataset.class_sizes, full_data_recalls),
        "class_names": list(dataset.class_names), "training_size": int(dataset.y_train.size), "kept": int(kept.size),
        "kept_per_class": kept_per_class.tolist(),
        "full_data_class_recalls": full_data_recalls.tolist(),
        "seconds": time.perf_counter() - start,
    }
    return result, kept
