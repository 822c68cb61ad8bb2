"""Which network trains on which dataset, and how: the bridge's recipes.

The paper's pairs and the official code's training configs (avysogorets/fair-data-pruning,
``config.py``) for its networks: VGG-16 on CIFAR-10 (lr 0.1, weight decay 1e-4, batch 128,
160 epochs), VGG-19 on CIFAR-100 (weight decay 5e-4, otherwise the same), ResNet-18 on
TinyImageNet (lr 0.2, weight decay 1e-4, batch 256, 200 epochs), ResNet-50 (lr 0.4, weight
decay 1e-4, batch 512, 90 epochs); SGD with momentum 0.9 and the rate cut by 0.2 at 0.5 and
0.75 of training (ResNet-50: at 1/3, 2/3 and 8/9).  A network keeps its official config on
any dataset; augmentation is the dataset's.

Fashion-MNIST (and MNIST, without flips) trains the toolkit's fast batch-norm CNN with a
one-cycle schedule, Nesterov momentum and label smoothing, sized to reach 91.5 % average and
72 % worst-class test accuracy in 3 minutes on 2 CPU cores (``benchmarks/recipe_bench.py``).
digits and mnist1d keep the small CNN's own step schedule.  The paper has no recipe for
these four datasets.
"""

from __future__ import annotations

import dataclasses

from gmm_theory.bridge.models import MODELS
from gmm_theory.bridge.train import TrainConfig


@dataclasses.dataclass(frozen=True)
class Recipe:
    """A network (``width`` for the small CNNs) and its final-model training at full data;
    query models train the same way without augmentation."""

    model: str
    training: TrainConfig
    width: int | None = None

    @property
    def query_training(self) -> TrainConfig:
        return dataclasses.replace(self.training, flip=False, shift=0)


def _step(epochs, batch_size, learning_rate, weight_decay, milestones=(0.5, 0.75)) -> TrainConfig:
    return TrainConfig(epochs=epochs, batch_size=batch_size, learning_rate=learning_rate, momentum=0.9,
                       weight_decay=weight_decay, schedule="step", milestones=milestones, gamma=0.2)


OFFICIAL_TRAINING = {
    "vgg16": _step(160, 128, 0.1, 1e-4),
    "vgg19": _step(160, 128, 0.1, 5e-4),
    "resnet18": _step(200, 256, 0.2, 1e-4),
    "resnet50": _step(90, 512, 0.4, 1e-4, milestones=(1 / 3, 2 / 3, 8 / 9)),
}

FAST_CNN = TrainConfig(epochs=8, batch_size=256, learning_rate=0.2, momentum=0.9, nesterov=True,
                       weight_decay=5e-4, schedule="one-cycle", warmup=0.2, label_smoothing=0.1)
SMALL_CNN = _step(20, 128, 0.05, 5e-4, milestones=(0.3, 0.6, 0.8))
OWN_TRAINING = {"bn-cnn": FAST_CNN, "small-cnn": SMALL_CNN}

# dataset: (network, its training without augmentation, flip, shift in pixels)
#: Each named dataset's recipe, ``dataset: (network, TrainConfig without augmentation, flip,
#: shift in pixels)``: the small CNN's step schedule for ``digits`` and ``mnist1d``, the fast
#: batch-norm CNN for ``mnist`` and ``fashion-mnist``, and the DRoP paper's pairs with the
#: official code's training for ``cifar10`` (VGG-16), ``cifar100`` (VGG-19) and
#: ``tinyimagenet`` (ResNet-18).
DATASET_RECIPES = {
    "digits": ("small-cnn", dataclasses.replace(SMALL_CNN, epochs=30, batch_size=32), False, 1),
    "mnist1d": ("small-cnn", dataclasses.replace(SMALL_CNN, epochs=30, batch_size=64), False, 2),
    "mnist": ("bn-cnn", FAST_CNN, False, 2),
    "fashion-mnist": ("bn-cnn", FAST_CNN, True, 2),
    "cifar10": ("vgg16", OFFICIAL_TRAINING["vgg16"], True, 4),
    "cifar100": ("vgg19", OFFICIAL_TRAINING["vgg19"], True, 4),
    "tinyimagenet": ("resnet18", OFFICIAL_TRAINING["resnet18"], True, 8),
}


