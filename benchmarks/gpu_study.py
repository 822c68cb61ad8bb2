"""The study on one GPU: ResNet-18 on Fashion-MNIST padded to 32x32, and training throughput
against PyTorch on the same device.

1. **Throughput.** The bridge's own training loop (``gmm_theory.bridge.train.train_epoch``:
   data on the device, on-device flip and shift augmentation, ResNet-18's official SGD) in
   float32 and bfloat16, against torchvision's ResNet-18 with the CIFAR stem (3x3 convolution,
   no max-pool) on the same batches, optimiser and augmentation (bf16 by autocast); the two
   sides interleaved, medians reported.
2. **Study.** Fashion-MNIST from the IDX files in ``--root``, zero-padded to 32x32, written as
   an ``npz:`` dataset; Random, Random+DRoP, EL2N and EL2N+DRoP at d = 0.3, 0.5, 0.8 on five
   seeds with ResNet-18 (official config, E epochs), run by the resumable sweep into
   ``OUT/study``; then the report (Table 2 with intervals and paired effects, verdicts) into
   ``OUT/study/study.md``.

    python benchmarks/gpu_study.py --root data/fashion-mnist --out "$OUT"   # sized for 8 minutes on one H200
    python benchmarks/gpu_study.py --root DIR --out DIR2 --tiny --model small-cnn   # a CPU smoke test

The IDX files can travel with the working tree in an ignored folder (``data/``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import jax
import numpy as np

from gmm_theory.bridge.datasets.dataset import read_raw
from gmm_theory.bridge.models import MODELS, make_model
from gmm_theory.bridge.recipes import OFFICIAL_TRAINING, OWN_TRAINING
from gmm_theory.bridge.sweep import parse_config, run_sweep
from gmm_theory.figures.study import study_report
from training_bench import bridge_timer

METHODS = {"Random": ("random", "stratified"), "Random+DRoP": ("random", "drop"),
           "EL2N": ("el2n", "class-blind"), "EL2N+DRoP": ("el2n", "drop")}


def padded_fashion_mnist(root, out: Path, per_class: int | None = None) -> Path:
    """Fashion-MNIST zero-padded from 28x28 to 32x32 as ``out/fashion-mnist-32.npz``
    (``per_class`` training and test images of each class when given)."""
    raw = read_raw("fashion-mnist", root)

    def head(x, y):
        if per_class is None:
            return x, y
        rows = np.concatenate([np.flatnonzero(y == k)[:per_class] for k in range(len(raw.class_names))])
        return x[rows], y[rows]

    def pad(x):
        return np.pad(x, [(0, 0), (2, 2), (2, 2), (0, 0)])

    (x_train, y_train), (x_test, y_test) = head(raw.x_train, raw.y_train), head(raw.x_test, raw.y_test)
    path = out / "fashion-mnist-32.npz"
    np.savez(path, x_train=pad(x_train), y_train=y_train, x_test=pad(x_test), y_test=y_test,
             class_names=np.array(raw.class_names))
    return path


def torch_timer(x, y, batch_size: int, steps: int, bf16: bool):
    """The same workload in PyTorch: torchvision's ResNet-18 with the CIFAR stem."""
    import torch
    import torchvision

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = torchvision.models.resnet18(num_classes=10)
    model.conv1 = torch.nn.Conv2d(x.shape[-1], 64, 3, 1, 1, bias=False)
    model.maxpool = torch.nn.Identity()
    model = model.to(device, memory_format=torch.channels_last).train()
    config = OFFICIAL_TRAINING["resnet18"]
    optimizer = torch.optim.SGD(model.parameters(), lr=config.learning_rate, momentum=config.momentum,
                                weight_decay=config.weight_decay)
    images = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous().to(device)
    labels = torch.from_numpy(y).long().to(device)
    generator = torch.Generator(device=device).manual_seed(0)
    size = images.shape[-1]
    arange = torch.arange(size, device=device)

    def step():
        rows = torch.randint(0, images.shape[0], (batch_size,), device=device, generator=generator)
        batch = images[rows]
        flips = torch.rand(batch_size, device=device, generator=generator) < 0.5
        batch = torch.where(flips[:, None, None, None], batch.flip(3), batch)
        padded = torch.nn.functional.pad(batch, (4, 4, 4, 4))
        offsets = torch.randint(0, 9, (batch_size, 2), device=device, generator=generator)
        batch = padded[torch.arange(batch_size, device=device)[:, None, None, None],
                       torch.arange(images.shape[1], device=device)[None, :, None, None],
                       (offsets[:, 0, None] + arange)[:, None, :, None],
                       (offsets[:, 1, None] + arange)[:, None, None, :]].contiguous(memory_format=torch.channels_last)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            loss = torch.nn.functional.cross_entropy(model(batch), labels[rows])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    def run():
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(steps):
            step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - start

    run()
    return run


