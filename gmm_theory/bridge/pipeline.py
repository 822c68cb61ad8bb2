"""The bridge pipeline: query models -> class quotas from the shared allocator -> within-class
selection -> final model -> class-wise test accuracies (DRoP paper, Section 5 protocol).

1. Query phase: the scorer's query models trained on the current training set; the class
   recalls on the validation split at each model's best-validation-accuracy epoch are
   averaged, and so are the within-class scores.
2. Selection: class counts from :func:`gmm_theory.allocate.allocate` (the very function the
   Gaussian theory uses), then the highest scores inside each class; ``iterated-drop``
   repeats query and selection over a density schedule from 1 to d; ``adjusted`` takes its
   weights from the full-data query's validation log-probabilities.
3. The final model trains on the kept samples for E' = int((0.5 + 0.5 d) E / d) epochs
   with augmentation, and is evaluated on the test split.

The network and its training come from the dataset's recipe (:mod:`gmm_theory.bridge.recipes`),
the query models of each scorer from its protocol (:data:`gmm_theory.bridge.scores.QUERY_PROTOCOLS`).
"""

from __future__ import annotations

import dataclasses
import time
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from gmm_theory._checks import as_density, check_choice, check_count
from gmm_theory.bridge import scores as scoring
from gmm_theory.bridge.datasets import Dataset, load_dataset
from gmm_theory.bridge.models import make_model
from gmm_theory.bridge.recipes import Recipe, recipe
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
from gmm_theory.bridge.train import (
    TrainConfig,
    class_recalls,
    predict,
    pruned_epochs,
    train,
)
from gmm_theory.drop import IteratedDrop, iterated_drop, smoothed_errors


