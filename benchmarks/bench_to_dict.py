"""to_dict on 10,000 loaded rows, against the notes' asdict + strftime, pydantic, and a
hand-written dict comprehension — all in one run, printed as ratios.

Run from the repository root::

    python benchmarks/bench_to_dict.py [--rows 10000] [--rounds 15]

Every approach serialises the same rows, already loaded into the session (no SQL runs
while timing), to JSON-ready dicts. Each round runs every approach back to back (order
alternating, CPU time); each ratio printed is the median over the rounds of the ratio
within a round, with its range. ``to_dict`` runs outside an app context.

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
import functools
import platform
import statistics
import time
import typing as t

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from _paired import describe
from _paired import paired_rounds
from _paired import ratios
from _paired import verdict
from flask import Flask
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


def pydantic_approaches() -> dict[str, t.Callable[[list[Task]], t.Any]]:
    try:
        import pydantic
    except ImportError:
        return {}

    class TaskOut(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(from_attributes=True)

        id: int
        title: str
        done: bool
        priority: int
        created_at: dt.datetime
        updated_at: dt.datetime
        note: str | None

    adapter = pydantic.TypeAdapter(list[TaskOut])

    def per_row(rows: list[Task]) -> list[dict[str, t.Any]]:
        return [
            TaskOut.model_validate(row, from_attributes=True).model_dump(mode="json")
            for row in rows
        ]

    def as_list(rows: list[Task]) -> t.Any:
        return adapter.dump_python(
            adapter.validate_python(rows, from_attributes=True), mode="json"
        )

    return {"pydantic per row": per_row, "pydantic TypeAdapter(list)": as_list}


def per_row_in_app(app: Flask, rows: list[Task]) -> list[dict[str, t.Any]]:
    """One call per row inside an app context, as in a view (the app's format)."""
    with app.app_context():
        return [to_dict(row) for row in rows]


def speed(run: t.Callable[[list[Task]], t.Any], rows: list[Task]) -> float:
    """Rows per second of CPU time."""
    start = time.process_time()
    run(rows)
    return len(rows) / (time.process_time() - start)


# (subject, peer, goal): the rows of the table, and the older comparisons.
PAIRS = (
    ("to_dict per row", "pydantic per row", 1.5),
    ("to_dict per row, in an app", "pydantic per row", 1.5),
    ("to_dict(rows)", "pydantic TypeAdapter(list)", 2.5),
    ("to_dict(rows, notes format)", "notes: asdict + strftime", 3.0),
    ("to_dict(rows)", "hand-written dict comprehension", None),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()

    inserted, rows = insert_rows(args.rows)
    approaches: dict[str, t.Callable[[list[Task]], t.Any]] = {
        "to_dict(rows)": lambda r: to_dict(r),
        "to_dict per row": lambda r: [to_dict(row) for row in r],
        "to_dict per row, in an app": functools.partial(per_row_in_app, Flask("b")),
        "to_dict(rows, notes format)": lambda r: to_dict(r, datetime_format=FORMAT),
        "notes: asdict + strftime": notes_to_dict,
        "hand-written dict comprehension": hand_written,
        **pydantic_approaches(),
    }

    ours = to_dict(rows)
    assert ours == hand_written(rows), "to_dict and the hand-written dicts differ"
    assert ours == approaches["to_dict per row"](rows)
    notes = to_dict(rows, datetime_format=FORMAT)
    assert notes == notes_to_dict(rows), "to_dict and the notes' dicts differ"
    assert to_dict(inserted) == ours, "a new row and a loaded one differ"

    for run in approaches.values():
        run(rows)  # warm-up (and per-class caches)
    rounds = paired_rounds(
        {name: functools.partial(speed, run, rows) for name, run in approaches.items()},
        args.rounds,
    )
    print(
        f"{args.rows} rows, {args.rounds} paired rounds (CPU time);"
        f" Python {platform.python_version()}, SQLAlchemy {sa.__version__}"
    )
    print(f"{'approach':<34} {'median rows/s':>14}")
    for name in approaches:
        print(f"  {name:<32} {statistics.median(r[name] for r in rounds):>14.0f}")
    for subject, peer, goal in PAIRS:
        if peer not in approaches:
            print(f"{peer}: not installed, skipped")
            continue
        values = ratios(rounds, subject, peer)
        line = f"{subject} / {peer}: {describe(values)}"
        if goal is not None:
            line += f" — {verdict(statistics.median(values), goal)}"
        print(line)
    # New rows vs loaded rows, paired the same way.
    fresh = paired_rounds(
        {
            "inserted": functools.partial(speed, to_dict, inserted),
            "loaded": functools.partial(speed, to_dict, rows),
        },
        args.rounds,
    )
    print(
        "to_dict of the rows as INSERTed (no reload) / of loaded rows, speed:"
        f" {describe(ratios(fresh, 'inserted', 'loaded'))}"
    )


if __name__ == "__main__":
    main()
