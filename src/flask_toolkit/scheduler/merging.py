"""One page in run-time order over several SQLAlchemy job stores.

A page deep in the listing (``offset`` jobs before it) over several stores cannot be
skipped to with one ``OFFSET`` as in one store: any store may hold any number of the
jobs before it. Reading the ids of each store's first ``offset + limit`` jobs costs a
table row per job (the ``next_run_time`` index holds no id). Here each store gives
only the run times of those jobs, which its ``next_run_time`` index holds alone, so
no table row is read; merged, they tell the run times of the page's first and last
jobs and how many jobs of each store come before it. Then each store gives the ids
of its jobs between those two run times (a range of the index, about one page), and
only those are merged by ``(next_run_time, id)`` and loaded. Paused jobs, listed
after every scheduled one, are merged by id.
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import operator
import typing as t

import sqlalchemy as sa
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

from .listing import count_sqlalchemy
from .listing import Loader
from .listing import loader_sqlalchemy
from .listing import PageQuery
from .listing import span_of

#: A job of the page: ``(job id, store alias)``.
Placed = tuple[str, str]


def page_over_stores(
    stores: dict[str, SQLAlchemyJobStore], q: PageQuery
) -> tuple[list[Placed], int, dict[str, Loader]]:
    """The page's jobs in ``q``'s run-time order, the total, a loader per store.

    :param stores: alias -> store, every one an SQLAlchemy store.
    :param q: a query sorted by ``next_run_time`` or ``-next_run_time``.
    """
    with contextlib.ExitStack() as stack:
        conns = {
            alias: stack.enter_context(store.engine.connect())
            for alias, store in stores.items()
        }
        counts = {
            alias: count_sqlalchemy(conns[alias], store.jobs_t, q)
            for alias, store in stores.items()
        }
        scheduled_total = sum(scheduled for scheduled, _ in counts.values())
        paused_total = sum(paused for _, paused in counts.values())
        page: list[Placed] = []
        if q.offset < scheduled_total:
            page = _scheduled_part(stores, conns, counts, q, scheduled_total)
        paused_offset = max(0, q.offset - scheduled_total)
        rest = q.limit - len(page)
        if rest > 0 and paused_total > paused_offset:
            page.extend(_paused_part(stores, conns, counts, paused_offset, rest))
    loaders = {alias: loader_sqlalchemy(store) for alias, store in stores.items()}
    return page, scheduled_total + paused_total, loaders


def _scheduled_part(
    stores: dict[str, SQLAlchemyJobStore],
    conns: dict[str, sa.Connection],
    counts: dict[str, tuple[int, int]],
    q: PageQuery,
    scheduled_total: int,
) -> list[Placed]:
    latest_first = q.sort == "-next_run_time"
    end = min(q.offset + q.limit, scheduled_total)
    # 1. Each store's first `end` run times (ascending) from its index alone.
    times: dict[str, list[float]] = {}
    for alias, store in stores.items():
        wanted = min(end, counts[alias][0])
        if not wanted:
            continue
        nrt = store.jobs_t.c.next_run_time
        query = (
            sa.select(nrt)
            .where(nrt.is_not(None), *span_of(store.jobs_t, q))
            .order_by(nrt.desc() if latest_first else nrt)
            .limit(wanted)
        )
        values = _column(conns[alias], query)
        if latest_first:
            values.reverse()
        times[alias] = values
    merged = sorted(itertools.chain.from_iterable(times.values()))
    if latest_first:
        merged.reverse()
    # Jobs removed since they were counted leave fewer run times than counted.
    end = min(end, len(merged))
    if end <= q.offset:
        return []
    first, last = merged[q.offset], merged[end - 1]
    low, high = (last, first) if latest_first else (first, last)
    # Jobs strictly before the page's first run time, in the listing's order.
    if latest_first:
        before = sum(len(v) - bisect.bisect_right(v, first) for v in times.values())
    else:
        before = sum(bisect.bisect_left(v, first) for v in times.values())
    # 2. Each store's jobs from the first to the last run time of the page, with ids.
    sign = -1.0 if latest_first else 1.0
    window: list[tuple[float, str, str]] = []
    for alias in times:
        table = stores[alias].jobs_t
        nrt, job_id = table.c.next_run_time, table.c.id
        rows = conns[alias].execute(
            sa.select(nrt, job_id).where(nrt >= low, nrt <= high)
        )
        window.extend((sign * float(n), i, alias) for n, i in rows)
    window.sort()
    skip = q.offset - before
    return [(i, alias) for _, i, alias in window[skip : skip + end - q.offset]]


def _paused_part(
    stores: dict[str, SQLAlchemyJobStore],
    conns: dict[str, sa.Connection],
    counts: dict[str, tuple[int, int]],
    offset: int,
    limit: int,
) -> list[Placed]:
    merged: list[Placed] = []
    for alias, store in stores.items():
        if not counts[alias][1]:
            continue
        nrt, job_id = store.jobs_t.c.next_run_time, store.jobs_t.c.id
        ids = conns[alias].execute(
            sa.select(job_id)
            .where(nrt.is_(None))
            .order_by(job_id)
            .limit(offset + limit)
        )
        merged.extend((i, alias) for i in ids.scalars())
    merged.sort()
    return merged[offset : offset + limit]


def _column(conn: sa.Connection, query: sa.Select[t.Any]) -> list[t.Any]:
    """The one column of ``query``'s rows, fetched from the driver's cursor.

    Thousands of run times are read per page: SQLAlchemy's result rows cost more than
    the query. The statement still runs through SQLAlchemy (its events fire); only
    the rows skip its result objects, harmless for a float column.
    """
    result = conn.execute(query)
    try:
        return list(map(operator.itemgetter(0), result.cursor.fetchall()))
    finally:
        result.close()
