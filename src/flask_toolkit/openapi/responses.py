"""The answers an operation can give: its 2xx, and every error what guards it produces.

Error statuses come from the same pieces that produce them at run time:

- 400: the ``@validate_data`` form (field errors, bad JSON), pagination parameters,
  and, once the app authenticates callers, credentials in the query string and a
  missing CSRF token on a session-authenticated write;
- 401: a rule that needs a caller; or a credential that is present but bad (on every
  route but ``@public`` ones, once the app authenticates callers);
- 403: a permission, an object-level check, default-deny;
- 404: path parameters (a value that names nothing), ``*_or_404`` helpers;
- 409: a write that a database constraint can refuse (``TOOLKIT_DB_ERROR_HANDLERS``);
- 413, 415: the body a form reads (too large, not JSON);
- 503: the database being unavailable (``TOOLKIT_DB_ERROR_HANDLERS``);
- and any ``raise APIError(N, ...)`` / ``abort(N)`` in the view's own code.

Errors are in the toolkit's envelope; with the default formatter its schema is
``{"code": integer, "msg": string | {field: [messages]}}``.
"""

from __future__ import annotations

import typing as t
from http import HTTPStatus

from flask import Flask
from werkzeug.routing import Rule

from ..auth.core import Auth
from ..db.responses import response_schema
from ..db.responses import ResponseSpec
from ..errors import default_error_formatter
from .security import Access
from .source import innermost
from .source import SourceFacts