@dataclasses.dataclass(frozen=True)
class BridgeConfig:
    r"""One bridge run.  ``model="auto"`` and ``epochs=None`` take the dataset's recipe
    (:func:`gmm_theory.bridge.recipes.recipe`); ``query_inits=None`` takes the scorer's query
    protocol (:func:`gmm_theory.bridge.scores.query_protocol`), a number overrides it;
    ``rounds``, ``schedule`` and ``step`` configure ``iterated-drop``; ``semantics`` is the
    allocator's for ``drop``; ``width`` is the small CNNs' first-layer channels.

    The settings are checked when the config is made (frozen dataclass); for a named dataset
    its recipe is built and checked too, an ``npz:`` file's once its input shape is known.

    Args:
        dataset (str): One of :data:`DATASETS`, or ``"npz:PATH"``.
        root (str | None): The folder of the dataset's files; ``None`` for its default root
            (see :func:`load_dataset`).
        model (str): ``"auto"`` for the dataset's own network, or one of :data:`MODELS`.
        scorer (str): The within-class score, one of :data:`SCORERS`.
        quoter (str): The class quotas, one of :data:`QUOTERS`.
        density (float): The dataset density d, the fraction of the training set kept, in
            (0, 1].
        seed (int): The seed of every random draw of the run (query models, selection, final
            model).
        query_inits (int | None): The number of query models whose recalls and scores are
            averaged, an integer >= 1; ``None`` for the scorer's protocol (5 for EL2N and
            GraNd, 1 otherwise).
        epochs (int | None): The recipe's epochs E (query models train for the protocol's
            fraction of E, the final model for :math:`E'`), an integer >= 1; ``None`` for the
            recipe's.
        rounds (int): The rounds of ``iterated-drop``, an integer >= 1.
        schedule (str): The density schedule of ``iterated-drop`` from 1 down to d,
            ``"linear"`` or ``"exponential"`` (a constant fraction kept per round).
        step (float): The step s of the iterated-DRoP update
            :math:`\pi'_k \leftarrow \pi'_k e_k^s / Z`, a positive finite number.
        semantics (str): How ``drop`` turns validation errors into quotas: ``"density"``
            (kept fractions proportional to the errors, DRoP Algorithm 1) or ``"count"`` (kept
            numbers proportional to the errors, as the official code); see
            :func:`gmm_theory.allocate.water_fill`.
        bf16 (bool): Compute in bfloat16 (for a GPU); parameters stay in float32.
        width (int | None): The first-layer channels of ``small-cnn`` and ``bn-cnn``, an
            integer >= 1; ``None`` for 16.
        progress (bool | None): Show training progress bars; ``None`` shows them on a terminal.

    Raises:
        ValueError: Naming the setting, if ``scorer``, ``quoter`` or ``schedule`` is not one
            of its choices, ``density`` is outside (0, 1], ``query_inits``, ``epochs``,
            ``width`` or ``rounds`` is not an integer >= 1, ``step`` is not positive and
            finite, the dataset or model is unknown to the recipes, or the scorer's query
            models would train too few epochs (Dynamic Uncertainty needs at least 3).

    References:
        Vysogorets, Ahuja, Kempe, "DRoP: Distributionally Robust Data Pruning", ICLR 2025
        (Section 5, Algorithm 1), and its official code, avysogorets/fair-data-pruning.
    """

    dataset: str = "digits"
    root: str | None = None
    model: str = "auto"
    scorer: str = "random"
    quoter: str = "drop"
    density: float = 0.5
    seed: int = 0
    query_inits: int | None = None
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
        as_density("density", self.density)
        for name in ("query_inits", "epochs", "width"):
            if getattr(self, name) is not None:
                check_count(name, getattr(self, name))
        check_choice("schedule", self.schedule, SCHEDULES)
        IteratedDrop(self.rounds, self.step)
        if not self.dataset.startswith("npz:"):
            self.check_recipe(self.recipe())

    def check_recipe(self, recipe_: Recipe) -> None:
        r"""A one-line error when the scorer cannot work with the recipe's query training.

        Args:
            recipe\_ (Recipe): The run's recipe, as :meth:`recipe` gives it.

        Raises:
            ValueError: If the scorer's query models would train fewer epochs than it needs
                (Dynamic Uncertainty: 3 with the official windows, 2 with He et al.'s).
        """
        scoring.check_query_epochs(self.scorer, self.protocol(self.score_key).epochs(recipe_.training.epochs))

    def recipe(self, input_shape=None) -> Recipe:
        """The run's recipe (``input_shape`` decides it for ``npz:`` files).

        Args:
            input_shape (tuple[int, ...] | None): The shape of one input; for ``npz:`` files
                images of 32x32 and larger get ResNet-18, anything else the small CNN.
                Ignored for named datasets.

        Returns:
            Recipe: The network and its training, with this config's ``model``, ``epochs``
            and ``width`` applied (see :func:`gmm_theory.bridge.recipes.recipe`).

        Raises:
            ValueError: If the dataset has no recipe or ``model`` is unknown.
        """
        return recipe(self.dataset, self.model, input_shape=input_shape, epochs=self.epochs, width=self.width)

    @property
    def score_key(self) -> str:
        """The name of the scores the run's (scorer, quoter) pair reads.

        Returns:
            str: ``"coreset-class-blind"`` for CoreSet under the ``class-blind`` quoter (one
            k-center order over all samples), otherwise the scorer's name.
        """
        return scoring.score_key(self.scorer, self.quoter)

    def protocol(self, key: str) -> scoring.QueryProtocol:
        """The query protocol of score ``key``, with ``query_inits`` when set.

        Args:
            key (str): A score key: a scorer's name, or ``"coreset-class-blind"``.

        Returns:
            gmm_theory.bridge.scores.QueryProtocol: How many query models train
            (``inits``) and for which fraction of the recipe's epochs (``epoch_fraction``).
        """
        protocol = scoring.query_protocol(scoring.scorer_of(key))
        return protocol if self.query_inits is None else protocol._replace(inits=self.query_inits)


class Query(NamedTuple):
    """For each score key: the averaged class recalls (K,) on the validation split, the
    within-class scores (n,) of the queried samples and the validation log-probabilities
    (n_val, K), from that key's query models, each read at its best-validation-accuracy epoch."""

    recalls: dict[str, np.ndarray]
    scores: dict[str, np.ndarray]
    log_probabilities: dict[str, np.ndarray]


class _Arrays(NamedTuple):
    x_train: jax.Array
    y_train: jax.Array
    x_val: jax.Array
    y_val: np.ndarray


