"""The run history: one row per job run, in the app's database.

The table has its own :class:`~sqlalchemy.MetaData`; the manager adds a copy to
``db.metadata`` when the app uses the scheduler, for ``create_all()`` and migrations.
A run is inserted as ``claimed`` before it is handed to a worker thread (its *claim*),
becomes ``running`` when it starts and is updated when it ends, so a process that dies
in the middle leaves a trace. A unique index on ``(job_id, scheduled_run_time)`` makes
the claim exactly-once: a second leader that tries to run the same scheduled time of the
same job fails on the index and does not run it (:data:`DUPLICATE`). A claim whose
process died before it started is taken over by the next leader, which runs it
(:meth:`History.take_over_dead`).

Writing the history never breaks a job: database errors are logged. The final status of
a run is retried with backoff (:data:`RETRY_DELAYS`); if every attempt fails it is kept
in memory and written at the next successful contact with the database, so a run in a
live process never stays ``running``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import socket
import threading
import time
import typing as t

import sqlalchemy as sa

from .. import timefmt
from .runs_table import claim_index
from .runs_table import create_table
from .runs_table import make_table

logger = logging.getLogger("flask_toolkit.scheduler")

CLAIMED = "claimed"
RUNNING = "running"
SUCCESS = "success"
ERROR = "error"
MISSED = "missed"
SKIPPED = "skipped"
INTERRUPTED = "interrupted"

#: Longest error message and traceback kept (a traceback keeps its end).
ERROR_LIMIT = 1000
TRACEBACK_LIMIT = 8000
#: Pauses between attempts to write a run's final status, in seconds.
RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0, 4.0)


class _Duplicate:
    """The type of :data:`DUPLICATE`."""

    def __repr__(self) -> str:
        return "DUPLICATE"


#: What :meth:`History.claim` returns when another process claimed that run already.
DUPLICATE = _Duplicate()


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
        #: Final statuses not written yet (the database failed), oldest first.
        self._pending: list[t.Any] = []
        self._pending_lock = threading.Lock()
        #: Set once the scheduler has shut down: a run that ends later writes on a
        #: connection it closes, as the app may have disposed of its engine by then
        #: (a pooled one would be left open, unclosed, in a pool nobody disposes).
        self.detached = False

    def create(self) -> None:
        """Create the table if it does not exist (done when the scheduler opens).

        A table made by an older version gets the unique claim index added; if rows
        already break it, a warning says so and runs are claimed without it.
        """
        if self._created:
            return
        create_table(self.table, self.engine)
        try:
            claim_index(self.table).create(self.engine, checkfirst=True)
        except sa.exc.DBAPIError:
            indexes = sa.inspect(self.engine).get_indexes(self.table.name)
            if not any(i["name"] == claim_index(self.table).name for i in indexes):
                logger.warning(
                    "Could not add the unique index %s to the run history: it holds"
                    " two rows for one scheduled run of a job. Delete the duplicates"
                    " to make runs exactly-once across processes.",
                    claim_index(self.table).name,
                    exc_info=True,
                )
        self._created = True

    @contextlib.contextmanager
    def _begin(self) -> t.Iterator[sa.Connection]:
        """A transaction on the engine; its connection is closed if :attr:`detached`."""
        with self.engine.connect() as conn:
            try:
                with conn.begin():
                    yield conn
            finally:
                if self.detached:
                    conn.invalidate()

    def _execute(self, statement: t.Any) -> t.Any:
        self.create()
        with self._begin() as conn:
            result = conn.execute(statement)
        if self._pending:
            self.flush_pending()
        return result

    def _write(self, statement: t.Any) -> t.Any:
        if not self.enabled:
            return None
        try:
            return self._execute(statement)
        except Exception:
            logger.exception(
                "Could not write the job run history; the job is not affected."
            )
            return None

    def claim(
        self, job_id: str, scheduled: dt.datetime | None, status: str = CLAIMED
    ) -> int | _Duplicate | None:
        """Insert the row of a run before it starts; return its id.

        :param status: ``claimed`` for a run that starts when its turn comes
            (:meth:`begin`); ``running`` for one that starts now; ``missed`` or
            ``skipped`` for one that will not.
        :return: the row id; :data:`DUPLICATE` if that scheduled run of the job has a
            row already (another process claimed it); ``None`` if the history is off
            or the database could not be written (the run goes ahead unclaimed).
        """
        if not self.enabled:
            return None
        values = {
            "job_id": job_id,
            "scheduled_run_time": _utc(scheduled),
            "status": status,
            "host": self.host,
            "pid": os.getpid(),
        }
        if status == RUNNING:
            values["started_at"] = _utc(now_utc())
        try:
            result = self._execute(self.table.insert().values(**values))
        except sa.exc.IntegrityError:
            return DUPLICATE
        except Exception:
            logger.exception(
                "Could not claim the run of job %r at %s in the run history; it runs"
                " without a claim.",
                job_id,
                scheduled,
            )
            return None
        if not result.inserted_primary_key:
            return None
        return int(result.inserted_primary_key[0])

    def start(self, job_id: str, scheduled: dt.datetime | None) -> int | None:
        """Insert a ``running`` row; return its id (``None`` if not written)."""
        row_id = self.claim(job_id, scheduled, RUNNING)
        return row_id if isinstance(row_id, int) else None

    def begin(self, row_id: int | None, started: dt.datetime) -> bool:
        """Turn this process' claim ``row_id`` into a ``running`` run.

        :return: false if the row is no longer this process' claim (so the run must
            not start); true otherwise, also when the database cannot be written (the
            run goes ahead, as an unclaimed one would).
        """
        if not self.enabled or row_id is None:
            return True
        table = self.table
        statement = (
            table.update()
            .where(
                table.c.id == row_id,
                table.c.status == CLAIMED,
                table.c.pid == os.getpid(),
            )
            .values(status=RUNNING, started_at=_utc(started))
        )
        try:
            result = self._execute(statement)
        except Exception:
            logger.exception("Could not mark a claimed run as started; it runs anyway.")
            return True
        return bool(result.rowcount)

    def finish(
        self,
        row_id: int | None,
        status: str,
        *,
        started: dt.datetime | None,
        error: BaseException | None = None,
        traceback: str | None = None,
        only_if_running: bool = False,
        job_id: str | None = None,
        scheduled: dt.datetime | None = None,
    ) -> None:
        """Set the outcome of the row ``row_id``, retrying while the database fails.

        :param started: when the run started; ``None`` for a run that never did.
        :param job_id: with ``scheduled``: the run had no row (its claim could not be
            written), so a complete row is inserted instead.
        """
        if not self.enabled or (row_id is None and job_id is None):
            return
        finished = now_utc()
        values: dict[str, t.Any] = {
            "status": status,
            "finished_at": _utc(finished) if started is not None else None,
            "duration": (
                (finished - started).total_seconds() if started is not None else None
            ),
            "error": _error_text(error),
            "traceback": traceback[-TRACEBACK_LIMIT:] if traceback else None,
        }
        values["started_at"] = _utc(started)
        if row_id is None:
            statement: t.Any = self.table.insert().values(
                job_id=job_id,
                scheduled_run_time=_utc(scheduled),
                host=self.host,
                pid=os.getpid(),
                **values,
            )
        else:
            statement = (
                self.table.update().where(self.table.c.id == row_id).values(**values)
            )
            if only_if_running:
                statement = statement.where(self.table.c.status == RUNNING)
        self._write_final(statement)

    def _write_final(self, statement: t.Any) -> None:
        """Write a final status: retry with backoff, then keep it for later."""
        for delay in (*RETRY_DELAYS, None):
            try:
                self._execute(statement)
                return
            except sa.exc.IntegrityError:
                logger.warning("Run history row already written: %s", statement)
                return
            except Exception as e:
                if delay is None:
                    logger.error(
                        "Could not write a run's final status to the history (%s);"
                        " it is written at the next contact with the database.",
                        e,
                    )
                    with self._pending_lock:
                        self._pending.append(statement)
                    return
                time.sleep(delay)

    @property
    def has_pending(self) -> bool:
        """Whether final statuses wait to be written (:meth:`flush_pending`)."""
        return bool(self._pending)

    def flush_pending(self) -> None:
        """Write the final statuses that could not be written before (if any)."""
        with self._pending_lock:
            pending, self._pending = self._pending, []
        for index, statement in enumerate(pending):
            try:
                with self._begin() as conn:
                    conn.execute(statement)
            except sa.exc.IntegrityError:
                continue
            except Exception:
                with self._pending_lock:
                    self._pending[:0] = pending[index:]
                return

    def record(self, job_id: str, scheduled: dt.datetime | None, status: str) -> None:
        """Insert a run that did not start: ``missed`` or ``skipped``."""
        self.claim(job_id, scheduled, status)

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
