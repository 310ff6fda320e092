"""to_dict on 10,000 loaded rows, against the notes' asdict + strftime, pydantic, and a
hand-written dict comprehension — all in one run, printed as ratios.

Run from the repository root::

    python benchmarks/bench_to_dict.py [--rows 10000] [--repeat 7]

Every approach serialises the same rows, already loaded into the session (no SQL runs
while timing), to JSON-ready dicts. The best of ``--repeat`` runs is kept for each.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import platform
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


def load_rows(count: int) -> list[Task]:
    engine = sa.create_engine("sqlite://")
    Base.metadata.create_all(engine)
    start = dt.datetime(2024, 1, 1, 8, 0, 0)
    with sa_orm.Session(engine) as session:
        session.add_all(
            Task(
                id=n,
                title=f"Task number {n}",
                done=n % 3 == 0,
                priority=n % 5,
                created_at=start + dt.timedelta(minutes=n),
                updated_at=start + dt.timedelta(minutes=n, seconds=30),
            )
            for n in range(1, count + 1)
        )
        session.commit()
    session = sa_orm.Session(engine, expire_on_commit=False)
    return list(session.scalars(sa.select(Task).order_by(Task.id)))


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
            "created_at": r.created_at.strftime(FORMAT),
            "updated_at": r.updated_at.strftime(FORMAT),
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

    rows = load_rows(args.rows)
    approaches: dict[str, t.Callable[[list[Task]], t.Any]] = {
        "flask_toolkit.to_dict": lambda r: to_dict(r),
        "notes: asdict + strftime": notes_to_dict,
        "hand-written dict comprehension": hand_written,
    }
    pydantic_run = pydantic_approach()
    if pydantic_run is not None:
        approaches["pydantic from_attributes + model_dump(json)"] = pydantic_run

    ours = to_dict(rows)
    assert ours == hand_written(rows), "to_dict and the hand-written dicts differ"
    assert ours == notes_to_dict(rows), "to_dict and the notes' dicts differ"

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


if __name__ == "__main__":
    main()
