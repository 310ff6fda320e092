"""Database errors a client should hear about: 503 when the database is unavailable,
409 when a constraint refused a change.

Registered by :meth:`Database.init_app` unless ``TOOLKIT_DB_ERROR_HANDLERS`` is
``False``. Both answers go through :mod:`flask_toolkit.errors`, so API routes get the
JSON envelope and other routes Flask's own page; the database's own message (table
names, values) is logged, never sent to the client.

**503 Service Unavailable** — the request may succeed if retried later:

* the connection could not be made (server down, refused, authentication timed out),
* SQLAlchemy recognised a lost connection (``connection_invalidated``: the server
  restarted, a proxy dropped it) — with ``pool_pre_ping`` on, the next request gets a
  fresh connection,
* no pooled connection became free within ``pool_timeout``,
* SQLite reported the database busy or locked by another writer,
* the URL's database driver is not installed: the app still boots, and every request
  that uses the database gets this answer while the fix (the extra to install) is
  logged at ERROR.

Any other :class:`~sqlalchemy.exc.OperationalError` (MySQL reports an unknown column
as one) stays a 500: retrying would not help, so it should not look like an outage.

**409 Conflict** — an :class:`~sqlalchemy.exc.IntegrityError`: a unique key, foreign
key, ``NOT NULL`` or ``CHECK`` constraint refused the change. Validate input first so
clients get field messages; this answer is the safety net that keeps a race between two
requests from being a 500.
"""

from __future__ import annotations

import typing as t

import sqlalchemy as sa
from flask import current_app
from flask.typing import ResponseReturnValue

from .. import config
from ..errors import APIError
from ..errors import handle_http_exception
from .diagnose import DriverNotInstalled

if t.TYPE_CHECKING:
    from flask import Flask

config.register_defaults({"TOOLKIT_DB_ERROR_HANDLERS": True})

#: sqlite3 result codes for "busy" and "locked".
_SQLITE_BUSY_CODES = frozenset({5, 6})

UNAVAILABLE_MESSAGE = "The database is unavailable at the moment; try again shortly."
CONFLICT_MESSAGE = (
    "The change conflicts with data already stored (a unique, foreign-key or other"
    " constraint refused it)."
)


def is_unavailable(error: BaseException) -> bool:
    """Whether a database error means "unavailable, retry later" (module doc)."""
    if isinstance(error, sa.exc.TimeoutError):
        return True
    if not isinstance(error, sa.exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if not isinstance(error, sa.exc.OperationalError):
        return False
    if error.statement is None:
        # Raised while connecting, before any statement was sent.
        return True
    code = getattr(error.orig, "sqlite_errorcode", None)
    if code is not None:
        return code in _SQLITE_BUSY_CODES
    # Python 3.10's sqlite3 has no error codes; its messages name the condition.
    message = str(error.orig)
    return type(error.orig).__module__.startswith("sqlite3") and (
        "database is locked" in message or "database table is locked" in message
    )


def handle_operational_error(error: Exception) -> ResponseReturnValue:
    """503 for an unavailable database; anything else is re-raised as a 500."""
    if not is_unavailable(error):
        raise error
    from .diagnose import describe_connection_error

    problem = describe_connection_error(error)
    if problem is not None and problem.permanent:
        # No retry will help: say what to fix, loudly.
        current_app.logger.error("Database misconfigured: %s", problem.message)
    else:
        current_app.logger.warning("Database unavailable: %s", error, exc_info=error)
    return handle_http_exception(APIError(503, UNAVAILABLE_MESSAGE))


def handle_missing_driver(error: Exception) -> ResponseReturnValue:
    """503 for an engine whose driver is not installed; the fix goes to the log."""
    current_app.logger.error("Database misconfigured: %s", error)
    return handle_http_exception(APIError(503, UNAVAILABLE_MESSAGE))


def handle_integrity_error(error: Exception) -> ResponseReturnValue:
    """409 in the envelope; the database's message goes to the log only."""
    current_app.logger.info("Constraint refused a change: %s", error)
    return handle_http_exception(APIError(409, CONFLICT_MESSAGE))


def init_app(app: Flask) -> None:
    """Register the handlers on ``app`` unless ``TOOLKIT_DB_ERROR_HANDLERS`` is off."""
    if not app.config["TOOLKIT_DB_ERROR_HANDLERS"]:
        return
    app.register_error_handler(sa.exc.OperationalError, handle_operational_error)
    app.register_error_handler(sa.exc.DBAPIError, handle_operational_error)
    app.register_error_handler(sa.exc.TimeoutError, handle_operational_error)
    app.register_error_handler(sa.exc.IntegrityError, handle_integrity_error)
    app.register_error_handler(DriverNotInstalled, handle_missing_driver)
