import json
import os
import signal
import socket
import subprocess
import sys
import time

import jax
import numpy as np
import pytest

from gmm_theory.bridge import sweep
from gmm_theory.figures import empirical
from gmm_theory.bridge.select import budget
from gmm_theory._errors import StoreInUse
from gmm_theory.bridge.store import LOCK, REJECTED, Store
from gmm_theory.cli import main

TINY = """
dataset = "digits"
epochs = 1
densities = [0.4, 1.0]
seeds = [0]

[methods]
Random = { scorer = "random", quoter = "stratified" }
"EL2N+DRoP" = { scorer = "el2n", quoter = "drop" }
"""


def _outcomes(store: Store) -> dict:
    """Records without their timing and checksum: what must not depend on how the sweep ran."""
    return {run_id: {k: v for k, v in record.items() if k not in ("seconds", "sha256")}
            for run_id, record in store.records.items()}


class CountingExecutor(sweep.LocalExecutor):
    def __init__(self):
        super().__init__()
        self.tasks = 0

    def map_unordered(self, function, calls):
        self.tasks += len(calls)
        return super().map_unordered(function, calls)


@pytest.fixture(scope="module")
def tiny_config(tmp_path_factory):
    path = tmp_path_factory.mktemp("config") / "tiny.toml"
    path.write_text(TINY)
    return path


@pytest.fixture(scope="module")
def finished(tiny_config, tmp_path_factory):
    """The tiny sweep run once, uninterrupted."""
    with jax.enable_x64(False):
        return sweep.run_sweep(sweep.load_config(tiny_config), tmp_path_factory.mktemp("finished"), progress=False)


def test_a_rerun_writes_each_record_once(finished, tiny_config, float32):
    assert sorted(finished.records) == sorted(run_id for run_id, *_ in sweep.load_config(tiny_config).runs())
    executor = CountingExecutor()
    again = sweep.run_sweep(sweep.load_config(tiny_config), finished.directory, executor, progress=False)
    assert executor.tasks == 0
    assert len(again.path.read_text().splitlines()) == 4 and _outcomes(again) == _outcomes(finished)
    kept = again.load_kept("kept/EL2N+DRoP_d0.4_seed0")
    record = again.records["EL2N+DRoP/d=0.4/seed=0"]
    assert kept.size == record["kept"] and np.all(np.diff(kept) > 0)


@pytest.mark.slow
def test_a_sweep_killed_part_way_resumes_to_the_same_records(finished, tiny_config, tmp_path, float32):
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "gmm_theory.cli", "sweep", str(tiny_config), "--out", str(out)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    records = out / "records.jsonl"
    deadline = time.monotonic() + 300
    while not (records.exists() and records.read_text().count("\n") >= 1) and time.monotonic() < deadline:
        assert process.poll() is None, "the sweep ended before it could be killed"
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert 1 <= records.read_text().count("\n") < 4
    with pytest.warns(RuntimeWarning, match="stale lock"):  # the killed sweep could not release it
        resumed = sweep.run_sweep(sweep.load_config(tiny_config), out, progress=False)
    assert _outcomes(resumed) == _outcomes(finished)
    assert len(records.read_text().splitlines()) == 4


@pytest.mark.slow
def test_of_two_sweeps_started_into_one_store_the_second_is_refused_and_each_run_is_recorded_once(
        finished, tiny_config, tmp_path, capsys):
    out = tmp_path / "shared"
    command = [sys.executable, "-m", "gmm_theory.cli", "sweep", str(tiny_config), "--out", str(out)]
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not (out / LOCK).exists() and time.monotonic() < deadline:
        assert first.poll() is None, first.stderr.read()
        time.sleep(0.02)
    assert main(["sweep", str(tiny_config), "--out", str(out)]) == 2
    assert "is in use by the sweep of process" in capsys.readouterr().err
    assert first.wait(timeout=600) == 0
    lines = (out / "records.jsonl").read_text().splitlines()
    run_ids = [json.loads(line)["run_id"] for line in lines]
    assert sorted(run_ids) == sorted(finished.records) and len(set(run_ids)) == len(run_ids)