def throughput(model: str, x, y, batch_size: int, steps: int, repeats: int) -> dict:
    """Median images per second of both sides (PyTorch for ResNet-18 only), interleaved, in
    float32 and bf16."""
    report = {}
    for bf16 in (False, True):
        name = "bf16" if bf16 else "float32"
        config = dataclasses.replace(OFFICIAL_TRAINING.get(model) or OWN_TRAINING[model], batch_size=batch_size,
                                     flip=True, shift=4)
        network = make_model(model, 10, x.shape[1:], bf16=bf16)
        sides = {"bridge": bridge_timer(network, config, x, y, steps)}
        if model == "resnet18":
            try:
                sides["torch"] = torch_timer(x, y, batch_size, steps, bf16)
            except ImportError as error:
                print(f"PyTorch reference skipped: {error}", flush=True)
        seconds = {side: [] for side in sides}
        for _ in range(repeats):
            for side, run in sides.items():
                seconds[side].append(run())
        for side, values in seconds.items():
            report[f"{side}_images_per_s_{name}"] = float(np.median([steps * batch_size / s for s in values]))
        if "torch" in sides:
            report[f"bridge_over_torch_{name}"] = report[f"bridge_images_per_s_{name}"] / report[f"torch_images_per_s_{name}"]
        print(json.dumps({k: v for k, v in report.items() if name in k}), flush=True)
    return report


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, help="folder of the Fashion-MNIST IDX files")
    parser.add_argument("--out", required=True, help="where the results go")
    parser.add_argument("--epochs", type=int, default=3, help="epochs E of the study (the CPU study's)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--model", default="resnet18", choices=MODELS, help="the network (the PyTorch "
                        "reference exists for resnet18)")
    parser.add_argument("--tiny", action="store_true", help="10 images per class, 1 epoch, 1 seed, 2 steps")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    report = {"devices": [str(d) for d in jax.devices()]}
    path = padded_fashion_mnist(args.root, out, per_class=10 if args.tiny else None)
    with np.load(path) as data:
        x = (data["x_train"][:4096].astype(np.float32) / 255)[..., None]
        y = data["y_train"][:4096].astype(np.int32)
    batch, steps, repeats = (8, 2, 1) if args.tiny else (256, 100, 3)
    report["throughput"] = {"batch_size": batch, "steps": steps, **throughput(args.model, x, y, batch, steps, repeats)}
    (out / "throughput.json").write_text(json.dumps(report, indent=2) + "\n")
    epochs, seeds = (1, args.seeds[:1]) if args.tiny else (args.epochs, args.seeds)
    table = {"dataset": f"npz:{path.resolve()}", "model": args.model, "epochs": epochs, "bf16": not args.tiny,
             "densities": [0.3, 0.5, 0.8], "seeds": seeds,
             "methods": {name: {"scorer": s, "quoter": q} for name, (s, q) in METHODS.items()}}
    store = run_sweep(parse_config(table), out / "study", progress=False)
    text = study_report(store.directory, predict=False)
    (store.directory / "study.md").write_text(text + "\n")
    report["study_seconds"] = time.perf_counter() - start
    (out / "throughput.json").write_text(json.dumps(report, indent=2) + "\n")
    print(text)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
