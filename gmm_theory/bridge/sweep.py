"""Sweeps: a grid of bridge runs (methods x densities x seeds) that runs unattended and resumes.

A sweep is a TOML file::

    dataset = "digits"
    epochs = 2                      # query epochs E; omit for the dataset's recipe
    densities = [0.3, 0.5, 0.8, 1.0]
    seeds = [0, 1, 2]

    [methods]                       # or: scorers = [...] and quoters = [...] (every pair)
    Random = { scorer = "random", quoter = "stratified" }
    "Random+DRoP" = { scorer = "random", quoter = "drop", densities = [0.1, 0.5, 0.9] }

(a method's own ``densities`` replace the sweep's for it)
with the optional settings ``root``, ``model``, ``width``, ``query_inits``, ``rounds``,
``schedule``, ``step``, ``semantics`` and ``bf16`` of :class:`gmm_theory.bridge.pipeline.BridgeConfig`.
Every run of a seed shares one full-data query phase (all the scorers it needs at once, and
the validation log-probabilities that ``adjusted`` reads), stored beside the records and
extended when a grown grid needs more.  Finished runs are skipped, so rerunning a killed
sweep resumes it.  Tasks go to an executor: sequential, a local process pool, or Ray.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import sys
from concurrent import futures
from multiprocessing import get_context
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from gmm_theory._checks import check_choice, check_count
from gmm_theory._io import replacing
from gmm_theory.bridge.datasets import load_dataset
from gmm_theory.bridge.pipeline import BridgeConfig, Query, full_data_query, run
from gmm_theory.bridge.scores import score_key
from gmm_theory.bridge.store import Store

SETTINGS = {"dataset": str, "root": str, "model": str, "epochs": int, "query_inits": int, "rounds": int,
            "schedule": str, "step": float, "semantics": str, "bf16": bool, "width": int}
GRID = ("densities", "seeds", "methods", "scorers", "quoters")
EXECUTORS = ("local", "ray")


@dataclasses.dataclass(frozen=True)
class Method:
    """A scorer + quoter pair; ``densities`` replaces the sweep's for this method."""

    name: str
    scorer: str
    quoter: str
    densities: tuple[float, ...] | None = None


@dataclasses.dataclass(frozen=True)
class SweepConfig:
    """Shared settings, and the grid of methods x densities x seeds.

    Made by :func:`load_config` from a TOML file, which checks every run of the grid; frozen.

    Args:
        settings (dict): The :class:`BridgeConfig` settings shared by every run, among
            ``dataset``, ``root``, ``model``, ``epochs``, ``query_inits``, ``rounds``,
            ``schedule``, ``step``, ``semantics``, ``bf16`` and ``width``.
        methods (tuple[gmm_theory.bridge.sweep.Method, ...]): The (name, scorer, quoter)
            methods, each with optional densities of its own.
        densities (tuple[float, ...]): The dataset densities of the methods that have none of
            their own, each in (0, 1].
        seeds (tuple[int, ...]): The seeds; every (method, density) runs once per seed.
    """

    settings: dict
    methods: tuple[Method, ...]
    densities: tuple[float, ...]
    seeds: tuple[int, ...]

    def bridge_config(self, method: Method, density: float, seed: int) -> BridgeConfig:
        """The config of one run of the grid, progress bars off.

        Args:
            method (gmm_theory.bridge.sweep.Method): The run's scorer and quoter.
            density (float): The run's dataset density, in (0, 1].
            seed (int): The run's seed.

        Returns:
            BridgeConfig: The shared settings with the method's scorer and quoter, ``density``
            and ``seed``.

        Raises:
            ValueError: If a setting is invalid (see :class:`BridgeConfig`).
        """
        return BridgeConfig(**self.settings, scorer=method.scorer, quoter=method.quoter, density=density,
                            seed=seed, progress=False)

    def runs(self) -> list[tuple[str, Method, float, int]]:
        """(run_id, method, density, seed) for every run of the grid.

        Seed after seed, then method by method, then density by density; a method's own
        densities replace the sweep's.

        Returns:
            list[tuple[str, gmm_theory.bridge.sweep.Method, float, int]]: One entry per run,
            its ``run_id`` being ``"<method>/d=<density>/seed=<seed>"``.
        """
        return [(f"{m.name}/d={d:g}/seed={s}", m, d, s) for s in self.seeds for m in self.methods
                for d in (m.densities or self.densities)]


