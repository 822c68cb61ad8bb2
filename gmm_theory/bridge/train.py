"""Training and evaluation of bridge models with optax, the data kept on the device.

SGD with momentum (optionally Nesterov) and weight decay (added to the gradient before
momentum, as PyTorch's SGD), under one of two learning-rate schedules: ``step`` decays the
rate by ``gamma`` at fractions ``milestones`` of training (the official DRoP code's schedule,
avysogorets/fair-data-pruning ``config.py``); ``one-cycle`` rises linearly from lr/10 to lr
over the first ``warmup`` of training, then falls linearly to lr/1000 (Smith and Topin, 2019).
Optional label smoothing (Szegedy et al., 2016).  A pruned dataset of density d trains for
E' = int((0.5 + 0.5 d) E / d) epochs (the DRoP paper's longer schedule), and milestones, being
fractions, stretch with it.

Every epoch is planned on the device in one call (a random order, the last batch padded and
masked, one augmentation key and learning rate per step); each step takes its slice of the plan
and runs one jitted call that gathers its mini-batch from the device arrays by index.  The
learning rate comes with the batch rather than from a schedule inside the optimiser, so a new
subset size or schedule changes only arrays: the step compiles once per network and optimiser.
Optionally the step also records, for every sample of the mini-batch, whether the train-mode forward
pass before the update classified it correctly and its true-class probability: the training
dynamics that Forgetting and Dynamic Uncertainty read, as the official code records them.
Every step is a function of the seed: same seed, same model.
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

from gmm_theory._checks import as_density, check_choice, check_count

SCHEDULES = ("step", "one-cycle")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Optimiser, schedule, loss and augmentation of one training run.

    SGD with momentum (optionally Nesterov) and weight decay added to the gradient before
    momentum, as PyTorch's SGD.  ``step`` multiplies the rate by ``gamma`` at the fractions
    ``milestones`` of training (the official DRoP code's schedule); ``one-cycle`` rises
    linearly from lr/10 to lr over the first ``warmup`` of training, then falls linearly to
    lr/1000.  Milestones, being fractions, stretch with the epochs of a pruned subset.

    Args:
        epochs (int): Training epochs E, an integer >= 1.
        batch_size (int): Mini-batch size, an integer >= 1; the last batch of an epoch is
            padded and masked out of the loss.
        learning_rate (float): The peak learning rate, > 0.
        momentum (float): The momentum coefficient.
        nesterov (bool): Nesterov momentum instead of the heavy ball.
        weight_decay (float): The L2 coefficient added to the gradient, >= 0.
        schedule (str): ``"step"`` or ``"one-cycle"``.
        milestones (tuple[float, ...]): The ``step`` schedule's cut points, fractions of
            training in (0, 1).
        gamma (float): The ``step`` schedule's factor at each milestone.
        warmup (float): The ``one-cycle`` schedule's rising fraction of training, in (0, 1).
        label_smoothing (float): The label smoothing of the cross-entropy, in [0, 1).
        flip (bool): Random horizontal flips (images only).
        shift (int): Random shifts by up to ``shift`` pixels along every spatial axis (zero
            padding), an integer >= 0.

    Raises:
        ValueError: Naming the field, if ``epochs`` or ``batch_size`` is not an integer >= 1,
            ``learning_rate`` is not positive, ``weight_decay`` is negative, ``schedule`` is
            unknown, a milestone or ``warmup`` is outside (0, 1), ``label_smoothing`` is
            outside [0, 1) or ``shift`` is not an integer >= 0.

    References:
        The official code of Vysogorets, Ahuja, Kempe, "DRoP: Distributionally Robust Data
        Pruning", ICLR 2025, avysogorets/fair-data-pruning (``config.py``: the step schedule);
        Smith and Topin, 2019 (the one-cycle schedule); Szegedy et al., 2016 (label
        smoothing).
    """

    epochs: int = 30
    batch_size: int = 128
    learning_rate: float = 0.05
    momentum: float = 0.9
    nesterov: bool = False
    weight_decay: float = 5e-4
    schedule: str = "step"
    milestones: tuple[float, ...] = (0.5, 0.75)
    gamma: float = 0.2
    warmup: float = 0.2
    label_smoothing: float = 0.0
    flip: bool = False
    shift: int = 0

    def __post_init__(self):
        check_count("epochs", self.epochs)
        check_count("batch_size", self.batch_size)
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be positive, got {self.learning_rate!r}")
        if not self.weight_decay >= 0:
            raise ValueError(f"weight_decay must be >= 0, got {self.weight_decay!r}")
        check_choice("schedule", self.schedule, SCHEDULES)
        if not all(0 < m < 1 for m in self.milestones):
            raise ValueError(f"milestones must be fractions in (0, 1), got {self.milestones}")
        if not 0 < self.warmup < 1:
            raise ValueError(f"warmup must be a fraction in (0, 1), got {self.warmup!r}")
        if not 0 <= self.label_smoothing < 1:
            raise ValueError(f"label_smoothing must lie in [0, 1), got {self.label_smoothing!r}")
        if not (isinstance(self.shift, int) and self.shift >= 0):
            raise ValueError(f"shift must be an integer >= 0, got {self.shift!r}")


