"""Sphinx configuration of the gmm_theory documentation: ``python -m sphinx -W docs docs/_build/html``.

Pages are MyST Markdown; the notebooks of ``notebooks/`` (paired with jupytext text files)
are executed at build time by myst-nb; the API and command-line references are generated
from the package's ``__all__`` lists and argument parsers (``_ext/references.py``).  MathJax
is served from the build itself, so the pages render math offline.
"""

import os
import sys
from pathlib import Path

DOCS = Path(__file__).parent
sys.path.insert(0, str(DOCS / "_ext"))

project = "gmm_theory"
author = "the gmm_theory developers"
copyright = "2026, the gmm_theory developers"
release = version = "0.1.0"

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",
    "references",
]

source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "**/.ipynb_checkpoints", "notebooks/*.py"]
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# The notebooks run at build time, at the sizes the test suite uses (GMM_THEORY_QUICK=1),
# their outputs cached by jupyter-cache between builds.
os.environ.setdefault("GMM_THEORY_QUICK", "1")
nb_execution_mode = "cache"
nb_execution_timeout = 1200
nb_execution_raise_on_error = True
nb_execution_cache_path = str(DOCS / "_build" / ".jupyter_cache")

autodoc_typehints = "description"
autodoc_member_order = "bysource"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
nitpicky = False

html_theme = "furo"
html_title = "gmm_theory"
html_static_path = []
