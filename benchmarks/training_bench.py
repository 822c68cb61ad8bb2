"""Training throughput of the bridge's own loop against PyTorch, same network, same machine.

The network is the Fashion-MNIST recipe's (``gmm_theory.bridge.models.BatchNormCNN``): two
3x3 conv layers, each followed by 2x max-pooling, batch norm and ReLU, the flattened map into
a 256-unit layer and a linear head.  PyTorch runs the same layers (``torch.nn``, batch-norm
momentum 0.1 = 1 - flax's 0.9, eps 1e-5) with the same optimiser (SGD, Nesterov
momentum 0.9, weight decay), the same smoothed cross-entropy, the same batch size and the same
on-the-fly flip and shift augmentation, on the same number of CPU threads.  Both read
mini-batches by index from tensors already in memory.

The two sides are timed interleaved, ``--repeats`` times, and the medians of images per second
are reported with their ratio, because the machine is shared and noisy.  PyTorch is optional
(``pip install torch==2.13.0``, a CPU build); without it only the JAX side is timed.

    python benchmarks/training_bench.py                 # about 3 minutes on 2 cores
    python benchmarks/training_bench.py --quick         # a smoke test
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import jax
import jax.numpy as jnp
import numpy as np

from gmm_theory.bridge.models import BatchNormCNN
from gmm_theory.bridge.recipes import recipe
from gmm_theory.bridge.train import StepSettings, init_state, learning_rates, make_optimizer, train_epoch


def synthetic_images(count: int, shape=(28, 28, 1), seed: int = 0):
    """Standardised Fashion-MNIST-shaped inputs and labels; throughput does not depend on content."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(count, *shape)).astype(np.float32), rng.integers(0, 10, count).astype(np.int32)


def bridge_timer(model, config, x, y, steps: int):
    """A function that trains ``model`` for ``steps`` steps of the bridge's own loop (the
    optimiser, batch size, augmentation and label smoothing of ``config``) and returns the
    seconds taken; compiled before it is returned."""
    optimizer = make_optimizer(config)
    rates = learning_rates(config, steps)[0]
    state = init_state(model, x.shape[1:], jax.random.key(0), optimizer)
    x, y = jax.device_put(x), jax.device_put(y)
    indices = jnp.arange(steps * config.batch_size) % x.shape[0]
    settings = StepSettings(config.flip, config.shift, config.label_smoothing)
    calls = iter(range(1_000_000))

    def run():
        nonlocal state
        start = time.perf_counter()
        state, _ = train_epoch(model, optimizer, state, x, y, indices, jax.random.key(next(calls)), rates,
                               batch_size=config.batch_size, settings=settings)
        jax.block_until_ready(state)
        return time.perf_counter() - start

    run()  # compile
    return run


def torch_timer(x, y, config, width: int, steps: int, threads: int):
    """The same workload in PyTorch: a function that trains ``steps`` steps and returns the seconds."""
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    nn = torch.nn
    layers, channels = [], 1
    for features in (width, 2 * width):
        layers += [nn.Conv2d(channels, features, 3, padding=1, bias=False), nn.MaxPool2d(2), nn.BatchNorm2d(features),
                   nn.ReLU()]
        channels = features
    side = x.shape[1] // 4
    layers += [nn.Flatten(), nn.Linear(channels * side * side, 256), nn.ReLU(), nn.Linear(256, 10)]
    model = nn.Sequential(*layers).train()
    optimizer = torch.optim.SGD(model.parameters(), lr=config.learning_rate, momentum=config.momentum,
                                nesterov=config.nesterov, weight_decay=config.weight_decay)
    images = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()
    labels = torch.from_numpy(y).long()
    generator = torch.Generator().manual_seed(0)
    size, shift, batch = x.shape[1], config.shift, config.batch_size
    arange = torch.arange(size)

    def augment(images):
        flips = torch.rand(batch, generator=generator) < 0.5
        images = torch.where(flips[:, None, None, None], images.flip(3), images)
        padded = nn.functional.pad(images, (shift, shift, shift, shift))
        offsets = torch.randint(0, 2 * shift + 1, (batch, 2), generator=generator)
        rows = (offsets[:, 0, None] + arange)[:, None, :, None]
        cols = (offsets[:, 1, None] + arange)[:, None, None, :]
        return padded[torch.arange(batch)[:, None, None, None], torch.arange(images.shape[1])[None, :, None, None],
                      rows, cols]

    def run():
        start = time.perf_counter()
        order = torch.randperm(images.shape[0], generator=generator)
        for step in range(steps):
            rows = order[(step * batch + torch.arange(batch)) % images.shape[0]]
            inputs = augment(images[rows])
            loss = nn.functional.cross_entropy(model(inputs), labels[rows], label_smoothing=config.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        return time.perf_counter() - start

    run()  # warm up
    return run


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60, help="training steps per timed run")
    parser.add_argument("--repeats", type=int, default=7, help="interleaved timed runs per side")
    parser.add_argument("--quick", action="store_true", help="a smoke test: 3 steps, 2 repeats")
    parser.add_argument("--out", default=None, help="write the JSON result here")
    args = parser.parse_args(argv)
    steps, repeats = (3, 2) if args.quick else (args.steps, args.repeats)
    base = recipe("fashion-mnist")
    config, width = base.training, base.width or 16
    x, y = synthetic_images(max(steps * config.batch_size, 1024))
    threads = os.cpu_count() or 1
    sides = {"jax": bridge_timer(BatchNormCNN(10, width=width), config, x, y, steps)}
    try:
        sides["torch"] = torch_timer(x, y, config, width, steps, threads)
    except ModuleNotFoundError:
        print("torch is not installed: timing the JAX side only")
    seconds = {name: [] for name in sides}
    for _ in range(repeats):
        for name, run in sides.items():
            seconds[name].append(run())
    images = steps * config.batch_size
    throughput = {name: float(np.median([images / s for s in values])) for name, values in seconds.items()}
    result = {
        "network": f"BatchNormCNN(width={width})", "batch_size": config.batch_size, "steps": steps,
        "repeats": repeats, "threads": threads, "machine": platform.processor() or platform.machine(),
        "jax": jax.__version__, "images_per_second_median": throughput,
        "images_per_second_all": {name: [images / s for s in values] for name, values in seconds.items()},
    }
    if "torch" in throughput:
        import torch

        result["torch"] = torch.__version__
        result["jax_over_torch"] = throughput["jax"] / throughput["torch"]
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        with open(args.out, "w") as handle:
            handle.write(text + "\n")


if __name__ == "__main__":
    main()
