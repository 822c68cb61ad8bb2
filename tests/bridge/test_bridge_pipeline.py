import dataclasses
import json
from pathlib import Path

import jax
import numpy as np
import pytest

from gmm_theory.allocate import allocate
from gmm_theory.bridge import datasets, scores
from gmm_theory.bridge.pipeline import BridgeConfig, full_data_query, run
from gmm_theory.bridge.select import adjusted_priors, budget, smoothed_errors
from gmm_theory.cli import main


@pytest.fixture(scope="module")
def digits():
    return datasets.load_dataset("digits")


@pytest.fixture
def float32():
    with jax.enable_x64(False):
        yield


def _run(digits, **options):
    return run(BridgeConfig(epochs=1, progress=False, **options), digits)


def _check_kept(result, kept, dataset):
    assert np.all(np.diff(kept) > 0) and kept.min() >= 0 and kept.max() < dataset.y_train.size
    per_class = np.bincount(dataset.y_train[kept], minlength=dataset.num_classes)
    assert per_class.tolist() == result["kept_per_class"] and kept.size == result["kept"]
    np.testing.assert_allclose(result["class_densities"], per_class / dataset.class_sizes)
    assert 0 <= result["worst_class_accuracy"] <= result["average_accuracy"] <= 1


@pytest.mark.parametrize("scorer", scores.SCORERS)
def test_every_scorer_keeps_the_allocators_drop_counts(float32, digits, scorer):
    result, kept = _run(digits, scorer=scorer)
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


def test_iterated_drop_prunes_over_rounds_to_the_budget(float32, digits):
    result, kept = _run(digits, quoter="iterated-drop", rounds=2, schedule="linear", density=0.4)
    _check_kept(result, kept, digits)
    assert result["kept"] == budget(digits.y_train.size, 0.4)


def test_the_query_keeps_validation_log_probabilities_of_the_recalls_epoch(float32, digits):
    found = full_data_query(BridgeConfig(epochs=3, progress=False), digits)
    assert found.log_probabilities.shape == (digits.y_val.size, digits.num_classes)
    np.testing.assert_allclose(np.exp(found.log_probabilities).sum(axis=1), 1, rtol=1e-5)
    predictions = np.argmax(found.log_probabilities, axis=1)
    recalls = [np.mean(predictions[digits.y_val == k] == k) for k in range(digits.num_classes)]
    np.testing.assert_array_equal(recalls, found.recalls)


def test_adjusted_quoter_keeps_counts_of_the_adjusted_priors(float32, digits):
    config = BridgeConfig(quoter="adjusted", density=0.3, epochs=1, progress=False)
    result, kept = run(config, digits)
    _check_kept(result, kept, digits)
    log_probabilities = full_data_query(config, digits).log_probabilities
    targets = adjusted_priors(log_probabilities, digits.y_val, digits.class_sizes / digits.y_train.size, 0.3)
    expected = allocate(digits.class_sizes, density=0.3, rule="weights", weights=targets, semantics="count")
    assert result["kept_per_class"] == expected.counts.tolist() and result["kept"] == budget(digits.y_train.size, 0.3)
    assert np.all(0.3 * targets <= digits.class_sizes / digits.y_train.size * (1 + 1e-12))


@pytest.mark.parametrize("quoter", ["drop", "adjusted"])
def test_same_seed_same_result(float32, digits, quoter):
    first, kept_first = _run(digits, scorer="grand", quoter=quoter, seed=3)
    second, kept_second = _run(digits, scorer="grand", quoter=quoter, seed=3)
    np.testing.assert_array_equal(kept_first, kept_second)
    assert {k: v for k, v in first.items() if k != "seconds"} == {k: v for k, v in second.items() if k != "seconds"}


@pytest.mark.skipif(not Path(datasets.FASHION_MNIST_ROOT).is_dir(), reason="dataset-fashion-mnist is not installed")
def test_bridge_on_the_real_fashion_mnist_files(float32):
    full = datasets.load_dataset("fashion-mnist")
    head = np.concatenate([np.flatnonzero(full.y_train == k)[:200] for k in range(10)])
    subset = dataclasses.replace(full, x_train=full.x_train[head], y_train=full.y_train[head])
    result, kept = run(BridgeConfig(dataset="fashion-mnist", epochs=1, progress=False), subset)
    _check_kept(result, kept, subset)
    assert result["class_names"][6] == "Shirt" and result["model"] == "SmallCNN"


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
