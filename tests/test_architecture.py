"""The package's layering, read from its own imports.

Bottom to top: the shared modules directly in ``gmm_theory/``; the theory folders
(``twoclass``, then ``twoclass/montecarlo``, then ``highdim`` and ``multiclass`` side by
side); the curated public API ``gmm_theory/__init__.py``; ``bridge`` (subfolders
included); ``figures``; ``cli.py``. Every import counts, function-level ones included.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PACKAGE = "gmm_theory"
PACKAGE_DIR = Path(__file__).resolve().parents[1] / PACKAGE

# The architecture: each node and the nodes it may import (itself included).
SHARED, TWOCLASS, MONTECARLO = "shared", "twoclass", "twoclass/montecarlo"
HIGHDIM, MULTICLASS, API = "highdim", "multiclass", "__init__ (public API)"
BRIDGE, FIGURES, CLI = "bridge", "figures", "cli"

THEORY = {SHARED, TWOCLASS, MONTECARLO, HIGHDIM, MULTICLASS}
MAY_IMPORT = {
    SHARED: {SHARED},
    TWOCLASS: {SHARED, TWOCLASS},
    MONTECARLO: {SHARED, TWOCLASS, MONTECARLO},
    HIGHDIM: {SHARED, TWOCLASS, MONTECARLO, HIGHDIM},
    MULTICLASS: {SHARED, TWOCLASS, MONTECARLO, MULTICLASS},
    API: THEORY | {API},
    BRIDGE: THEORY | {API, BRIDGE},
    FIGURES: THEORY | {API, BRIDGE, FIGURES},
    CLI: THEORY | {API, BRIDGE, FIGURES, CLI},
}

# Sub-packages of gmm_theory and the node each belongs to; deeper folders count as their
# nearest listed ancestor (so bridge/datasets/ is bridge). A new top-level folder must be
# added here before its imports can be checked.
FOLDERS = {
    ("twoclass", "montecarlo"): MONTECARLO,
    ("twoclass",): TWOCLASS,
    ("highdim",): HIGHDIM,
    ("multiclass",): MULTICLASS,
    ("bridge",): BRIDGE,
    ("figures",): FIGURES,
}

# The bridge extra's top-level packages (and ray, which the sweep may use).
BRIDGE_EXTRA = ("flax", "optax", "sklearn", "mnist1d", "tqdm", "ray")


def _node(module: str) -> str:
    """The node of a ``gmm_theory...`` module name."""
    parts = tuple(module.split("."))[1:]
    if not parts:
        return API
    if parts == ("cli",):
        return CLI
    for prefix in sorted(FOLDERS, key=len, reverse=True):
        if parts[: len(prefix)] == prefix:
            return FOLDERS[prefix]
    if (PACKAGE_DIR / parts[0]).is_dir():
        raise AssertionError(f"{PACKAGE}/{parts[0]}/ is not in FOLDERS of {__file__}; place it in the architecture")
    return SHARED


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(module: str) -> bool:
    """Whether ``module`` names a module or package file of this source tree."""
    base = PACKAGE_DIR.parent.joinpath(*module.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _source_files():
    return sorted(path for path in PACKAGE_DIR.rglob("*.py") if "__pycache__" not in path.parts)


def _constant_prefix(node) -> str | None:
    """The module named by a string argument of ``import_module``: a constant, or the
    complete dotted prefix of an f-string (``f"gmm_theory.figures.{name}"``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
        return str(node.values[0].value).rpartition(".")[0] or None
    return None


def _imported_modules(path: Path):
    """Every module that ``path`` imports anywhere, as (line, absolute module name)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    importer = _module_name(path)
    package = importer if path.name == "__init__.py" else importer.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            else:
                base = node.module
            for alias in node.names:
                # ``from a.b import c``: c is a submodule, or a name defined in a.b.
                submodule = f"{base}.{alias.name}"
                yield node.lineno, submodule if alias.name != "*" and _is_module(submodule) else base
        elif isinstance(node, ast.Call) and node.args:
            function = node.func
            name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", None)
            if name in ("import_module", "__import__"):
                module = _constant_prefix(node.args[0])
                if module is not None:
                    yield node.lineno, module


def _imports():
    """(importer path, line, importer node, imported module, imported node) for every import
    of a ``gmm_theory`` module."""
    found = []
    for path in _source_files():
        importer = _node(_module_name(path))
        for line, module in _imported_modules(path):
            if module == PACKAGE or module.startswith(PACKAGE + "."):
                found.append((path.relative_to(PACKAGE_DIR.parent), line, importer, module, _node(module)))
    return found


def test_no_folder_imports_a_folder_above_it():
    imports = _imports()
    assert imports, f"found no gmm_theory imports under {PACKAGE_DIR}"
    violations = sorted(
        f"{path}:{line} ({importer}) -> {module} ({imported})"
        for path, line, importer, module, imported in imports
        if imported not in MAY_IMPORT[importer]
    )
    assert not violations, "imports against the layering (importer -> imported):\n" + "\n".join(violations)


def test_the_folder_graph_has_no_cycles():
    graph: dict[str, set[str]] = {node: set() for node in MAY_IMPORT}
    witness = {}
    for path, line, importer, module, imported in _imports():
        if importer != imported:
            graph[importer].add(imported)
            witness.setdefault((importer, imported), f"{path}:{line} -> {module}")

    state: dict[str, str] = {}  # "open" while on the DFS stack, "done" once finished
    stack: list[str] = []

    def cycle_from(node):
        state[node] = "open"
        stack.append(node)
        for successor in sorted(graph[node]):
            if state.get(successor) == "open":
                return stack[stack.index(successor):] + [successor]
            if successor not in state and (cycle := cycle_from(successor)):
                return cycle
        stack.pop()
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state and (cycle := cycle_from(start)):
            edges = "\n".join(f"  {a} -> {b}: {witness[a, b]}" for a, b in zip(cycle, cycle[1:]))
            raise AssertionError(f"the folder graph has a cycle {' -> '.join(cycle)}:\n{edges}")


_CORE_INSTALL_SCRIPT = textwrap.dedent(
    r"""
    import importlib
    import importlib.abc
    import importlib.util
    import json
    import re
    import sys
    import traceback

    hidden, modules = set(json.loads(sys.argv[1])), json.loads(sys.argv[2])
    preloaded = sorted(name for name in sys.modules if name.partition(".")[0] in hidden)
    assert not preloaded, f"already imported before hiding: {preloaded}"


    class HideExtras(importlib.abc.MetaPathFinder):
        # A core install: the bridge extra's packages are not there.
        def find_spec(self, fullname, path=None, target=None):
            if fullname.partition(".")[0] in hidden:
                raise ModuleNotFoundError(f"No module named {fullname!r} (hidden by the test)", name=fullname)
            return None


    sys.meta_path.insert(0, HideExtras())
    _find_spec = importlib.util.find_spec


    def find_spec(name, package=None):
        # For an uninstalled top-level package find_spec answers None rather than raising.
        try:
            return _find_spec(name, package)
        except ModuleNotFoundError:
            if importlib.util.resolve_name(name, package).partition(".")[0] in hidden:
                return None
            raise


    importlib.util.find_spec = find_spec
    problems = []

    for module in modules:
        try:
            importlib.import_module(module)
        except BaseException:
            problems.append(f"import {module} failed:\n{traceback.format_exc()}")

    from gmm_theory._checks import MissingExtra

    try:
        import gmm_theory.bridge
    except MissingExtra as error:
        message = str(error)
        if "\n" in message or not re.search(r"\bbridge\b", message):
            problems.append(f"MissingExtra should be one line naming the 'bridge' extra, got {message!r}")
    except BaseException:
        problems.append(f"import gmm_theory.bridge raised other than MissingExtra:\n{traceback.format_exc()}")
    else:
        problems.append("import gmm_theory.bridge succeeded with the bridge extra hidden")

    from gmm_theory.cli import main

    import tempfile

    out = tempfile.mkdtemp()
    commands = [
        (["theory"], 0),
        (["allocate"], 0),
        (["allocate", "--sizes", "10", "20", "--density", "0.5"], 0),
        (["simulate", "--n", "200", "--grid", "3", "--seeds", "2"], 0),
        (["asymptotics", "--loss", "square"], 0),
        (["multiclass", "--k", "3", "--dim", "2", "--points", "64"], 0),
        (["derive"], 0),
        (["figures", "--quick", "--only", "drop_regret", "--out", out], 0),
        # The parts that need the bridge extra say so and exit 2.
        (["figures", "--quick", "--only", "embedding_allocators", "--out", out], 2),
        (["bridge"], 2),
    ]
    for argv, expected in commands:
        try:
            status = main(argv)
        except BaseException:
            problems.append(f"cli.main({argv}) raised:\n{traceback.format_exc()}")
        else:
            if status != expected:
                problems.append(f"cli.main({argv}) returned {status!r}, not {expected}")

    leaked = sorted(name for name in sys.modules if name.partition(".")[0] in hidden)
    if leaked:
        problems.append(f"hidden packages were imported anyway: {leaked}")
    if problems:
        print("\n\n".join(problems), file=sys.stderr)
        sys.exit(1)
    """
)


@pytest.mark.slow
def test_a_core_install_imports_every_module_outside_the_bridge():
    bridge_dir = PACKAGE_DIR / "bridge"
    needs_bridge = {PACKAGE_DIR / "figures" / name for name in ("empirical.py", "study.py")}
    modules = sorted(
        _module_name(path)
        for path in _source_files()
        if bridge_dir not in path.parents and path not in needs_bridge
    )
    assert "gmm_theory.cli" in modules and "gmm_theory.figures" in modules
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=os.pathsep.join(
        filter(None, (str(PACKAGE_DIR.parent), os.environ.get("PYTHONPATH")))
    ))
    result = subprocess.run(
        [sys.executable, "-c", _CORE_INSTALL_SCRIPT, json.dumps(BRIDGE_EXTRA), json.dumps(modules)],
        capture_output=True,
        text=True,
        env=env,
        cwd=PACKAGE_DIR.parent,
        timeout=600,
    )
    status = result.returncode
    assert status == 0, (
        f"with {', '.join(BRIDGE_EXTRA)} hidden (exit status {status}):\n"
        f"--- stderr ---\n{result.stderr}\n--- stdout (last 2000 chars) ---\n{result.stdout[-2000:]}"
    )