#: Name of the envelope's schema in ``components.schemas``.
ERROR_SCHEMA_NAME = "Error"
_ERROR_REF = {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_WHY = {
    400: "Bad request: the body or query string failed validation (`msg` maps each"
    " field to its messages) or could not be read.",
    401: "No valid credential: log in, or send a valid bearer token or API key.",
    403: "The caller lacks a permission this operation needs.",
    404: "Nothing matches the path.",
    409: "A database constraint refused the change.",
    413: "The request body is too large.",
    415: "The request body is not JSON (send `Content-Type: application/json`).",
    503: "The database is unavailable at the moment; try again shortly.",
}


def error_schema(app: Flask) -> dict[str, t.Any]:
    """The JSON Schema of the error envelope (any JSON for a custom formatter)."""
    if app.config.get("TOOLKIT_ERROR_FORMATTER") is not default_error_formatter:
        return {"description": "The app's own envelope (TOOLKIT_ERROR_FORMATTER)."}
    return {
        "type": "object",
        "required": ["code", "msg"],
        "properties": {
            "code": {"type": "integer"},
            "msg": {
                "anyOf": [
                    {"type": "string"},
                    {
                        "type": "object",
                        "description": "Field name -> messages; nested forms nest.",
                    },
                ]
            },
        },
    }


def _auth_configured(app: Flask) -> bool:
    state = app.extensions.get("toolkit")
    auth = getattr(getattr(state, "toolkit", None), "auth", None)
    return isinstance(auth, Auth) and auth.is_configured(app)


def _is_api_route(app: Flask, rule: Rule) -> bool:
    """Whether errors on this route are always JSON (:mod:`flask_toolkit.errors`).

    Not when its blueprint handles errors itself (a dashboard's HTML error pages).
    """
    name = rule.endpoint.rpartition(".")[0]
    while name:
        if app.error_handler_spec.get(name):
            return False
        name = name.rpartition(".")[0]
    mode = app.config.get("TOOLKIT_JSON_ERRORS", "auto")
    if mode is True or mode is False:
        return bool(mode)
    name = rule.endpoint.rpartition(".")[0]
    while name:
        if getattr(app.blueprints.get(name), "_toolkit_api", False):
            return True
        name = name.rpartition(".")[0]
    for prefix in app.config.get("TOOLKIT_API_PREFIXES", ()):
        prefix = prefix.rstrip("/")
        if rule.rule == prefix or rule.rule.startswith(prefix + "/"):
            return True
    return False


def error_responses(
    app: Flask,
    rule: Rule,
    method: str,
    access: Access,
    form: type[t.Any] | None,
    facts: SourceFacts,
) -> dict[str, dict[str, t.Any]]:
    """Status (as a string) -> response object, for every error the route can give."""
    authenticates = _auth_configured(app)
    db_errors = bool(app.config.get("TOOLKIT_DB_ERROR_HANDLERS", False))
    statuses: set[int] = set()
    if authenticates:
        statuses.add(400)  # credentials in the URL; CSRF on session writes
        if access.kind != "public":
            statuses.add(401)
    if access.needs_login:
        statuses.add(401)
    if access.can_forbid:
        statuses.add(403)
    if access.kind != "denied":
        if form is not None:
            statuses.update({int(app.config.get("TOOLKIT_VALIDATION_STATUS", 400))})
            statuses.update({400, 413, 415})
        if facts.paginates:
            statuses.add(400)
        if rule.arguments or facts.not_found:
            statuses.add(404)
        if db_errors and method in _UNSAFE:
            statuses.add(409)
        statuses.update(s for s in facts.raised if s >= 400)
        statuses.update(s for s in facts.returned if s >= 400)
    if db_errors:
        statuses.add(503)
    json_only = form is not None or _is_api_route(app, rule)
    out = {str(status): _error(status, json_only) for status in sorted(statuses)}
    if 401 in statuses and not json_only and app.config.get("AUTH_LOGIN_VIEW"):
        out["302"] = {
            "description": "A browser that is not logged in is sent to the login"
            " page (AUTH_LOGIN_VIEW).",
            "headers": {"Location": _LOCATION},
        }
    return dict(sorted(out.items()))


def _error(status: int, json_only: bool) -> dict[str, t.Any]:
    try:
        default = HTTPStatus(status).phrase + "."
    except ValueError:
        default = f"Error {status}."
    content: dict[str, t.Any] = {"application/json": {"schema": dict(_ERROR_REF)}}
    if not json_only:
        # Outside API routes, browsers get Flask's HTML error page.
        content["text/html"] = {"schema": {"type": "string"}}
    response: dict[str, t.Any] = {
        "description": _WHY.get(status, default),
        "content": content,
    }
    if status == 401:
        response["headers"] = {
            "WWW-Authenticate": {
                "description": "`Bearer`, with the reason when a token was refused.",
                "schema": {"type": "string"},
            }
        }
    return response


def success_responses(
    app: Flask, view: t.Any, facts: SourceFacts, declared: t.Any
) -> dict[str, dict[str, t.Any]]:
    """The 2xx answers: from ``@responds`` when declared (its status, and the schema
    of :func:`~flask_toolkit.db.responses.response_schema`), else from the source."""
    if isinstance(declared, ResponseSpec):
        status = declared.status
        description = _phrase(status)
        if status == 204:
            return {"204": {"description": description}}
        return {
            str(status): {
                "description": description,
                "content": {
                    "application/json": {"schema": dict(response_schema(declared))}
                },
            }
        }
    statuses = sorted(s for s in facts.returned if 200 <= s < 400) or [200]
    media = "text/html" if facts.html else _media_type(view)
    out = {}
    for status in statuses:
        response: dict[str, t.Any] = {"description": _phrase(status)}
        if 300 <= status < 400:
            response["headers"] = {"Location": _LOCATION}
        elif status not in facts.empty and status != 204 and media is not None:
            schema: dict[str, t.Any] = (
                {"type": "string"} if media == "text/html" else _json_shape(view)
            )
            response["content"] = {media: {"schema": schema}}
        out[str(status)] = response
    return out


_LOCATION = {"description": "Where to go next.", "schema": {"type": "string"}}


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase + "."
    except ValueError:
        return f"Status {status}."


def _json_shape(view: t.Any) -> dict[str, t.Any]:
    """``object`` / ``array`` from a ``dict`` / ``list`` return annotation (the first
    item of a ``tuple[...]``); any JSON otherwise. Declare the shape with
    ``@responds`` for more."""
    returns = getattr(innermost(view), "__annotations__", {}).get("return")
    text = returns if isinstance(returns, str) else str(returns or "")
    text = text.replace(" ", "").removeprefix("tuple[").removeprefix("typing.")
    for prefix, kind in (("dict", "object"), ("Dict", "object"), ("list", "array")):
        if text.startswith(prefix):
            return {"type": kind}
    return {}


def _media_type(view: t.Any) -> str | None:
    """``text/html`` for a view annotated to return ``str``; else JSON."""
    returns = getattr(innermost(view), "__annotations__", {}).get("return")
    text = returns if isinstance(returns, str) else getattr(returns, "__name__", "")
    if text == "str":
        return "text/html"
    if text in {"Response", "flask.Response", "werkzeug.Response"}:
        return None
    return "application/json"
