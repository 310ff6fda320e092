"""Sphinx configuration for the flask-toolkit documentation.

Build with warnings as errors: ``tox -e docs`` or
``sphinx-build -W -b html docs docs/_build/html``.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util

project = "flask-toolkit"
author = "flask-toolkit developers"
copyright = "flask-toolkit developers"
try:
    release = importlib.metadata.version("flask-toolkit")
except importlib.metadata.PackageNotFoundError:  # building from a plain checkout
    release = "unknown"
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    # Renders CHANGELOG.md (Markdown) inside changes.rst.
    "myst_parser",
]
# No sphinx.ext.intersphinx: the docs must build without internet access.

root_doc = "index"
exclude_patterns = ["_build", "snippets"]
default_role = "code"

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_preserve_defaults = True

# furo when it is installed (the "docs" extra); Sphinx's built-in theme otherwise.
html_theme = "furo" if importlib.util.find_spec("furo") else "alabaster"
html_title = f"flask-toolkit {release}"
