"""One JSON error envelope for every error the toolkit answers on an API route.

A request counts as an *API request* when any of these is true, checked in order:

1. ``TOOLKIT_JSON_ERRORS`` is ``True`` (every route is an API route) — or ``False``,
   in which case no route is and Flask's HTML pages are kept everywhere;
2. the endpoint's blueprint (or a parent blueprint) was marked with
   :func:`api_blueprint` — for a 405, the blueprint of the route whose path matched;
3. the path starts with one of ``TOOLKIT_API_PREFIXES`` (default ``("/api",)``),
   which also covers unknown paths under the prefix (the JSON 404);
4. the request body is JSON, or the ``Accept`` header prefers ``application/json``
   over ``text/html``.

The envelope is built by one function, ``TOOLKIT_ERROR_FORMATTER``. The default,
:func:`default_error_formatter`, produces ``{"code": -1, "msg": ...}``
where ``msg`` is a human-readable sentence, or for validation errors a mapping of
field names to messages.
"""

from __future__ import annotations

import typing as t

from flask import Blueprint
from flask import current_app
from flask import request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import InternalServerError
from werkzeug.exceptions import MethodNotAllowed

from .timefmt import json_ready

if t.TYPE_CHECKING:
    from flask import Flask

#: Shape of a callable that turns an error into a JSON-serialisable body.
ErrorFormatter = t.Callable[[int, t.Any], t.Any]

_API_BLUEPRINT_ATTR = "_toolkit_api"


def default_error_formatter(status: int, msg: t.Any) -> dict[str, t.Any]:
    """Build the default envelope: ``{"code": -1, "msg": msg}``.

    :param status: the HTTP status of the answer (not part of the default body: it is
        already the response's status line).
    :param msg: a sentence, or for validation errors a mapping of field name to
        messages.
    """
    return {"code": -1, "msg": msg}


class APIError(HTTPException):
    """An HTTP error whose message is shown to the client in the envelope.

    Raise it from a view (or use a subclass) when the client should read ``msg``::

        raise APIError(409, "A task with this title already exists.")

    :param status: the HTTP status code.
    :param msg: a sentence, or a mapping of field name to messages.
    :param headers: extra response headers, such as ``WWW-Authenticate``.
    """

    def __init__(
        self,
        status: int,
        msg: t.Any,
        *,
        headers: t.Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(description=msg if isinstance(msg, str) else None)
        self.code = status
        self.msg = msg
        self.extra_headers = dict(headers or {})

    def get_headers(self, *args: t.Any, **kwargs: t.Any) -> list[tuple[str, str]]:
        headers = super().get_headers(*args, **kwargs)
        headers.extend(self.extra_headers.items())
        return headers


def api_blueprint(blueprint: Blueprint) -> Blueprint:
    """Mark a blueprint so that every error on its routes is answered in the envelope.

    Returns the blueprint, so it can wrap the constructor::

        bp = api_blueprint(Blueprint("tasks", __name__, url_prefix="/tasks"))
    """
    setattr(blueprint, _API_BLUEPRINT_ATTR, True)
    return blueprint


def is_api_request() -> bool:
    """Tell whether the current request should get JSON errors (see the module doc)."""
    mode = current_app.config["TOOLKIT_JSON_ERRORS"]
    if mode is True or mode is False:
        return bool(mode)
    blueprint_name = request.blueprint or _blueprint_of_unrouted_request()
    if blueprint_name is not None:
        for name in _blueprint_chain(blueprint_name):
            bp = current_app.blueprints.get(name)
            if bp is not None and getattr(bp, _API_BLUEPRINT_ATTR, False):
                return True
    path = request.path
    for prefix in current_app.config["TOOLKIT_API_PREFIXES"]:
        prefix = prefix.rstrip("/")
        if path == prefix or path.startswith(prefix + "/"):
            return True
    if request.is_json:
        return True
    accept = request.accept_mimetypes
    return accept.quality("application/json") > accept.quality("text/html")


def _blueprint_of_unrouted_request() -> str | None:
    """For a 405, find the blueprint of the route the path did match."""
    error = request.routing_exception
    if not isinstance(error, MethodNotAllowed) or not error.valid_methods:
        return None
    adapter = current_app.create_url_adapter(request)
    if adapter is None:
        return None
    method = next(iter(error.valid_methods))
    try:
        endpoint, _ = adapter.match(request.path, method=method)
    except HTTPException:
        return None
    return str(endpoint).rpartition(".")[0] or None


def _blueprint_chain(name: str) -> t.Iterator[str]:
    """Yield ``a.b.c``, ``a.b``, ``a`` for a nested blueprint name."""
    while name:
        yield name
        name = name.rpartition(".")[0]


def error_response(
    status: int,
    msg: t.Any,
    headers: t.Iterable[tuple[str, str]] | t.Mapping[str, str] | None = None,
) -> ResponseReturnValue:
    """Answer with the configured envelope, whatever kind of route this is.

    :param status: the HTTP status code.
    :param msg: a sentence, or a mapping of field name to messages.
    :param headers: extra headers for the response.
    """
    formatter: ErrorFormatter = current_app.config["TOOLKIT_ERROR_FORMATTER"]
    # Datetimes in the body are written like everywhere else in the app.
    response = current_app.json.response(json_ready(formatter(status, msg)))
    response.status_code = status
    if headers:
        items = headers.items() if isinstance(headers, t.Mapping) else headers
        for key, value in items:
            if key.lower() not in {"content-type", "content-length"}:
                response.headers[key] = value
    return response


def _message(error: HTTPException) -> t.Any:
    if isinstance(error, APIError):
        return error.msg
    if isinstance(error, InternalServerError):
        # Never leak the original exception's text to the client.
        return "The server met an unexpected error; the failure was logged."
    return error.description or error.name


def handle_http_exception(error: HTTPException) -> ResponseReturnValue:
    """Error handler: the envelope on API requests, Flask's own page elsewhere."""
    if error.code is None or not is_api_request():
        if isinstance(error, APIError) and not isinstance(error.msg, str):
            # A structured message has no HTML rendering; keep it JSON.
            return error_response(error.code or 500, error.msg, error.get_headers())
        return error
    return error_response(error.code, _message(error), error.get_headers())


def init_app(app: Flask) -> None:
    """Register the envelope handlers on ``app``.

    Handlers for a specific status or exception that the app registers itself still
    win, because Flask picks the most specific handler first.
    """
    app.register_error_handler(HTTPException, handle_http_exception)
    # Unhandled exceptions reach this as a 500 after Flask logged the traceback.
    app.register_error_handler(InternalServerError, handle_http_exception)
