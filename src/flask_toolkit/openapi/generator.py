"""The app's own OpenAPI document, generated from every route with no extra code.

:func:`app_document` walks the URL map and writes one operation per route and method
(``HEAD`` and ``OPTIONS`` left out, static files and the docs page itself too):

- path parameters typed from the rule's converters (:mod:`.paths`);
- the request body (``POST``, ``PUT``, ``PATCH``) or the query parameters (``GET``,
  ``DELETE``) from the form of ``@validate_data``;
- ``security`` and the permissions from the auth decorators (:mod:`.security`);
- the error statuses of what guards the view (:mod:`.responses`) and the 2xx answer
  it declares (``@responds``), or else what its source returns (:mod:`.source`);
- the summary and description from the view's docstring, a tag per blueprint;
- :func:`~flask_toolkit.openapi.operation` on a view overrides what it names, and a
  blueprint with its own document (:func:`describe_blueprint`) supplies its
  operations, to which the security and statuses read from the decorators are added.
"""

from __future__ import annotations

import collections
import inspect
import re
import typing as t

from flask import Blueprint
from flask import Flask
from werkzeug.routing import Rule

from .document import find_meta
from .document import form_schema
from .document import OPENAPI_VERSION
from .document import query_parameters
from .document import request_body
from .paths import openapi_path
from .paths import path_parameters
from .responses import error_responses
from .responses import error_schema
from .responses import ERROR_SCHEMA_NAME
from .responses import success_responses
from .security import access_of
from .security import apply_security
from .security import security_schemes
from .source import innermost
from .source import source_facts

#: Blueprint attribute holding a ``build(app, blueprint_name) -> document`` callable.
PROVIDER_ATTR = "_toolkit_openapi_document"
#: Name of the blueprint that serves the document and the docs page (left out).
DOCS_BLUEPRINT = "toolkit_api_docs"

_REST_LITERAL = re.compile(r"``(.+?)``")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_SKIPPED_METHODS = frozenset({"HEAD", "OPTIONS"})


def describe_blueprint(
    blueprint: Blueprint, build: t.Callable[[Flask, str], t.Mapping[str, t.Any]]
) -> Blueprint:
    """Let a blueprint describe its own operations in the app's document.

    ``build(app, blueprint_name)`` returns an OpenAPI document of the blueprint's
    routes (with ``operationId`` = endpoint); the app's document takes each operation
    from it and adds the security and error statuses read from the decorators.

    :param blueprint: the blueprint, before it is registered.
    :param build: makes the blueprint's document.
    """
    setattr(blueprint, PROVIDER_ATTR, build)
    return blueprint


def app_document(
    app: Flask,
    *,
    title: str | None = None,
    version: str | None = None,
    description: str | None = None,
) -> dict[str, t.Any]:
    """Describe every route of ``app`` as an OpenAPI 3.1 document.

    :param app: the app.
    :param title: ``info.title`` (default: ``TOOLKIT_API_TITLE``, else the app's name).
    :param version: ``info.version`` (default: ``TOOLKIT_API_VERSION``).
    :param description: ``info.description``.
    """
    config = app.config
    provided = _provided_operations(app)
    paths: dict[str, dict[str, t.Any]] = {}
    tags: set[str] = set()
    protected = False
    rules = [rule for rule in app.url_map.iter_rules() if not _skipped(rule)]
    counts = collections.Counter(rule.endpoint for rule in rules)
    shared = {endpoint for endpoint, count in counts.items() if count > 1}
    for rule in rules:
        path, _ = openapi_path(rule.rule)
        for method in sorted((rule.methods or set()) - _SKIPPED_METHODS):
            op = _route_operation(app, rule, method, provided.get(rule.endpoint))
            if provided.get(rule.endpoint) is None:
                op["operationId"] = _operation_id(rule, method, rule.endpoint in shared)
            protected = protected or op["security"] != []
            tags.update(op.get("tags", ()))
            paths.setdefault(path, {})[method.lower()] = op
    info: dict[str, t.Any] = {
        "title": title or config.get("TOOLKIT_API_TITLE") or app.name,
        "version": version or str(config.get("TOOLKIT_API_VERSION") or "1.0"),
    }
    if description:
        info["description"] = description
    doc: dict[str, t.Any] = {
        "openapi": OPENAPI_VERSION,
        "info": info,
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": {ERROR_SCHEMA_NAME: error_schema(app)}},
    }
    if tags:
        doc["tags"] = [{"name": tag} for tag in sorted(tags)]
    if protected:
        doc["components"]["securitySchemes"] = security_schemes(app)
    return doc


def _skipped(rule: Rule) -> bool:
    endpoint = str(rule.endpoint)
    return (
        endpoint == "static"
        or endpoint.endswith(".static")
        or endpoint.startswith(DOCS_BLUEPRINT + ".")
    )


def _provided_operations(app: Flask) -> dict[str, dict[str, t.Any]]:
    """Endpoint -> operation, from blueprints that describe themselves."""
    found: dict[str, dict[str, t.Any]] = {}
    for name, blueprint in app.blueprints.items():
        build = getattr(blueprint, PROVIDER_ATTR, None)
        if build is None:
            continue
        for item in build(app, name).get("paths", {}).values():
            for op in item.values():
                if isinstance(op, dict) and "operationId" in op:
                    found[op["operationId"]] = dict(op)
    return found


def _view_for(app: Flask, endpoint: str, method: str) -> t.Any:
    """The function serving ``method``: the view, or a ``MethodView``'s method."""
    view = app.view_functions[endpoint]
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        meth = getattr(view_class, method.lower(), None)
        if meth is not None:
            return meth
    return view