def _typed(key: str, value, kind):
    ok = isinstance(value, kind) and not (kind in (int, float) and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not ok:
        raise ValueError(f"{key} must be of type {kind.__name__}, got {value!r}")
    return value


def _nonempty_list(table: dict, key: str, kind, label: str | None = None) -> tuple:
    values, label = table.get(key), label or key
    if not isinstance(values, list) or not values:
        raise ValueError(f"{label} must be a non-empty list, got {values!r}")
    return tuple(_typed(f"{label}[{i}]", value, kind) for i, value in enumerate(values))


def _methods(table: dict) -> tuple[Method, ...]:
    if "methods" in table:
        if "scorers" in table or "quoters" in table:
            raise ValueError("give either methods or scorers and quoters, not both")
        entries = table["methods"]
        if not isinstance(entries, dict) or not entries:
            raise ValueError(f"methods must be a non-empty table of name = {{ scorer, quoter }}, got {entries!r}")
        methods = []
        for name, entry in entries.items():
            if not isinstance(entry, dict):
                raise ValueError(f"methods.{name} must be a table {{ scorer, quoter }}, got {entry!r}")
            unknown = set(entry) - {"scorer", "quoter", "densities"}
            if unknown:
                raise ValueError(f"unknown key methods.{name}.{sorted(unknown)[0]}")
            missing = {"scorer", "quoter"} - set(entry)
            if missing:
                raise ValueError(f"methods.{name}.{sorted(missing)[0]} is missing")
            densities = _nonempty_list(entry, "densities", float, f"methods.{name}.densities") if "densities" in entry else None
            methods.append(Method(name, _typed(f"methods.{name}.scorer", entry["scorer"], str),
                                  _typed(f"methods.{name}.quoter", entry["quoter"], str), densities))
        return tuple(methods)
    scorers, quoters = _nonempty_list(table, "scorers", str), _nonempty_list(table, "quoters", str)
    return tuple(Method(f"{s}+{q}", s, q) for s in scorers for q in quoters)


def parse_config(table: dict) -> SweepConfig:
    """A validated sweep from a parsed TOML table; errors name the offending key."""
    unknown = set(table) - set(SETTINGS) - set(GRID)
    if unknown:
        raise ValueError(f"unknown key {sorted(unknown)[0]!r} (allowed: {', '.join([*SETTINGS, *GRID])})")
    settings = {key: _typed(key, table[key], kind) for key, kind in SETTINGS.items() if key in table}
    config = SweepConfig(settings, _methods(table), _nonempty_list(table, "densities", float),
                         _nonempty_list(table, "seeds", int))
    for method in config.methods:
        for density in method.densities or config.densities:
            try:
                config.bridge_config(method, density, config.seeds[0])
            except ValueError as error:
                raise ValueError(f"methods.{method.name} at density {density}: {error}") from None
    return config


# The embedded default: Random against Random+DRoP on digits, one seed, a few seconds.
EXAMPLE = {"dataset": "digits", "epochs": 2, "densities": [0.5], "seeds": [0],
           "methods": {"Random": {"scorer": "random", "quoter": "stratified"},
                       "Random+DRoP": {"scorer": "random", "quoter": "drop"}}}


def load_config(path=None) -> SweepConfig:
    """The sweep of the TOML file at ``path``, or :data:`EXAMPLE` when ``path`` is None.

    The file gives the shared settings (``dataset``, ``root``, ``model``, ``epochs``,
    ``query_inits``, ``rounds``, ``schedule``, ``step``, ``semantics``, ``bf16``, ``width``),
    ``densities`` and ``seeds`` (non-empty lists), and either a ``[methods]`` table of
    ``name = { scorer, quoter }`` entries (each with optional ``densities`` of its own) or the
    lists ``scorers`` and ``quoters`` (every pair, named ``scorer+quoter``).  Every run of the
    grid is checked as a :class:`BridgeConfig`.  :data:`EXAMPLE`, the embedded default, is
    Random against Random+DRoP on digits, 2 epochs, density 0.5, one seed.

    Args:
        path (str | os.PathLike | None): The TOML file; ``None`` for the embedded example.

    Returns:
        SweepConfig: The validated sweep.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        ValueError: If ``path`` is a folder, is not UTF-8 text or not valid TOML, or if the
            table has an unknown key, a value of the wrong type, an empty list, both
            ``methods`` and ``scorers``/``quoters``, a method without ``scorer`` or
            ``quoter``, or a run whose :class:`BridgeConfig` is invalid (the message names
            the key or the method and density).
    """
    if path is None:
        return parse_config(EXAMPLE)
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"sweep config {path} is a folder, not a TOML file")
    if not path.is_file():
        raise FileNotFoundError(f"sweep config {path} does not exist")
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ValueError(f"sweep config {path} is not a text (UTF-8) TOML file") from None
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"sweep config {path} is not valid TOML: {error}") from None
    return parse_config(table)