def pruned_epochs(epochs: int, density: float) -> int:
    """E' = int((0.5 + 0.5 d) E / d): the paper's longer schedule for a density-d subset."""
    density = as_density("density", density)
    return int((0.5 + 0.5 * density) * epochs / density)


class TrainState(NamedTuple):
    """Model variables (``params`` and, with batch norm, ``batch_stats``) and optimiser state."""

    variables: Any
    opt_state: Any


class Dynamics(NamedTuple):
    """Per training sample (N,): was its latest mini-batch forward pass correct, and its
    true-class probability there."""

    correct: jax.Array
    true_probability: jax.Array


class Batch(NamedTuple):
    """Row indices (B,), loss weights (B,), the augmentation key and the learning rate of one step."""

    rows: jax.Array
    weights: jax.Array
    key: jax.Array
    learning_rate: jax.Array


class EpochPlan(NamedTuple):
    """For each of an epoch's S steps: row indices (S, B), loss weights (S, B), the
    augmentation key (S,) and the learning rate (S,)."""

    rows: jax.Array
    weights: jax.Array
    key: jax.Array
    learning_rate: jax.Array


class StepSettings(NamedTuple):
    """The static settings of a training step."""

    flip: bool = False
    shift: int = 0
    label_smoothing: float = 0.0
    record: bool = False


def learning_rate_schedule(config: TrainConfig, total_steps: int) -> optax.Schedule:
    """The learning rate at each of ``total_steps`` steps (see the module docstring)."""
    if config.schedule == "one-cycle":
        return optax.linear_onecycle_schedule(total_steps, config.learning_rate, pct_start=config.warmup,
                                              pct_final=1.0, div_factor=10.0, final_div_factor=100.0)
    boundaries = {int(m * total_steps): config.gamma for m in config.milestones}
    return optax.piecewise_constant_schedule(config.learning_rate, boundaries)


def learning_rates(config: TrainConfig, steps_per_epoch: int) -> jax.Array:
    """The learning rate of every step, shape (epochs, steps_per_epoch)."""
    schedule = learning_rate_schedule(config, config.epochs * steps_per_epoch)
    return jax.vmap(schedule)(jnp.arange(config.epochs * steps_per_epoch)).reshape(config.epochs, steps_per_epoch)


@functools.lru_cache(maxsize=32)
def _momentum(weight_decay: float, momentum: float, nesterov: bool) -> optax.GradientTransformation:
    return optax.chain(optax.add_decayed_weights(weight_decay), optax.trace(decay=momentum, nesterov=nesterov))


def make_optimizer(config: TrainConfig) -> optax.GradientTransformation:
    """Weight decay and (Nesterov) momentum: ``optax.sgd`` without its final scaling by the
    learning rate, which :func:`train_step` applies from the batch.  Cached on the three
    settings alone, so configs that differ in epochs or schedule share the compiled step."""
    return _momentum(config.weight_decay, config.momentum, config.nesterov)


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


def _training_loss(model, label_smoothing, params, others, x, y, weights):
    """Weighted mean (smoothed) cross-entropy in training mode; also the logits and the
    updated batch statistics."""
    variables = {"params": params, **others}
    if "batch_stats" in others:
        (logits, _), updates = model.apply(variables, x, train=True, mutable=["batch_stats"])
    else:
        (logits, _), updates = model.apply(variables, x, train=True), others
    targets = optax.smooth_labels(jax.nn.one_hot(y, logits.shape[-1]), label_smoothing)
    losses = optax.softmax_cross_entropy(logits, targets)
    return jnp.sum(losses * weights) / jnp.maximum(jnp.sum(weights), 1), (logits, updates)


