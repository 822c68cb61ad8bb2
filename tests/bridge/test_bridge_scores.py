"""Within-class pruning scores of the bridge, each checked against a slow, independent
reference computation (numpy / scipy / Python loops) on tiny inputs and models."""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from jax.flatten_util import ravel_pytree
from scipy import stats

from gmm_theory.bridge.models import SmallCNN
from gmm_theory.bridge.scores import (
    SCORERS,
    check_scorer,
    coreset_scores,
    dynamic_uncertainty_scores,
    el2n_scores,
    forgetting_scores,
    gmm_uncertainty_scores,
    grand_scores,
    k_center_order,
    ssp_scores,
)

# --------------------------------------------------------------------------- helpers


def shuffled_labels(rng, counts) -> np.ndarray:
    """Labels with ``counts[k]`` samples of class k, in a random (interleaved) order."""
    y = np.concatenate([np.full(c, k) for k, c in enumerate(counts)])
    return rng.permutation(y)


class TinyBatchNormNet(nn.Module):
    """Conv -> BatchNorm -> ReLU -> global average -> Dense; returns (logits, embedding)."""

    num_classes: int = 3

    @nn.compact
    def __call__(self, x, train: bool = False):
        x = nn.Conv(3, (3, 3))(x)
        x = nn.relu(nn.BatchNorm(use_running_average=not train, momentum=0.5)(x))
        embedding = x.mean(axis=(1, 2))
        return nn.Dense(self.num_classes)(embedding), embedding


def random_variables(model, x, seed):
    """Variables of ``model`` in float32 with random values of the right scale (kernels
    1/sqrt(fan-in), biases and batch-norm scales and offsets non-zero); the shapes come from
    ``jax.eval_shape`` of ``model.init``, which skips compiling the initialisers (slow on CPU)."""
    shapes = jax.eval_shape(lambda: model.init(jax.random.PRNGKey(0), x[:1], train=False))
    rng = np.random.default_rng(seed)

    def fill(path, shape):
        names = [str(getattr(entry, "key", entry)) for entry in path]
        if names[0] == "batch_stats":
            return jnp.zeros(shape.shape, np.float32) if names[-1] == "mean" else jnp.ones(shape.shape, np.float32)
        if len(shape.shape) >= 2:
            scale = 1 / np.sqrt(np.prod(shape.shape[:-1]))
            return jnp.asarray((scale * rng.standard_normal(shape.shape)).astype(np.float32))
        offset = 1.0 if names[-1] == "scale" else 0.0
        return jnp.asarray((offset + 0.1 * rng.standard_normal(shape.shape)).astype(np.float32))

    return jax.tree_util.tree_map_with_path(fill, shapes)


def reference_gradient_norms(model, variables, x, y) -> np.ndarray:
    """||grad_params CE(x_i, y_i)||_2, one sample at a time, evaluation mode."""
    params = variables["params"]
    others = {k: v for k, v in variables.items() if k != "params"}

    def loss(p, xi, yi):
        logits, _ = model.apply({"params": p, **others}, xi[None], train=False)
        return -jax.nn.log_softmax(logits[0])[yi]

    gradient = jax.jit(jax.grad(loss))  # one example at a time; jit only to keep the loop fast
    norms = []
    for i in range(x.shape[0]):
        flat, _ = ravel_pytree(gradient(params, x[i], y[i]))
        norms.append(np.linalg.norm(np.asarray(flat, dtype=np.float64)))
    return np.asarray(norms)


def reference_k_center_positions(points: np.ndarray) -> np.ndarray:
    """Pick position of every point under greedy k-center, by brute force."""
    n = points.shape[0]
    mean = points.mean(axis=0)
    first = min(range(n), key=lambda i: np.linalg.norm(points[i] - mean))
    chosen = [first]
    while len(chosen) < n:
        best, best_distance = None, -1.0
        for i in range(n):
            if i in chosen:
                continue
            nearest = min(np.linalg.norm(points[i] - points[j]) for j in chosen)
            if nearest > best_distance:
                best, best_distance = i, nearest
        chosen.append(best)
    positions = np.empty(n, dtype=int)
    for position, i in enumerate(chosen):
        positions[i] = position
    return positions


