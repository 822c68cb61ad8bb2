import dataclasses
import json
from pathlib import Path

import jax
import numpy as np
import pytest

from gmm_theory.allocate import allocate
from gmm_theory.bridge import datasets, scores
from gmm_theory.bridge.pipeline import BridgeConfig, full_data_query, prepare, run, selection_key
from gmm_theory.bridge.train import predict, train
from gmm_theory.bridge.select import adjusted_priors, budget, smoothed_errors
from gmm_theory.cli import main


@pytest.fixture(scope="module")
def digits():
    return datasets.load_dataset("digits")


def _run(digits, **options):
    return run(BridgeConfig(epochs=1, progress=False, **options), digits)


def _check_kept(result, kept, dataset):
    assert np.all(np.diff(kept) > 0) and kept.min() >= 0 and kept.max() < dataset.y_train.size
    per_class = np.bincount(dataset.y_train[kept], minlength=dataset.num_classes)
    assert per_class.tolist() == result["kept_per_class"] and kept.size == result["kept"]
    np.testing.assert_allclose(result["class_densities"], per_class / dataset.class_sizes)
    assert 0 <= result["worst_class_accuracy"] <= result["average_accuracy"] <= 1


@pytest.mark.parametrize("scorer", scores.SCORERS)
@pytest.mark.slow
def test_every_scorer_keeps_the_allocators_drop_counts(float32, digits, scorer):
    epochs = scores.MINIMUM_QUERY_EPOCHS.get(scorer, 1)
    result, kept = run(BridgeConfig(epochs=epochs, progress=False, scorer=scorer), digits)
    _check_kept(result, kept, digits)
    errors = smoothed_errors(result["full_data_class_recalls"], np.bincount(digits.y_val))
    expected = allocate(digits.class_sizes, density=0.5, rule="drop", errors=errors).counts
    assert result["kept_per_class"] == expected.tolist()


def test_stratified_and_global_quoters(float32, digits):
    result, kept = _run(digits, quoter="stratified", scorer="el2n", density=0.3)
    _check_kept(result, kept, digits)
    assert result["kept_per_class"] == allocate(digits.class_sizes, density=0.3).counts.tolist()
    assert result["density_accuracy_correlation"] is None or abs(result["density_accuracy_correlation"]) <= 1
    result, kept = _run(digits, quoter="class-blind", scorer="el2n", density=0.3)
    _check_kept(result, kept, digits)
    assert result["kept"] == budget(digits.y_train.size, 0.3)


@pytest.mark.slow
def test_iterated_drop_prunes_over_rounds_to_the_budget(float32, digits):
    result, kept = _run(digits, quoter="iterated-drop", rounds=2, schedule="linear", density=0.4)
    _check_kept(result, kept, digits)
    assert result["kept"] == budget(digits.y_train.size, 0.4)


def test_the_query_keeps_validation_log_probabilities_of_the_recalls_epoch(float32, digits):
    found = full_data_query(BridgeConfig(epochs=3, progress=False), digits)
    log_probabilities = found.log_probabilities["random"]
    assert log_probabilities.shape == (digits.y_val.size, digits.num_classes)
    np.testing.assert_allclose(np.exp(log_probabilities).sum(axis=1), 1, rtol=1e-5)
    predictions = np.argmax(log_probabilities, axis=1)
    recalls = [np.mean(predictions[digits.y_val == k] == k) for k in range(digits.num_classes)]
    np.testing.assert_array_equal(recalls, found.recalls["random"])


def test_el2n_averages_five_short_query_models_as_the_official_protocol(float32, digits):
    """EL2N's query: 5 models of int(0.1 E) epochs, scores and recalls averaged; rebuilt here
    from single trainings with the same keys."""
    config = BridgeConfig(scorer="el2n", epochs=20, progress=False)
    found = full_data_query(config, digits)
    _, recipe_, model, arrays = prepare(config, digits)
    training = dataclasses.replace(recipe_.query_training, epochs=2)
    key = jax.random.fold_in(selection_key(config), 0)
    scores_by_hand = []
    for init in range(5):
        train_key, _ = jax.random.split(jax.random.fold_in(key, init))
        variables, _ = train(model, arrays.x_train, arrays.y_train, training, train_key, record_dynamics=True,
                             progress=False)
        logits = predict(model, variables, arrays.x_train)[0]
        scores_by_hand.append(np.asarray(scores.el2n_scores(logits, arrays.y_train)))
    np.testing.assert_allclose(found.scores["el2n"], np.mean(scores_by_hand, axis=0), rtol=1e-5, atol=1e-6)
    assert config.protocol("el2n") == scores.QueryProtocol(5, 0.1)
    assert BridgeConfig(scorer="el2n", query_inits=2).protocol("el2n").inits == 2