def _scores(key: str, model, variables, history, x, y, rng) -> np.ndarray:
    """Scores of score ``key`` for samples ``x, y`` from a trained query model and the
    per-epoch (correct, true-class probability) training dynamics ``history``."""
    scorer = scoring.scorer_of(key)
    if scorer == "random":
        return np.asarray(jax.random.uniform(rng, (y.shape[0],)), dtype=np.float64)
    if scorer in ("forgetting", "forgetting-toneva"):
        return scoring.forgetting_scores([correct for correct, _ in history],
                                         convention="toneva" if scorer.endswith("toneva") else "official")
    if scorer in ("dynamic-uncertainty", "dynamic-uncertainty-he"):
        return scoring.dynamic_uncertainty_scores([probability for _, probability in history],
                                                  convention="he" if scorer.endswith("-he") else "official")
    if scorer == "grand":
        return scoring.grand_scores(model, variables, x, y)
    logits, embeddings = predict(model, variables, x)
    if scorer == "el2n":
        return np.asarray(scoring.el2n_scores(logits, y), dtype=np.float64)
    if scorer == "coreset":
        return scoring.coreset_scores(embeddings, y, within_classes=key == "coreset")
    embedding_scorer = {"ssp": scoring.ssp_scores, "gmm-uncertainty": scoring.gmm_uncertainty_scores}[scorer]
    return np.asarray(embedding_scorer(embeddings, y), dtype=np.float64)


def _query_once(model, arrays: _Arrays, subset, training: TrainConfig, key, classes, keys, progress):
    """Train one query model on ``subset``; return (recalls and validation log-probabilities
    at the first epoch of best validation accuracy, {score key: scores})."""
    subset = jnp.asarray(subset)
    x_subset, y_subset = arrays.x_train[subset], arrays.y_train[subset]
    # Only the best epoch's validation outputs are kept, so memory does not grow with epochs.
    best = {"accuracy": -np.inf}

    def record(epoch, variables, dynamics):
        logits = predict(model, variables, arrays.x_val)[0]
        recalls = class_recalls(logits, arrays.y_val, classes)
        accuracy = float(np.mean(recalls[arrays.y_val]))
        if accuracy > best["accuracy"]:
            best.update(accuracy=accuracy, recalls=recalls,
                        log_probabilities=np.asarray(jax.nn.log_softmax(logits, axis=-1)))
        return np.asarray(dynamics.correct[subset]), np.asarray(dynamics.true_probability[subset])

    train_key, score_key = jax.random.split(key)
    # Dynamics are recorded whatever the scorers, so the trained model never depends on them.
    variables, history = train(model, arrays.x_train, arrays.y_train, training, train_key, indices=subset,
                               on_epoch=record, record_dynamics=True, progress=progress)
    return best["recalls"], best["log_probabilities"], {
        name: _scores(name, model, variables, history, x_subset, y_subset, score_key) for name in keys}


def query(model, arrays: _Arrays, subset, config: BridgeConfig, recipe_: Recipe, key, classes: int,
          keys=None) -> Query:
    """The query phase on ``subset`` for score ``keys`` (the run's own by default): the keys
    that share a query protocol share its models, initialisation i of every protocol starting
    from the same key, so a key's result does not depend on which other keys are asked for."""
    keys = tuple(keys or (config.score_key,))
    recalls, scores, log_probabilities = {}, {}, {}
    for protocol in sorted({config.protocol(name) for name in keys}):
        group = [name for name in keys if config.protocol(name) == protocol]
        training = dataclasses.replace(recipe_.query_training, epochs=protocol.epochs(recipe_.training.epochs))
        runs = [_query_once(model, arrays, subset, training, jax.random.fold_in(key, i), classes, group,
                            config.progress) for i in range(protocol.inits)]
        run_recalls, run_log_probabilities, run_scores = zip(*runs)
        for name in group:
            recalls[name] = np.mean(run_recalls, axis=0)
            log_probabilities[name] = np.mean(run_log_probabilities, axis=0)
            scores[name] = np.mean([found[name] for found in run_scores], axis=0)
    return Query(recalls, scores, log_probabilities)


def _sizes(y, classes: int) -> np.ndarray:
    return np.bincount(np.asarray(y), minlength=classes)


