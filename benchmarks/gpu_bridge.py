"""Bridge training throughput on an accelerator: ResNet-18 on 32x32 inputs, images per second.

Times the bridge's own training step (``gmm_theory.bridge.train.train_epoch``: device-resident
data, on-device flip and shift augmentation, SGD momentum with weight decay) in float32 and
bfloat16, then the same workload in PyTorch where torch and torchvision are installed:
torchvision's ResNet-18 with the CIFAR stem (3x3 convolution, no max-pool) so both networks
compute the same thing, the same batch size, optimiser and augmentation, bf16 by autocast.
Finally it runs the whole bridge pipeline on digits to check it end to end on the device.

    python benchmarks/gpu_bridge.py            # about 3 minutes on one H200
    python benchmarks/gpu_bridge.py --quick    # a smoke test on a CPU
"""

from __future__ import annotations

import argparse
import json
import time

import jax
import jax.numpy as jnp
import numpy as np

from gmm_theory.bridge.models import ResNet18
from gmm_theory.bridge.pipeline import BridgeConfig, run
from gmm_theory.bridge.train import TrainConfig, init_state, make_optimizer, train_epoch


def synthetic_images(count: int, seed: int = 0):
    """CIFAR-shaped inputs (standardised) and labels; throughput does not depend on content."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(count, 32, 32, 3)).astype(np.float32), rng.integers(0, 10, count).astype(np.int32)


def time_bridge(x, y, batch_size: int, steps: int, warmup: int, bf16: bool) -> float:
    """Images per second of the bridge's training step after ``warmup`` compiled steps."""
    model = ResNet18(10, dtype=jnp.bfloat16 if bf16 else jnp.float32)
    config = TrainConfig(epochs=1, batch_size=batch_size, learning_rate=0.1, flip=True, shift=4)
    optimizer = make_optimizer(config, steps)
    state = init_state(model, x.shape[1:], jax.random.key(0), optimizer)
    x, y = jax.device_put(x), jax.device_put(y)

    def epoch(count, state, key):
        indices = jnp.arange(count * batch_size) % x.shape[0]
        return train_epoch(model, optimizer, state, x, y, indices, key, batch_size=batch_size, flip=True, shift=4)

    state = jax.block_until_ready(epoch(warmup, state, jax.random.key(1)))
    start = time.perf_counter()
    state = jax.block_until_ready(epoch(steps, state, jax.random.key(2)))
    return steps * batch_size / (time.perf_counter() - start)


def time_torch(x, y, batch_size: int, steps: int, warmup: int, bf16: bool) -> float:
    """Images per second of the same workload in PyTorch (torchvision ResNet-18, CIFAR stem)."""
    import torch
    import torchvision

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = torchvision.models.resnet18(num_classes=10)
    model.conv1 = torch.nn.Conv2d(3, 64, 3, 1, 1, bias=False)
    model.maxpool = torch.nn.Identity()
    model = model.to(device, memory_format=torch.channels_last).train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    images = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous().to(device)
    labels = torch.from_numpy(y).long().to(device)
    generator = torch.Generator(device=device).manual_seed(0)
    arange = torch.arange(32, device=device)

    def step():
        rows = torch.randint(0, images.shape[0], (batch_size,), device=device, generator=generator)
        batch = images[rows]
        flips = torch.rand(batch_size, device=device, generator=generator) < 0.5
        batch = torch.where(flips[:, None, None, None], batch.flip(3), batch)
        padded = torch.nn.functional.pad(batch, (4, 4, 4, 4))
        offsets = torch.randint(0, 9, (batch_size, 2), device=device, generator=generator)
        rows_index = (offsets[:, 0, None] + arange)[:, None, :, None]
        cols_index = (offsets[:, 1, None] + arange)[:, None, None, :]
        batch = padded[torch.arange(batch_size, device=device)[:, None, None, None],
                       torch.arange(3, device=device)[None, :, None, None], rows_index, cols_index]
        batch = batch.contiguous(memory_format=torch.channels_last)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            loss = torch.nn.functional.cross_entropy(model(batch), labels[rows])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    for _ in range(warmup):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps * batch_size / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a CPU smoke test")
    args = parser.parse_args()
    if args.quick:
        args.batch_size, args.steps, args.warmup = 8, 2, 1
    print(f"devices: {jax.devices()}", flush=True)
    x, y = synthetic_images(max(args.batch_size * 8, 2048 if not args.quick else 64))
    report = {"device": str(jax.devices()[0]), "batch_size": args.batch_size, "steps": args.steps}
    for bf16 in (False, True):
        name = "bf16" if bf16 else "float32"
        report[f"bridge_images_per_s_{name}"] = time_bridge(x, y, args.batch_size, args.steps, args.warmup, bf16)
        print(f"bridge {name}: {report[f'bridge_images_per_s_{name}']:.0f} images/s", flush=True)
        try:
            report[f"torch_images_per_s_{name}"] = time_torch(x, y, args.batch_size, args.steps, args.warmup, bf16)
        except ImportError as error:
            print(f"PyTorch reference skipped: {error}", flush=True)
            continue
        report[f"ratio_{name}"] = report[f"bridge_images_per_s_{name}"] / report[f"torch_images_per_s_{name}"]
        print(f"torch {name}: {report[f'torch_images_per_s_{name}']:.0f} images/s; "
              f"bridge / torch = {report[f'ratio_{name}']:.2f}", flush=True)
    start = time.perf_counter()
    result, _ = run(BridgeConfig(epochs=2 if args.quick else 20, progress=False))
    report["pipeline_digits"] = {k: result[k] for k in ("average_accuracy", "worst_class_accuracy", "kept")}
    report["pipeline_digits"]["seconds"] = time.perf_counter() - start
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
