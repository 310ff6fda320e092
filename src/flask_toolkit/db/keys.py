"""Primary-key look-ups that a client's id can never turn into a database error.

An id from a URL (``/tasks/<int:task_id>``) or a body reaches ``session.get`` as the
client wrote it. Values that the key column cannot hold fail in the driver or the
database instead of simply matching nothing: SQLite's driver raises
``OverflowError`` beyond 64 bits, PostgreSQL refuses ``2147483648`` for an
``INTEGER`` column and any text with a NUL character, and no backend can encode a
lone surrogate.

:class:`KeySafeSession` (the class of every session the toolkit makes) answers
``None`` for such a key, as for any id that matches no row, so ``db.session.get``
and ``db.get_or_404`` give "not found" without range checks in the view. The rule,
per key column:

- integer columns: the range of the column's type on the backend (``SMALLINT``
  16 bits, ``INTEGER`` 32 bits on PostgreSQL, ``BIGINT`` and SQLite/MariaDB
  integers 64 bits; unsigned MariaDB types from 0);
- text: no NUL character and no lone surrogate.
"""

from __future__ import annotations

import typing as t

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm

#: Backends whose ``INTEGER`` is 32 bits (SQLite's holds 64).
_INT32_BACKENDS = frozenset({"postgresql", "mysql", "mariadb"})


def _bits(column_type: t.Any, dialect: str) -> int:
    if isinstance(column_type, sa.SmallInteger):
        return 16
    if isinstance(column_type, sa.BigInteger):
        return 64
    if isinstance(column_type, sa.Integer) and dialect in _INT32_BACKENDS:
        return 32
    return 64


def _value_fits(column: t.Any, value: t.Any, dialect: str) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, int):
        column_type = column.type
        bits = _bits(column_type, dialect)
        if getattr(column_type, "unsigned", False):
            return bool(0 <= value < 1 << bits)
        limit = 1 << (bits - 1)
        return bool(-limit <= value < limit)
    if isinstance(value, str):
        if "\x00" in value:
            return False
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
    return True


def key_fits(session: sa_orm.Session, entity: t.Any, ident: t.Any) -> bool:
    """Whether every part of the primary key ``ident`` fits its column of ``entity``.

    :param session: the session (its bind tells the backend).
    :param entity: a mapped class (anything else is let through).
    :param ident: a scalar, tuple or dict primary key, as for ``Session.get``.
    """
    try:
        mapper = sa.inspect(entity)
        columns = mapper.primary_key
    except (sa.exc.NoInspectionAvailable, AttributeError):
        return True
    try:
        dialect = session.get_bind(mapper).dialect.name
    except sa.exc.UnboundExecutionError:
        dialect = ""
    if isinstance(ident, dict):
        pairs = [(c, ident.get(c.key)) for c in columns]
    elif isinstance(ident, (tuple, list)):
        pairs = list(zip(columns, ident, strict=False))
    else:
        pairs = [(columns[0], ident)]
    return all(_value_fits(column, value, dialect) for column, value in pairs)


class KeySafeSession(sa_orm.Session):
    """A :class:`~sqlalchemy.orm.Session` whose :meth:`get` answers ``None`` for a
    primary key its column cannot hold (see the module doc).
    """

    def get(self, entity: t.Any, ident: t.Any, **options: t.Any) -> t.Any:
        """``Session.get``, but ``None`` for an id no row can have."""
        if not key_fits(self, entity, ident):
            return None
        return super().get(entity, ident, **options)
