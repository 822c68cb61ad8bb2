"""The results store of a sweep: an append-only JSON-lines file, one record per finished run.

Each line is one JSON object with a ``sha256`` of the rest of the record, appended and
flushed to disk before the run counts as done, so a sweep killed at any moment leaves at
worst one truncated last line.  Opening the store checks every line; a line that does not
parse or whose checksum fails is reported and not used.  A reader (``report``, the figures)
leaves the file as it is; the writer (a sweep) moves such lines to ``records.rejected``, and
their runs are done again.  Query phases (recalls and scores per seed) and kept indices are
stored beside the records as compressed ``.npz`` files written atomically.

One writer at a time: the writer holds ``sweep.lock``, created atomically with its process
id and host, and removed when it closes the store.  A lock whose process is no longer
running on this host is stale and taken over with a warning.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import warnings
from pathlib import Path

import numpy as np

from gmm_theory._errors import StoreInUse
from gmm_theory._io import replacing

RECORDS = "records.jsonl"
REJECTED = "records.rejected"
LOCK = "sweep.lock"


def _checksum(record: dict) -> str:
    body = {key: value for key, value in record.items() if key != "sha256"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _parse(line: str) -> dict | None:
    """The record on ``line``, or None if it is not a complete, intact record."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return None
    if not isinstance(record, dict) or record.get("sha256") != _checksum(record) or "run_id" not in record:
        return None
    return record


