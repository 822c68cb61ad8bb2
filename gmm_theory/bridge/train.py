"""Training and evaluation of bridge models with optax, the data kept on the device.

SGD with momentum and weight decay (decoupled as in PyTorch's SGD: the decay is added to the
gradient before momentum), step decay of the learning rate by ``gamma`` at fractions
``milestones`` of training, as in the DRoP paper's protocol (Section 5, Appendix C).  A
pruned dataset of density d trains for E' = int((0.5 + 0.5 d) E / d) epochs (the paper's
longer schedule).  Mini-batches are gathered on the device from a kept-index array, so a
new subset only changes that array.  Every step is a
function of the seed: same seed, same model.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from tqdm.auto import tqdm



@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Optimiser, schedule and augmentation of one training run."""

    epochs: int = 30
    batch_size: int = 128
    learning_rate: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 5e-4
    milestones: tuple[float, ...] = (0.3, 0.6, 0.8)
    gamma: float = 0.2
    flip: bool = False
    shift: int = 0

    def __post_init__(self):
        if not (isinstance(self.epochs, int) and self.epochs >= 1):
            raise ValueError(f"epochs must be an integer >= 1, got {self.epochs!r}")
        if not (isinstance(self.batch_size, int) and self.batch_size >= 1):
            raise ValueError(f"batch_size must be an integer >= 1, got {self.batch_size!r}")
        if not all(0 < m < 1 for m in self.milestones):
            raise ValueError(f"milestones must be fractions in (0, 1), got {self.milestones}")


def pruned_epochs(epochs: int, density: float) -> int:
    """E' = int((0.5 + 0.5 d) E / d): the paper's longer schedule for a density-d subset."""
    if not 0 < density <= 1:
        raise ValueError(f"density must lie in (0, 1], got {density}")
    return int((0.5 + 0.5 * density) * epochs / density)


class TrainState(NamedTuple):
    """Model variables (``params`` and, with batch norm, ``batch_stats``) and optimiser state."""

    variables: Any
    opt_state: Any


@functools.lru_cache(maxsize=32)
def make_optimizer(config: TrainConfig, steps_per_epoch: int) -> optax.GradientTransformation:
    """SGD with momentum, weight decay and step decay; cached, so equal settings share the
    compiled training step."""
    total = config.epochs * steps_per_epoch
    boundaries = {int(m * total): config.gamma for m in config.milestones}
    schedule = optax.piecewise_constant_schedule(config.learning_rate, boundaries)
    return optax.chain(optax.add_decayed_weights(config.weight_decay),
                       optax.sgd(schedule, momentum=config.momentum))


def init_state(model, input_shape, key, optimizer) -> TrainState:
    variables = model.init(key, jnp.zeros((1, *input_shape)), train=False)
    return TrainState(variables, optimizer.init(variables["params"]))


def augment(x, key, flip: bool, shift: int):
    """Random horizontal flips (images only) and random shifts by up to ``shift`` pixels
    along every spatial axis (zero padding), one draw per sample."""
    spatial = x.ndim - 2
    flip_key, shift_key = jax.random.split(key)
    if flip and spatial == 2:
        flips = jax.random.bernoulli(flip_key, 0.5, (x.shape[0],) + (1,) * (x.ndim - 1))
        x = jnp.where(flips, x[:, :, ::-1], x)
    if shift:
        padded = jnp.pad(x, [(0, 0)] + [(shift, shift)] * spatial + [(0, 0)])
        offsets = jax.random.randint(shift_key, (x.shape[0], spatial), 0, 2 * shift + 1)
        size = x.shape[1:]

        def crop(image, offset):
            return jax.lax.dynamic_slice(image, (*offset, 0), size)

        x = jax.vmap(crop)(padded, offsets)
    return x


def _training_loss(model, params, others, x, y, mask):
    """Masked mean cross-entropy in training mode, with the updated batch statistics."""
    variables = {"params": params, **others}
    if "batch_stats" in others:
        (logits, _), updates = model.apply(variables, x, train=True, mutable=["batch_stats"])
    else:
        (logits, _), updates = model.apply(variables, x, train=True), others
    losses = optax.softmax_cross_entropy_with_integer_labels(logits, y)
    return jnp.sum(losses * mask) / jnp.maximum(jnp.sum(mask), 1), updates


