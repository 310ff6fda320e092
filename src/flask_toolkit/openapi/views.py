"""Serving the app's document and a docs page: ``TOOLKIT_API_DOCS``.

Off by default: :func:`init_app` adds no route unless ``TOOLKIT_API_DOCS`` is true.
Then a small blueprint serves

- ``GET TOOLKIT_OPENAPI_URL`` (``/openapi.json``): :func:`~.generator.app_document`,
  OpenAPI 3.1 (``TOOLKIT_OPENAPI_VERSION``), or 3.0.3 with ``?version=3.0``;
- ``GET TOOLKIT_DOCS_URL`` (``/docs``): Swagger UI 5 on that document, its files
  served from the ``flask-swagger-ui`` package (no CDN), with a list of the
  operations that reads without JavaScript.

Both are public, or need ``TOOLKIT_API_DOCS_PERMISSION`` when it is set.
"""

from __future__ import annotations

import importlib.util
import os
import typing as t

from flask import abort
from flask import Blueprint
from flask import current_app
from flask import Flask
from flask import render_template
from flask import request
from flask import send_from_directory
from flask import url_for
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import generate_csrf

from .. import config
from ..auth.decorators import public
from ..auth.decorators import require_permission
from ..auth.identity import get_identity
from ..errors import APIError
from .downgrade import to_openapi_30
from .generator import app_document
from .generator import DOCS_BLUEPRINT

config.register_defaults(
    {
        "TOOLKIT_API_DOCS": False,
        "TOOLKIT_OPENAPI_URL": "/openapi.json",
        "TOOLKIT_DOCS_URL": "/docs",
        "TOOLKIT_OPENAPI_VERSION": "3.1",
        "TOOLKIT_API_DOCS_PERMISSION": None,
        "TOOLKIT_API_TITLE": None,
        "TOOLKIT_API_VERSION": "1.0",
    }
)

#: The package whose Swagger UI files the docs page serves.
ASSETS_PACKAGE = "flask_swagger_ui"
_VERSIONS = {"3.1": "3.1", "3.1.0": "3.1", "3.0": "3.0", "3.0.3": "3.0"}
_CACHE_KEY = "openapi"


def assets_dir() -> str | None:
    """The folder of Swagger UI's files in ``flask-swagger-ui``, if it is installed."""
    spec = importlib.util.find_spec(ASSETS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        folder = os.path.join(location, "dist")
        if os.path.isfile(os.path.join(folder, "swagger-ui-bundle.js")):
            return folder
    return None


def document_for(app: Flask, version: str) -> dict[str, t.Any]:
    """The app's document in OpenAPI ``version`` (``"3.1"`` or ``"3.0"``), cached
    until the URL map changes."""
    from ..state import get_state

    cache: dict[t.Any, dict[str, t.Any]] = get_state(app).components.setdefault(
        _CACHE_KEY, {}
    )
    key = (version, len(app.view_functions), len(list(app.url_map.iter_rules())))
    doc = cache.get(key)
    if doc is None:
        cache.clear()
        doc = app_document(app)
        if version == "3.0":
            doc = to_openapi_30(doc)
        cache[key] = doc
    return doc


def _version() -> str:
    asked = request.args.get("version")
    if asked is None:
        return _VERSIONS[str(current_app.config["TOOLKIT_OPENAPI_VERSION"])]
    version = _VERSIONS.get(asked.strip())
    if version is None:
        raise APIError(
            400,
            {"version": ["Must be 3.1 (the default) or 3.0 (for OpenAPI 3.0 tools)."]},
        )
    return version


def openapi_json() -> ResponseReturnValue:
    """The app's OpenAPI document."""
    unknown = set(request.args) - {"version"}
    if unknown:
        raise APIError(400, {name: ["Unknown field."] for name in sorted(unknown)})
    return current_app.json.response(document_for(current_app, _version()))


def docs_page() -> ResponseReturnValue:
    """The interactive docs page (Swagger UI), with a plain list of operations."""
    version = _version()
    doc = document_for(current_app, version)
    url = url_for(f"{DOCS_BLUEPRINT}.openapi_json")
    if "version" in request.args:
        url += "?version=" + version
    # A browser logged in on the session cookie needs the CSRF token for writes.
    csrf = generate_csrf() if get_identity().method == "session" else ""
    return render_template(
        "toolkit_openapi/docs.html",
        csrf=csrf,
        doc=doc,
        spec_url=url,
        rows=operation_rows(doc),
        has_assets=assets_dir() is not None,
        asset=lambda name: url_for(f"{DOCS_BLUEPRINT}.docs_asset", filename=name),
    )


def operation_rows(doc: t.Mapping[str, t.Any]) -> list[dict[str, str]]:
    """Method, path, summary and access of each operation, for the plain list."""
    rows = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict):
                continue
            groups = [" or ".join(g) for g in op.get("x-permissions-any-of", ())]
            needed = [*op.get("x-permissions", ()), *groups]
            if op.get("x-default-deny"):
                access = "refused (default-deny)"
            elif op.get("security") == []:
                access = "public"
            elif needed:
                access = ", ".join(needed)
            elif {} in op.get("security", ()):
                access = "anyone"
            else:
                access = "logged in"
            rows.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": str(op.get("summary", "")),
                    "access": access,
                }
            )
    return rows


def docs_asset(filename: str) -> ResponseReturnValue:
    """One of Swagger UI's files."""
    folder = assets_dir()
    if folder is None:
        abort(404)
    return send_from_directory(folder, filename, max_age=3600)


def make_blueprint(app: Flask) -> Blueprint:
    """The blueprint serving the document and the docs page at the configured URLs."""
    permission = app.config["TOOLKIT_API_DOCS_PERMISSION"]
    guard: t.Callable[[t.Any], t.Any] = (
        require_permission(permission) if permission else public
    )
    docs_url = str(app.config["TOOLKIT_DOCS_URL"]).rstrip("/") or "/docs"
    bp = Blueprint(
        DOCS_BLUEPRINT,
        __name__,
        template_folder="templates",
        static_folder="static",
        static_url_path=docs_url + "/static",
    )

    # Fresh functions per app: the access decorators mark the function they get.
    @guard
    def openapi_json_view() -> ResponseReturnValue:
        return openapi_json()

    @guard
    def docs_page_view() -> ResponseReturnValue:
        return docs_page()

    # Swagger UI's own files are public, like any static file.
    @public
    def docs_asset_view(filename: str) -> ResponseReturnValue:
        return docs_asset(filename)

    bp.add_url_rule(
        str(app.config["TOOLKIT_OPENAPI_URL"]),
        "openapi_json",
        openapi_json_view,
        methods=["GET"],
    )
    bp.add_url_rule(docs_url, "docs_page", docs_page_view, methods=["GET"])
    bp.add_url_rule(
        docs_url + "/assets/<path:filename>",
        "docs_asset",
        docs_asset_view,
        methods=["GET"],
    )
    return bp


def init_app(app: Flask) -> None:
    """Serve the document and the docs page when ``TOOLKIT_API_DOCS`` is true."""
    if not app.config.get("TOOLKIT_API_DOCS"):
        return
    version = str(app.config["TOOLKIT_OPENAPI_VERSION"])
    if version not in _VERSIONS:
        raise ValueError(
            f"TOOLKIT_OPENAPI_VERSION = {version!r} is not an OpenAPI version the"
            " toolkit writes: use '3.1' (the default) or '3.0'."
        )
    app.register_blueprint(make_blueprint(app))
