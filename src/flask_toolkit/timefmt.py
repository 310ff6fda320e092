"""One way to write a datetime, for the whole app: ``to_dict``, errors, the scheduler.

``TOOLKIT_DATETIME_FORMAT`` picks it (registered by the database helper, which reads
it most):

``"rfc3339"`` (the default)
    RFC 3339, e.g. ``"2026-12-03T14:00:00+00:00"``: an aware datetime keeps its
    offset (``+08:00`` stays ``+08:00``; UTC is written ``+00:00``, as Python's
    :meth:`~datetime.datetime.isoformat` and the scheduler API write it); a naive
    datetime is taken to be UTC, the convention of columns without a zone. It
    round-trips through :meth:`datetime.datetime.fromisoformat`.
``"iso"``
    :meth:`~datetime.datetime.isoformat` as it is: a naive datetime stays naive.
any other string
    A :meth:`~datetime.datetime.strftime` format, e.g. ``"%Y-%m-%d %H:%M:%S"`` (the
    notes' format, which drops the zone).

This module sits at the bottom of the package: the database helper, the error
envelope and the scheduler API all format through :func:`format_datetime`.
"""

from __future__ import annotations

import datetime as dt
import typing as t

from flask import current_app
from flask import has_app_context

#: The default of ``TOOLKIT_DATETIME_FORMAT``.
RFC3339 = "rfc3339"
#: The space-separated local format, one setting away.
NOTES_FORMAT = "%Y-%m-%d %H:%M:%S"
CONFIG_KEY = "TOOLKIT_DATETIME_FORMAT"

_UTC = dt.timezone.utc


def _rfc3339(value: dt.datetime) -> str:
    if value.tzinfo is None:
        return value.isoformat() + "+00:00"
    if value.utcoffset() is None:
        return value.replace(tzinfo=_UTC).isoformat()
    return value.isoformat()


def _notes(value: dt.datetime) -> str:
    # Same text as strftime for naive datetimes, about three times faster.
    if value.tzinfo is None and value.year >= 1000:
        return value.isoformat(" ", "seconds")
    return value.strftime(NOTES_FORMAT)


def datetime_formatter(fmt: str) -> t.Callable[[dt.datetime], str]:
    """The function that writes datetimes in format ``fmt`` (see the module)."""
    if fmt == RFC3339:
        return _rfc3339
    if fmt == "iso":
        return dt.datetime.isoformat
    if fmt == NOTES_FORMAT:
        return _notes
    return lambda value: value.strftime(fmt)


def current_format() -> str:
    """The current app's ``TOOLKIT_DATETIME_FORMAT``; ``"rfc3339"`` outside an app."""
    if has_app_context():
        return str(current_app.config.get(CONFIG_KEY) or RFC3339)
    return RFC3339


def format_datetime(value: dt.datetime, fmt: str | None = None) -> str:
    """``value`` as text in ``fmt``, default the current app's format."""
    return datetime_formatter(current_format() if fmt is None else fmt)(value)


def iso(value: t.Any) -> t.Any:
    """Datetimes in the app's format, dates in ISO 8601, anything else unchanged."""
    if isinstance(value, dt.datetime):
        return format_datetime(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def json_ready(value: t.Any) -> t.Any:
    """``value`` with every datetime and date inside dicts and lists written as text."""
    if type(value) is str:  # the common leaf (error messages), answered first
        return value
    if isinstance(value, dict):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(item) for item in value]
    return iso(value)
