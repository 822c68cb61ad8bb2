"""Input validation shared by every module: errors name the parameter and the allowed range."""

from __future__ import annotations

import functools
import importlib.util
import os

import jax
import jax.numpy as jnp
import numpy as np

from gmm_theory._errors import MissingExtra


def is_concrete(*values) -> bool:
    """True when no value is a JAX tracer, i.e. the numbers can be inspected now."""
    return not any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree_util.tree_leaves(values))


def as_float_vector(name: str, value, length: int | None = None) -> np.ndarray:
    """Return ``value`` as a finite float64 vector, or raise ``ValueError`` naming ``name``."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a sequence of numbers, got {value!r}") from None
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if length is not None and array.shape[0] != length:
        raise ValueError(f"{name} must have {length} entries, got {array.shape[0]}")
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise ValueError(f"{name}[{bad[0]}] must be finite, got {array[bad[0]]}")
    return array


def check_positive(name: str, array: np.ndarray) -> None:
    bad = np.flatnonzero(array <= 0)
    if bad.size:
        raise ValueError(f"{name}[{bad[0]}] must be positive, got {array[bad[0]]}")


def check_unit_interval(name: str, array: np.ndarray) -> None:
    bad = np.flatnonzero((array < 0) | (array > 1))
    if bad.size:
        raise ValueError(f"{name}[{bad[0]}] must lie in [0, 1], got {array[bad[0]]}")


def check_probability_vector(name: str, array: np.ndarray, atol: float = 1e-9) -> None:
    check_unit_interval(name, array)
    total = float(array.sum())
    if abs(total - 1.0) > atol:
        raise ValueError(f"{name} must sum to 1, got sum {total!r}")


def check_count(name: str, value, minimum: int = 1) -> None:
    """A ``ValueError`` naming ``name`` unless ``value`` is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def as_density(name: str, value) -> float:
    """A dataset density in (0, 1] as a float, or a ``ValueError`` naming ``name``."""
    density = float(value)
    if not 0 < density <= 1:
        raise ValueError(f"{name} must lie in (0, 1], got {density}")
    return density


def as_margin(value) -> float:
    """An SSP margin M >= 0 as a float, or a ``ValueError`` naming ``margin``."""
    margin = float(np.asarray(value))
    if not (np.isfinite(margin) and margin >= 0):
        raise ValueError(f"margin must be a finite number >= 0, got {margin}")
    return margin


def jit_with_checks(check=None, **jit_kwargs):
    """``jax.jit`` that first runs ``check(*args)`` on concrete arguments.

    Validation needs the numbers, which a jitted body only sees as tracers; checking at
    the call boundary keeps clear errors for direct calls and skips them under tracing.
    """

    def decorate(function):
        compiled = jax.jit(function, **jit_kwargs)

        @functools.wraps(function)
        def call(*args):
            if check is not None and is_concrete(*args):
                check(*args)
            return compiled(*args)

        return call

    return decorate


def check_choice(name: str, value, allowed) -> None:
    """A ``ValueError`` naming ``name`` unless ``value`` is one of ``allowed``."""
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}, got {value!r}")


def round_half_up(value):
    """floor(x + 1/2): the kept count of a density d of N samples is round_half_up(d N).

    JAX arrays (tracers included) give a JAX float array, anything else a numpy float, or an
    int for a scalar."""
    if isinstance(value, jax.Array):
        return jnp.floor(value + 0.5)
    floored = np.floor(np.asarray(value, dtype=np.float64) + 0.5)
    return int(floored) if floored.ndim == 0 else floored


def in_float64(function):
    """Run ``function`` with float64 enabled (``jax.enable_x64``) whatever the caller's setting."""

    @functools.wraps(function)
    def wrapped(*args, **kwargs):
        with jax.enable_x64(True):
            return function(*args, **kwargs)

    return wrapped


# The top-level modules of the ``bridge`` extra (pyproject.toml).
BRIDGE_EXTRA = ("flax", "optax", "sklearn", "mnist1d", "tqdm")


def missing_modules(modules) -> list[str]:
    """The names of ``modules`` that cannot be imported here."""
    return [name for name in modules if importlib.util.find_spec(name) is None]


def require_extra(extra: str, modules) -> None:
    """A one-line :class:`MissingExtra` unless every module of ``modules`` can be imported."""
    missing = missing_modules(modules)
    if missing:
        raise MissingExtra(f"this needs the {extra!r} extra (missing: {', '.join(missing)}); "
                           f"install it with: pip install 'gmm_theory[{extra}]'")


def memory_limit() -> int:
    """Bytes the default JAX device can hold: its allocator's limit where it reports one (a
    GPU), else the machine's physical memory."""
    stats = jax.devices()[0].memory_stats() or {}
    if "bytes_limit" in stats:
        return int(stats["bytes_limit"])
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def check_memory(what: str, needed: float) -> None:
    """A ``ValueError`` before any allocation when ``what`` needs more than :func:`memory_limit`."""
    limit = memory_limit()
    if needed > limit:
        raise ValueError(f"{what} needs about {needed / 2**30:.3g} GiB, more than the {limit / 2**30:.3g} GiB of "
                         "memory here; choose smaller sizes")