# Every task of a sweep reads the same dataset: load it once per process.
_dataset = functools.lru_cache(maxsize=1)(load_dataset)


QUERY_ARRAYS = ("recalls", "score", "log_probabilities")


def query_task(settings: dict, seed: int, keys: tuple[str, ...]) -> dict:
    """The full-data query phase of one seed for all its score keys, as float32 arrays named
    ``recalls_KEY``, ``score_KEY`` and ``log_probabilities_KEY``: single precision keeps the
    stored phases small, and runs see the same numbers whether they read them from memory or
    from the store."""
    config = BridgeConfig(**settings, seed=seed, progress=False)
    found = full_data_query(config, _dataset(config.dataset, config.root), keys)
    return {f"{array}_{key}": np.asarray(values, dtype=np.float32) for key in keys
            for array, values in zip(QUERY_ARRAYS, (found.recalls[key], found.scores[key], found.log_probabilities[key]))}


def run_task(config: BridgeConfig, query: dict) -> tuple[dict, np.ndarray]:
    """One bridge run from its seed's stored query phase."""
    key = config.score_key
    first = Query(*({key: query[f"{array}_{key}"]} for array in QUERY_ARRAYS))
    return run(config, _dataset(config.dataset, config.root), first)


class LocalExecutor:
    """Runs tasks in this process (``workers=1``) or in a pool of fresh processes."""

    def __init__(self, workers: int = 1):
        check_count("workers", workers)
        self.workers = workers

    @property
    def parallelism(self) -> int:
        return self.workers

    def map_unordered(self, function, calls):
        """Yield (index, result) for ``function(*calls[index])`` as each finishes."""
        if self.workers == 1:
            for index, arguments in enumerate(calls):
                yield index, function(*arguments)
            return
        # JAX is not fork-safe: workers are spawned.
        with futures.ProcessPoolExecutor(self.workers, mp_context=get_context("spawn")) as pool:
            pending = {pool.submit(function, *arguments): index for index, arguments in enumerate(calls)}
            for done in futures.as_completed(pending):
                yield pending[done], done.result()


class RayExecutor:
    """Runs tasks on a Ray cluster (a local one unless ``address`` names another)."""

    def __init__(self, address: str | None = None):
        import ray

        if not ray.is_initialized():
            ray.init(address=address, include_dashboard=False, log_to_driver=False)
        self.ray = ray

    @property
    def parallelism(self) -> int:
        return max(1, int(self.ray.cluster_resources().get("CPU", 1)))

    def map_unordered(self, function, calls):
        remote = self.ray.remote(function)
        pending = {remote.remote(*arguments): index for index, arguments in enumerate(calls)}
        while pending:
            (done,), _ = self.ray.wait(list(pending), num_returns=1)
            yield pending.pop(done), self.ray.get(done)


def make_executor(name: str, workers: int = 1, address: str | None = None):
    check_choice("executor", name, EXECUTORS)
    if name == "local":
        return LocalExecutor(workers)
    return RayExecutor(address)


def _check_same_settings(store: Store, config: SweepConfig) -> None:
    """A store holds one sweep's settings; its grid may grow between reruns."""
    path = store.directory / "settings.json"
    if path.exists():
        saved = json.loads(path.read_text())
        for key in sorted(set(saved) | set(config.settings)):
            if saved.get(key) != config.settings.get(key):
                raise ValueError(f"{store.directory} holds a sweep with {key} = {saved.get(key)!r}, "
                                 f"not {config.settings.get(key)!r}; use another output directory")
    else:
        with replacing(path) as handle:
            handle.write(json.dumps(config.settings, sort_keys=True).encode())


