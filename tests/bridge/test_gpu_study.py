import importlib.util
import json
from pathlib import Path

import jax
import numpy as np
import pytest
from idx_files import labels_with_every_class, write_idx

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "gpu_study.py"


def _load_script():
    spec = importlib.util.spec_from_file_location("gpu_study", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_the_gpu_study_runs_on_the_cpu_at_a_tiny_size(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(SCRIPT.parent))  # the script imports its sibling training_bench
    root = tmp_path / "fashion-mnist"
    root.mkdir()
    rng = np.random.default_rng(0)
    for split, count in (("train", 300), ("t10k", 200)):
        write_idx(root / f"{split}-images-idx3-ubyte.gz", rng.integers(0, 256, (count, 28, 28), dtype=np.uint8))
        write_idx(root / f"{split}-labels-idx1-ubyte.gz", labels_with_every_class(count, rng))
    out = tmp_path / "out"
    with jax.enable_x64(False):
        _load_script().main(["--root", str(root), "--out", str(out), "--tiny", "--model", "small-cnn"])
    with np.load(out / "fashion-mnist-32.npz") as data:
        assert data["x_train"].shape[1:] == (32, 32, 1) and np.all(data["x_train"][:, :2] == 0)
    report = json.loads((out / "throughput.json").read_text())
    assert report["throughput"]["bridge_images_per_s_float32"] > 0 and "study_seconds" in report
    records = [json.loads(line) for line in (out / "study" / "records.jsonl").read_text().splitlines()]
    assert len(records) == 4 * 3 and {r["model"] for r in records} == {"small-cnn"}
    assert "| Random | 0.3 |" in (out / "study" / "study.md").read_text()