def reference_gmm_uncertainty(z: np.ndarray, y: np.ndarray, shrinkage: float) -> np.ndarray:
    n, dimension = z.shape
    classes = int(y.max()) + 1
    means, covariances, priors = [], [], []
    for k in range(classes):
        members = z[y == k]
        mean = members.mean(axis=0)
        c = np.cov(members, rowvar=False, ddof=1).reshape(dimension, dimension)
        covariances.append((1 - shrinkage) * c + shrinkage * np.trace(c) / dimension * np.eye(dimension))
        means.append(mean)
        priors.append(members.shape[0] / n)
    scores = np.empty(n)
    for i in range(n):
        log_joint = [np.log(priors[k]) + stats.multivariate_normal.logpdf(z[i], means[k], covariances[k])
                     for k in range(classes)]
        log_joint = np.asarray(log_joint)
        posterior = np.exp(log_joint[y[i]] - np.log(np.sum(np.exp(log_joint - log_joint.max()))) - log_joint.max())
        difference = z[i] - means[y[i]]
        squared = float(difference @ np.linalg.inv(covariances[y[i]]) @ difference)
        atypicality = stats.chi2.cdf(squared, df=dimension)
        scores[i] = 0.5 * (atypicality + 1 - posterior)
    return scores


# --------------------------------------------------------------------------- check_scorer


def test_check_scorer_accepts_every_scorer():
    for name in SCORERS:
        check_scorer(name)


def test_check_scorer_rejects_unknown_names_listing_the_allowed_ones():
    with pytest.raises(ValueError) as error:
        check_scorer("el2m")
    message = str(error.value)
    assert "'el2m'" in message
    for name in ("random", "el2n", "grand", "forgetting", "dynamic-uncertainty", "coreset", "ssp",
                 "gmm-uncertainty"):
        assert repr(name) in message


# --------------------------------------------------------------------------- el2n


@pytest.mark.parametrize("dtype, tolerance", [(np.float64, 1e-12), (np.float32, 1e-6)])
def test_el2n_matches_a_per_sample_numpy_loop(dtype, tolerance):
    rng = np.random.default_rng(0)
    logits = (3 * rng.standard_normal((9, 4))).astype(dtype)
    y = rng.integers(0, 4, 9)
    expected = []
    for i in range(9):
        row = logits[i].astype(np.float64)
        p = np.exp(row - row.max())
        p /= p.sum()
        target = np.zeros(4)
        target[y[i]] = 1.0
        expected.append(np.sqrt(np.sum((p - target) ** 2)))
    actual = np.asarray(el2n_scores(jnp.asarray(logits), jnp.asarray(y)))
    assert actual.shape == (9,)
    np.testing.assert_allclose(actual, expected, rtol=tolerance, atol=tolerance)


def test_el2n_of_confident_right_and_wrong_predictions():
    logits = jnp.asarray([[50.0, 0.0, 0.0], [50.0, 0.0, 0.0]])
    np.testing.assert_allclose(el2n_scores(logits, jnp.asarray([0, 1])), [0.0, np.sqrt(2)], atol=1e-10)


# --------------------------------------------------------------------------- grand


@pytest.fixture(scope="module")
def small_cnn_setup():
    model = SmallCNN(num_classes=3, width=4)
    rng = np.random.default_rng(1)
    x = jnp.asarray(rng.standard_normal((6, 8, 8, 1)).astype(np.float32))
    y = jnp.asarray(rng.integers(0, 3, 6))
    variables = random_variables(model, x, seed=0)
    return model, variables, x, y, reference_gradient_norms(model, variables, x, y)


