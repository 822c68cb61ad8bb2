"""Package namespaces whose public names are imported on first use (PEP 562), so that importing
a package (and so the command line) loads only what is used: ``gmm-theory derive`` needs sympy,
not JAX."""

from __future__ import annotations

import importlib
import sys
import types


class _LazyPackage(types.ModuleType):
    """A package whose ``_EXPORTS`` (public name -> defining module) load on first access.

    Importing a submodule binds it on its package under its own name; where that name is also
    an export (``gmm_theory.allocate``, the function, and its module) the export is kept.
    """

    def __getattr__(self, name: str):
        exports = self.__dict__["_EXPORTS"]
        if name not in exports:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(exports[name]), name)
        super().__setattr__(name, value)
        return value

    def __setattr__(self, name: str, value) -> None:
        if not (name in self.__dict__.get("_EXPORTS", ()) and isinstance(value, types.ModuleType)):
            super().__setattr__(name, value)

    def __dir__(self):
        return sorted({*self.__dict__, *self.__dict__["_EXPORTS"]})


def export_lazily(package: str, exports: dict[str, str]) -> None:
    """Make the package ``package`` (its ``__name__``) load each of ``exports`` on first use."""
    module = sys.modules[package]
    module._EXPORTS = dict(exports)
    module.__class__ = _LazyPackage