def _npz_recipe(input_shape) -> tuple:
    if input_shape is not None and len(input_shape) == 3 and min(input_shape[:2]) >= 32:
        return "resnet18", OFFICIAL_TRAINING["resnet18"], False, 0
    return "small-cnn", SMALL_CNN, False, 0


def recipe(dataset: str, model: str = "auto", *, input_shape=None, epochs: int | None = None,
           width: int | None = None) -> Recipe:
    """The recipe of ``dataset`` (``npz:...`` files by ``input_shape``: ResNet-18 for images
    of 32x32 and larger, the small CNN otherwise) with network ``model`` (``auto``: the
    dataset's own), ``epochs`` E instead of the recipe's when given, and ``width`` for the
    small CNNs.

    A network other than the dataset's own keeps its own training (the official config for
    VGG and ResNet, the toolkit's for the small CNNs); augmentation (flips, shifts) is always
    the dataset's, and ``npz:`` files get none.  The official configs: VGG-16 (lr 0.1, weight
    decay 1e-4, batch 128, 160 epochs), VGG-19 (weight decay 5e-4, otherwise the same),
    ResNet-18 (lr 0.2, weight decay 1e-4, batch 256, 200 epochs), ResNet-50 (lr 0.4, weight
    decay 1e-4, batch 512, 90 epochs); SGD with momentum 0.9 and the rate cut by 0.2 at 0.5
    and 0.75 of training (ResNet-50: at 1/3, 2/3 and 8/9).

    Args:
        dataset (str): A key of :data:`DATASET_RECIPES`, or ``"npz:PATH"``.
        model (str): ``"auto"`` for the dataset's own network, or one of :data:`MODELS`.
        input_shape (tuple[int, ...] | None): The shape of one input; decides the network of
            an ``npz:`` file (ignored otherwise).
        epochs (int | None): The full-data epochs E instead of the recipe's, when given.
        width (int | None): The first-layer channels of the small CNNs; ``None`` for 16.

    Returns:
        gmm_theory.bridge.recipes.Recipe: The network name, its final-model
        :class:`TrainConfig` at full data (augmentation included; ``query_training`` is the
        same without augmentation) and ``width``.

    Raises:
        ValueError: If ``dataset`` has no recipe and is not ``npz:...``, if ``model`` is
            neither ``"auto"`` nor one of :data:`MODELS`, or if ``epochs`` is not an integer
            >= 1.

    References:
        Vysogorets, Ahuja, Kempe, "DRoP: Distributionally Robust Data Pruning", ICLR 2025
        (the dataset and network pairs), and its official code,
        avysogorets/fair-data-pruning (``config.py``: the training configs).
    """
    if dataset.startswith("npz:"):
        own_model, training, flip, shift = _npz_recipe(input_shape)
    elif dataset in DATASET_RECIPES:
        own_model, training, flip, shift = DATASET_RECIPES[dataset]
    else:
        raise ValueError(f"dataset must be one of {', '.join(DATASET_RECIPES)} or npz:PATH, got {dataset!r}")
    if model != "auto" and model not in MODELS:
        raise ValueError(f"model must be 'auto' or one of {', '.join(map(repr, MODELS))}, got {model!r}")
    chosen = own_model if model == "auto" else model
    if chosen != own_model:
        training = OFFICIAL_TRAINING.get(chosen) or OWN_TRAINING[chosen]
    if epochs is not None:
        training = dataclasses.replace(training, epochs=epochs)
    return Recipe(chosen, dataclasses.replace(training, flip=flip, shift=shift), width)