@functools.partial(jax.jit, static_argnames=("model", "optimizer", "flip", "shift"), donate_argnums=(2,))
def train_step(model, optimizer, state: TrainState, x, y, rows, weights, key, *, flip: bool = False,
               shift: int = 0) -> TrainState:
    """One SGD step on the rows ``rows`` of the device arrays ``x``, ``y`` (loss weights ``weights``)."""
    inputs = augment(x[rows], key, flip, shift) if (flip or shift) else x[rows]
    params = state.variables["params"]
    others = {k: v for k, v in state.variables.items() if k != "params"}
    gradient_fn = jax.grad(functools.partial(_training_loss, model), has_aux=True)
    grads, updates = gradient_fn(params, others, inputs, y[rows], weights)
    changes, opt_state = optimizer.update(grads, state.opt_state, params)
    return TrainState({"params": optax.apply_updates(params, changes), **updates}, opt_state)


def train_epoch(model, optimizer, state: TrainState, x, y, indices, key, *, batch_size: int,
                flip: bool = False, shift: int = 0) -> TrainState:
    """One epoch over ``x[indices]`` in a random order; the last batch is padded and masked.

    Steps are dispatched from Python rather than scanned: XLA on CPU runs convolutions
    inside a loop body far slower than in a top-level computation.
    """
    order_key, augment_key = jax.random.split(key)
    order = jax.random.permutation(order_key, indices)
    batches = -(-order.shape[0] // batch_size)
    padding = batches * batch_size - order.shape[0]
    mask = jnp.concatenate([jnp.ones(order.shape[0]), jnp.zeros(padding)]).reshape(batches, batch_size)
    order = jnp.concatenate([order, order[:padding]]).reshape(batches, batch_size)
    keys = jax.random.split(augment_key, batches)
    for b in range(batches):
        state = train_step(model, optimizer, state, x, y, order[b], mask[b], keys[b], flip=flip, shift=shift)
    return state


@functools.partial(jax.jit, static_argnames=("model", "batch_size"))
def predict(model, variables, x, batch_size: int = 512):
    """Logits (N, K) and embeddings (N, E) of ``x`` in evaluation mode, in batches."""
    n = x.shape[0]
    batches = -(-n // batch_size)
    padded = jnp.concatenate([x, jnp.zeros((batches * batch_size - n, *x.shape[1:]), x.dtype)])
    outputs = jax.lax.map(lambda batch: model.apply(variables, batch, train=False),
                          padded.reshape(batches, batch_size, *x.shape[1:]))
    return jax.tree.map(lambda a: a.reshape(batches * batch_size, *a.shape[2:])[:n].astype(jnp.float32), outputs)


def class_recalls(logits, y, num_classes: int) -> np.ndarray:
    """Per-class accuracy (recall) of argmax predictions, shape (K,)."""
    correct = np.asarray(jnp.argmax(logits, axis=-1)) == np.asarray(y)
    y = np.asarray(y)
    return np.array([correct[y == k].mean() for k in range(num_classes)])


def train(model, x, y, config: TrainConfig, key, *, indices=None,
          on_epoch: Callable[[int, Any], Any] | None = None, progress: bool | None = None):
    """Train ``model`` on ``x[indices]`` (all of ``x`` by default) from a fresh initialisation.

    ``x``, ``y`` are device arrays of the whole training set.  ``on_epoch(epoch, variables)``
    runs after every epoch and its results are returned as a list, with the final variables.
    The progress bar shows on a terminal unless ``progress`` says otherwise.
    """
    indices = jnp.arange(x.shape[0]) if indices is None else jnp.asarray(indices)
    if indices.shape[0] == 0:
        raise ValueError("indices must select at least one training sample")
    steps_per_epoch = -(-indices.shape[0] // config.batch_size)
    optimizer = make_optimizer(config, steps_per_epoch)
    init_key, key = jax.random.split(key)
    state = init_state(model, x.shape[1:], init_key, optimizer)
    history = []
    show = sys.stderr.isatty() if progress is None else progress
    for epoch in tqdm(range(config.epochs), disable=not show, desc="epochs", leave=False):
        state = train_epoch(model, optimizer, state, x, y, indices, jax.random.fold_in(key, epoch),
                            batch_size=config.batch_size, flip=config.flip, shift=config.shift)
        if on_epoch is not None:
            history.append(on_epoch(epoch, state.variables))
    return state.variables, history