@functools.partial(jax.jit, static_argnames=("batch_size",))
def plan_epoch(key, indices, rates, batch_size: int) -> EpochPlan:
    """A random order of ``indices`` in batches of ``batch_size``, each step with its learning
    rate from ``rates`` (S,), made in one call; every step's arrays have the same shape whatever
    the subset, so the step compiles once.  The last batch is padded by repeating the order and
    masked out of the loss."""
    order_key, augment_key = jax.random.split(key)
    order = jax.random.permutation(order_key, indices)
    batches = -(-order.shape[0] // batch_size)
    slots = jnp.arange(batches * batch_size)
    weights = (slots < order.shape[0]).astype(jnp.float32).reshape(batches, batch_size)
    rows = order[slots % order.shape[0]].reshape(batches, batch_size)
    keys = jax.random.split(augment_key, batches)
    return EpochPlan(rows, weights, keys, rates)


@jax.jit
def batch_of(plan: EpochPlan, step) -> Batch:
    """Step ``step`` of ``plan``: one small call, so that the training step, whose arguments
    then have the same shapes for every subset, compiles once."""
    return Batch(*(field[step] for field in plan))


@functools.partial(jax.jit, static_argnames=("model", "optimizer", "settings"), donate_argnums=(2, 6))
def train_step(model, optimizer, state: TrainState, x, y, batch: Batch, dynamics: Dynamics | None,
               *, settings: StepSettings = StepSettings()) -> tuple[TrainState, Dynamics | None]:
    """One SGD step on mini-batch ``batch`` of the device arrays ``x``, ``y``; with
    ``settings.record``, the batch's correctness and true-class probabilities before the
    update are written into ``dynamics``."""
    rows, weights, key, rate = batch
    inputs = augment(x[rows], key, settings.flip, settings.shift) if (settings.flip or settings.shift) else x[rows]
    params = state.variables["params"]
    others = {k: v for k, v in state.variables.items() if k != "params"}
    gradient_fn = jax.grad(functools.partial(_training_loss, model, settings.label_smoothing), has_aux=True)
    grads, (logits, updates) = gradient_fn(params, others, inputs, y[rows], weights)
    changes, opt_state = optimizer.update(grads, state.opt_state, params)
    changes = jax.tree.map(lambda change: (-rate).astype(change.dtype) * change, changes)
    if settings.record:
        # Padding rows repeat real ones; they write out of bounds, where the write is dropped.
        targets = jnp.where(weights > 0, rows, x.shape[0])
        probabilities = jax.nn.softmax(logits.astype(jnp.float32), axis=-1)
        labels = y[rows]
        dynamics = Dynamics(
            dynamics.correct.at[targets].set(jnp.argmax(logits, axis=-1) == labels, mode="drop"),
            dynamics.true_probability.at[targets].set(
                jnp.take_along_axis(probabilities, labels[:, None], axis=-1)[:, 0], mode="drop"))
    return TrainState({"params": optax.apply_updates(params, changes), **updates}, opt_state), dynamics


def train_epoch(model, optimizer, state: TrainState, x, y, indices, key, rates, *, batch_size: int,
                settings: StepSettings = StepSettings(), dynamics: Dynamics | None = None):
    """One epoch over ``x[indices]`` in a random order at learning rates ``rates`` (steps,);
    returns the state and the dynamics.

    Steps are dispatched from Python rather than scanned: XLA on CPU runs convolutions
    inside a loop body far slower than in a top-level computation.
    """
    plan = plan_epoch(key, indices, rates, batch_size)
    for step in range(plan.rows.shape[0]):
        state, dynamics = train_step(model, optimizer, state, x, y, batch_of(plan, step), dynamics,
                                     settings=settings)
    return state, dynamics


@functools.partial(jax.jit, static_argnames=("model", "batch_size"))
def predict(model, variables, x, batch_size: int = 512):
    """Logits (N, K) and embeddings (N, E) of ``x`` in evaluation mode, in batches.

    Jitted (``model`` and ``batch_size`` static); the last batch is zero-padded and the
    padding dropped from the outputs.

    Args:
        model (flax.linen.Module): A model of :func:`make_model`.
        variables (dict): Its variables (``params`` and, with batch norm, ``batch_stats``),
            as :func:`train` returns them.
        x (jax.Array): Inputs ``(N, ...)``, channels last, with N >= 1.
        batch_size (int): Inputs per forward pass, an integer >= 1.

    Returns:
        tuple[jax.Array, jax.Array]: Logits ``(N, K)`` and embeddings ``(N, E)``, float32.
    """
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
          on_epoch: Callable[[int, Any, Dynamics | None], Any] | None = None, record_dynamics: bool = False,
          progress: bool | None = None):
    """Train ``model`` on ``x[indices]`` (all of ``x`` by default) from a fresh initialisation.

    ``x``, ``y`` are device arrays of the whole training set.  ``on_epoch(epoch, variables,
    dynamics)`` runs after every epoch and its results are returned as a list, with the final
    variables; ``dynamics`` (:class:`Dynamics` over all of ``x``, current for the rows of
    ``indices``) is recorded with ``record_dynamics`` and ``None`` otherwise.  The progress
    bar shows on a terminal unless ``progress`` says otherwise.

    Every epoch is planned on the device in one call (a random order, the last batch padded
    and masked, one augmentation key and learning rate per step), and each step gathers its
    mini-batch from the device arrays by index, so the step compiles once per network and
    optimiser.  The recorded dynamics are, for every sample, whether the train-mode forward
    pass of its latest mini-batch, before the update, classified it correctly and its
    true-class probability there (what Forgetting and Dynamic Uncertainty read, as the
    official code records them).  Same key, same model.

    Args:
        model (flax.linen.Module): A model of :func:`make_model`.
        x (jax.Array): The whole training set's inputs ``(N, ...)``, channels last.
        y (jax.Array): Its integer labels ``(N,)``, in ``0 .. K - 1``.
        config (TrainConfig): Optimiser, schedule, loss and augmentation.
        key (jax.Array): A PRNG key; it decides the initialisation, the order and the
            augmentation.
        indices (array-like | None): The rows of ``x`` to train on (at least one); ``None``
            for all.
        on_epoch (Callable | None): Called as ``on_epoch(epoch, variables, dynamics)`` after
            every epoch (epoch from 0); its results are collected.
        record_dynamics (bool): Record the training dynamics (a :class:`Dynamics` of
            ``correct`` and ``true_probability``, each ``(N,)``).
        progress (bool | None): Show a progress bar over epochs; ``None`` shows it on a
            terminal.

    Returns:
        tuple[dict, list]: The final variables (``params`` and, with batch norm,
        ``batch_stats``) and the list of ``on_epoch`` results (empty without ``on_epoch``).

    Raises:
        ValueError: If ``indices`` selects no sample.

    References:
        The official code of Vysogorets, Ahuja, Kempe, "DRoP: Distributionally Robust Data
        Pruning", ICLR 2025, avysogorets/fair-data-pruning (the optimiser, the schedules and
        the recorded training dynamics).
    """
    indices = jnp.arange(x.shape[0]) if indices is None else jnp.asarray(indices)
    if indices.shape[0] == 0:
        raise ValueError("indices must select at least one training sample")
    steps_per_epoch = -(-indices.shape[0] // config.batch_size)
    optimizer = make_optimizer(config)
    rates = learning_rates(config, steps_per_epoch)
    init_key, key = jax.random.split(key)
    state = init_state(model, x.shape[1:], init_key, optimizer)
    settings = StepSettings(config.flip, config.shift, config.label_smoothing, record_dynamics)
    dynamics = (Dynamics(jnp.zeros(x.shape[0], bool), jnp.zeros(x.shape[0], jnp.float32))
                if record_dynamics else None)
    history = []
    show = sys.stderr.isatty() if progress is None else progress
    for epoch in tqdm(range(config.epochs), disable=not show, desc="epochs", leave=False):
        state, dynamics = train_epoch(model, optimizer, state, x, y, indices, jax.random.fold_in(key, epoch),
                                      rates[epoch], batch_size=config.batch_size, settings=settings,
                                      dynamics=dynamics)
        if on_epoch is not None:
            history.append(on_epoch(epoch, state.variables, dynamics))
    return state.variables, history
