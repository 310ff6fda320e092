"""``to_dict`` on rows loaded from every backend, and on plain dataclasses."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import json
import typing as t
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import selectinload

from flask_toolkit.db.serialize import NotLoadedError
from flask_toolkit.db.serialize import to_dict

from ._orm_models import db
from ._orm_models import make_app
from ._orm_models import Project
from ._orm_models import Status
from ._orm_models import Task

REF = uuid.UUID("12345678-1234-5678-1234-567812345678")


@pytest.fixture
def db_app(database_url: str, tmp_path: Path) -> t.Iterator[Flask]:
    app = make_app(database_url, tmp_path)
    with app.app_context():
        with db.session_scope() as session:
            project = Project(
                name="Garden", budget=decimal.Decimal("12.50"), notes="long"
            )
            session.add(project)
            session.add(
                Task(
                    title="Dig",
                    project=project,
                    status=Status.done,
                    ref=REF,
                    due=dt.date(2024, 6, 1),
                    remind_at=dt.time(8, 30),
                )
            )
            session.add(Task(title="Plant", project=project))
        yield app
    db.get_engine(app).dispose()


def load_tasks(**options: t.Any) -> list[Task]:
    select = sa.select(Task).order_by(Task.id)
    if options.get("with_project"):
        select = select.options(selectinload(Task.project))
    return list(db.session.scalars(select))


def test_columns_become_json_types(db_app: Flask) -> None:
    task = load_tasks()[0]
    assert to_dict(task) == {
        "id": task.id,
        "title": "Dig",
        "project_id": task.project_id,
        "done": False,
        "status": "done",
        "ref": str(REF),
        "due": "2024-06-01",
        "remind_at": "08:30:00",
        "created_at": "2024-05-06T07:08:09+00:00",
    }


def test_decimal_is_a_string_and_deferred_columns_are_never_loaded(
    db_app: Flask,
) -> None:
    project = db.session.scalars(sa.select(Project)).one()
    assert "notes" in sa.inspect(project).unloaded
    with _no_queries():
        data = to_dict(project)
    assert data == {"id": project.id, "name": "Garden", "budget": "12.50"}
    assert to_dict(project, unloaded="null")["notes"] is None
    with pytest.raises(NotLoadedError, match="Project.notes is not loaded"):
        to_dict(project, unloaded="raise")


def test_expired_attributes_are_never_refreshed(db_app: Flask) -> None:
    task = load_tasks()[0]
    db.session.expire(task, ["title"])
    assert sa.inspect(task).unloaded >= {"title"}
    with _no_queries():
        assert "title" not in to_dict(task)
    db.session.expire(task)
    with _no_queries():
        with pytest.raises(NotLoadedError, match="has no loaded column.*refresh"):
            to_dict(task)
    db.session.refresh(task)
    assert to_dict(task)["title"] == "Dig"


def test_relationships_only_when_included_and_loaded(db_app: Flask) -> None:
    tasks = load_tasks()
    with _no_queries():
        assert "project" not in to_dict(tasks[0])
        with pytest.raises(NotLoadedError, match=r"selectinload\(Task.project\)"):
            to_dict(tasks[0], include=["project"])
    db.session.expunge_all()
    tasks = load_tasks(with_project=True)
    with _no_queries():
        data = to_dict(tasks, include=["project"])
    assert data[0]["project"] == {
        "id": tasks[0].project_id,
        "name": "Garden",
        "budget": "12.50",
    }


def test_nested_include_exclude_and_cycles(db_app: Flask) -> None:
    project = db.session.scalars(
        sa.select(Project).options(
            selectinload(Project.tasks).selectinload(Task.project)
        )
    ).one()
    with _no_queries():
        data = to_dict(
            project, include=["tasks.project"], exclude=["tasks.ref", "budget"]
        )
    assert "budget" not in data
    first = data["tasks"][0]
    assert "ref" not in first
    # Back to the project being written: a cycle, written as its primary key.
    assert first["project"] == project.id
    with _no_queries():
        everything = to_dict(project, include="*")
    assert [t["title"] for t in everything["tasks"]] == ["Dig", "Plant"]
    assert everything["tasks"][0]["project"] == project.id


def test_wildcard_stops_at_max_depth(db_app: Flask) -> None:
    project = db.session.scalars(
        sa.select(Project).options(selectinload(Project.tasks))
    ).one()
    assert "tasks" not in to_dict(project, include="*", max_depth=0)
    with pytest.raises(ValueError, match="max_depth=1"):
        to_dict(project, include="tasks.project", max_depth=1)


def test_unknown_relationship_names_the_choices(db_app: Flask) -> None:
    task = load_tasks(with_project=True)[0]
    with pytest.raises(ValueError, match=r"no relationship 'owner'.*\['project'\]"):
        to_dict(task, include=["owner"])


def test_rows_of_a_column_select(db_app: Flask) -> None:
    rows = db.session.execute(sa.select(Task.title, Task.due).order_by(Task.id)).all()
    assert to_dict(rows) == [
        {"title": "Dig", "due": "2024-06-01"},
        {"title": "Plant", "due": None},
    ]


def test_datetime_format_from_config_and_argument(db_app: Flask) -> None:
    task = load_tasks()[0]
    db_app.config["TOOLKIT_DATETIME_FORMAT"] = "%d/%m/%Y"
    assert to_dict(task)["created_at"] == "06/05/2024"
    assert to_dict(task, datetime_format="iso")["created_at"] == "2024-05-06T07:08:09"


def test_result_is_a_flask_json_response(db_app: Flask) -> None:
    @db_app.get("/tasks")
    def tasks() -> t.Any:
        return to_dict(db.session.scalars(sa.select(Task).order_by(Task.id)))

    response = db_app.test_client().get("/tasks")
    assert response.status_code == 200
    assert [t["title"] for t in response.json] == ["Dig", "Plant"]


class Colour(enum.IntEnum):
    red = 1


@dataclasses.dataclass
class Point:
    x: int
    label: str | None = None


@dataclasses.dataclass
class Shape:
    name: str
    points: list[Point]
    when: dt.datetime
    colour: Colour
    price: decimal.Decimal
    data: bytes
    took: dt.timedelta
    extra: dict[str, t.Any] = dataclasses.field(default_factory=dict)
    parent: Shape | None = None


def test_plain_dataclasses_and_lists() -> None:
    shape = Shape(
        name="tri",
        points=[Point(1), Point(2, "b")],
        when=dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc),
        colour=Colour.red,
        price=decimal.Decimal("1.10"),
        data=b"\x00\x01",
        took=dt.timedelta(seconds=90),
        extra={"at": dt.date(2024, 1, 1), "ids": (REF,)},
    )
    shape.parent = shape  # a cycle
    data = to_dict([shape])
    assert data == [
        {
            "name": "tri",
            "points": [{"x": 1, "label": None}, {"x": 2, "label": "b"}],
            "when": "2024-01-02T03:04:05+00:00",
            "colour": 1,
            "price": "1.10",
            "data": "AAE=",
            "took": 90.0,
            "extra": {"at": "2024-01-01", "ids": [str(REF)]},
            "parent": None,
        }
    ]
    json.dumps(data)
    assert to_dict(shape, exclude=["points", "extra"]).keys() == {
        "name",
        "when",
        "colour",
        "price",
        "data",
        "took",
        "parent",
    }


def test_does_not_use_dataclasses_asdict(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        raise AssertionError("dataclasses.asdict was called")

    monkeypatch.setattr(dataclasses, "asdict", forbidden)
    assert to_dict(Point(3)) == {"x": 3, "label": None}


class _QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, *args: t.Any) -> None:
        self.statements.append(str(args[2]))


class _no_queries:
    """Fail if the block sends any SQL on the current app's engine."""

    def __enter__(self) -> None:
        self.counter = _QueryCounter()
        sa.event.listen(db.engine, "before_cursor_execute", self.counter)

    def __exit__(self, *exc: object) -> None:
        sa.event.remove(db.engine, "before_cursor_execute", self.counter)
        assert self.counter.statements == []


