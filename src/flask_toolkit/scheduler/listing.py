"""One page of jobs without loading every job of the store.

APScheduler's ``get_jobs()`` un-pickles every stored job (and imports its function) just
to list them. The paged listing here orders and counts on the store's index — the
``next_run_time`` column of the SQLAlchemy store, the run-times sorted set of the Redis
store — and un-pickles only the jobs of the requested page. Orders (``SORTS``):
``next_run_time`` (default: soonest first, paused jobs last, ties by id),
``-next_run_time`` (latest first, paused jobs still last), ``id`` and ``-id``.

In the SQLAlchemy store the order comes from the ``next_run_time`` index (scheduled
jobs) and the primary key (paused jobs, in a query of their own), so a page costs
about the same in a store of 100,000 jobs as in one of 10,000. Over several stores,
each store gives the ids and run times of its first ``offset + limit`` jobs in order
(nothing un-pickled); they are merged, and only the page's jobs are loaded. SQLAlchemy
stores in run-time order do better (:mod:`.merging`): only their run times are read
for the jobs before the page.
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


#: A job's place in a listing: ``(next run as a timestamp or None, job id)``.
Entry = tuple[float | None, str]
#: Loads the jobs with these ids from one store: ``{id: job}``.
Loader = t.Callable[[list[str]], dict[str, t.Any]]
Window = tuple[list[Entry], int, Loader]


def _restore(store: t.Any, rows: t.Iterable[tuple[t.Any, bytes]]) -> dict[str, t.Any]:
    jobs = {}
    for job_id, state in rows:
        try:
            jobs[job_id] = store._reconstitute_job(state)
        except Exception:
            logger.warning(
                "Cannot load job %r from its store; not listed.", job_id, exc_info=True
            )
    return jobs


def span_of(table: sa.Table, q: PageQuery) -> list[t.Any]:
    """The ``next_run_time`` conditions of ``q``'s run-time span."""
    nrt = table.c.next_run_time
    span: list[t.Any] = []
    if q.start is not None:
        span.append(nrt >= q.start)
    if q.end is not None:
        span.append(nrt <= q.end)
    return span


def count_sqlalchemy(
    conn: sa.Connection, table: sa.Table, q: PageQuery
) -> tuple[int, int]:
    """How many scheduled and paused jobs of the store ``q`` lists."""
    nrt = table.c.next_run_time
    span = span_of(table, q)
    if span:  # the jobs due in a span: counted over that span of the index
        scheduled = int(
            conn.execute(
                sa.select(sa.func.count()).select_from(table).where(*span)
            ).scalar()
            or 0
        )
        paused = 0
    else:
        # A bare COUNT(*) is the cheapest count there is (SQLite counts the
        # smallest index's pages without reading rows); paused jobs are the
        # NULLs at the start of the next_run_time index.
        paused = int(
            conn.execute(
                sa.select(sa.func.count()).select_from(table).where(nrt.is_(None))
            ).scalar()
            or 0
        )
        every = conn.execute(sa.select(sa.func.count()).select_from(table))
        scheduled = int(every.scalar() or 0) - paused
    scheduled = scheduled if q.state != "paused" else 0
    paused = paused if q.state != "scheduled" else 0
    return scheduled, paused


def loader_sqlalchemy(store: SQLAlchemyJobStore) -> Loader:
    """Loads (un-pickles) the jobs with the given ids from ``store``."""
    table = store.jobs_t
    job_id = table.c.id

    def load(ids: list[str]) -> dict[str, t.Any]:
        with store.engine.connect() as conn:
            rows = conn.execute(
                sa.select(job_id, table.c.job_state).where(job_id.in_(ids))
            ).all()
        return _restore(store, ((row[0], row[1]) for row in rows))

    return load


def window_sqlalchemy(
    store: SQLAlchemyJobStore, q: PageQuery, offset: int, limit: int
) -> Window:
    """Entries ``offset`` to ``offset + limit`` of the store in ``q``'s order.

    Returns them, the total and a loader. Every query can walk an index: scheduled
    jobs in ``(next_run_time, id)`` order come from the ``next_run_time`` index, and
    paused jobs (``NULL``, listed last) from a second query ordered by id — never a
    sort of the whole table on an expression, nor a count that reads every row.
    """
    table = store.jobs_t
    nrt, job_id = table.c.next_run_time, table.c.id
    span = span_of(table, q)
    with_scheduled = q.state != "paused"
    with_paused = q.state != "scheduled" and not span
    entries: list[Entry] = []
    with store.engine.connect() as conn:
        scheduled, paused = count_sqlalchemy(conn, table, q)
        if q.sort in ("id", "-id"):
            where = list(span)
            if not with_paused:
                where.append(nrt.is_not(None))
            elif not with_scheduled:
                where.append(nrt.is_(None))
            rows = conn.execute(
                sa.select(nrt, job_id)
                .where(*where)
                .order_by(job_id if q.sort == "id" else job_id.desc())
                .limit(limit)
                .offset(offset)
            ).all()
            entries = list(map(tuple, rows))
        else:
            if offset < scheduled:
                by_time = nrt.desc() if q.sort == "-next_run_time" else nrt
                rows = conn.execute(
                    sa.select(nrt, job_id)
                    .where(nrt.is_not(None), *span)
                    .order_by(by_time, job_id)
                    .limit(limit)
                    .offset(offset)
                ).all()
                entries = list(map(tuple, rows))
            rest = limit - len(entries)
            if rest > 0 and paused:
                ids = conn.execute(
                    sa.select(job_id)
                    .where(nrt.is_(None))
                    .order_by(job_id)
                    .limit(rest)
                    .offset(max(0, offset - scheduled))
                ).scalars()
                entries.extend((None, i) for i in ids)
    return entries, scheduled + paused, loader_sqlalchemy(store)