@pytest.fixture(scope="module")
def batch_norm_setup():
    model = TinyBatchNormNet(num_classes=3)
    rng = np.random.default_rng(2)
    x = jnp.asarray(rng.standard_normal((6, 8, 8, 1)).astype(np.float32))
    y = jnp.asarray(rng.integers(0, 3, 6))
    variables = random_variables(model, x, seed=1)
    # One training-mode pass on shifted, scaled data makes the running statistics non-trivial.
    shifted = jnp.asarray((3 * rng.standard_normal((16, 8, 8, 1)) + 2).astype(np.float32))
    _, updates = model.apply(variables, shifted, train=True, mutable=["batch_stats"])
    variables = {"params": variables["params"], **updates}
    return model, variables, x, y, reference_gradient_norms(model, variables, x, y)


def _tolerances(reference):
    return dict(rtol=2e-4, atol=1e-6 * max(1.0, float(np.max(reference))))


@pytest.mark.parametrize("setup", ["small_cnn_setup", "batch_norm_setup"])
@pytest.mark.slow
def test_grand_matches_a_loop_of_single_example_gradients(setup, request):
    model, variables, x, y, expected = request.getfixturevalue(setup)
    assert np.all(expected > 0) and np.unique(np.round(expected, 6)).size > 1  # non-trivial
    actual = grand_scores(model, variables, x, y)
    assert actual.shape == (6,)
    np.testing.assert_allclose(actual, expected, **_tolerances(expected))


@pytest.mark.parametrize("setup", ["small_cnn_setup", "batch_norm_setup"])
@pytest.mark.parametrize("chunk_size", [1, 4, 100])
@pytest.mark.slow
def test_grand_does_not_depend_on_chunking(setup, chunk_size, request):
    model, variables, x, y, expected = request.getfixturevalue(setup)
    actual = grand_scores(model, variables, x, y, chunk_size=chunk_size)
    assert actual.shape == (6,)
    np.testing.assert_allclose(actual, expected, **_tolerances(expected))


def test_batch_norm_statistics_are_non_trivial_and_used(batch_norm_setup):
    """The running statistics differ from their initial values, and evaluation mode (which
    the reference uses) differs from training mode on the same batch: so the comparison
    above really checks that GraNd runs in evaluation mode with the stored statistics."""
    model, variables, x, y, _ = batch_norm_setup
    stats_leaves = jax.tree.leaves(variables["batch_stats"])
    assert any(np.abs(np.asarray(v)).max() > 1e-2 and not np.allclose(v, 1.0) for v in stats_leaves)

    label = int(y[0])

    def gradient(train_flag):
        def loss(p):
            v = {"params": p, "batch_stats": variables["batch_stats"]}
            if train_flag:
                (logits, _), _ = model.apply(v, x[:1], train=True, mutable=["batch_stats"])
            else:
                logits, _ = model.apply(v, x[:1], train=False)
            return -jax.nn.log_softmax(logits[0])[label]
        return np.asarray(ravel_pytree(jax.jit(jax.grad(loss))(variables["params"]))[0])

    assert not np.allclose(gradient(True), gradient(False), rtol=1e-2, atol=1e-4)


# --------------------------------------------------------------------------- forgetting


def official_forgetting(correct: np.ndarray) -> np.ndarray:
    """The official code's streaming update (scorers/forgetting.py): previous accuracy starts
    at 0, an event is a drop from 1 to 0, one observation per sample per epoch."""
    previous = np.zeros(correct.shape[1])
    scores = np.zeros(correct.shape[1])
    for epoch in correct.astype(float):
        scores += epoch < previous
        previous = epoch
    return scores


def toneva_forgetting(correct: np.ndarray) -> np.ndarray:
    epochs, n = correct.shape
    scores = np.empty(n)
    for i in range(n):
        if not any(bool(correct[e, i]) for e in range(epochs)):
            scores[i] = epochs + 1
            continue
        scores[i] = sum(1 for e in range(1, epochs) if correct[e - 1, i] and not correct[e, i])
    return scores


