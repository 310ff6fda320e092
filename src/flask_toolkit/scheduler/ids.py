"""Job ids: which strings are ids, and ids that compare exactly in every job store.

A job id is text a person can read and every store can keep: no control characters
(``NUL`` cannot be stored by PostgreSQL) and no lone surrogates (they cannot be encoded
as UTF-8, so neither a database nor Redis can store them). Such a string is never the
id of a stored job, so looking it up answers "no such job" without asking the store.

MySQL and MariaDB compare ``VARCHAR`` columns by their collation, which by default
ignores case and trailing spaces: ``"Case"`` and ``"case "`` would be one job.
:func:`exact_ids` gives the SQLAlchemy job stores an id column of UTF-8 bytes there
(``VARBINARY``), compared byte for byte, as SQLite and PostgreSQL compare text.
"""

from __future__ import annotations

import typing as t
import unicodedata

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

#: The longest job id the SQLAlchemy job store can keep.
MAX_ID_LENGTH = 191
#: The id column's size in bytes on MySQL/MariaDB: ``MAX_ID_LENGTH`` UTF-8 characters.
_ID_BYTES = MAX_ID_LENGTH * 4


def id_problem(job_id: str) -> str | None:
    """Why ``job_id`` cannot be a job id, or ``None`` if it can.

    Checked: control characters (``NUL``, newlines, ...), lone surrogates, ``/``.
    """
    for char in job_id:
        category = unicodedata.category(char)
        if category == "Cc":
            return f"A job id cannot contain control characters (found {char!r})."
        if category == "Cs":
            return "A job id cannot contain lone surrogates; send valid Unicode text."
    if "/" in job_id:
        return "A job id cannot contain '/'."
    return None


class Utf8Bytes(sa.types.TypeDecorator[str]):
    """Text kept as UTF-8 bytes, so the database compares it exactly."""

    impl = mysql.VARBINARY(_ID_BYTES)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: t.Any) -> bytes | None:
        return None if value is None else value.encode("utf-8")

    def process_result_value(self, value: t.Any, dialect: t.Any) -> str | None:
        if isinstance(value, (bytes, bytearray, memoryview)):
            return bytes(value).decode("utf-8")
        return t.cast("str | None", value)


def exact_ids(store: t.Any) -> None:
    """Make an SQLAlchemy job store's id column compare exactly on MySQL/MariaDB.

    A table created from now on gets a ``VARBINARY`` id column; on a table created
    before, lookups compare bytes (so they are exact) but the primary key still ignores
    case. ``docs/scheduler.rst`` gives the ``ALTER TABLE`` that fixes such a table.
    Other stores, and other databases, are left as they are.
    """
    table = getattr(store, "jobs_t", None)
    if not isinstance(table, sa.Table) or "id" not in table.c:
        return
    column = table.c.id
    if "mysql" in getattr(column.type, "_variant_mapping", {}):
        return
    column.type = column.type.with_variant(Utf8Bytes(), "mysql", "mariadb")
