"""Build OpenAPI 3.1 documents from an app's routes and its forms.

A view describes itself with :func:`operation`; :func:`build_document` walks the URL
map, keeps the routes of the given endpoints and writes one OpenAPI operation per
route and method. Request bodies and query parameters come from the forms' JSON Schema
(:func:`flask_toolkit.forms.jsonschema.form_schema`), so the document cannot drift from
what the views validate.

.. code-block:: python

    @bp.get("/jobs")
    @operation(summary="List jobs", query=ListJobsForm, responses={200: JOBS})
    def get_jobs(): ...

    doc = build_document(app, title="Jobs", version="1", endpoints={"bp.get_jobs"})
"""

from __future__ import annotations

import typing as t

from flask import Flask

from ..forms import jsonschema
from .paths import openapi_path
from .paths import path_parameters

F = t.TypeVar("F", bound=t.Callable[..., t.Any])

#: OpenAPI version written by :func:`build_document`.
OPENAPI_VERSION = "3.1.0"
_ATTR = "_toolkit_openapi"


def describe(
    *,
    summary: str,
    description: str | None = None,
    query: type[t.Any] | None = None,
    body: t.Mapping[str, t.Any] | type[t.Any] | None = None,
    body_required: bool = False,
    responses: t.Mapping[int, t.Mapping[str, t.Any] | str],
    tags: t.Sequence[str] = (),
) -> dict[str, t.Any]:
    """Describe one operation, for :func:`operation` or :func:`build_document`.

    :param summary: one line.
    :param description: longer text (CommonMark).
    :param query: a form whose fields are the query parameters.
    :param body: a form class, or a JSON Schema, for the JSON request body.
    :param body_required: whether a body must be sent.
    :param responses: status -> a response object, or a description for a body-less one.
    :param tags: OpenAPI tags.
    """
    return {
        "summary": summary,
        "description": description,
        "query": query,
        "body": body,
        "body_required": body_required,
        "responses": responses,
        "tags": list(tags),
    }


def operation(**kwargs: t.Any) -> t.Callable[[F], F]:
    """Attach :func:`describe`'s description to a view function (same arguments)."""
    meta = describe(**kwargs)

    def decorator(view: F) -> F:
        setattr(view, _ATTR, meta)
        return view

    return decorator


def json_response(
    description: str,
    schema: t.Mapping[str, t.Any],
    headers: t.Mapping[str, t.Any] | None = None,
) -> dict[str, t.Any]:
    """An OpenAPI response object with a JSON body."""
    response: dict[str, t.Any] = {
        "description": description,
        "content": {"application/json": {"schema": dict(schema)}},
    }
    if headers:
        response["headers"] = dict(headers)
    return response


def _hooked_fields(form_class: type[t.Any]) -> dict[str, dict[str, t.Any]]:
    """Name -> schema of the fields that describe themselves (``json_schema()``)."""
    hooks = _HOOKS.get(form_class)
    if hooks is None:
        form = form_class(json={}, query=None)
        hooks = _HOOKS[form_class] = {
            field.name: dict(field.json_schema())
            for field in form
            if callable(getattr(field, "json_schema", None))
        }
    return {name: dict(schema) for name, schema in hooks.items()}


_HOOKS: dict[type, dict[str, dict[str, t.Any]]] = {}


def form_schema(form_class: type[t.Any]) -> dict[str, t.Any]:
    """The JSON Schema of a form's JSON body.

    That is :func:`flask_toolkit.forms.jsonschema.form_schema`, except that a field with
    a
    ``json_schema()`` method describes itself.

    :param form_class: a :class:`~flask_toolkit.MetaForm` subclass.
    """
    schema = jsonschema.form_schema(form_class)
    required = set(schema.get("required", ()))
    for name, own in _hooked_fields(form_class).items():
        schema["properties"][name] = own if name in required else nullable(own)
    return schema


