"""to_dict on 10,000 loaded rows, against the notes' asdict + strftime, pydantic, and a
hand-written dict comprehension — all in one run, printed as ratios.

Run from the repository root::

    python benchmarks/bench_to_dict.py [--rows 10000] [--repeat 7]

Every approach serialises the same rows, already loaded into the session (no SQL runs
while timing), to JSON-ready dicts. The best of ``--repeat`` runs is kept for each.

Datetimes: ``to_dict`` writes its default, RFC 3339 (naive taken as UTC); the
hand-written comprehension writes the same text; the notes' approach its own
``"%Y-%m-%d %H:%M:%S"``, compared with ``to_dict(datetime_format=...)`` of that.

The last line is ``to_dict`` on rows just INSERTed and not reloaded: their ``note``
column (a ``None`` default) is not loaded after the flush, and ``to_dict`` writes it
from the mapper (no query) so a new row has the same keys as a loaded one.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import platform
import statistics
import time
import timeit
import typing as t

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from flask_toolkit import to_dict

FORMAT = "%Y-%m-%d %H:%M:%S"


class Base(sa_orm.MappedAsDataclass, sa_orm.DeclarativeBase):
    pass


class Task(Base):
    __tablename__ = "task"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    done: Mapped[bool]
    priority: Mapped[int]
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    note: Mapped[str | None] = mapped_column(default=None)


def insert_rows(count: int) -> tuple[list[Task], list[Task]]:
    """``(rows as inserted, the same rows loaded by a SELECT)``."""
    engine = sa.create_engine("sqlite://")
    Base.metadata.create_all(engine)
    start = dt.datetime(2024, 1, 1, 8, 0, 0)
    fresh = sa_orm.Session(engine, expire_on_commit=False)
    inserted = [
        Task(
            id=n,
            title=f"Task number {n}",
            done=n % 3 == 0,
            priority=n % 5,
            created_at=start + dt.timedelta(minutes=n),
            updated_at=start + dt.timedelta(minutes=n, seconds=30),
        )
        for n in range(1, count + 1)
    ]
    fresh.add_all(inserted)
    fresh.commit()
    session = sa_orm.Session(engine, expire_on_commit=False)
    return inserted, list(session.scalars(sa.select(Task).order_by(Task.id)))


def rfc3339(value: dt.datetime) -> str:
    return value.isoformat() + "+00:00"


def notes_to_dict(rows: list[Task]) -> list[dict[str, t.Any]]:
    """The notes' ``ORMTool.to_dict``, once per row."""
    out = []
    for row in rows:
        data = dataclasses.asdict(row)
        for key, value in data.items():
            if isinstance(value, dt.datetime):
                data[key] = value.strftime(FORMAT)
        out.append(data)
    return out


def hand_written(rows: list[Task]) -> list[dict[str, t.Any]]:
    return [
        {
            "id": r.id,
            "title": r.title,
            "done": r.done,
            "priority": r.priority,
            "created_at": rfc3339(r.created_at),
            "updated_at": rfc3339(r.updated_at),
            "note": r.note,
        }
        for r in rows
    ]


def pydantic_approach() -> t.Callable[[list[Task]], list[dict[str, t.Any]]] | None:
    try:
        import pydantic
    except ImportError:
        return None

    class TaskOut(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(from_attributes=True)

        id: int
        title: str
        done: bool
        priority: int
        created_at: dt.datetime
        updated_at: dt.datetime
        note: str | None

    def run(rows: list[Task]) -> list[dict[str, t.Any]]:
        return [
            TaskOut.model_validate(row, from_attributes=True).model_dump(mode="json")
            for row in rows
        ]

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    inserted, rows = insert_rows(args.rows)
    approaches: dict[str, t.Callable[[list[Task]], t.Any]] = {
        "flask_toolkit.to_dict": lambda r: to_dict(r),
        "to_dict, the notes' format": lambda r: to_dict(r, datetime_format=FORMAT),
        "notes: asdict + strftime": notes_to_dict,
        "hand-written dict comprehension": hand_written,
    }
    pydantic_run = pydantic_approach()
    if pydantic_run is not None:
        approaches["pydantic from_attributes + model_dump(json)"] = pydantic_run

    ours = to_dict(rows)
    assert ours == hand_written(rows), "to_dict and the hand-written dicts differ"
    notes = to_dict(rows, datetime_format=FORMAT)
    assert notes == notes_to_dict(rows), "to_dict and the notes' dicts differ"
    assert to_dict(inserted) == ours, "a new row and a loaded one differ"

    best: dict[str, float] = {}
    for name, run in approaches.items():
        run(rows)  # warm-up (and per-class caches)
        timer = timeit.Timer(lambda run=run: run(rows))  # type: ignore[misc]
        best[name] = min(timer.repeat(number=1, repeat=args.repeat))

    print(
        f"{args.rows} rows, best of {args.repeat}; Python {platform.python_version()},"
        f" SQLAlchemy {sa.__version__}"
    )
    base = best["flask_toolkit.to_dict"]
    for name, seconds in best.items():
        print(
            f"  {name:<46} {seconds * 1000:8.1f} ms"
            f"   to_dict is {seconds / base:5.2f}x as fast"
        )
    # New rows vs loaded rows: the median of paired rounds, order alternating.
    ratios = []
    for round_ in range(args.repeat * 3):
        pair = [(inserted, 0.0), (rows, 0.0)]
        if round_ % 2:
            pair.reverse()
        timed = {}
        for batch, _ in pair:
            began = time.perf_counter()
            to_dict(batch)
            timed[id(batch)] = time.perf_counter() - began
        ratios.append(timed[id(inserted)] / timed[id(rows)])
    print(
        f"  {'to_dict of the rows as INSERTed (no reload)':<46}"
        f" {statistics.median(ratios):5.2f}x the time of loaded rows"
        f" (median of {len(ratios)} paired rounds)"
    )


if __name__ == "__main__":
    main()
