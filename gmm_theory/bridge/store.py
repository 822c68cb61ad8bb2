"""The results store of a sweep: an append-only JSON-lines file, one record per finished run.

Each line is one JSON object with a ``sha256`` of the rest of the record, appended and
flushed to disk before the run counts as done, so a sweep killed at any moment leaves at
worst one truncated last line.  Opening the store checks every line; a line that does not
parse or whose checksum fails is reported, moved to ``records.rejected`` and not used, and
its run is done again.  Query phases (recalls and scores per seed) and kept indices are
stored beside the records as compressed ``.npz`` files written atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path

import numpy as np

from gmm_theory._io import replacing

RECORDS = "records.jsonl"
REJECTED = "records.rejected"


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


class Store:
    """Records of finished runs in ``directory`` (created if needed), keyed by ``run_id``."""

    def __init__(self, directory):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.records: dict[str, dict] = {}
        self.rejected: list[str] = []
        self._load()

    @property
    def path(self) -> Path:
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
        if self.rejected:
            warnings.warn(f"{self.path}: {len(self.rejected)} damaged record(s) moved to {REJECTED}; "
                          "their runs will be done again", RuntimeWarning, stacklevel=2)
            with open(self.directory / REJECTED, "a", encoding="utf-8") as handle:
                handle.writelines(line if line.endswith("\n") else line + "\n" for line in self.rejected)
            with replacing(self.path) as handle:
                handle.write("".join(good).encode())

    def append(self, record: dict) -> None:
        """Add a finished run's record, durably (flushed and fsynced)."""
        record = {**record, "sha256": None}
        record["sha256"] = _checksum(record)
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        self.records[record["run_id"]] = record

    def save_arrays(self, name: str, **arrays) -> None:
        path = self.directory / f"{name}.npz"
        path.parent.mkdir(parents=True, exist_ok=True)
        with replacing(path) as handle:
            np.savez_compressed(handle, **arrays)

    def save_kept(self, name: str, kept, total: int) -> None:
        """Kept indices out of ``total`` training samples, as a packed bit mask."""
        mask = np.zeros(total, dtype=bool)
        mask[np.asarray(kept)] = True
        self.save_arrays(name, mask=np.packbits(mask), total=np.array(total))

    def load_kept(self, name: str) -> np.ndarray:
        arrays = self.load_arrays(name)
        return np.flatnonzero(np.unpackbits(arrays["mask"], count=int(arrays["total"])))

    def load_arrays(self, name: str) -> dict | None:
        """The arrays saved under ``name``, or None if there are none."""
        path = self.directory / f"{name}.npz"
        if not path.exists():
            return None
        with np.load(path) as data:
            return {key: data[key] for key in data.files}