def prepare(config: BridgeConfig, dataset: Dataset | None):
    """The dataset (loaded unless given), the recipe, the model and the device arrays of a run."""
    dataset = dataset or load_dataset(config.dataset, config.root)
    recipe_ = config.recipe(dataset.input_shape)
    config.check_recipe(recipe_)
    model = make_model(recipe_.model, dataset.num_classes, dataset.input_shape, bf16=config.bf16,
                       width=recipe_.width)
    arrays = _Arrays(jnp.asarray(dataset.x_train), jnp.asarray(dataset.y_train), jnp.asarray(dataset.x_val),
                     np.asarray(dataset.y_val))
    return dataset, recipe_, model, arrays


def selection_key(config: BridgeConfig):
    """The key of a run's query phases and selection."""
    return jax.random.fold_in(jax.random.key(config.seed), 1)


def full_data_query(config: BridgeConfig, dataset: Dataset | None = None, keys=None) -> Query:
    """The first query phase of :func:`run` (full training set, same keys) for several score
    keys at once, so runs that differ only in scorer, quoter or density can share it.

    The keys that share a query protocol share its models; initialisation i of every protocol
    starts from the same key, so a key's result does not depend on which other keys are asked
    for.  Each query model is read at its first epoch of best validation accuracy.

    Args:
        config (BridgeConfig): The run settings; its dataset, recipe, seed and
            ``query_inits`` decide the query phase.
        dataset (Dataset | None): The dataset, when already loaded; ``None`` loads
            ``config.dataset`` from ``config.root``.
        keys (Iterable[str] | None): The score keys (scorer names, or
            ``"coreset-class-blind"``); ``None`` for the run's own, ``config.score_key``.

    Returns:
        gmm_theory.bridge.pipeline.Query: Per score key, the averaged validation class
        recalls ``(K,)``, the within-class scores ``(N,)`` of the training samples and the
        validation log-probabilities ``(N_val, K)``; pass it as ``first`` to :func:`run`.

    Raises:
        ValueError: If the dataset's files are not a valid dataset, or the recipe's model does
            not fit the inputs or the scorer (see :func:`run`).
        FileNotFoundError: If the dataset's files are missing.
    """
    dataset, recipe_, model, arrays = prepare(config, dataset)
    everything = np.arange(dataset.y_train.size)
    return query(model, arrays, everything, config, recipe_, jax.random.fold_in(selection_key(config), 0),
                 dataset.num_classes, keys)


