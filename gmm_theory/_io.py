"""Atomic file writes: a partial file never replaces a finished one."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


@contextlib.contextmanager
def replacing(path):
    """Open a hidden sibling of ``path`` for binary writing; it replaces ``path`` only when
    the block completes, and is removed if the block fails."""
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    try:
        with open(partial, "wb") as handle:
            yield handle
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