def test_new_row_has_the_same_keys_as_a_loaded_one_without_a_query(
    db_app: Flask,
) -> None:
    statements: list[str] = []
    engine = db.get_engine(db_app)

    def count(*args: t.Any) -> None:
        statements.append(args[2])

    task = Task(title="New")  # due, remind_at left at their None default
    db.session.add(task)
    db.session.commit()
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        fresh = to_dict(task)
        in_a_list = to_dict([task, task])
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert statements == []
    db.session.expunge_all()
    loaded = to_dict(db.session.get(Task, task.id))
    assert fresh == loaded and in_a_list == [loaded, loaded]
    assert fresh["due"] is None and fresh["project_id"] is None


def test_expired_and_deferred_columns_are_still_never_loaded(db_app: Flask) -> None:
    task = load_tasks()[0]
    db.session.expire(task, ["due"])
    assert "due" not in to_dict(task)
    with pytest.raises(NotLoadedError, match="Task.due is not loaded"):
        to_dict(task, unloaded="raise")
    select = sa.select(Task).options(sa.orm.load_only(Task.title))
    db.session.expunge_all()
    assert set(to_dict(db.session.scalars(select).first())) == {"id", "title"}


@pytest.mark.parametrize(
    "fmt, utc_text, east_text",
    [
        ("rfc3339", "2026-12-03T14:00:00+00:00", "2026-12-03T22:00:00+08:00"),
        ("iso", "2026-12-03T14:00:00+00:00", "2026-12-03T22:00:00+08:00"),
        ("%Y-%m-%d %H:%M:%S", "2026-12-03 14:00:00", "2026-12-03 22:00:00"),
    ],
)
def test_aware_datetimes_keep_their_offset(
    app: Flask, fmt: str, utc_text: str, east_text: str
) -> None:
    utc = dt.datetime(2026, 12, 3, 14, tzinfo=dt.timezone.utc)
    east = utc.astimezone(dt.timezone(dt.timedelta(hours=8)))
    app.config["TOOLKIT_DATETIME_FORMAT"] = fmt
    assert to_dict({"utc": utc, "east": east}) == {"utc": utc_text, "east": east_text}
    if fmt != "%Y-%m-%d %H:%M:%S":
        # Both round-trip to the same instant.
        assert dt.datetime.fromisoformat(east_text) == utc