def test_forgetting_on_a_hand_made_history():
    correct = np.array([[1, 0, 0, 1, 0],
                        [0, 0, 1, 1, 1],
                        [1, 0, 0, 1, 0],
                        [0, 0, 0, 1, 1]], dtype=bool)
    # sample 0: 1->0 twice; 1: never learned (official 0, Toneva 5); 2: once; 3: never forgotten; 4: once
    np.testing.assert_array_equal(forgetting_scores(correct), [2, 0, 1, 0, 1])
    np.testing.assert_array_equal(forgetting_scores(correct, convention="toneva"), [2, 5, 1, 0, 1])
    np.testing.assert_array_equal(forgetting_scores(correct), official_forgetting(correct))


def test_forgetting_with_one_epoch():
    correct = np.array([[True, False, True]])
    np.testing.assert_array_equal(forgetting_scores(correct), [0, 0, 0])
    np.testing.assert_array_equal(forgetting_scores(correct, convention="toneva"), [0, 2, 0])
    with pytest.raises(ValueError, match="convention must be one of"):
        forgetting_scores(correct, convention="he")


@settings(max_examples=100, deadline=None)
@given(hnp.arrays(bool, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=12)))
def test_forgetting_matches_both_references_on_random_histories(correct):
    official = forgetting_scores(correct)
    toneva = forgetting_scores(correct, convention="toneva")
    assert official.dtype == toneva.dtype == np.float64
    np.testing.assert_array_equal(official, official_forgetting(correct))
    np.testing.assert_array_equal(toneva, toneva_forgetting(correct))
    learned = correct.any(axis=0)
    assert np.all(official[~learned] == 0)  # pruned first under the official convention
    if learned.any() and (~learned).any():
        assert toneva[~learned].min() > toneva[learned].max()  # kept first under Toneva's


# --------------------------------------------------------------------------- dynamic uncertainty


def official_dynamic_uncertainty(p: np.ndarray, window: int) -> np.ndarray:
    """The official code's streaming update (scorers/dynamic_uncertainty.py), epoch by epoch:
    at the start of epoch t >= J the std of the rows kept so far is added and the oldest row
    dropped, then the epoch's row is appended; the sum is divided by (epochs - J)."""
    rows = np.zeros((0, p.shape[1]))
    total = np.zeros(p.shape[1])
    for epoch, values in enumerate(p, start=1):
        if epoch >= window:
            total += np.std(rows, axis=0, ddof=1)
            rows = rows[1:]
        rows = np.vstack([rows, values])
    return total / (p.shape[0] - window)


def he_dynamic_uncertainty(p: np.ndarray, window: int) -> np.ndarray:
    epochs, n = p.shape
    w = min(window, epochs)
    return np.array([np.mean([np.std(p[s:s + w, i], ddof=1) for s in range(epochs - w + 1)]) for i in range(n)])


@pytest.mark.parametrize("epochs, window", [(15, 10), (11, 10), (30, 10), (7, 3), (6, 3)])
def test_dynamic_uncertainty_ranks_as_the_official_streaming_code(epochs, window):
    p = np.random.default_rng(epochs * 100 + window).uniform(size=(epochs, 7))
    actual = dynamic_uncertainty_scores(p, window=window)
    # The official sum over epochs - J + 1 windows is divided by epochs - J, ours by the count.
    windows = epochs - window + 1
    np.testing.assert_allclose(actual * windows / (windows - 1), official_dynamic_uncertainty(p, window),
                               rtol=1e-12, atol=1e-15)


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 10_000), epochs=st.integers(2, 14), n=st.integers(1, 6), window=st.integers(2, 12))
def test_dynamic_uncertainty_he_matches_a_loop_over_windows(seed, epochs, n, window):
    p = np.random.default_rng(seed).uniform(size=(epochs, n))
    np.testing.assert_allclose(dynamic_uncertainty_scores(p, window=window, convention="he"),
                               he_dynamic_uncertainty(p, window), rtol=1e-12, atol=1e-15)


