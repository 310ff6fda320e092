"""The run history: one row per job run, in the app's database.

The table has its own :class:`~sqlalchemy.MetaData`, so it needs nothing from the app's
``db.Model``; the manager adds a copy to ``db.metadata`` when the app uses the
scheduler, for ``db.create_all()`` and migrations.
A run is inserted as ``running`` when it starts and updated when it ends, so a process
that dies in the middle leaves a trace. Writing the history never breaks a job: every
database error is logged and swallowed.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import typing as t

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from .. import timefmt

logger = logging.getLogger("flask_toolkit.scheduler")

RUNNING = "running"
SUCCESS = "success"
ERROR = "error"
MISSED = "missed"
SKIPPED = "skipped"
INTERRUPTED = "interrupted"

#: Longest error message and traceback kept (a traceback keeps its end).
ERROR_LIMIT = 1000
TRACEBACK_LIMIT = 8000

_DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """Naive UTC, the portable way to store a timestamp."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return timefmt.format_datetime(value.replace(tzinfo=dt.timezone.utc))


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def create_table(table: sa.Table, engine: sa.Engine) -> None:
    """Create ``table`` if missing, also when other processes do the same right now."""
    try:
        table.create(engine, checkfirst=True)
    except sa.exc.DBAPIError:
        # Two processes both saw no table; one CREATE lost. Fine if the table is there.
        if not sa.inspect(engine).has_table(table.name, schema=table.schema):
            raise


def make_table(name: str) -> sa.Table:
    """The history table, on its own metadata."""
    return sa.Table(
        name,
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("job_id", sa.String(191), nullable=False, index=True),
        sa.Column("scheduled_run_time", _DateTime, nullable=True, index=True),
        sa.Column("started_at", _DateTime, nullable=True),
        sa.Column("finished_at", _DateTime, nullable=True),
        sa.Column("duration", sa.Float, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("traceback", sa.Text, nullable=True),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
    )


class History:
    """Reads and writes one app's run history.

    :param engine: the app's engine (``toolkit.db.get_engine(app)``).
    :param table_name: ``SCHEDULER_HISTORY_TABLE``.
    :param retention_days: ``SCHEDULER_HISTORY_RETENTION``; ``None`` keeps every row.
    :param enabled: ``SCHEDULER_HISTORY_ENABLED``; when false nothing is written.
    """

    def __init__(
        self,
        engine: sa.Engine,
        table_name: str,
        retention_days: float | None,
        *,
        enabled: bool = True,
    ) -> None:
        self.engine = engine
        self.table = make_table(table_name)
        self.retention_days = retention_days
        self.enabled = enabled
        self.host = socket.gethostname()
        self._created = False

    def create(self) -> None:
        """Create the table if it does not exist (done when the scheduler opens)."""
        if not self._created:
            create_table(self.table, self.engine)
            self._created = True

    def _write(self, statement: t.Any) -> t.Any:
        if not self.enabled:
            return None
        try:
            self.create()
            with self.engine.begin() as conn:
                return conn.execute(statement)
        except Exception:
            logger.exception(
                "Could not write the job run history; the job is not affected."
            )
            return None

    def start(self, job_id: str, scheduled: dt.datetime | None) -> int | None:
        """Insert a ``running`` row; return its id (``None`` if not written)."""
        result = self._write(
            self.table.insert().values(
                job_id=job_id,
                scheduled_run_time=_utc(scheduled),
                started_at=_utc(now_utc()),
                status=RUNNING,
                host=self.host,
                pid=os.getpid(),
            )
        )
        if result is None or not result.inserted_primary_key:
            return None
        return int(result.inserted_primary_key[0])

    def finish(
        self,
        row_id: int | None,
        status: str,
        *,
        started: dt.datetime,
        error: BaseException | None = None,
        traceback: str | None = None,
        only_if_running: bool = False,
    ) -> None:
        """Set the outcome of the row ``row_id``."""
        if row_id is None:
            return
        finished = now_utc()
        statement = (
            self.table.update()
            .where(self.table.c.id == row_id)
            .values(
                status=status,
                finished_at=_utc(finished),
                duration=(finished - started).total_seconds(),
                error=_error_text(error),
                traceback=traceback[-TRACEBACK_LIMIT:] if traceback else None,
            )
        )
        if only_if_running:
            statement = statement.where(self.table.c.status == RUNNING)
        self._write(statement)

    def record(self, job_id: str, scheduled: dt.datetime | None, status: str) -> None:
        """Insert a run that did not start: ``missed`` or ``skipped``."""
        self._write(
            self.table.insert().values(
                job_id=job_id,
                scheduled_run_time=_utc(scheduled),
                status=status,
                host=self.host,
                pid=os.getpid(),
            )
        )

    def runs(
        self, job_id: str, page: int = 1, per_page: int = 50
    ) -> tuple[list[dict[str, t.Any]], int]:
        """One page of a job's runs, newest first, and the job's total number of runs.

        Each row is a JSON-ready dict: ``id``, ``job_id``, ``scheduled_run_time``,
        ``started_at``, ``finished_at`` (ISO 8601 in UTC or ``None``), ``duration``
        (seconds), ``status``, ``error``, ``traceback``, ``host``, ``pid``.
        """
        page = max(int(page), 1)
        per_page = max(int(per_page), 1)
        table = self.table
        self.create()
        where = table.c.job_id == job_id
        with self.engine.connect() as conn:
            total = conn.execute(sa.select(sa.func.count()).where(where)).scalar_one()
            rows = conn.execute(
                sa.select(table)
                .where(where)
                .order_by(table.c.id.desc())
                .limit(per_page)
                .offset((page - 1) * per_page)
            ).mappings()
            result = [
                {
                    **row,
                    "scheduled_run_time": _iso(row["scheduled_run_time"]),
                    "started_at": _iso(row["started_at"]),
                    "finished_at": _iso(row["finished_at"]),
                }
                for row in rows
            ]
        return result, int(total)

    def interrupt_dead(self, is_alive: t.Callable[[int], bool]) -> None:
        """Mark ``running`` rows of dead processes on this host as ``interrupted``."""
        if not self.enabled:
            return
        try:
            self.create()
            with self.engine.begin() as conn:
                rows = conn.execute(
                    sa.select(self.table.c.id, self.table.c.pid).where(
                        self.table.c.status == RUNNING, self.table.c.host == self.host
                    )
                ).all()
                dead = [row.id for row in rows if not is_alive(row.pid)]
                if dead:
                    conn.execute(
                        self.table.update()
                        .where(self.table.c.id.in_(dead))
                        .values(status=INTERRUPTED)
                    )
        except Exception:
            logger.exception("Could not update the job run history.")

    def prune(self) -> None:
        """Delete rows older than the retention period."""
        if self.retention_days is None:
            return
        cutoff = _utc(now_utc() - dt.timedelta(days=self.retention_days))
        table = self.table
        self._write(
            table.delete().where(
                sa.func.coalesce(table.c.started_at, table.c.scheduled_run_time)
                < cutoff
            )
        )


def _error_text(error: BaseException | None) -> str | None:
    if error is None:
        return None
    text = f"{type(error).__name__}: {error}"
    return text[:ERROR_LIMIT]
