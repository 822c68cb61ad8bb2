import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from gmm_theory.bridge import models
from gmm_theory.bridge.recipes import recipe
from gmm_theory.bridge.train import (
    TrainConfig,
    augment,
    class_recalls,
    init_state,
    learning_rate_schedule,
    learning_rates,
    make_optimizer,
    predict,
    pruned_epochs,
    train,
    train_epoch,
)


def test_pruned_epochs_is_the_papers_longer_schedule():
    assert pruned_epochs(10, 1.0) == 10
    assert pruned_epochs(10, 0.5) == 15  # (0.5 + 0.25) * 10 / 0.5
    assert pruned_epochs(200, 0.1) == 1100
    with pytest.raises(ValueError, match="density must lie in"):
        pruned_epochs(10, 0.0)


@pytest.mark.parametrize(("options", "match"), [
    ({"epochs": 0}, "epochs must be an integer >= 1"),
    ({"batch_size": 2.5}, "batch_size must be an integer >= 1"),
    ({"milestones": (0.5, 1.0)}, "milestones must be fractions"),
])
def test_bad_training_settings_are_named(options, match):
    with pytest.raises(ValueError, match=match):
        TrainConfig(**options)


def _shifted(image, offset, shift):
    """image moved by offset - shift along every spatial axis, zero filled (a brute-force reference)."""
    padded = np.pad(image, [(shift, shift)] * (image.ndim - 1) + [(0, 0)])
    window = tuple(slice(o, o + size) for o, size in zip(offset, image.shape[:-1]))
    return padded[window]


@pytest.mark.parametrize("shape", [(5, 6, 6, 2), (5, 12, 1)])
def test_augment_shifts_are_zero_filled_translations(float32, shape):
    x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    out = np.asarray(augment(jnp.asarray(x), jax.random.key(1), flip=False, shift=2))
    spatial = len(shape) - 2
    for image, moved in zip(x, out):
        offsets = np.stack(np.meshgrid(*[range(5)] * spatial, indexing="ij"), -1).reshape(-1, spatial)
        assert any(np.array_equal(moved, _shifted(image, o, 2)) for o in offsets)


def test_augment_flips_images_only(float32):
    x = jnp.asarray(np.random.default_rng(0).normal(size=(64, 4, 4, 1)).astype(np.float32))
    out = np.asarray(augment(x, jax.random.key(0), flip=True, shift=0))
    flipped = [np.array_equal(o, np.asarray(i)[:, ::-1]) for o, i in zip(out, x)]
    unchanged = [np.array_equal(o, np.asarray(i)) for o, i in zip(out, x)]
    assert all(f or u for f, u in zip(flipped, unchanged)) and 10 < sum(flipped) < 54
    sequence = jnp.ones((3, 8, 1))
    np.testing.assert_array_equal(augment(sequence, jax.random.key(0), flip=True, shift=0), sequence)


@pytest.fixture
def toy(float32):
    rng = np.random.default_rng(0)
    y = np.arange(60) % 3
    x = rng.normal(size=(60, 8, 8, 1)).astype(np.float32) + y[:, None, None, None]
    return jnp.asarray(x), jnp.asarray(y, jnp.int32)


@pytest.mark.slow
def test_training_is_a_function_of_the_seed_and_of_the_kept_rows_only(toy):
    x, y = toy
    model = models.SmallCNN(3, width=4)
    config = TrainConfig(epochs=2, batch_size=16, shift=1)
    kept = np.arange(0, 60, 2)
    first, _ = train(model, x, y, config, jax.random.key(0), indices=kept)
    again, _ = train(model, x.at[1::2].set(99.0), y, config, jax.random.key(0), indices=kept)
    other, _ = train(model, x, y, config, jax.random.key(1), indices=kept)
    leaves = lambda v: jax.tree.leaves(v)
    assert all(np.array_equal(a, b) for a, b in zip(leaves(first), leaves(again)))
    assert not all(np.array_equal(a, b) for a, b in zip(leaves(first), leaves(other)))


@pytest.mark.slow
def test_a_subset_smaller_than_half_a_batch_trains_on_its_rows_only(toy):
    x, y = toy
    model = models.SmallCNN(3, width=4)
    config = TrainConfig(epochs=1, batch_size=16)
    kept = np.array([3, 7, 11, 20, 41])
    first, _ = train(model, x, y, config, jax.random.key(0), indices=kept)
    again, _ = train(model, x.at[np.setdiff1d(np.arange(60), kept)].set(99.0), y, config, jax.random.key(0),
                     indices=kept)
    assert all(np.array_equal(a, b) for a, b in zip(jax.tree.leaves(first), jax.tree.leaves(again)))


@pytest.mark.slow
def test_training_learns_a_separable_toy_problem_and_reports_each_epoch(toy):
    x, y = toy
    model = models.SmallCNN(3, width=8)
    variables, history = train(model, x, y, TrainConfig(epochs=15, batch_size=16), jax.random.key(0),
                               on_epoch=lambda epoch, v, dynamics: epoch)
    assert history == list(range(15))
    assert class_recalls(predict(model, variables, x)[0], y, 3).min() > 0.9
    with pytest.raises(ValueError, match="indices must select at least one"):
        train(model, x, y, TrainConfig(epochs=1), jax.random.key(0), indices=[])