def test_dynamic_uncertainty_on_short_trainings_takes_the_longest_window():
    p = np.array([[0.0, 0.5], [1.0, 0.5], [7.0, 7.0]])  # official: the last epoch is skipped
    np.testing.assert_allclose(dynamic_uncertainty_scores(p), [np.sqrt(0.5), 0.0])
    np.testing.assert_allclose(dynamic_uncertainty_scores(p[:2], convention="he"), [np.sqrt(0.5), 0.0])
    with pytest.raises(ValueError, match="true_class_probabilities must span at least 3 epochs, got 2"):
        dynamic_uncertainty_scores(p[:2])


# --------------------------------------------------------------------------- coreset


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_coreset_matches_brute_force_greedy_k_center(seed):
    rng = np.random.default_rng(seed)
    counts = [9, 1, 14, 6]
    y = shuffled_labels(rng, counts)
    z = rng.standard_normal((y.size, 3)) * np.array([1.0, 2.0, 0.5]) + y[:, None]
    actual = coreset_scores(z, y)
    expected = np.empty(y.size)
    for k, n_k in enumerate(counts):
        members = np.flatnonzero(y == k)
        expected[members] = n_k - reference_k_center_positions(z[members])
    np.testing.assert_array_equal(actual, expected)
    for k, n_k in enumerate(counts):  # every class gets the scores 1..n_k once each
        assert sorted(actual[y == k]) == list(range(1, n_k + 1))


@pytest.mark.parametrize("seed", [0, 1])
def test_class_blind_coreset_is_one_brute_force_k_center_over_all_samples(seed):
    rng = np.random.default_rng(seed)
    y = shuffled_labels(rng, [7, 3, 11])
    z = rng.standard_normal((y.size, 2)) + y[:, None]
    scores = coreset_scores(z, y, within_classes=False)
    np.testing.assert_array_equal(scores, y.size - reference_k_center_positions(z))
    # its top-k is the official baseline's selection: the start point, then k - 1 farthest picks
    for k in (1, 5, y.size):
        assert set(np.argsort(-scores)[:k]) == set(np.flatnonzero(reference_k_center_positions(z) < k))


def loop_k_center_positions(points: np.ndarray) -> np.ndarray:
    """Greedy k-center by the plain loop: every pick updates every point's distance."""
    n = points.shape[0]
    positions = np.full(n, -1)
    nearest = np.full(n, np.inf)
    current = int(np.argmin(np.linalg.norm(points - points.mean(axis=0), axis=1)))
    for step in range(n):
        positions[current] = step
        nearest = np.minimum(nearest, np.linalg.norm(points - points[current], axis=1))
        current = int(np.argmax(np.where(positions < 0, nearest, -1.0)))
    return positions


@pytest.mark.parametrize(("batch", "candidates", "pool_size"), [(16, 8, 32), (5, 3, 400), (256, 64, 2048)])
def test_lazy_k_center_equals_the_plain_loop(batch, candidates, pool_size):
    """Small batches, candidate sets and pools take every branch: refined picks, pools drawn
    again, pending centres applied early; duplicated points make ties, broken by index."""
    rng = np.random.default_rng(5)
    centres = 4 * rng.standard_normal((6, 5))
    points = centres[rng.integers(0, 6, 300)] + rng.standard_normal((300, 5))
    points = np.concatenate([points, points[:20]])
    np.testing.assert_array_equal(k_center_order(points, batch=batch, candidates=candidates, pool_size=pool_size),
                                  loop_k_center_positions(points))


def test_coreset_first_pick_is_nearest_the_mean_then_the_farthest_point():
    z = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 0.0], [-3.0, 0.0], [2.0, 0.0]])
    y = np.zeros(5, dtype=int)
    # mean 0.82: nearest is 0.1 (index 1); farthest from it 5.0; then -3.0; then 2.0; then 0.0
    np.testing.assert_array_equal(coreset_scores(z, y), [1, 5, 4, 3, 2])


# --------------------------------------------------------------------------- ssp