def test_a_key_does_not_depend_on_the_other_keys_of_its_query(float32, digits):
    config = BridgeConfig(epochs=3, progress=False)
    together = full_data_query(config, digits, ("random", "forgetting", "el2n", "ssp"))
    for key in ("random", "forgetting", "el2n"):
        alone = full_data_query(config, digits, (key,))
        np.testing.assert_array_equal(alone.scores[key], together.scores[key])
        np.testing.assert_array_equal(alone.recalls[key], together.recalls[key])
    np.testing.assert_array_equal(together.recalls["random"], together.recalls["ssp"])  # one shared model


def test_dynamic_uncertainty_needs_enough_query_epochs():
    with pytest.raises(ValueError, match="scorer 'dynamic-uncertainty' needs query models trained at least 3"):
        BridgeConfig(scorer="dynamic-uncertainty", epochs=2)


def test_adjusted_quoter_keeps_counts_of_the_adjusted_priors(float32, digits):
    config = BridgeConfig(quoter="adjusted", density=0.3, epochs=1, progress=False)
    result, kept = run(config, digits)
    _check_kept(result, kept, digits)
    log_probabilities = full_data_query(config, digits).log_probabilities["random"]
    targets = adjusted_priors(log_probabilities, digits.y_val, digits.class_sizes / digits.y_train.size, 0.3)
    expected = allocate(digits.class_sizes, density=0.3, rule="weights", weights=targets, semantics="count")
    assert result["kept_per_class"] == expected.counts.tolist() and result["kept"] == budget(digits.y_train.size, 0.3)
    assert np.all(0.3 * targets <= digits.class_sizes / digits.y_train.size * (1 + 1e-12))


@pytest.mark.parametrize("quoter", ["drop", "adjusted"])
@pytest.mark.slow
def test_same_seed_same_result(float32, digits, quoter):
    first, kept_first = _run(digits, scorer="grand", quoter=quoter, seed=3)
    second, kept_second = _run(digits, scorer="grand", quoter=quoter, seed=3)
    np.testing.assert_array_equal(kept_first, kept_second)
    assert {k: v for k, v in first.items() if k != "seconds"} == {k: v for k, v in second.items() if k != "seconds"}


@pytest.mark.skipif(not Path(datasets.FASHION_MNIST_ROOT).is_dir(), reason="dataset-fashion-mnist is not installed")
@pytest.mark.slow
def test_bridge_on_the_real_fashion_mnist_files(float32):
    full = datasets.load_dataset("fashion-mnist")
    head = np.concatenate([np.flatnonzero(full.y_train == k)[:200] for k in range(10)])
    subset = dataclasses.replace(full, x_train=full.x_train[head], y_train=full.y_train[head])
    result, kept = run(BridgeConfig(dataset="fashion-mnist", epochs=1, progress=False), subset)
    _check_kept(result, kept, subset)
    assert result["class_names"][6] == "Shirt" and result["model"] == "bn-cnn"


@pytest.mark.parametrize(("argv", "message"), [
    (["--dataset", "imagenet"], "dataset must be one of"),
    (["--scorer", "loss"], "scorer must be one of"),
    (["--quoter", "greedy"], "quoter must be one of"),
    (["--density", "0"], "density must lie in (0, 1]"),
    (["--density", "1.5"], "density must lie in (0, 1]"),
    (["--dataset", "cifar10", "--root", "/nonexistent"], "/nonexistent"),
])
def test_cli_bad_input_is_one_line(argv, message, capsys):
    assert main(["bridge", *argv]) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1


def test_cli_runs_the_adjusted_quoter(tmp_path, capsys):
    assert main(["bridge", "--quoter", "adjusted", "--density", "0.4", "--epochs", "1", "--out", str(tmp_path),
                 "--json"]) == 0
    saved = json.loads(capsys.readouterr().out)
    assert saved["quoter"] == "adjusted" and saved["kept"] == np.load(tmp_path / "kept_indices.npy").size
    assert saved["kept"] == budget(saved["training_size"], 0.4)


def test_cli_writes_the_result_and_the_kept_indices(tmp_path, capsys):
    assert main(["bridge", "--epochs", "1", "--out", str(tmp_path), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    saved = json.loads((tmp_path / "result.json").read_text())
    kept = np.load(tmp_path / "kept_indices.npy")
    assert printed == saved and saved["kept"] == kept.size
    for key in ("dataset", "model", "scorer", "quoter", "density", "seed", "average_accuracy",
                "worst_class_accuracy", "class_accuracies", "class_densities", "kept", "seconds"):
        assert key in saved
