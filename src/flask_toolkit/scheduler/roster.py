"""Where the scheduler processes of a job store write their heartbeats, and read them.

Each process that started its scheduler writes one entry about itself every
``SCHEDULER_HEARTBEAT_INTERVAL`` seconds (:mod:`.heartbeat`); any process, also one
that never starts the scheduler, reads the entries to show who leads and who stands
by. The entries live next to the default job store, shared by every process that shares
the store:

- an SQLAlchemy job store: one row per process in the table :data:`TABLE_NAME` of the
  store's database (part of ``db.metadata`` when the store is the app's database, like
  ``apscheduler_jobs``), keyed by the job table's name, the host and the pid; written
  with one upsert statement;
- a Redis job store: one field per process in the hash ``<jobs_key>.processes``,
  written with one script call that also drops the fields of processes gone for long;
- any other store (the memory store): nothing is shared; a process knows only itself.

Entries older than :data:`DROP_AFTER` intervals are deleted (at one beat out of
:data:`PRUNE_EVERY` on SQL, at every beat on Redis) and never shown; those older than
:data:`GONE_AFTER` intervals are shown as gone. Times are each writer's clock, in UTC.
"""

from __future__ import annotations

import datetime as dt
import json
import typing as t
import weakref

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from .runs_table import create_table

#: The heartbeat table of an SQLAlchemy job store.
TABLE_NAME = "toolkit_scheduler_processes"
#: An entry not renewed for this many intervals is shown as gone...
GONE_AFTER = 3
#: ... and one not renewed for this many is deleted.
DROP_AFTER = 20
#: A SQL writer deletes old rows at one beat in this many.
PRUNE_EVERY = 10
#: The fields of an entry (datetimes are aware, in UTC).
FIELDS = ("host", "pid", "role", "state", "started_at", "seen_at", "renewed_at")

_DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")

Entry = dict[str, t.Any]


