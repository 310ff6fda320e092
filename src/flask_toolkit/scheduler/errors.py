"""Job store errors a client should hear about: a Redis job store that cannot be
reached answers 503, like a database that cannot (:mod:`flask_toolkit.db.errors`).

``redis.exceptions.ConnectionError`` (refused, reset, closed) and
``redis.exceptions.TimeoutError`` (the server did not answer within the socket timeout,
see ``TOOLKIT_DB_STATEMENT_TIMEOUT``) mean "try again later"; the API answers them with
503 in the JSON envelope and logs the details. Registered when the scheduler is set up
on an app whose ``SCHEDULER_JOBSTORES`` has a Redis store, unless
``TOOLKIT_DB_ERROR_HANDLERS`` is ``False``; nothing happens when the ``redis`` package
is not installed.
"""

from __future__ import annotations

import typing as t

from flask import current_app
from flask.typing import ResponseReturnValue

from ..errors import APIError
from ..errors import handle_http_exception

if t.TYPE_CHECKING:
    from flask import Flask

UNAVAILABLE_MESSAGE = "The job store is unavailable at the moment; try again shortly."


def handle_redis_error(error: Exception) -> ResponseReturnValue:
    """503 in the envelope; the error goes to the log only."""
    current_app.logger.warning("Job store unavailable: %s", error, exc_info=error)
    return handle_http_exception(APIError(503, UNAVAILABLE_MESSAGE))


def _has_redis_store(stores: t.Mapping[str, t.Any] | None) -> bool:
    for store in (stores or {}).values():
        if isinstance(store, str):
            kind = store.split(":", 1)[0]
        elif isinstance(store, t.Mapping):
            kind = str(store.get("type") or store.get("class") or "")
        else:
            kind = type(store).__name__
        if "redis" in kind.lower() or kind == "unix":
            return True
    return False


def init_app(app: Flask) -> None:
    """Register :func:`handle_redis_error` for Redis connection and timeout errors."""
    if not app.config.get("TOOLKIT_DB_ERROR_HANDLERS", True):
        return
    if not _has_redis_store(app.config.get("SCHEDULER_JOBSTORES")):
        return
    try:
        from redis import exceptions
    except ImportError:
        return
    app.register_error_handler(exceptions.ConnectionError, handle_redis_error)
    app.register_error_handler(exceptions.TimeoutError, handle_redis_error)
