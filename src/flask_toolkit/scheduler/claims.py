"""What a new leader does with the run history of processes that died on its host.

A row still ``running`` belongs to a run that started: it becomes ``interrupted`` and
is not repeated. A row still ``claimed`` belongs to a run that never started (it waited
for a busy job or a free worker thread): the new leader takes the claim over and runs
it. Taking over is a conditional update of the row (``claimed``, by that dead process),
so of two new leaders in a row only one gets it, and the unique index of the history
still guards the scheduled time against any other run.

A process that still lives keeps its rows; while some do, the leader looks again at
each confirmation of its lease, so that a process that dies later (or that its parent
reaps late) is settled without a change of leader.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import typing as t

import sqlalchemy as sa

from . import history as h
from .history import CLAIMED
from .history import History
from .history import INTERRUPTED
from .history import RUNNING
from .leading import pid_alive

if t.TYPE_CHECKING:
    from .runner import AppScheduler
    from .runner import JobRunner

logger = logging.getLogger("flask_toolkit.scheduler")


@dataclasses.dataclass
class Claim:
    """A scheduled run this process has claimed in the history, not yet run."""

    run_time: dt.datetime
    #: The history row; ``None`` when the history is off or could not be written.
    row_id: int | None


@dataclasses.dataclass(frozen=True)
class TakenOver:
    """A claim of a dead process that this process now owns and must run."""

    row_id: int
    job_id: str
    #: The scheduled time (aware, UTC); ``None`` for a run without one.
    run_time: dt.datetime | None


@dataclasses.dataclass
class Settled:
    """What :func:`take_over_dead` did."""

    #: The claims taken over, oldest first.
    taken: list[TakenOver] = dataclasses.field(default_factory=list)
    #: Whether rows of other processes of this host, still alive, remain unsettled
    #: (or the history could not be read): look again later.
    look_again: bool = False


def take_over_dead(
    history: History, is_alive: t.Callable[[int], bool] = pid_alive
) -> Settled:
    """Settle the rows of dead processes on this host; return the claims taken over.
    Database errors are logged (nothing is taken over then).
    """
    if not history.enabled:
        return Settled()
    table = history.table
    taken: list[TakenOver] = []
    me = os.getpid()
    try:
        history.create()
        history.flush_pending()
        with history.engine.begin() as conn:
            rows = conn.execute(
                sa.select(table.c.id, table.c.job_id, table.c.status, table.c.pid)
                .add_columns(table.c.scheduled_run_time)
                .where(
                    table.c.status.in_((RUNNING, CLAIMED)),
                    table.c.host == history.host,
                )
            ).all()
            others = [row for row in rows if row.pid != me]
            dead = [row for row in others if not is_alive(row.pid)]
            started = [row.id for row in dead if row.status == RUNNING]
            if started:
                conn.execute(
                    table.update()
                    .where(table.c.id.in_(started), table.c.status == RUNNING)
                    .values(status=INTERRUPTED)
                )
            for row in dead:
                if row.status != CLAIMED:
                    continue
                result = conn.execute(
                    table.update()
                    .where(
                        table.c.id == row.id,
                        table.c.status == CLAIMED,
                        table.c.pid == row.pid,
                    )
                    .values(pid=os.getpid())
                )
                if result.rowcount:
                    when = row.scheduled_run_time
                    if when is not None:
                        when = when.replace(tzinfo=dt.timezone.utc)
                    taken.append(TakenOver(row.id, row.job_id, when))
    except Exception:
        logger.exception("Could not update the job run history.")
        return Settled(look_again=True)
    if taken:
        logger.info(
            "Took over %d claimed run(s) of dead processes; they run now.", len(taken)
        )
    epoch = dt.datetime.min.replace(tzinfo=dt.timezone.utc)
    taken.sort(key=lambda claim: (claim.run_time or epoch, claim.row_id))
    return Settled(taken, look_again=len(dead) < len(others))


def submit_taken_over(runner: JobRunner, scheduler: AppScheduler) -> None:
    """Submit the claims taken over, job by job, oldest first (scheduler thread).

    A claim whose job is gone is recorded ``skipped``; one whose job cannot be read
    now waits for the next round.
    """
    taken = runner.pop_taken_over()
    by_job: dict[str, list[TakenOver]] = {}
    for claim in taken:
        by_job.setdefault(claim.job_id, []).append(claim)
    for job_id, items in by_job.items():
        try:
            job = scheduler.get_job(job_id)
            executor = job and scheduler.lookup_executor(job.executor)
        except Exception:
            logger.exception("Could not read job %r to run its claims.", job_id)
            runner.take_over(items)
            continue
        claims = [Claim(c.run_time, c.row_id) for c in items if c.run_time]
        if job is None or len(claims) < len(items):
            for claim in items:
                runner.history.finish(claim.row_id, h.SKIPPED, started=None)
            logger.warning("Job %r no longer exists; its claims are skipped.", job_id)
            continue
        runner.submit_claims(executor, job, claims)