def make_table(schema: str | None = None) -> sa.Table:
    """The heartbeat table, on its own metadata."""
    return sa.Table(
        TABLE_NAME,
        sa.MetaData(),
        sa.Column("job_table", sa.String(128), primary_key=True),
        sa.Column("host", sa.String(255), primary_key=True),
        sa.Column("pid", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("started_at", _DateTime, nullable=False),
        sa.Column("seen_at", _DateTime, nullable=False),
        sa.Column("renewed_at", _DateTime, nullable=True),
        schema=schema,
    )


def _naive(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


class Roster:
    """The heartbeats of the processes sharing one job store (here: none shared)."""

    #: Whether other processes' entries can be seen (``False``: this process only).
    shared = False

    def beat(self, entry: Entry, prune_before: dt.datetime | None) -> None:
        """Write this process' ``entry``; drop entries not seen since ``prune_before``.

        :raises Exception: the store's error (the caller logs it and goes on).
        """

    def leave(self, host: str, pid: int) -> None:
        """Delete this process' entry (a clean shutdown)."""

    def read(self) -> list[Entry]:
        """Every entry (unsorted).

        :raises Exception: the store's error when it cannot be read.
        """
        return []


class SQLRoster(Roster):
    """Rows of :data:`TABLE_NAME` in an SQLAlchemy job store's database."""

    shared = True

    def __init__(self, engine: sa.Engine, job_table: sa.Table) -> None:
        self.engine = engine
        self.key = job_table.fullname
        self.table = make_table(job_table.schema)
        self._created = False

    def _values(self, entry: Entry) -> dict[str, t.Any]:
        values = {k: entry[k] for k in ("host", "pid", "role", "state")}
        for name in ("started_at", "seen_at", "renewed_at"):
            values[name] = _naive(entry[name])
        return {**values, "job_table": self.key, "host": entry["host"][:255]}

    def _upsert(self, values: dict[str, t.Any]) -> sa.Executable | None:
        keys = ("job_table", "host", "pid")
        changes = {k: v for k, v in values.items() if k not in keys}
        name = self.engine.dialect.name
        if name in ("postgresql", "sqlite"):
            from sqlalchemy.dialects import postgresql
            from sqlalchemy.dialects import sqlite

            dialect: t.Any = postgresql if name == "postgresql" else sqlite
            return t.cast(
                sa.Executable,
                dialect.insert(self.table)
                .values(values)
                .on_conflict_do_update(index_elements=list(keys), set_=changes),
            )
        if name in ("mysql", "mariadb"):
            return (
                mysql.insert(self.table).values(values).on_duplicate_key_update(changes)
            )
        return None

    def beat(self, entry: Entry, prune_before: dt.datetime | None) -> None:
        if not self._created:
            create_table(self.table, self.engine)
            self._created = True
        values = self._values(entry)
        upsert = self._upsert(values)
        c = self.table.c
        with self.engine.begin() as conn:
            if upsert is not None:
                conn.execute(upsert)
            else:  # no upsert in this dialect: update, else insert
                mine = (c.job_table == self.key) & (c.host == values["host"])
                mine &= c.pid == values["pid"]
                done = conn.execute(sa.update(self.table).where(mine).values(values))
                if not done.rowcount:
                    conn.execute(sa.insert(self.table).values(values))
            if prune_before is not None:
                conn.execute(
                    sa.delete(self.table).where(
                        c.job_table == self.key, c.seen_at < _naive(prune_before)
                    )
                )

    def leave(self, host: str, pid: int) -> None:
        c = self.table.c
        with self.engine.begin() as conn:
            conn.execute(
                sa.delete(self.table).where(
                    c.job_table == self.key, c.host == host[:255], c.pid == pid
                )
            )

    def read(self) -> list[Entry]:
        query = sa.select(*(self.table.c[name] for name in FIELDS)).where(
            self.table.c.job_table == self.key
        )
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(query).mappings().all()
        except sa.exc.DBAPIError:
            # No process has written a heartbeat yet, so the table may not exist; or
            # one has created it just now: then read again.
            table = self.table
            if not sa.inspect(self.engine).has_table(table.name, schema=table.schema):
                return []
            with self.engine.connect() as conn:
                rows = conn.execute(query).mappings().all()
        entries = []
        for row in rows:
            entry = dict(row)
            for name in ("started_at", "seen_at", "renewed_at"):
                entry[name] = _aware(entry[name])
            entries.append(entry)
        return entries


#: Sets this process' field, drops the fields not seen since ARGV[3] (epoch seconds),
#: and lets the hash expire after ARGV[4] milliseconds without a beat.
_BEAT = """
redis.call('hset', KEYS[1], ARGV[1], ARGV[2])
local cutoff = tonumber(ARGV[3])
if cutoff > 0 then
    local all = redis.call('hgetall', KEYS[1])
    for i = 1, #all, 2 do
        local ok, entry = pcall(cjson.decode, all[i + 1])
        local seen = ok and type(entry) == 'table' and tonumber(entry['seen']) or 0
        if seen < cutoff then
            redis.call('hdel', KEYS[1], all[i])
        end
    end
end
redis.call('pexpire', KEYS[1], ARGV[4])
return 1
"""


def _epoch(value: dt.datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def _from_epoch(value: t.Any) -> dt.datetime | None:
    if value is None:
        return None
    return dt.datetime.fromtimestamp(float(value), dt.timezone.utc)


class RedisRoster(Roster):
    """Fields of the hash ``<jobs_key>.processes`` of a Redis job store."""

    shared = True

    def __init__(self, client: t.Any, jobs_key: str, keep_seconds: float) -> None:
        self.client = client
        self.key = f"{jobs_key}.processes"
        self.keep_ms = max(int(keep_seconds * 1000), 1000)

    @staticmethod
    def _field(host: str, pid: int) -> str:
        return f"{host} {pid}"

    def beat(self, entry: Entry, prune_before: dt.datetime | None) -> None:
        value = {
            "host": entry["host"],
            "pid": entry["pid"],
            "role": entry["role"],
            "state": entry["state"],
            "started": _epoch(entry["started_at"]),
            "seen": _epoch(entry["seen_at"]),
            "renewed": _epoch(entry["renewed_at"]),
        }
        cutoff = _epoch(prune_before) or 0
        field = self._field(entry["host"], entry["pid"])
        self.client.eval(
            _BEAT, 1, self.key, field, json.dumps(value), cutoff, self.keep_ms
        )

    def leave(self, host: str, pid: int) -> None:
        self.client.hdel(self.key, self._field(host, pid))

    def read(self) -> list[Entry]:
        entries = []
        for raw in self.client.hgetall(self.key).values():
            try:
                value = json.loads(raw)
                entries.append(
                    {
                        "host": str(value["host"]),
                        "pid": int(value["pid"]),
                        "role": str(value["role"]),
                        "state": str(value["state"]),
                        "started_at": _from_epoch(value["started"]),
                        "seen_at": _from_epoch(value["seen"]),
                        "renewed_at": _from_epoch(value.get("renewed")),
                    }
                )
            except (ValueError, KeyError, TypeError):
                continue  # not written by us: ignore it
        return entries


_ROSTERS: weakref.WeakKeyDictionary[t.Any, Roster] = weakref.WeakKeyDictionary()


def roster_for_store(store: t.Any, interval: float) -> Roster:
    """The roster of the job store ``store`` (one per store object).

    :param interval: ``SCHEDULER_HEARTBEAT_INTERVAL``, for how long Redis keeps entries.
    """
    found = _ROSTERS.get(store)
    if found is not None:
        return found
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    roster: Roster = Roster()
    if isinstance(store, SQLAlchemyJobStore):
        roster = SQLRoster(store.engine, store.jobs_t)
    else:
        try:
            from apscheduler.jobstores.redis import RedisJobStore
        except ImportError:  # the redis package is not installed
            RedisJobStore = None  # noqa: N806
        if RedisJobStore is not None and isinstance(store, RedisJobStore):
            roster = RedisRoster(store.redis, store.jobs_key, DROP_AFTER * interval)
    _ROSTERS[store] = roster
    return roster