def select(model, arrays: _Arrays, config: BridgeConfig, recipe_: Recipe, key, classes: int,
           first: Query | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Kept training indices and the full-data query recalls (K,); ``first`` is the
    full-data query when already computed."""
    y = np.asarray(arrays.y_train)
    name = config.score_key
    validation_sizes = _sizes(arrays.y_val, classes)
    everything = np.arange(y.size)
    if first is None:
        first = query(model, arrays, everything, config, recipe_, jax.random.fold_in(key, 0), classes)
    recalls = first.recalls[name]
    if config.quoter == "class-blind":
        return global_top(first.scores[name], budget(y.size, config.density)), recalls
    priors = _sizes(y, classes) / y.size
    if config.quoter in ("stratified", "drop", "adjusted"):
        targets = (adjusted_priors(first.log_probabilities[name], arrays.y_val, priors, config.density)
                   if config.quoter == "adjusted" else None)
        counts = class_counts(config.quoter, _sizes(y, classes), config.density, priors=targets,
                              errors=smoothed_errors(recalls, validation_sizes), semantics=config.semantics)
        return top_within_classes(y, first.scores[name], counts), recalls
    schedule = density_schedule(config.density, config.rounds, config.schedule)
    queries = {0: first}

    def measure(kept, round_):
        if round_ not in queries:
            queries[round_] = query(model, arrays, kept, config, recipe_, jax.random.fold_in(key, round_), classes)
        return smoothed_errors(queries[round_].recalls[name], validation_sizes)

    def realise(target, kept, round_):
        counts = iterated_counts(_sizes(y[kept], classes), y.size, schedule[round_ - 1], target)
        return kept[top_within_classes(y[kept], queries[round_ - 1].scores[name], counts)]

    rounds = IteratedDrop(config.rounds, config.step)
    return iterated_drop(measure, realise, priors, everything, rounds)[-1], recalls


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
    r"""Run the pipeline; returns the result (JSON-ready) and the kept training indices.
    ``first`` is :func:`full_data_query` of the same settings, when already computed.

    1. Query phase: the scorer's query models train on the full training set; their class
       recalls on the validation split at each model's best-validation-accuracy epoch are
       averaged, and so are the within-class scores.
    2. Selection: class counts from :func:`gmm_theory.allocate.allocate` (the very function
       the Gaussian theory uses), then the highest scores inside each class;
       ``iterated-drop`` repeats query and selection over a density schedule from 1 to d;
       ``adjusted`` takes its weights from the full-data query's validation
       log-probabilities; ``class-blind`` keeps the top :math:`\operatorname{round}(d N)`
       scores over all classes.
    3. The final model trains on the kept samples, with augmentation, for
       :math:`E' = \lfloor (0.5 + 0.5\, d)\, E / d \rfloor` epochs (the DRoP paper's longer
       schedule), and is evaluated on the test split.

    Args:
        config (BridgeConfig): The run settings.
        dataset (Dataset | None): The dataset, when already loaded; ``None`` loads
            ``config.dataset`` from ``config.root``.
        first (gmm_theory.bridge.pipeline.Query | None): :func:`full_data_query` of the same
            settings (holding at least ``config.score_key``), to skip the first query phase.

    Returns:
        tuple[dict, numpy.ndarray]: The result and the sorted kept training indices. The
        result holds the settings (``dataset``, ``model``, ``scorer``, ``quoter``,
        ``density``, ``seed``, ``query_inits``, ``query_epochs``, ``final_epochs``), the test
        metrics (``average_accuracy``, ``worst_class_accuracy``, ``class_accuracies``,
        ``class_accuracy_std``, ``best_minus_worst``), the kept ``class_densities`` and their
        Pearson correlation with the full-data class recalls
        (``density_accuracy_correlation``, ``None`` when either is constant), and
        ``class_names``, ``training_size``, ``kept``, ``kept_per_class``,
        ``full_data_class_recalls`` and ``seconds``.

    Raises:
        ValueError: If the dataset's files are not a valid dataset, the recipe's model does
            not fit the inputs (a VGG or ResNet on non-images, ``width`` for another model),
            the scorer's query models train too few epochs, or the scores hold NaN.
        FileNotFoundError: If the dataset's files are missing.

    References:
        Vysogorets, Ahuja, Kempe, "DRoP: Distributionally Robust Data Pruning", ICLR 2025
        (Section 5 protocol, Algorithm 1), and its official code,
        avysogorets/fair-data-pruning.
    """
    start = time.perf_counter()
    dataset, recipe_, model, arrays = prepare(config, dataset)
    classes = dataset.num_classes
    kept, full_data_recalls = select(model, arrays, config, recipe_, selection_key(config), classes, first)

    epochs = recipe_.training.epochs
    final = dataclasses.replace(recipe_.training, epochs=pruned_epochs(epochs, config.density))
    key = jax.random.key(config.seed)
    variables, _ = train(model, arrays.x_train, arrays.y_train, final, jax.random.fold_in(key, 2), indices=kept,
                         progress=config.progress)
    test_recalls = class_recalls(predict(model, variables, jnp.asarray(dataset.x_test))[0], dataset.y_test, classes)
    kept_per_class = _sizes(dataset.y_train[kept], classes)
    result = {
        "dataset": config.dataset, "model": recipe_.model, "scorer": config.scorer, "quoter": config.quoter,
        "density": config.density, "seed": config.seed, "query_inits": config.protocol(config.score_key).inits,
        "query_epochs": config.protocol(config.score_key).epochs(epochs), "final_epochs": final.epochs,
        **metrics(test_recalls, dataset.y_test, kept_per_class / dataset.class_sizes, full_data_recalls),
        "class_names": list(dataset.class_names), "training_size": int(dataset.y_train.size), "kept": int(kept.size),
        "kept_per_class": kept_per_class.tolist(),
        "full_data_class_recalls": full_data_recalls.tolist(),
        "seconds": time.perf_counter() - start,
    }
    return result, kept