class OrderExecutor(sweep.LocalExecutor):
    """Records, task by task, what ran: ("query", seed) or ("run", seed)."""

    def __init__(self):
        super().__init__()
        self.order = []

    def map_unordered(self, function, calls):
        for arguments in calls:
            is_query = function is sweep.query_task
            self.order.append(("query", arguments[1]) if is_query else ("run", arguments[0].seed))
        return super().map_unordered(function, calls)


def test_each_seed_runs_as_soon_as_its_query_phase_is_stored(tmp_path, float32):
    table = _tiny_table()
    table["seeds"] = [0, 1]
    table["densities"] = [0.4]
    executor = OrderExecutor()
    store = sweep.run_sweep(sweep.parse_config(table), tmp_path / "ordered", executor, progress=False)
    assert executor.order == [("query", 0), ("run", 0), ("run", 0), ("query", 1), ("run", 1), ("run", 1)]
    assert len(store.records) == 4


@pytest.mark.parametrize("damage", ["truncate", "tamper"])
def test_a_damaged_last_record_is_reported_and_rerun(finished, tiny_config, tmp_path, damage, float32):
    out = tmp_path / "damaged"
    out.mkdir()
    for item in finished.directory.iterdir():
        if item.is_file():
            (out / item.name).write_bytes(item.read_bytes())
    lines = (out / "records.jsonl").read_text().splitlines(keepends=True)
    if damage == "truncate":
        lines[-1] = lines[-1][: len(lines[-1]) // 2]
    else:
        lines[-1] = lines[-1].replace('"seed": 0', '"seed": 7')
    (out / "records.jsonl").write_text("".join(lines))
    with pytest.warns(RuntimeWarning, match="1 damaged record.*not used"):
        read = Store(out)
    assert len(read.records) == 3 and (out / "records.jsonl").read_text() == "".join(lines)
    assert not (out / REJECTED).exists()  # a reader leaves the repair to the writer
    with pytest.warns(RuntimeWarning, match="1 damaged record.*moved"), Store(out, writer=True) as store:
        assert len(store.records) == 3 and (out / REJECTED).read_text().strip() == lines[-1].strip()
    executor = CountingExecutor()
    resumed = sweep.run_sweep(sweep.load_config(tiny_config), out, executor, progress=False)
    assert executor.tasks == 1 and _outcomes(resumed) == _outcomes(finished)


def test_a_grown_grid_adds_runs_and_extends_the_query_phase(finished, tmp_path, float32):
    out = tmp_path / "grown"
    out.mkdir()
    for item in finished.directory.iterdir():
        if item.is_file():
            (out / item.name).write_bytes(item.read_bytes())
    before = Store(out).load_arrays("query_seed0")
    grown = _tiny_table()
    grown["methods"]["Random+adjusted"] = {"scorer": "random", "quoter": "adjusted"}
    grown["methods"]["SSP"] = {"scorer": "ssp", "quoter": "class-blind"}
    executor = CountingExecutor()
    store = sweep.run_sweep(sweep.parse_config(grown), out, executor, progress=False)
    assert executor.tasks == 1 + 4  # the seed's query phase again, then the four new runs only
    assert {k: v for k, v in _outcomes(store).items() if "adjusted" not in k and "SSP" not in k} == \
        _outcomes(finished)
    after = store.load_arrays("query_seed0")
    assert after["log_probabilities_ssp"].shape[1] == 10 and after["score_ssp"].size == before["score_random"].size
    for name, array in before.items():
        np.testing.assert_array_equal(after[name], array)
    record = store.records["Random+adjusted/d=0.4/seed=0"]
    assert record["quoter"] == "adjusted" and record["kept"] == budget(record["training_size"], 0.4)


def _tiny_table():
    import tomllib

    return tomllib.loads(TINY)


def test_a_method_may_have_its_own_densities():
    table = _tiny_table()
    table["methods"]["Random"]["densities"] = [0.2, 0.9]
    runs = [run_id for run_id, *_ in sweep.parse_config(table).runs()]
    assert runs == ["Random/d=0.2/seed=0", "Random/d=0.9/seed=0", "EL2N+DRoP/d=0.4/seed=0", "EL2N+DRoP/d=1/seed=0"]


def test_local_process_pool_returns_results_by_index():
    executor = sweep.LocalExecutor(2)
    assert dict(executor.map_unordered(pow, [(2, 3), (3, 2), (5, 1)])) == {0: 8, 1: 9, 2: 5}
    assert executor.parallelism == 2
    with pytest.raises(ValueError, match="workers must be an integer >= 1"):
        sweep.LocalExecutor(0)
    with pytest.raises(ValueError, match="executor must be one of"):
        sweep.make_executor("dask")


@pytest.mark.filterwarnings("ignore:os.fork:RuntimeWarning")
@pytest.mark.slow
def test_ray_executor_gives_the_same_records(finished, tiny_config, tmp_path, float32):
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    try:
        store = sweep.run_sweep(sweep.load_config(tiny_config), tmp_path / "ray", sweep.make_executor("ray"),
                                progress=False)
    finally:
        ray.shutdown()
    assert _outcomes(store) == _outcomes(finished)


@pytest.mark.parametrize(("change", "message"), [
    ({"learning_rate": 0.1}, "unknown key 'learning_rate'"),
    ({"epochs": "two"}, "epochs must be of type int"),
    ({"densities": []}, "densities must be a non-empty list"),
    ({"seeds": [0, 1.5]}, r"seeds\[1\] must be of type int"),
    ({"densities": [0.5, 1.5]}, "at density 1.5: density must lie in"),
    ({"methods": {"X": {"scorer": "loss", "quoter": "drop"}}}, "methods.X at density 0.4: scorer must be one of"),
    ({"methods": {"X": {"scorer": "random"}}}, "methods.X.quoter is missing"),
    ({"methods": {"X": {"scorer": "random", "quoter": "drop", "step": 1}}}, "unknown key methods.X.step"),
    ({"methods": {}}, "methods must be a non-empty table"),
    ({"methods": {"X": {"scorer": "random", "quoter": "drop", "densities": []}}},
     "methods.X.densities must be a non-empty list"),
    ({"methods": {"X": {"scorer": "random", "quoter": "drop", "densities": [2.0]}}},
     "methods.X at density 2.0: density must lie in"),
    ({"scorers": ["random"]}, "either methods or scorers and quoters"),
])
def test_bad_configs_name_the_key(change, message):
    with pytest.raises(ValueError, match=message):
        sweep.parse_config({**_tiny_table(), **change})


def test_scorers_and_quoters_make_every_pair():
    table = {k: v for k, v in _tiny_table().items() if k != "methods"}
    config = sweep.parse_config({**table, "scorers": ["random", "el2n"], "quoters": ["drop", "class-blind"]})
    assert [m.name for m in config.methods] == ["random+drop", "random+class-blind", "el2n+drop", "el2n+class-blind"]


def test_cli_rejects_a_bad_config_before_training(tmp_path, capsys):
    config = tmp_path / "bad.toml"
    config.write_text(TINY.replace("epochs = 1", "epochs = 1\nbatch = 3"))
    assert main(["sweep", str(config), "--out", str(tmp_path / "out")]) == 2
    assert "unknown key 'batch'" in capsys.readouterr().err and not (tmp_path / "out").exists()
    assert main(["sweep", str(tmp_path / "missing.toml"), "--out", str(tmp_path / "out")]) == 2


def _fixture_store(directory) -> Store:
    """A store of synthetic records: 2 methods x 3 densities x 2 seeds, 3 classes."""
    store = Store(directory, writer=True)
    for method, shift in (("Random", 0.0), ("Random+DRoP", 0.05)):
        for density in (0.3, 0.6, 1.0):
            for seed in (0, 1):
                accuracies = np.array([0.9, 0.8, 0.5 + shift]) - 0.1 * (1 - density) + 0.01 * seed
                kept = np.array([density - shift, density, density + shift]).clip(0, 1)
                store.append({"run_id": f"{method}/d={density:g}/seed={seed}", "method": method, "seed": seed,
                              "density": density, "dataset": "toy", "model": "SmallCNN",
                              "average_accuracy": float(accuracies.mean()),
                              "worst_class_accuracy": float(accuracies.min()),
                              "class_densities": kept.tolist(), "full_data_class_recalls": [0.95, 0.9, 0.6]})
    store.close()
    return store


def test_a_second_writer_is_refused_while_the_first_runs(tmp_path):
    with Store(tmp_path / "store", writer=True):
        with pytest.raises(StoreInUse, match=f"process {os.getpid()}"):
            Store(tmp_path / "store", writer=True)
        assert Store(tmp_path / "store").records == {}  # readers are not locked out
    with Store(tmp_path / "store", writer=True):  # closing released the lock
        pass
    assert not (tmp_path / "store" / LOCK).exists()


def test_a_stale_lock_is_taken_over(tmp_path):
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (tmp_path / LOCK).write_text(f"{finished.stdout.strip()} {socket.gethostname()}\n")
    with pytest.warns(RuntimeWarning, match="stale lock"), Store(tmp_path, writer=True):
        assert (tmp_path / LOCK).read_text().split()[0] == str(os.getpid())


def test_a_reader_cannot_write(tmp_path):
    with pytest.raises(ValueError, match="opened for reading"):
        Store(tmp_path).append({"run_id": "a"})
    assert not list(tmp_path.iterdir())


def test_the_command_line_refuses_a_second_sweep_into_one_folder(tmp_path, capsys):
    config = tmp_path / "sweep.toml"
    config.write_text(TINY)
    with Store(tmp_path / "out", writer=True):
        assert main(["sweep", str(config), "--out", str(tmp_path / "out")]) == 2
    assert "is in use by the sweep of process" in capsys.readouterr().err


def test_report_writes_the_table_and_every_figure(tmp_path):
    _fixture_store(tmp_path / "store")
    table, written = empirical.write_report(tmp_path / "store")
    assert sorted(p.name for p in written) == sorted(f"{n}.{s}" for n in empirical.REPORT_FIGURES for s in ("png", "pdf"))
    assert all(p.stat().st_size > 1000 for p in written)
    lines = table.splitlines()
    assert len(lines) == 2 + 6 and lines[2].split()[:3] == ["Random", "0.30", "2"]
    row = empirical.summary(empirical.load_records(tmp_path / "store"))[0]
    assert row["worst_class_accuracy_min"] == pytest.approx(0.43) and row["worst_class_accuracy_max"] == pytest.approx(0.44)


def test_methods_without_a_fixed_colour_get_one_no_other_method_has():
    methods = ["Random", "EL2N", "Random+adjusted", "Mine", "Random+DRoP"]
    colors = empirical.method_colors(methods)
    assert list(colors) == methods and len(set(colors.values())) == len(methods)
    assert colors["EL2N"] == "tab:pink" and colors["Random"] == "tab:gray"


def test_report_cli_and_missing_store(tmp_path, capsys):
    _fixture_store(tmp_path / "store")
    assert main(["report", str(tmp_path / "store"), "--out", str(tmp_path / "figs")]) == 0
    assert "Random+DRoP" in capsys.readouterr().out and (tmp_path / "figs" / "class_densities.png").exists()
    assert main(["report", str(tmp_path / "empty")]) == 2
    assert "no finished runs" in capsys.readouterr().err and not (tmp_path / "empty").exists()


@pytest.mark.slow
def test_report_leaves_a_damaged_store_as_it_is(tmp_path, capsys):
    records = _fixture_store(tmp_path / "store").path
    damaged = records.read_text() + '{"run_id": "half a line'
    records.write_text(damaged)
    with pytest.warns(RuntimeWarning, match="1 damaged record"):
        assert main(["report", str(tmp_path / "store"), "--out", str(tmp_path / "figs"), "--json"]) == 0
    assert records.read_text() == damaged and not (tmp_path / "store" / REJECTED).exists()


def test_sweep_and_report_with_no_arguments_run_the_built_in_example(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["sweep", "--json"]) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    expected = len(sweep.load_config().runs())
    assert result["finished"] == result["runs"] == expected == 2
    assert captured.err.strip().splitlines()[-1].startswith("gmm-theory sweep: done in ")
    assert main(["report"]) == 0
    captured = capsys.readouterr()
    assert "Random+DRoP" in captured.out and (tmp_path / "gmm-theory-sweep" / "figures" / "class_densities.png").exists()
    assert captured.err.strip().splitlines()[-1].startswith("gmm-theory report: done in ")