def query_parameters(form_class: type[t.Any]) -> list[dict[str, t.Any]]:
    """OpenAPI ``in: query`` parameters for a form's fields (as :func:`form_schema`)."""
    params = jsonschema.query_parameters(form_class)
    hooks = _hooked_fields(form_class)
    for param in params:
        if param["name"] in hooks:
            param["schema"] = hooks[param["name"]]
    return params


def nullable(schema: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """``schema`` or ``null``."""
    kind = schema.get("type")
    if isinstance(kind, str) and "enum" not in schema:
        return {**schema, "type": [kind, "null"]}
    return {"anyOf": [dict(schema), {"type": "null"}]}


def build_document(
    app: Flask,
    *,
    title: str,
    version: str,
    endpoints: t.Collection[str] = (),
    operations: t.Mapping[str, t.Mapping[str, t.Any]] | None = None,
    description: str | None = None,
    security: t.Sequence[t.Mapping[str, t.Sequence[str]]] = (),
    security_schemes: t.Mapping[str, t.Any] | None = None,
) -> dict[str, t.Any]:
    """Describe the routes of ``endpoints`` as an OpenAPI 3.1 document.

    :param app: the app whose URL map is read.
    :param title: ``info.title``.
    :param version: ``info.version`` (the API's version, not OpenAPI's).
    :param endpoints: endpoints described by :func:`operation` on their views.
    :param operations: endpoint -> :func:`describe` result, for views not decorated.
    :param security: the document-wide security requirement.
    :param security_schemes: ``components.securitySchemes``.
    """
    paths: dict[str, dict[str, t.Any]] = {}
    for rule in app.url_map.iter_rules():
        meta: t.Mapping[str, t.Any] | None = None
        if operations and rule.endpoint in operations:
            meta = operations[rule.endpoint]
        elif rule.endpoint in endpoints:
            meta = find_meta(app.view_functions[rule.endpoint])
        if meta is None:
            continue
        path, _ = openapi_path(rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(
                rule.endpoint, meta, path_parameters(rule)
            )
    doc: dict[str, t.Any] = {
        "openapi": OPENAPI_VERSION,
        "info": {"title": title, "version": version},
        "paths": dict(sorted(paths.items())),
    }
    if description:
        doc["info"]["description"] = description
    if security_schemes:
        doc["components"] = {"securitySchemes": dict(security_schemes)}
    if security:
        doc["security"] = [dict(s) for s in security]
    return doc


def find_meta(view: t.Any) -> dict[str, t.Any] | None:
    """The :func:`operation` description on ``view`` or a function it wraps."""
    while view is not None:
        meta = getattr(view, _ATTR, None)
        if meta is not None:
            return t.cast("dict[str, t.Any]", meta)
        view = getattr(view, "__wrapped__", None)
    return None


def _operation(
    endpoint: str, meta: t.Mapping[str, t.Any], path_params: list[dict[str, t.Any]]
) -> dict[str, t.Any]:
    op: dict[str, t.Any] = {"operationId": endpoint, "summary": meta["summary"]}
    if meta["description"]:
        op["description"] = meta["description"]
    if meta["tags"]:
        op["tags"] = meta["tags"]
    params = list(path_params)
    if meta["query"] is not None:
        params.extend(query_parameters(meta["query"]))
    if params:
        op["parameters"] = params
    body = request_body(meta)
    if body is not None:
        op["requestBody"] = body
    op["responses"] = {
        str(status): {"description": response}
        if isinstance(response, str)
        else dict(response)
        for status, response in sorted(meta["responses"].items())
    }
    return op


def request_body(meta: t.Mapping[str, t.Any]) -> dict[str, t.Any] | None:
    """The ``requestBody`` of an operation described by ``meta``, or ``None``."""
    body = meta["body"]
    if body is None:
        return None
    schema = body if isinstance(body, t.Mapping) else form_schema(body)
    return {
        "required": bool(meta["body_required"]),
        "content": {"application/json": {"schema": dict(schema)}},
    }
