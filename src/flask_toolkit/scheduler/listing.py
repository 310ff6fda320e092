"""One page of jobs without loading every job of the store.

APScheduler's ``get_jobs()`` un-pickles every stored job (and imports its function) just
to list them. The paged listing here orders and counts on the store's index — the
``next_run_time`` column of the SQLAlchemy store, the run-times sorted set of the Redis
store — and un-pickles only the jobs of the requested page. Orders (``SORTS``):
``next_run_time`` (default: soonest first, paused jobs last, ties by id),
``-next_run_time`` (latest first, paused jobs still last), ``id`` and ``-id``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import typing as t

import sqlalchemy as sa
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

logger = logging.getLogger("flask_toolkit.scheduler")

STATES = ("scheduled", "paused")
SORTS = ("next_run_time", "-next_run_time", "id", "-id")


@dataclasses.dataclass(frozen=True)
class PageQuery:
    """What one listing asks for: the slice, the filters (as timestamps), the order."""

    offset: int
    limit: int
    state: str | None
    start: float | None
    end: float | None
    sort: str


def _timestamp(value: dt.datetime | None) -> float | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.timestamp()


def _restore(store: t.Any, rows: t.Iterable[tuple[t.Any, bytes]]) -> list[t.Any]:
    jobs = []
    for job_id, state in rows:
        try:
            jobs.append(store._reconstitute_job(state))
        except Exception:
            logger.warning(
                "Cannot load job %r from its store; not listed.", job_id, exc_info=True
            )
    return jobs


def page_sqlalchemy(
    store: SQLAlchemyJobStore,
    q: PageQuery,
) -> tuple[list[t.Any], int]:
    table = store.jobs_t
    where: list[t.Any] = []
    if q.state == "paused":
        where.append(table.c.next_run_time.is_(None))
    elif q.state == "scheduled":
        where.append(table.c.next_run_time.is_not(None))
    if q.start is not None:
        where.append(table.c.next_run_time >= q.start)
    if q.end is not None:
        where.append(table.c.next_run_time <= q.end)
    paused_last = sa.case((table.c.next_run_time.is_(None), 1), else_=0)
    order: tuple[t.Any, ...] = {
        "next_run_time": (paused_last, table.c.next_run_time, table.c.id),
        "-next_run_time": (paused_last, table.c.next_run_time.desc(), table.c.id),
        "id": (table.c.id,),
        "-id": (table.c.id.desc(),),
    }[q.sort]
    with store.engine.connect() as conn:
        total = conn.execute(
            sa.select(sa.func.count()).select_from(table).where(*where)
        ).scalar()
        ids = (
            conn.execute(
                sa.select(table.c.id)
                .where(*where)
                .order_by(*order)
                .limit(q.limit)
                .offset(q.offset)
            )
            .scalars()
            .all()
        )
        states = dict(
            conn.execute(
                sa.select(table.c.id, table.c.job_state).where(table.c.id.in_(ids))
            ).all()
        )
    return _restore(store, ((i, states[i]) for i in ids if i in states)), int(
        total or 0
    )


def page_redis(
    store: t.Any,
    q: PageQuery,
) -> tuple[list[t.Any], int]:
    client = store.redis
    scheduled = [
        (member.decode(), score)
        for member, score in client.zrange(store.run_times_key, 0, -1, withscores=True)
    ]
    ordered: list[str] = []
    if q.state != "paused":
        ordered = [
            job_id
            for job_id, score in scheduled
            if (q.start is None or score >= q.start)
            and (q.end is None or score <= q.end)
        ]
        if q.sort == "-next_run_time":
            ordered.reverse()
    if q.state != "scheduled" and q.start is None and q.end is None:
        known = {job_id for job_id, _ in scheduled}
        paused = sorted(
            k.decode() for k in client.hkeys(store.jobs_key) if k.decode() not in known
        )
        ordered.extend(paused)
    if q.sort in ("id", "-id"):
        ordered.sort(reverse=q.sort == "-id")
    page_ids = ordered[q.offset : q.offset + q.limit]
    states = client.hmget(store.jobs_key, page_ids) if page_ids else []
    pairs = ((i, s) for i, s in zip(page_ids, states, strict=False) if s)
    return _restore(store, pairs), len(ordered)


def page_generic(
    jobs: list[t.Any],
    q: PageQuery,
) -> tuple[list[t.Any], int]:
    def keep(job: t.Any) -> bool:
        next_run = _timestamp(getattr(job, "next_run_time", None))
        if q.state == "paused" and next_run is not None:
            return False
        if q.state == "scheduled" and next_run is None:
            return False
        if q.start is not None and (next_run is None or next_run < q.start):
            return False
        return not (q.end is not None and (next_run is None or next_run > q.end))

    selected = [job for job in jobs if keep(job)]
    if q.sort in ("id", "-id"):
        selected.sort(key=lambda job: job.id, reverse=q.sort == "-id")
    else:
        sign = -1.0 if q.sort == "-next_run_time" else 1.0
        selected.sort(
            key=lambda job: (
                job.next_run_time is None,
                sign * (_timestamp(job.next_run_time) or 0.0),
                job.id,
            )
        )
    return selected[q.offset : q.offset + q.limit], len(selected)


def list_page(
    scheduler: t.Any,
    page: int,
    per_page: int,
    state: str | None,
    next_run_from: dt.datetime | None,
    next_run_to: dt.datetime | None,
    jobstore: str | None,
    sort: str = "next_run_time",
) -> tuple[list[t.Any], int]:
    """One page of jobs of ``jobstore`` (of every store when ``None``) and the total.

    :param sort: one of :data:`SORTS`.
    :raises ValueError: for an unknown ``state`` or ``sort``, a page below 1 or a bad
        page size.
    :raises KeyError: for an unknown job store.
    """
    if state is not None and state not in STATES:
        raise ValueError(f"state must be one of {', '.join(STATES)}, not {state!r}.")
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}.")
    if page < 1 or per_page < 1:
        raise ValueError("page and per_page must be 1 or more.")
    query = PageQuery(
        offset=(page - 1) * per_page,
        limit=per_page,
        state=state,
        start=_timestamp(next_run_from),
        end=_timestamp(next_run_to),
        sort=sort,
    )
    aliases = [jobstore] if jobstore is not None else scheduler.jobstore_aliases()
    if len(aliases) == 1:
        store = scheduler.lookup_jobstore(aliases[0])
        if isinstance(store, SQLAlchemyJobStore):
            return page_sqlalchemy(store, query)
        if hasattr(store, "run_times_key") and hasattr(store, "redis"):
            return page_redis(store, query)
        jobs = list(store.get_all_jobs())
    else:
        jobs = list(scheduler.get_jobs())
    return page_generic(jobs, query)