@pytest.mark.parametrize("dtype, tolerance", [(np.float64, 1e-12), (np.float32, 1e-6)])
def test_ssp_matches_a_loop_of_distances_to_the_class_mean(dtype, tolerance):
    rng = np.random.default_rng(3)
    counts = [5, 1, 8]
    y = shuffled_labels(rng, counts)
    z = (rng.standard_normal((y.size, 4)) + 3 * y[:, None]).astype(dtype)
    expected = np.empty(y.size)
    for i in range(y.size):
        same = [z[j].astype(np.float64) for j in range(y.size) if y[j] == y[i]]
        mean = sum(same) / len(same)
        expected[i] = np.sqrt(sum((z[i, d] - mean[d]) ** 2 for d in range(4)))
    np.testing.assert_allclose(ssp_scores(z, y), expected, rtol=tolerance, atol=tolerance)


# --------------------------------------------------------------------------- gmm uncertainty


@pytest.mark.parametrize("shrinkage", [0.1, 0.0, 0.5, 1.0])
def test_gmm_uncertainty_matches_scipy(shrinkage):
    rng = np.random.default_rng(4)
    counts = [7, 5, 12]
    y = shuffled_labels(rng, counts)
    z = rng.standard_normal((y.size, 3)) @ np.array([[1.0, 0.3, 0.0], [0.0, 1.0, 0.5], [0.0, 0.0, 0.7]])
    z += 1.5 * np.eye(3)[y]  # overlapping classes: posteriors strictly between 0 and 1
    actual = gmm_uncertainty_scores(z, y, shrinkage=shrinkage)
    expected = reference_gmm_uncertainty(z, y, shrinkage)
    assert actual.shape == (y.size,)
    np.testing.assert_allclose(actual, expected, rtol=1e-8, atol=1e-8)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), dimension=st.integers(1, 4), classes=st.integers(1, 4))
def test_gmm_uncertainty_lies_in_the_unit_interval_and_matches_scipy(seed, dimension, classes):
    rng = np.random.default_rng(seed)
    # 24 samples in all (few distinct shapes keep it fast), at least 6 per class
    counts = 6 + rng.multinomial(24 - 6 * classes, np.full(classes, 1 / classes))
    y = shuffled_labels(rng, counts)
    z = rng.standard_normal((y.size, dimension)) + rng.standard_normal((classes, dimension))[y]
    actual = gmm_uncertainty_scores(z, y)
    assert np.all(actual >= 0) and np.all(actual <= 1)
    np.testing.assert_allclose(actual, reference_gmm_uncertainty(z, y, 0.1), rtol=1e-8, atol=1e-8)


def test_gmm_uncertainty_scores_a_far_outlier_above_a_sample_at_the_class_mean():
    rng = np.random.default_rng(5)
    class_0 = rng.standard_normal((10, 3))
    class_0 = np.vstack([class_0, [[-25.0, -25.0, -25.0]]])  # far outlier, away from class 1
    class_0 = np.vstack([class_0, class_0.mean(axis=0)])  # at the mean: leaves the mean unchanged
    class_1 = rng.standard_normal((12, 3)) + 8.0
    z = np.vstack([class_0, class_1])
    y = np.array([0] * class_0.shape[0] + [1] * 12)
    scores = gmm_uncertainty_scores(z, y)
    outlier, at_mean = class_0.shape[0] - 2, class_0.shape[0] - 1
    assert scores[outlier] > scores[at_mean]
    assert scores[at_mean] < 0.05
    assert np.all(scores >= 0) and np.all(scores <= 1)
    np.testing.assert_allclose(scores, reference_gmm_uncertainty(z, y, 0.1), rtol=1e-8, atol=1e-8)


def test_embedding_scorers_handle_a_class_missing_from_the_subset():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((8, 2))
    y = np.array([0, 0, 0, 0, 2, 2, 2, 2])
    relabelled = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    for scorer in (gmm_uncertainty_scores, ssp_scores):
        np.testing.assert_allclose(scorer(z, y), scorer(z, relabelled), atol=1e-12)
