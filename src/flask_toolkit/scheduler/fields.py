"""Form fields for the scheduler API's JSON: dates, time zones, cron expressions,
and free JSON arguments.

Each field implements ``process_json(value, from_query)``, the hook
:class:`~flask_toolkit.MetaForm` calls with one JSON value (or one query-string
string) and which raises :class:`ValueError` with the message for the client; and
``json_schema()``, the field's JSON Schema for the OpenAPI document.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import math
import re
import typing as t
import zoneinfo

from apscheduler.triggers.cron import CronTrigger
from wtforms.fields import Field

#: Dates outside these years are refused: APScheduler's arithmetic on them overflows.
MIN_YEAR, MAX_YEAR = 1970, 9000
_ZULU = re.compile(r"[zZ]\Z")


class _JSONField(Field):  # type: ignore[misc]
    """A field whose value comes only from :meth:`process_json`."""

    def _value(self) -> str:
        return "" if self.data is None else str(self.data)

    def process_formdata(self, valuelist: list[t.Any]) -> None:
        if valuelist:
            self.data = self.process_json(valuelist[0], True)

    def process_json(self, value: t.Any, from_query: bool) -> t.Any:
        raise NotImplementedError

    def json_schema(self) -> dict[str, t.Any]:
        raise NotImplementedError


def parse_datetime(value: t.Any) -> dt.datetime:
    """An ISO 8601 date or date-time string -> :class:`~datetime.datetime`.

    ``2025-12-01``, ``2025-12-01T12:30:00``, ``2025-12-01 12:30:00+02:00`` and a
    trailing ``Z`` are accepted. A value without an offset is read in the trigger's
    (or the scheduler's) time zone, as APScheduler does.

    :raises ValueError: with a message for the client.
    """
    if not isinstance(value, str) or len(value) > 64:
        raise ValueError(
            "Send a date as an ISO 8601 string, like '2025-12-01T12:30:00Z'."
        )
    text = _ZULU.sub("+00:00", value.strip())
    try:
        if len(text) == 10:
            parsed = dt.datetime.combine(dt.date.fromisoformat(text), dt.time())
        else:
            parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{value!r} is not an ISO 8601 date; send it like '2025-12-01T12:30:00Z'."
        ) from None
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise ValueError(f"Send a date between the years {MIN_YEAR} and {MAX_YEAR}.")
    return parsed


class DateTimeField(_JSONField):
    """An ISO 8601 date-time; ``null`` is kept as ``None`` by ``sent_data``."""

    def process_json(self, value: t.Any, from_query: bool) -> dt.datetime:
        return parse_datetime(value)

    def json_schema(self) -> dict[str, t.Any]:
        return {"type": "string", "format": "date-time"}


@functools.lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones() | {"UTC"})


class TimezoneField(_JSONField):
    """An IANA time zone name (``"Europe/Paris"``, ``"UTC"``)."""

    def process_json(self, value: t.Any, from_query: bool) -> str:
        if not isinstance(value, str):
            raise ValueError("Send the time zone as a string, like 'Europe/Paris'.")
        if value not in _zone_names():
            raise ValueError(
                f"{value[:64]!r} is not a known time zone; use an IANA name like"
                " 'UTC' or 'America/New_York'."
            )
        return value

    def json_schema(self) -> dict[str, t.Any]:
        return {"type": "string", "minLength": 1, "examples": ["UTC", "Europe/Paris"]}


class CronField(_JSONField):
    """One cron field: an APScheduler expression string or an integer.

    The expression is parsed with APScheduler's own parser for that field, so the
    range and syntax rules are exactly the ones the trigger will apply.
    """

    def process_json(self, value: t.Any, from_query: bool) -> int | str:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ValueError(
                "Send a cron expression as a string (like '*/5') or an integer."
            )
        text = str(value).strip()
        if not text or len(text) > 200:
            raise ValueError(
                "Send a non-empty cron expression of at most 200 characters."
            )
        field_class = CronTrigger.FIELDS_MAP[self.short_name]
        try:
            field_class(self.short_name, text)
        except ValueError as e:
            raise ValueError(
                f"Bad cron expression for {self.short_name!r}: {e}."
            ) from None
        return value

    def json_schema(self) -> dict[str, t.Any]:
        return {
            "oneOf": [
                {"type": "string", "minLength": 1, "maxLength": 200},
                {"type": "integer"},
            ]
        }


def plain_json(value: t.Any, depth: int = 0) -> t.Any:
    """Return ``value`` as plain JSON data: exact decimals become floats.

    :raises ValueError: for ``NaN``/``Infinity`` or nesting deeper than 32 levels.
    """
    if depth > 32:
        raise ValueError("Arguments are nested too deeply (at most 32 levels).")
    if isinstance(value, dict):
        return {str(k): plain_json(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        if _plain_scalars(value):
            return list(value)
        return [plain_json(v, depth + 1) for v in value]
    if isinstance(value, decimal.Decimal):
        value = float(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("NaN and Infinity are not JSON values; send a finite number.")
    return value


_PLAIN = frozenset({str, int, bool, type(None)})
_NUMERIC = frozenset({int, float, bool})


def _plain_scalars(items: list[t.Any]) -> bool:
    """Whether ``items`` are plain JSON scalars already (a long list of numbers or
    strings is checked by type all at once, and its floats by their sum).
    """
    kinds = set(map(type, items))
    if kinds <= _PLAIN:
        return True
    if not kinds <= _NUMERIC:
        return False
    try:
        return math.isfinite(sum(items))  # NaN and Infinity stay in the sum
    except OverflowError:  # an integer beyond the float range, next to a float
        return False


class JSONArrayField(_JSONField):
    """A JSON array of any JSON values: a job's positional ``args``."""

    def process_json(self, value: t.Any, from_query: bool) -> list[t.Any]:
        if from_query or not isinstance(value, list):
            raise ValueError("Send the arguments as a JSON array.")
        return t.cast("list[t.Any]", plain_json(value))

    def json_schema(self) -> dict[str, t.Any]:
        return {"type": "array"}


class JSONObjectField(_JSONField):
    """A JSON object of any JSON values: a job's keyword ``kwargs``."""

    def process_json(self, value: t.Any, from_query: bool) -> dict[str, t.Any]:
        if from_query or not isinstance(value, dict):
            raise ValueError("Send the keyword arguments as a JSON object.")
        for key in value:
            if not key.isidentifier():
                raise ValueError(f"{key[:64]!r} is not a valid keyword argument name.")
        return t.cast("dict[str, t.Any]", plain_json(value))

    def json_schema(self) -> dict[str, t.Any]:
        return {"type": "object"}