def write_arrays(path, **arrays) -> None:
    """Save ``arrays`` to the ``.npz`` file ``path`` atomically (compressed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as handle:
        np.savez_compressed(handle, **arrays)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but another user's
        pass
    return True


def _take_lock(path: Path) -> None:
    """Create the lock file ``path`` for this process, or raise :class:`StoreInUse` if a live
    process holds it; a stale lock (its process gone from this host) is replaced."""
    host = socket.gethostname()
    while True:
        try:
            handle = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            fields = path.read_text(encoding="utf-8", errors="replace").split()
            pid = int(fields[0]) if fields and fields[0].isdigit() else None
            owner_host = fields[1] if len(fields) > 1 else host
            if pid is not None and (owner_host != host or _running(pid)):
                raise StoreInUse(f"{path.parent} is in use by the sweep of process {pid} on {owner_host}; wait for "
                                 f"it to finish, or stop it (its lock is {path})") from None
            warnings.warn(f"{path}: taking over the stale lock of process {pid}, which is no longer running",
                          RuntimeWarning, stacklevel=3)
            path.unlink(missing_ok=True)
            continue
        with os.fdopen(handle, "w", encoding="utf-8") as lock:
            lock.write(f"{os.getpid()} {host}\n")
        return


class Store:
    """Records of finished runs in ``directory``, keyed by ``run_id``.

    A reader (the default) only reads; with ``writer=True`` the directory is created if
    needed and locked against other writers until :meth:`close` (or the end of a ``with``
    block), and damaged lines are moved out of the records.

    The records live in ``records.jsonl``, one JSON object a line with a ``sha256`` of the
    rest of the record; opening the store checks every line, and a line that does not parse
    or whose checksum fails is not used (a writer moves it to ``records.rejected``, and its
    run is done again).  The first intact record of a ``run_id`` wins.  Arrays (query phases,
    kept indices) are stored beside the records as compressed ``.npz`` files written
    atomically.  The writer's lock, ``sweep.lock``, holds its process id and host; a lock
    whose process is no longer running on this host is stale and taken over.

    Args:
        directory (str | os.PathLike): The store's folder.
        writer (bool): Open for writing: create the folder, take its lock and move damaged
            lines out; ``False`` (the default) leaves the files as they are.

    Raises:
        StoreInUse: If ``writer=True`` and a live process (of this host, or any process of
            another host) holds the lock (:class:`gmm_theory._errors.StoreInUse`).

    Warns:
        RuntimeWarning: When damaged lines are found (a reader leaves them, a writer moves
            them to ``records.rejected``), and when a writer takes over a stale lock.

    Attributes:
        directory (pathlib.Path): The store's folder.
        writer (bool): Whether the store is open for writing (``False`` after :meth:`close`).
        records (dict[str, dict]): The intact records, keyed by ``run_id``, in file order.
        rejected (list[str]): The damaged lines found on opening.
    """

    def __init__(self, directory, *, writer: bool = False):
        self.directory = Path(directory)
        self.writer = writer
        self.records: dict[str, dict] = {}
        self.rejected: list[str] = []
        if writer:
            self.directory.mkdir(parents=True, exist_ok=True)
            _take_lock(self.directory / LOCK)
        self._load()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Release the writer's lock; a reader's close does nothing.

        After it the store is a reader: :meth:`append` and :meth:`save_arrays` refuse.
        """
        if self.writer:
            (self.directory / LOCK).unlink(missing_ok=True)
            self.writer = False

    @property
    def path(self) -> Path:
        """The records file.

        Returns:
            pathlib.Path: ``directory / "records.jsonl"``.
        """
        return self.directory / RECORDS

    def _load(self) -> None:
        if not self.path.exists():
            return
        text = self.path.read_text(encoding="utf-8", errors="replace")
        good = []
        for line in text.splitlines(keepends=True):
            record = _parse(line) if line.endswith("\n") else None
            if record is None:
                self.rejected.append(line)
            elif record["run_id"] not in self.records:
                self.records[record["run_id"]] = record
                good.append(line)
        if not self.rejected:
            return
        if not self.writer:
            warnings.warn(f"{self.path}: {len(self.rejected)} damaged record(s) not used; the next "
                          f"`gmm-theory sweep` into this folder moves them to {REJECTED} and does their runs again",
                          RuntimeWarning, stacklevel=3)
            return
        warnings.warn(f"{self.path}: {len(self.rejected)} damaged record(s) moved to {REJECTED}; "
                      "their runs will be done again", RuntimeWarning, stacklevel=3)
        with open(self.directory / REJECTED, "a", encoding="utf-8") as handle:
            handle.writelines(line if line.endswith("\n") else line + "\n" for line in self.rejected)
        with replacing(self.path) as handle:
            handle.write("".join(good).encode())

    def _check_writer(self) -> None:
        if not self.writer:
            raise ValueError(f"the store in {self.directory} was opened for reading; open it with writer=True")

    def append(self, record: dict) -> None:
        """Add a finished run's record, durably (flushed and fsynced).

        The record is written as one JSON line with its ``sha256`` checksum added, and then
        replaces any record of the same ``run_id`` in :attr:`records`.

        Args:
            record (dict): A JSON-serialisable record with a ``run_id`` key.

        Raises:
            ValueError: If the store was opened for reading (or closed).
        """
        self._check_writer()
        record = {**record, "sha256": None}
        record["sha256"] = _checksum(record)
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        self.records[record["run_id"]] = record

    def save_arrays(self, name: str, **arrays) -> None:
        """Save ``arrays`` as the compressed ``directory / (name + ".npz")``, atomically.

        Args:
            name (str): The file's name without ``.npz``, relative to the store's folder (it
                may name a subfolder, e.g. ``kept/...``).
            **arrays: The arrays to save, by name.

        Raises:
            ValueError: If the store was opened for reading (or closed).
        """
        self._check_writer()
        write_arrays(self.directory / f"{name}.npz", **arrays)

    def save_kept(self, name: str, kept, total: int) -> None:
        """Kept indices out of ``total`` training samples, as a packed bit mask.

        Args:
            name (str): The name to save under (see :meth:`save_arrays`).
            kept (numpy.ndarray): The kept training indices, integers in ``0 .. total - 1``.
            total (int): The number of training samples.

        Raises:
            ValueError: If the store was opened for reading (or closed).
        """
        mask = np.zeros(total, dtype=bool)
        mask[np.asarray(kept)] = True
        self.save_arrays(name, mask=np.packbits(mask), total=np.array(total))

    def load_kept(self, name: str) -> np.ndarray:
        """The kept indices that :meth:`save_kept` saved under ``name``.

        Args:
            name (str): A name saved by :meth:`save_kept`.

        Returns:
            numpy.ndarray: The sorted kept training indices.
        """
        arrays = self.load_arrays(name)
        return np.flatnonzero(np.unpackbits(arrays["mask"], count=int(arrays["total"])))

    def load_arrays(self, name: str) -> dict | None:
        """The arrays saved under ``name``, or None if there are none.

        Args:
            name (str): The name given to :meth:`save_arrays`.

        Returns:
            dict[str, numpy.ndarray] | None: The arrays by name, read into memory, or
            ``None`` if there is no ``name.npz``.
        """
        path = self.directory / f"{name}.npz"
        if not path.exists():
            return None
        with np.load(path) as data:
            return {key: data[key] for key in data.files}
