"""Leader leases: which of the processes sharing a job store runs the jobs.

The lease is held through the job store's own server, so it needs nothing else:

- PostgreSQL: a session-level advisory lock on a dedicated connection. It is released
  by the server the moment the holder's connection ends, so a killed leader is replaced
  within one polling interval. The same connection listens (``LISTEN``) for the
  changes other processes announce with ``pg_notify``.
- MySQL / MariaDB: ``GET_LOCK`` on a dedicated connection, released the same way.
- Redis: a key set with ``SET NX PX`` holding ``host pid:token:client id``, where the
  client id is that of a dedicated connection of the holder. A standby that finds the
  key takes it over as soon as that connection is gone (``CLIENT LIST ID``): a killed
  leader is replaced within one polling interval. The key also expires
  ``SCHEDULER_LEADER_TTL`` seconds after the holder last renewed it (every third of
  that), which covers a leader that hangs with its connection open, and servers that
  refuse ``CLIENT LIST``. The leader subscribes to a pub/sub channel for changes.
- SQLite and the memory store: an OS file lock next to the database file (or in the
  instance folder). SQLite cannot be shared across hosts, so neither can this lock.

Every lease answers :meth:`Lease.try_acquire` (take the lease if free, confirm it if
held) many times; it must be cheap and must never raise. A lease whose server can
announce changes (:attr:`Lease.notifies`) lets an idle leader sleep until a change
comes (:meth:`Lease.wait_for_change`) instead of looking at the store every interval.
"""

from __future__ import annotations

import os
import typing as t

from .lease import FileLease
from .lease import Lease
from .redis_lease import RedisLease
from .sql_lease import MySQLLease
from .sql_lease import PostgresLease

__all__ = [
    "FileLease",
    "Lease",
    "MySQLLease",
    "PostgresLease",
    "RedisLease",
    "lease_for_store",
]


def lease_for_store(
    store: t.Any,
    *,
    fallback_lock_file: str,
    lock_file: str | None,
    redis_ttl: float,
    cfg: t.Mapping[str, t.Any] | None = None,
) -> Lease:
    """The lease that fits the job store ``store``.

    :param fallback_lock_file: the file lock's path when the store has no server.
    :param lock_file: ``SCHEDULER_LEADER_LOCK_FILE``: always use a file lock there.
    :param cfg: the app's config, for the connect and statement timeouts.
    """
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    if lock_file:
        return FileLease(lock_file)
    if isinstance(store, SQLAlchemyJobStore):
        url = store.engine.url
        backend = url.get_backend_name()
        table = store.jobs_t.fullname
        if backend == "postgresql":
            return PostgresLease(url, f"{url.database}.{table}", cfg, store.engine)
        if backend in ("mysql", "mariadb"):
            return MySQLLease(url, f"{url.database}.{table}", cfg)
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
