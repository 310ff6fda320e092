"""Sphinx configuration for the flask-toolkit documentation.

Build with warnings as errors: ``tox -e docs`` or
``sphinx-build -W -b html docs docs/_build/html``.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import inspect
import typing as t

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
    "sphinx.ext.intersphinx",
]

# Every cross-reference must resolve: a reference to a name that does not
# exist is a warning, and -W makes it an error.
nitpicky = True

# Links into other projects' docs. The inventories are committed under
# docs/_inventories/ (where each came from: docs/_inventories/README.md), so
# the build never goes online; the links still point at the public docs.
_INV = "_inventories"
intersphinx_mapping = {
    "python": ("https://docs.python.org/3/", f"{_INV}/python.inv"),
    "flask": ("https://flask.palletsprojects.com/en/stable/", f"{_INV}/flask.inv"),
    "werkzeug": (
        "https://werkzeug.palletsprojects.com/en/stable/",
        f"{_INV}/werkzeug.inv",
    ),
    "itsdangerous": (
        "https://itsdangerous.palletsprojects.com/en/stable/",
        f"{_INV}/itsdangerous.inv",
    ),
    "flask_wtf": (
        "https://flask-wtf.readthedocs.io/en/1.2.x/",
        f"{_INV}/flask-wtf.inv",
    ),
    "sqlalchemy": ("https://docs.sqlalchemy.org/en/20/", f"{_INV}/sqlalchemy.inv"),
    "wtforms": ("https://wtforms.readthedocs.io/en/3.2.x/", f"{_INV}/wtforms.inv"),
    "apscheduler": (
        "https://apscheduler.readthedocs.io/en/3.x/",
        f"{_INV}/apscheduler.inv",
    ),
}

# What no inventory can resolve, each with its reason.
nitpick_ignore_regex = [
    # Our TypeVars (a decorator returns the function it was given, a query helper the
    # row type it was asked for). They are not API and have no page to link to.
    ("py:class", r"flask_toolkit\.[\w.]+\.(F|_F|_T|Target)"),
    # KeySafeSession inherits SQLAlchemy's Session constructor. Its annotations are
    # strings naming SQLAlchemy's private aliases (_SessionBind, ...), which its docs
    # do not publish, and the bare name Query, which Sphinx cannot qualify.
    (
        "py:class",
        r"_SessionBind|_SessionBindKey|_InfoType|_NoArg|JoinTransactionMode"
        r"|OrmExecuteOptionsParameter|Query",
    ),
]

root_doc = "index"
exclude_patterns = ["_build", "snippets", "_inventories"]
default_role = "code"

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_preserve_defaults = True

# furo when it is installed (the "docs" extra); Sphinx's built-in theme otherwise.
html_theme = "furo" if importlib.util.find_spec("furo") else "alabaster"
html_title = f"flask-toolkit {release}"


def _evaluate_annotations(app: object, obj: object, bound_method: bool) -> None:
    """Turn our string annotations into the objects they name, for autodoc.

    The package uses ``from __future__ import annotations``. Sphinx evaluates those
    strings for functions, but not for a class's ``__init__`` when it describes the
    class with ``autodoc_preserve_defaults`` on, nor for a decorated function, so
    their parameters would be listed as the unlinked text ``t.Any`` or ``Flask``.
    Each annotation is evaluated in the function's own module; one that cannot be (a
    name imported only for type checking) stays as it was.
    """
    obj = getattr(obj, "__func__", obj)  # a classmethod: its function holds them
    # Ours, and Flask's test client constructor that our test clients inherit.
    if not getattr(obj, "__module__", "").startswith(("flask_toolkit", "flask.")):
        return
    annotations = getattr(obj, "__annotations__", None)
    # A decorated function (@contextmanager) shares its annotations with the function
    # it wraps, whose module is where they were written.
    namespace = getattr(inspect.unwrap(obj), "__globals__", None)
    if not isinstance(annotations, dict) or namespace is None:
        return
    for key, value in list(annotations.items()):
        if isinstance(value, str):
            try:
                annotations[key] = eval(value, namespace)  # noqa: S307 - our own source
            except Exception:  # noqa: BLE001, S112 - keep the text, Sphinx shows it
                continue
    # autodoc_preserve_defaults has already copied the text into __signature__.
    signature = getattr(obj, "__signature__", None)
    if isinstance(signature, inspect.Signature):
        obj.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[
                p.replace(annotation=annotations.get(p.name, p.annotation))
                for p in signature.parameters.values()
            ],
            return_annotation=annotations.get("return", signature.return_annotation),
        )


def setup(app: t.Any) -> None:
    # Before autodoc's own handlers (priority 500), which copy the signature.
    app.connect("autodoc-before-process-signature", _evaluate_annotations, priority=400)
