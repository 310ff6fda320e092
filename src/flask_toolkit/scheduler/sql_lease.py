"""Leader leases held by a session of a PostgreSQL or MySQL / MariaDB connection."""

from __future__ import annotations

import select
import time
import typing as t
import zlib

import sqlalchemy as sa

from ..db import timeouts
from .lease import _parse_owner
from .lease import Lease

#: First key of the two-key PostgreSQL advisory lock: "tk" for flask-toolkit.
PG_LOCK_CLASS = 0x746B


class _ConnectionLease(Lease):
    """A lock held by a session of a dedicated database connection."""

    def __init__(
        self, url: sa.URL, name: str, cfg: t.Mapping[str, t.Any] | None = None
    ) -> None:
        super().__init__()
        self.name = name
        options = timeouts.engine_options(url, self._engine_args(), cfg or {})
        self._engine = sa.create_engine(url, poolclass=sa.NullPool, **options)
        self._conn: sa.Connection | None = None

    def _engine_args(self) -> dict[str, t.Any]:
        return {}

    def _connection(self) -> sa.Connection:
        if self._conn is None:
            self._conn = self._engine.connect().execution_options(
                isolation_level="AUTOCOMMIT"
            )
        return self._conn

    def _try_acquire(self) -> bool:
        conn = self._connection()
        if self.held:
            conn.execute(sa.text("SELECT 1"))  # raises when the session is gone
            return True
        return bool(conn.execute(self._lock_sql(), self._params()).scalar())

    def _release(self) -> None:
        if self._conn is not None:
            self._conn.execute(self._unlock_sql(), self._params())

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:
                pass

    def _params(self) -> dict[str, t.Any]:
        return {"name": self.name}

    def _lock_sql(self) -> sa.TextClause:
        raise NotImplementedError

    def _unlock_sql(self) -> sa.TextClause:
        raise NotImplementedError


class PostgresLease(_ConnectionLease):
    """``pg_try_advisory_lock(class, key)``; the holder is found in ``pg_locks``.

    The holder's connection listens on a channel named after the lock; other
    processes ``pg_notify`` it through ``notify_engine`` (the job store's engine).
    """

    kind = "postgresql"
    notifies = True
    #: The holder confirms the lock this often (a lost connection is seen at once).
    CONFIRM_EVERY = 20.0

    def __init__(
        self,
        url: sa.URL,
        name: str,
        cfg: t.Mapping[str, t.Any] | None = None,
        notify_engine: sa.Engine | None = None,
    ) -> None:
        super().__init__(url, name, cfg)
        self.channel = f"flask_toolkit_{self._params()['key']:x}"
        self._notify_engine = notify_engine or self._engine

    def confirm_every(self, interval: float) -> float:
        return max(interval, self.CONFIRM_EVERY)

    def _try_acquire(self) -> bool:
        held = self.held
        result = super()._try_acquire()
        if result and not held:
            self._connection().execute(sa.text(f'LISTEN "{self.channel}"'))
        return result

    def wait_for_change(self, timeout: float) -> bool:
        conn = self._conn
        if conn is None:
            time.sleep(timeout)
            return False
        dbapi: t.Any = conn.connection.dbapi_connection
        notifies = getattr(dbapi, "notifies", None)
        if callable(notifies):  # psycopg 3
            try:
                changed = any(True for _ in notifies(timeout=timeout, stop_after=1))
            except TypeError:  # psycopg < 3.2: no timeout; poll instead of failing
                time.sleep(timeout)
                return True
            if changed:
                for _ in notifies(timeout=0):
                    pass
            return changed
        # psycopg2: wait for the socket, then read what came.
        select.select([dbapi], [], [], timeout)
        dbapi.poll()
        changed = bool(dbapi.notifies)
        dbapi.notifies.clear()
        return changed

    def _notify(self) -> None:
        with self._notify_engine.begin() as conn:
            conn.execute(sa.select(sa.func.pg_notify(self.channel, "")))

    def _engine_args(self) -> dict[str, t.Any]:
        name = f"flask-toolkit scheduler {self.owner}"
        return {"connect_args": {"application_name": name[:63]}}

    def _params(self) -> dict[str, t.Any]:
        return {
            "cls": PG_LOCK_CLASS,
            "key": zlib.crc32(self.name.encode()) & 0x7FFFFFFF,
        }

    def _lock_sql(self) -> sa.TextClause:
        return sa.text("SELECT pg_try_advisory_lock(:cls, :key)")

    def _unlock_sql(self) -> sa.TextClause:
        return sa.text("SELECT pg_advisory_unlock(:cls, :key)")

    def _holder(self) -> dict[str, t.Any] | None:
        query = sa.text(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a"
            " ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.classid = :cls"
            " AND l.objid = :key AND l.objsubid = 2 AND l.granted"
        )
        with self._engine.connect() as conn:
            name = conn.execute(query, self._params()).scalar()
        prefix = "flask-toolkit scheduler "
        if not name or not name.startswith(prefix):
            return None
        return _parse_owner(name[len(prefix) :])


class MySQLLease(_ConnectionLease):
    """``GET_LOCK(name, 0)`` on MySQL / MariaDB; the holder is not reported."""

    kind = "mysql"

    def _params(self) -> dict[str, t.Any]:
        return {"name": f"flask_toolkit:{self.name}"[:64]}

    def _lock_sql(self) -> sa.TextClause:
        return sa.text("SELECT GET_LOCK(:name, 0)")

    def _unlock_sql(self) -> sa.TextClause:
        return sa.text("SELECT RELEASE_LOCK(:name)")