@pytest.mark.parametrize("schedule", ["one-cycle", "step"])
@pytest.mark.slow
def test_learning_rates_from_the_batch_equal_optax_sgd_with_the_schedule(toy, schedule):
    x, y = toy
    model = models.SmallCNN(3, width=4)
    config = TrainConfig(epochs=4, batch_size=60, learning_rate=0.1, nesterov=True, schedule=schedule)
    state = init_state(model, x.shape[1:], jax.random.key(0), make_optimizer(config))
    params = jax.tree.map(jnp.copy, state.variables["params"])  # the training step donates its state
    rates = learning_rates(config, 1)
    for epoch in range(config.epochs):
        state, _ = train_epoch(model, make_optimizer(config), state, x, y, jnp.arange(60), jax.random.key(epoch),
                               rates[epoch], batch_size=60)

    reference = optax.chain(optax.add_decayed_weights(config.weight_decay),
                            optax.sgd(learning_rate_schedule(config, config.epochs), momentum=config.momentum,
                                      nesterov=True))
    opt_state = reference.init(params)

    def loss(p):
        logits, _ = model.apply({"params": p}, x, train=True)
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    for _ in range(config.epochs):
        updates, opt_state = reference.update(jax.grad(loss)(params), opt_state, params)
        params = optax.apply_updates(params, updates)
    for ours, theirs in zip(jax.tree.leaves(state.variables["params"]), jax.tree.leaves(params)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)


@pytest.mark.slow
def test_predict_in_batches_equals_one_apply(toy):
    x, _ = toy
    model = models.ResNet18(3)
    variables = model.init(jax.random.key(0), x[:1])
    logits, embeddings = predict(model, variables, x, batch_size=16)
    direct_logits, direct_embeddings = model.apply(variables, x)
    np.testing.assert_allclose(logits, direct_logits, rtol=1e-4, atol=1e-4)
    assert embeddings.shape == (60, 512) and direct_embeddings.shape == (60, 512)


def test_class_recalls_count_each_class():
    logits = np.eye(3)[[0, 1, 2, 2, 0, 1]]
    np.testing.assert_allclose(class_recalls(logits, [0, 1, 2, 0, 0, 2], 3), [2 / 3, 1.0, 0.5])


@pytest.mark.parametrize(("name", "embedding"), [("vgg16", 512), ("vgg19", 512), ("resnet18", 512),
                                                 ("resnet50", 2048)])
@pytest.mark.slow
def test_paper_networks_on_small_inputs(float32, name, embedding):
    model = models.make_model(name, 3, (32, 32, 3))
    x = jax.random.normal(jax.random.key(0), (4, 32, 32, 3))
    variables = model.init(jax.random.key(1), x)
    logits, features = model.apply(variables, x)
    assert logits.shape == (4, 3) and features.shape == (4, embedding)
    _, updates = model.apply(variables, x, train=True, mutable=["batch_stats"])
    changed = jax.tree.map(lambda a, b: bool(jnp.any(a != b)), updates["batch_stats"], variables["batch_stats"])
    assert all(jax.tree.leaves(changed))  # every batch norm layer sees the batch in training mode


@pytest.mark.slow
def test_layer_counts_of_the_paper_networks(float32):
    def count(name, kind):
        model = models.make_model(name, 10, (32, 32, 3))
        params = model.init(jax.random.key(0), jnp.ones((1, 32, 32, 3)))["params"]
        paths = ["/".join(str(p.key) for p in path) for path, _ in jax.tree_util.tree_leaves_with_path(params)]
        return sum(path.endswith("kernel") and kind in path for path in paths)

    assert count("vgg16", "Conv") == 13 and count("vgg19", "Conv") == 16
    # ResNet-50: stem + 16 blocks x 3 convolutions + 4 projections = 53 convolutions
    assert count("resnet50", "Conv") == 53 and count("resnet18", "Conv") == 1 + 16 + 3


def test_model_choice_follows_the_papers_pairs(float32):
    assert recipe("cifar10").model == "vgg16" and recipe("cifar100").model == "vgg19"
    assert recipe("tinyimagenet").model == "resnet18" and recipe("fashion-mnist").model == "bn-cnn"
    assert recipe("digits").model == recipe("mnist1d").model == "small-cnn"
    assert recipe("npz:x.npz", input_shape=(32, 32, 3)).model == "resnet18"
    assert recipe("npz:x.npz", input_shape=(28, 28, 1)).model == "small-cnn"
    # a network keeps its official config on any dataset; augmentation stays the dataset's
    on_fashion = recipe("fashion-mnist", "resnet18").training
    assert (on_fashion.learning_rate, on_fashion.weight_decay, on_fashion.batch_size) == (0.2, 1e-4, 256)
    assert on_fashion.milestones == (0.5, 0.75) and on_fashion.flip and on_fashion.shift == 2
    assert recipe("cifar100").training.weight_decay == 5e-4 and recipe("cifar10").training.weight_decay == 1e-4
    assert not recipe("cifar10").query_training.flip and recipe("cifar10").query_training.shift == 0
    with pytest.raises(ValueError, match="model must be 'auto' or one of"):
        recipe("digits", "alexnet")
    with pytest.raises(ValueError, match="model 'vgg16' needs images"):
        models.make_model("vgg16", 10, (40, 1))