def _attr(view: t.Any, name: str) -> t.Any:
    """An attribute set by a decorator on ``view`` or any function it wraps."""
    seen = set()
    while view is not None and id(view) not in seen:
        seen.add(id(view))
        value = getattr(view, name, None)
        if value is not None:
            return value
        view = getattr(view, "__wrapped__", None)
    return None


def _route_operation(
    app: Flask, rule: Rule, method: str, provided: dict[str, t.Any] | None
) -> dict[str, t.Any]:
    endpoint = rule.endpoint
    view = _view_for(app, endpoint, method)
    form = _attr(view, "_toolkit_form")
    facts = source_facts(view)
    access = access_of(app, endpoint, method)
    if provided is not None:
        op = provided
        op.pop("security", None)
    else:
        op = {"operationId": endpoint}
        _texts(op, view, endpoint)
        blueprint = endpoint.rpartition(".")[0]
        if blueprint:
            op["tags"] = [blueprint]
        params = path_parameters(rule)
        in_body = form is not None and _reads_body(view, form, method)
        if form is not None and not in_body:
            params.extend(query_parameters(form))
        if facts.paginates:
            params.extend(_page_parameters(app, params))
        if params:
            op["parameters"] = params
        if form is not None and in_body:
            schema = form_schema(form)
            if _attr(view, "_toolkit_partial"):
                schema.pop("required", None)
                schema["description"] = (
                    "A partial update: send only the fields to change; each one"
                    " sent is validated as in a full body."
                )
            op["requestBody"] = {
                "required": bool(schema.get("required")),
                "content": {"application/json": {"schema": schema}},
            }
        op["responses"] = success_responses(
            app, view, facts, _attr(view, "_toolkit_response")
        )
    meta = find_meta(view)
    if meta is not None and provided is None:
        _override(op, meta, rule)
    errors = error_responses(app, rule, method, access, form, facts)
    responses = op.setdefault("responses", {})
    if access.kind == "denied":
        responses.clear()
    for status, response in errors.items():
        responses.setdefault(status, response)
    op["responses"] = dict(sorted(responses.items()))
    apply_security(op, access)
    return op


def _reads_body(view: t.Any, form: type[t.Any], method: str) -> bool:
    """Whether the form is filled from the body (else from the query string).

    ``@validate_data(..., sources=)`` or the form's ``Meta.sources`` decide; by
    default the body for POST, PUT and PATCH.
    """
    sources = _attr(view, "_toolkit_sources")
    if sources is None:
        sources = getattr(getattr(form, "Meta", None), "sources", None)
    if sources == "body":
        return True
    if sources == "query":
        return False
    return method in _BODY_METHODS


def _operation_id(rule: Rule, method: str, shared: bool) -> str:
    """The endpoint; with the method when it serves several, and the rule when
    several rules lead to it (operation ids are unique in a document)."""
    methods = (rule.methods or set()) - _SKIPPED_METHODS
    op_id = str(rule.endpoint)
    if len(methods) > 1:
        op_id += "." + method.lower()
    if shared:
        op_id += "@" + rule.rule
    return op_id


def _texts(op: dict[str, t.Any], view: t.Any, endpoint: str) -> None:
    doc = inspect.getdoc(innermost(view))
    if doc:
        # reST's ``literal`` is CommonMark's `literal`.
        doc = _REST_LITERAL.sub(r"`\1`", doc)
        first, _, rest = doc.strip().partition("\n\n")
        op["summary"] = " ".join(first.split())
        if rest.strip():
            op["description"] = rest.strip()
    else:
        name = endpoint.rpartition(".")[2].replace("_", " ").strip()
        op["summary"] = name[:1].upper() + name[1:]


def _page_parameters(
    app: Flask, existing: list[dict[str, t.Any]]
) -> list[dict[str, t.Any]]:
    names = {p["name"] for p in existing if p["in"] == "query"}
    limit = int(app.config.get("TOOLKIT_MAX_PER_PAGE", 100))
    default = int(app.config.get("TOOLKIT_PER_PAGE", 20))
    params = []
    if "page" not in names:
        params.append(
            {
                "name": "page",
                "in": "query",
                "required": False,
                "description": "The page number, from 1.",
                "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
            }
        )
    if "per_page" not in names:
        params.append(
            {
                "name": "per_page",
                "in": "query",
                "required": False,
                "description": f"Items per page (default {default}); more than"
                f" {limit} is lowered to {limit}.",
                "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
            }
        )
    return params


def _override(op: dict[str, t.Any], meta: t.Mapping[str, t.Any], rule: Rule) -> None:
    """Apply an :func:`~flask_toolkit.openapi.operation` description over ``op``."""
    op["summary"] = meta["summary"]
    if meta["description"]:
        op["description"] = meta["description"]
    if meta["tags"]:
        op["tags"] = list(meta["tags"])
    if meta["query"] is not None:
        op["parameters"] = [*path_parameters(rule), *query_parameters(meta["query"])]
    body = request_body(meta)
    if body is not None:
        op["requestBody"] = body
    responses = op.setdefault("responses", {})
    declared = {
        str(status): {"description": response}
        if isinstance(response, str)
        else dict(response)
        for status, response in meta["responses"].items()
    }
    if any(key.startswith("2") for key in declared):
        for key in [k for k in responses if k.startswith("2")]:
            del responses[key]
    responses.update(declared)