def test_default_format_is_rfc3339_and_naive_is_utc(app: Flask) -> None:
    assert app.config["TOOLKIT_DATETIME_FORMAT"] == "rfc3339"
    naive = dt.datetime(2026, 12, 3, 14, 0, 0, 5000)
    text = to_dict([naive])[0]
    assert text == "2026-12-03T14:00:00.005000+00:00"
    assert dt.datetime.fromisoformat(text) == naive.replace(tzinfo=dt.timezone.utc)


def test_list_of_mixed_rows_matches_one_call_per_row(db_app: Flask) -> None:
    """A list call writes each row as a call for that row would: rows of another
    class, a row with a column expired, values of other types and every format."""
    first, second = load_tasks()
    project = db.session.scalars(sa.select(Project)).one()
    db.session.expire(second, ["title"])
    mixed = [first, project, second, Point(1, 2), first]
    with _no_queries():
        for fmt in ("rfc3339", "iso", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y"):
            listed = to_dict(mixed, datetime_format=fmt)
            assert listed == [to_dict(row, datetime_format=fmt) for row in mixed]
        listed = to_dict(mixed)
    assert "title" not in listed[2] and listed[0]["title"] == "Dig"
    assert listed[1] == {"id": project.id, "name": "Garden", "budget": "12.50"}
    assert listed[0]["created_at"] == "2024-05-06T07:08:09+00:00"
    aware = dt.datetime(2024, 5, 6, 9, 8, 9, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    first.created_at = aware
    assert to_dict([first])[0]["created_at"] == "2024-05-06T09:08:09+02:00"
    assert to_dict(first, datetime_format="%Y-%m-%d %H:%M:%S")["created_at"] == (
        "2024-05-06 09:08:09"
    )