def _kept_name(method: Method, density: float, seed: int) -> str:
    return f"kept/{method.name}_d{density:g}_seed{seed}".replace(" ", "_")


def _score_key(method: Method) -> str:
    return score_key(method.scorer, method.quoter)


def _needed(keys: tuple[str, ...]) -> set[str]:
    """The stored query arrays that runs reading score ``keys`` need."""
    return {f"{array}_{key}" for key in keys for array in QUERY_ARRAYS}


def run_sweep(config: SweepConfig, directory, executor=None, progress: bool | None = None) -> Store:
    """Run every unfinished run of ``config`` into the store in ``directory``, seed after seed:
    the seed's full-data query phase (unless stored), then its runs, so that records come in
    from the first seed on.

    Every run of a seed shares one full-data query phase (all the score keys it needs at
    once, and the validation log-probabilities that ``adjusted`` reads), stored as float32
    beside the records (``query_seed<seed>.npz``) and extended when a grown grid needs more.
    Each finished run appends its record (the :func:`run` result with ``run_id`` and
    ``method``) and saves its kept indices; finished runs are skipped, so rerunning a killed
    sweep resumes it.  The store keeps the sweep's settings (``settings.json``): its grid may
    grow between reruns, its settings may not change.

    Args:
        config (SweepConfig): The sweep, as :func:`load_config` gives it.
        directory (str | os.PathLike): The store's folder, created if needed and locked for
            the sweep's duration.
        executor (object | None): Where tasks run: a
            :class:`gmm_theory.bridge.sweep.LocalExecutor` (in this process with one worker,
            else a pool of spawned processes) or a
            :class:`gmm_theory.bridge.sweep.RayExecutor`; ``None`` for one local worker.
        progress (bool | None): Show a progress bar of the sweep's tasks; ``None`` shows it
            on a terminal.

    Returns:
        Store: The store (closed: its lock released), its :attr:`Store.records` holding every
        finished run.

    Raises:
        StoreInUse: If another live process is sweeping into ``directory``
            (:class:`gmm_theory._errors.StoreInUse`).
        ValueError: If ``directory`` holds a sweep with other settings, or the dataset's files
            are not a valid dataset.
        FileNotFoundError: If the dataset's files are missing (checked before any training).
    """
    executor = executor or LocalExecutor()
    with Store(directory, writer=True) as store:
        return _run_into(store, config, executor, progress)


def _run_into(store: Store, config: SweepConfig, executor, progress: bool | None) -> Store:
    _check_same_settings(store, config)
    _dataset(config.settings.get("dataset", "digits"), config.settings.get("root"))  # fail before training
    todo = [run_ for run_ in config.runs() if run_[0] not in store.records]
    seeds = sorted({seed for _, _, _, seed in todo})
    keys = {seed: tuple(sorted({_score_key(m) for _, m, _, s in todo if s == seed})) for seed in seeds}
    saved = {seed: store.load_arrays(f"query_seed{seed}") or {} for seed in seeds}
    missing = [seed for seed in seeds if not _needed(keys[seed]) <= set(saved[seed])]
    show = sys.stderr.isatty() if progress is None else progress
    bar = tqdm(total=len(missing) + len(todo), disable=not show, desc="sweep", unit="task")
    left = len(todo)

    def show_runs() -> None:
        bar.set_postfix(finished=len(store.records), running=min(executor.parallelism, left), left=left)

    show_runs()
    for seed in seeds:
        query = saved[seed]
        if seed in missing:
            for _, arrays in executor.map_unordered(query_task, [(config.settings, seed, keys[seed])]):
                # A query phase is a function of the seed: arrays saved by earlier runs stay valid.
                query = {**saved[seed], **arrays}
                store.save_arrays(f"query_seed{seed}", **query)
                bar.update()
        runs = [run_ for run_ in todo if run_[3] == seed]
        calls = [(config.bridge_config(m, d, s), query) for _, m, d, s in runs]
        for index, (result, kept) in executor.map_unordered(run_task, calls):
            run_id, method, density, _ = runs[index]
            store.save_kept(_kept_name(method, density, seed), kept, result["training_size"])
            store.append({"run_id": run_id, "method": method.name, **result})
            left -= 1
            bar.update()
            show_runs()
    bar.close()
    return store
