"""Traced programs that persist between processes, for the command line.

A new process traces a jitted function before it can look its compiled program up in JAX's
persistent compilation cache, and for the saddle-point solver the tracing alone takes
seconds.  ``jax.export`` serialises the traced program (StableHLO), here with a symbolic
leading batch axis, so that a later process deserialises it instead of tracing it again
(https://docs.jax.dev/en/latest/export/export.html).

The store is off until :func:`enable` names a folder (the command line does), and it needs
the ``flatbuffers`` package (the ``cli`` extra); without either, :func:`call` calls the
function itself.  An entry is keyed by the function, its static arguments, the types of its
arguments, the versions of JAX and jaxlib and a digest of this package's source, so a change
to the code retires the entries traced from the old code.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
from pathlib import Path

import jax
import numpy as np

from gmm_theory._io import replacing

_store: Path | None = None


def enable(folder) -> None:
    """Keep exported programs in ``folder`` (created on first use); ``None`` turns the store off."""
    global _store
    _store = None if folder is None else Path(folder)


@functools.lru_cache(maxsize=1)
def _source_digest() -> str:
    package = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _key(function, static: dict, arrays) -> str:
    import jaxlib

    signature = repr((function.__module__, function.__qualname__, sorted(static.items()),
                      [(array.dtype.str, array.shape[1:] if array.ndim else None) for array in arrays],
                      jax.__version__, jaxlib.__version__, _source_digest()))
    return hashlib.sha256(signature.encode()).hexdigest()[:32]


def _export(function, static: dict, arrays):
    from jax import export

    (batch,) = export.symbolic_shape("batch")
    specs = [jax.ShapeDtypeStruct((batch, *array.shape[1:]) if array.ndim else (), array.dtype) for array in arrays]
    return export.export(jax.jit(functools.partial(function, **static)))(*specs)


def _load(path: Path):
    from jax import export

    if not path.exists():
        return None
    try:
        return export.deserialize(bytearray(path.read_bytes()))
    except Exception:  # a damaged entry: trace again and replace it
        return None


def call(function, static: dict, *arrays) -> tuple:
    """``function(*arrays, **static)``, a tuple of arrays, through the store when it is enabled.

    Every array argument of rank >= 1 shares one leading (batch) axis, of any length: the
    stored program is traced for a symbolic batch, so one entry serves every length.
    """
    if _store is None or importlib.util.find_spec("flatbuffers") is None:
        return function(*arrays, **static)
    arrays = [np.asarray(array) for array in arrays]
    path = _store / f"{_key(function, static, arrays)}.jaxexport"
    exported = _load(path)
    if exported is None:
        exported = _export(function, static, arrays)
        path.parent.mkdir(parents=True, exist_ok=True)
        with replacing(path) as handle:
            handle.write(exported.serialize())
    return tuple(exported.call(*arrays))
