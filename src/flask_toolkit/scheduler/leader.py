"""Leader leases: which of the processes sharing a job store runs the jobs.

The lease is held through the job store's own server, so it needs nothing else:

- PostgreSQL: a session-level advisory lock on a dedicated connection. It is released
  by the server the moment the holder's connection ends, so a killed leader is replaced
  within one polling interval.
- MySQL / MariaDB: ``GET_LOCK`` on a dedicated connection, released the same way.
- Redis: a key set with ``SET NX PX`` holding ``host:pid:token``, renewed (only by its
  holder, checked in a script) every polling interval; it expires
  ``SCHEDULER_LEADER_TTL`` seconds after the holder stops renewing it.
- SQLite and the memory store: an OS file lock next to the database file (or in the
  instance folder). SQLite cannot be shared across hosts, so neither can this lock.

Every lease answers :meth:`Lease.try_acquire` (take the lease if free, confirm it if
held) many times; it must be cheap and must never raise.
"""

from __future__ import annotations

import logging
import os
import socket
import typing as t
import uuid
import zlib

import sqlalchemy as sa

logger = logging.getLogger("flask_toolkit.scheduler")

#: First key of the two-key PostgreSQL advisory lock: "tk" for flask-toolkit.
PG_LOCK_CLASS = 0x746B


def this_process() -> dict[str, t.Any]:
    return {"host": socket.gethostname(), "pid": os.getpid()}


def _parse_owner(text: str | bytes | None) -> dict[str, t.Any] | None:
    if not text:
        return None
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    host, _, rest = text.strip().rpartition(" ")
    pid = rest.split(":")[0]
    if not host or not pid.isdigit():
        return None
    return {"host": host, "pid": int(pid)}


class Lease:
    """Base class; :class:`NoLease` is the trivial lease every process holds."""

    #: Shown by ``leader_info()["lock"]``.
    kind = "none"

    def __init__(self) -> None:
        self.held = False
        self.owner = f"{socket.gethostname()} {os.getpid()}"

    def try_acquire(self) -> bool:
        """Take the lease if free, or confirm it is still held; return whether held."""
        try:
            self.held = self._try_acquire()
        except Exception:
            logger.warning("Scheduler leader lease check failed.", exc_info=True)
            self._drop()
            self.held = False
        return self.held

    def release(self) -> None:
        """Give the lease up (shutdown, or before the process forks)."""
        try:
            if self.held:
                self._release()
        except Exception:
            logger.warning(
                "Could not release the scheduler leader lease.", exc_info=True
            )
        finally:
            self._drop()
            self.held = False

    def holder(self) -> dict[str, t.Any] | None:
        """Who holds the lease, as ``{"host", "pid"}``, or ``None`` when unknown."""
        if self.held:
            return this_process()
        try:
            return self._holder()
        except Exception:
            return None

    def _try_acquire(self) -> bool:
        return True

    def _release(self) -> None:
        pass

    def _drop(self) -> None:
        """Forget any connection or handle (it may be broken)."""

    def _holder(self) -> dict[str, t.Any] | None:
        return None


class NoLease(Lease):
    """Every process leads (``SCHEDULER_LEADER_ELECTION = False``)."""


class FileLease(Lease):
    """An OS file lock; the holder's ``host pid`` is written to ``<path>.owner``."""

    kind = "file"

    def __init__(self, path: str) -> None:
        super().__init__()
        from filelock import FileLock

        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self.path = path
        self._lock = FileLock(path, thread_local=False)

    def _try_acquire(self) -> bool:
        from filelock import Timeout

        if self._lock.is_locked:
            return True
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            return False
        with open(self.path + ".owner", "w") as f:
            f.write(self.owner)
        return True

    def _release(self) -> None:
        self._lock.release(force=True)

    def _holder(self) -> dict[str, t.Any] | None:
        try:
            with open(self.path + ".owner") as f:
                return _parse_owner(f.read())
        except OSError:
            return None


class _ConnectionLease(Lease):
    """A lock held by a session of a dedicated database connection."""

    def __init__(self, url: sa.URL, name: str) -> None:
        super().__init__()
        self.name = name
        self._engine = sa.create_engine(
            url, poolclass=sa.NullPool, **self._engine_args()
        )
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
    """``pg_try_advisory_lock(class, key)``; the holder is found in ``pg_locks``."""

    kind = "postgresql"

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


_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_DELETE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class RedisLease(Lease):
    """A Redis key with a time to live, renewed by its holder only."""

    kind = "redis"

    def __init__(self, client: t.Any, key: str, ttl: float) -> None:
        super().__init__()
        self.client = client
        self.key = key
        self.ttl_ms = max(int(ttl * 1000), 1000)
        self.value = f"{self.owner}:{uuid.uuid4().hex}"

    def _try_acquire(self) -> bool:
        if self.held and self.client.eval(_RENEW, 1, self.key, self.value, self.ttl_ms):
            return True
        return bool(self.client.set(self.key, self.value, nx=True, px=self.ttl_ms))

    def _release(self) -> None:
        self.client.eval(_DELETE, 1, self.key, self.value)

    def _holder(self) -> dict[str, t.Any] | None:
        return _parse_owner(self.client.get(self.key))


def lease_for_store(
    store: t.Any,
    *,
    fallback_lock_file: str,
    lock_file: str | None,
    redis_ttl: float,
) -> Lease:
    """The lease that fits the job store ``store``.

    :param fallback_lock_file: the file lock's path when the store has no server.
    :param lock_file: ``SCHEDULER_LEADER_LOCK_FILE``: always use a file lock there.
    """
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    if lock_file:
        return FileLease(lock_file)
    if isinstance(store, SQLAlchemyJobStore):
        url = store.engine.url
        backend = url.get_backend_name()
        table = store.jobs_t.fullname
        if backend == "postgresql":
            return PostgresLease(url, f"{url.database}.{table}")
        if backend in ("mysql", "mariadb"):
            return MySQLLease(url, f"{url.database}.{table}")
        if backend == "sqlite" and url.database and url.database != ":memory:":
            return FileLease(f"{os.path.abspath(url.database)}.{table}.lock")
        return FileLease(fallback_lock_file)
    try:
        from apscheduler.jobstores.redis import RedisJobStore
    except ImportError:  # the redis package is not installed
        RedisJobStore = None  # noqa: N806
    if RedisJobStore is not None and isinstance(store, RedisJobStore):
        return RedisLease(store.redis, f"{store.jobs_key}.leader", redis_ttl)
    return FileLease(fallback_lock_file)
