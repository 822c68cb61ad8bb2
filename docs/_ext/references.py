"""Generate the reference pages before Sphinx reads the sources.

- ``reference/api/<package>.md``: every name of each public package's ``__all__``, documented
  by autodoc from its docstring (a name re-exported by two packages appears under both);
- ``reference/cli.md``: every ``gmm-theory`` sub-command's description and help, from the
  argument parsers themselves.

The generated files are rebuilt on every build and are not kept in the repository.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from pathlib import Path

from sphinx.pycode import ModuleAnalyzer
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)

# Each public package, its page name and title.
PACKAGES = {
    "gmm_theory": "The top level: allocator, DRoP drivers and the two-class closed forms",
    "gmm_theory.twoclass": "Two classes: closed forms, population limits, landscapes",
    "gmm_theory.twoclass.montecarlo": "Two classes: Monte Carlo",
    "gmm_theory.multiclass": "K classes in d dimensions",
    "gmm_theory.highdim": "High-dimensional asymptotics",
    "gmm_theory.bridge": "The bridge to real data (the bridge extra)",
    "gmm_theory.figures": "Figures and reports",
}


def _documented_in(obj, package: str) -> str | None:
    """The public package after ``package`` in :data:`PACKAGES` that also exports ``obj``, if any:
    there it gets its full entry, and ``package`` a short one that points to it."""
    for other in list(PACKAGES)[list(PACKAGES).index(package) + 1:]:
        module = importlib.import_module(other)
        if any(getattr(module, name) is obj for name in module.__all__):
            return other
    return None


def _constant_comment(obj, name: str) -> list[str]:
    """The ``#:`` comment above the assignment of the constant ``name`` in the module that
    defines it (found among the loaded ``gmm_theory`` modules by identity)."""
    for module_name, module in sorted(sys.modules.items()):
        if not module_name.startswith("gmm_theory") or getattr(module, name, None) is not obj:
            continue
        comments = ModuleAnalyzer.for_module(module_name).find_attr_docs()
        if ("", name) in comments:
            return [line for line in comments[("", name)] if line is not None]
    return []


def _entry(package: str, name: str, obj) -> list[str]:
    target = f"{package}.{name}"
    home = _documented_in(obj, package)
    if inspect.isclass(obj) or callable(obj):
        kind = "class" if inspect.isclass(obj) else "function"
        if home is None:
            return [f".. auto{kind}:: {target}", *(["   :members:"] if kind == "class" else []), ""]
        try:
            signature = str(inspect.signature(obj))
        except (TypeError, ValueError):
            signature = "(...)"
        return [f".. py:{kind}:: {target}{signature}", "",
                f"   Re-exported from :mod:`{home}`: see :py:{'class' if kind == 'class' else 'func'}:`{home}.{name}`.",
                ""]
    comment = _constant_comment(obj, name)
    if not comment:
        LOGGER.warning(f"the constant {target} has no '#:' comment where it is defined")
    return [f".. py:data:: {target}", "", *(f"   {line}" for line in comment), ""]


def api_page(package: str, title: str) -> str:
    module = importlib.import_module(package)
    lines = [f"# `{package}`", "", title + ".", "", "```{eval-rst}", f".. module:: {package}", ""]
    for name in module.__all__:
        lines += _entry(package, name, getattr(module, name))
    lines.append("```")
    return "\n".join(lines) + "\n"


def cli_page() -> str:
    from gmm_theory.cli import _build_parser

    parser = _build_parser()
    commands = next(action for action in parser._actions if action.dest == "command")
    lines = ["# Command line", "", "`gmm-theory` has one sub-command per part of the toolkit. Every sub-command "
             "runs with no arguments on an embedded default, prints text for a person or one JSON object with "
             "`--json`, and ends with a one-line summary and its wall time on stderr. This page is generated "
             "from the argument parsers.", "", "```text", parser.format_help().rstrip(), "```", ""]
    for name, command in commands.choices.items():
        lines += [f"## `gmm-theory {name}`", "", command.description, "", "```text", command.format_help().rstrip(),
                  "```", ""]
    return "\n".join(lines)


def write_if_changed(path: Path, text: str) -> None:
    """Write ``text`` unless ``path`` already holds it (an unchanged file is not reread)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def generate(app) -> None:
    reference = Path(app.srcdir) / "reference"
    for package, title in PACKAGES.items():
        write_if_changed(reference / "api" / f"{package}.md", api_page(package, title))
    write_if_changed(reference / "cli.md", cli_page())


def setup(app):
    app.connect("builder-inited", generate)
    return {"parallel_read_safe": True}