def window_redis(store: t.Any, q: PageQuery, offset: int, limit: int) -> Window:
    """As :func:`window_sqlalchemy`, for the Redis store (reads ids and scores only)."""
    client = store.redis
    scheduled = [
        (float(score), member.decode())
        for member, score in client.zrange(store.run_times_key, 0, -1, withscores=True)
    ]
    ordered: list[Entry] = []
    if q.state != "paused":
        ordered = [
            (score, job_id)
            for score, job_id in scheduled
            if (q.start is None or score >= q.start)
            and (q.end is None or score <= q.end)
        ]
        if q.sort == "-next_run_time":
            ordered.reverse()
    if q.state != "scheduled" and q.start is None and q.end is None:
        known = {job_id for _, job_id in scheduled}
        paused = sorted(
            k.decode() for k in client.hkeys(store.jobs_key) if k.decode() not in known
        )
        ordered.extend((None, job_id) for job_id in paused)
    if q.sort in ("id", "-id"):
        ordered.sort(key=lambda entry: entry[1], reverse=q.sort == "-id")

    def load(ids: list[str]) -> dict[str, t.Any]:
        states = client.hmget(store.jobs_key, ids)
        return _restore(store, ((i, s) for i, s in zip(ids, states, strict=False) if s))

    return ordered[offset : offset + limit], len(ordered), load


def sort_key(sort: str) -> t.Callable[[Entry], tuple[t.Any, ...]]:
    """The key that puts entries in ``sort``'s order (``-id``: reverse it)."""
    if sort in ("id", "-id"):
        return lambda entry: (entry[1],)
    sign = -1.0 if sort == "-next_run_time" else 1.0
    return lambda entry: (entry[0] is None, sign * (entry[0] or 0.0), entry[1])


def window_generic(jobs: list[t.Any], q: PageQuery, offset: int, limit: int) -> Window:
    """As :func:`window_sqlalchemy`, for jobs already loaded (any other store)."""
    entries: list[Entry] = []
    by_id = {}
    for job in jobs:
        next_run = _timestamp(getattr(job, "next_run_time", None))
        if q.state == "paused" and next_run is not None:
            continue
        if q.state == "scheduled" and next_run is None:
            continue
        if q.start is not None and (next_run is None or next_run < q.start):
            continue
        if q.end is not None and (next_run is None or next_run > q.end):
            continue
        entries.append((next_run, job.id))
        by_id[job.id] = job
    entries.sort(key=sort_key(q.sort), reverse=q.sort == "-id")

    def load(ids: list[str]) -> dict[str, t.Any]:
        return {i: by_id[i] for i in ids}

    return entries[offset : offset + limit], len(entries), load


def window(
    scheduler: t.Any, alias: str, q: PageQuery, offset: int, limit: int
) -> Window:
    """Entries ``offset`` to ``offset + limit`` of one store; its total; a loader."""
    store = scheduler.lookup_jobstore(alias)
    if isinstance(store, SQLAlchemyJobStore):
        return window_sqlalchemy(store, q, offset, limit)
    if hasattr(store, "run_times_key") and hasattr(store, "redis"):
        return window_redis(store, q, offset, limit)
    return window_generic(list(store.get_all_jobs()), q, offset, limit)


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
        entries, total, load = window(
            scheduler, aliases[0], query, query.offset, query.limit
        )
        ids = [job_id for _, job_id in entries]
        jobs = load(ids) if ids else {}
        return [jobs[i] for i in ids if i in jobs], total
    stores = {alias: scheduler.lookup_jobstore(alias) for alias in aliases}
    if (
        sort != "id"
        and sort != "-id"
        and all(isinstance(store, SQLAlchemyJobStore) for store in stores.values())
    ):
        from .merging import page_over_stores

        placed, total, sql_loaders = page_over_stores(stores, query)
        return _load_placed(placed, sql_loaders), total
    # Several stores: the first offset + limit entries of each (ids and run times,
    # nothing un-pickled), merged in order; then only the page's jobs are loaded.
    # Each entry becomes a plain tuple that sorts in the listing's order, so the
    # merge is C comparisons of already sorted runs.
    merged: list[tuple[t.Any, ...]] = []
    loaders: dict[str, Loader] = {}
    total = 0
    sign = -1.0 if sort == "-next_run_time" else 1.0
    for alias in aliases:
        entries, count, loaders[alias] = window(
            scheduler, alias, query, 0, query.offset + query.limit
        )
        total += count
        if sort in ("id", "-id"):
            merged.extend([(i, alias) for _, i in entries])
        else:
            merged.extend(
                [
                    (False, sign * n, i, alias)
                    if n is not None
                    else (True, 0.0, i, alias)
                    for n, i in entries
                ]
            )
    merged.sort(reverse=sort == "-id")
    page_items = [
        (item[-2], item[-1]) for item in merged[query.offset :][: query.limit]
    ]
    return _load_placed(page_items, loaders), total


def _load_placed(
    page_items: list[tuple[str, str]], loaders: dict[str, Loader]
) -> list[t.Any]:
    """The jobs of ``(job id, store alias)`` pairs, in order, one load per store."""
    loaded: dict[str, dict[str, t.Any]] = {}
    for alias, load in loaders.items():
        wanted = [job_id for job_id, where in page_items if where == alias]
        loaded[alias] = load(wanted) if wanted else {}
    jobs_of_page = [loaded[alias].get(job_id) for job_id, alias in page_items]
    return [job for job in jobs_of_page if job is not None]
