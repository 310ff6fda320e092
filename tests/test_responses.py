"""``@responds``: views that declare what they return, over HTTP on every backend."""

from __future__ import annotations

import dataclasses
import datetime as dt
import typing as t
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import selectinload
from wtforms import BooleanField
from wtforms import IntegerField
from wtforms import StringField
from wtforms.validators import InputRequired

from flask_toolkit import MetaForm
from flask_toolkit import responds
from flask_toolkit.db import response_schema
from flask_toolkit.db import ResponseSpec

from ._orm_models import db
from ._orm_models import make_app
from ._orm_models import Project
from ._orm_models import Task


class TaskOut(t.TypedDict):
    id: int
    title: str
    due: dt.date | None


class TaskOutForm(MetaForm):
    id = IntegerField(validators=[InputRequired()])
    title = StringField(validators=[InputRequired()])
    done = BooleanField()


@dataclasses.dataclass
class Summary:
    title: str
    done: bool
    due: dt.date | None
    tags: list[str]
    at: dt.datetime


def add_routes(app: Flask) -> None:
    @app.post("/projects")
    @responds(Project, status=201, exclude=["notes"])
    def create_project() -> Project:
        project = Project(name="Garden")
        project.tasks.append(Task(title="Dig"))
        db.session.add(project)
        db.session.commit()
        return project

    @app.get("/tasks/<int:task_id>")
    @responds(
        Task,
        include=["project"],
        exclude=["project.notes"],
        rename={"created_at": "created", "project.name": "project_name"},
    )
    def get_task(task_id: int) -> Task:
        select = sa.select(Task).options(selectinload(Task.project))
        return db.one_or_404(select.where(Task.id == task_id))

    @app.get("/tasks")
    @responds(Task, many=True, exclude=["ref"])
    def list_tasks() -> list[Task]:
        return list(db.session.scalars(sa.select(Task).order_by(Task.id)))

    @app.get("/page")
    @responds(Task, many="page", rename={"title": "name"})
    def page() -> t.Any:
        return db.paginate(sa.select(Task).order_by(Task.id))

    @app.get("/summary")
    @responds(Summary)
    async def summary() -> tuple[Summary, int, dict[str, str]]:
        at = dt.datetime(2026, 12, 3, 14, tzinfo=dt.timezone.utc)
        return Summary("Dig", False, None, ["a"], at), 203, {"X-Kind": "summary"}

    @app.get("/typed/<int:task_id>")
    @responds(TaskOut, rename={"title": "name"})
    def typed(task_id: int) -> t.Any:
        return db.get_or_404(Task, task_id)

    @app.get("/form-shaped")
    @responds(TaskOutForm, many=True)
    def form_shaped() -> t.Any:
        return list(db.session.scalars(sa.select(Task).order_by(Task.id)))

    @app.get("/wrong")
    @responds(Task, many=True)
    def wrong() -> t.Any:
        return db.paginate(sa.select(Task))


@pytest.fixture
def client(database_url: str, tmp_path: Path) -> t.Iterator[FlaskClient]:
    app = make_app(database_url, tmp_path)
    add_routes(app)
    yield app.test_client()
    db.get_engine(app).dispose()


def test_declared_model_is_sent_with_status_and_selection(client: FlaskClient) -> None:
    created = client.post("/projects")
    assert created.status_code == 201
    assert set(created.json) == {"id", "name", "budget"}
    task = client.get("/tasks/1").json
    assert task["created"] == "2024-05-06T07:08:09+00:00"
    assert "created_at" not in task
    assert task["project"] == {
        "id": created.json["id"],
        "project_name": "Garden",
        "budget": None,
    }


def test_lists_and_pages_follow_the_declaration(client: FlaskClient) -> None:
    client.post("/projects")
    listed = client.get("/tasks").json
    assert [item["title"] for item in listed] == ["Dig"]
    assert "ref" not in listed[0]
    page = client.get("/page?per_page=1").json
    assert page["total"] == 1 and page["items"][0]["name"] == "Dig"
    assert "title" not in page["items"][0]


def test_dataclass_async_view_keeps_its_status_and_headers(client: FlaskClient) -> None:
    answer = client.get("/summary")
    assert answer.status_code == 203
    assert answer.headers["X-Kind"] == "summary"
    assert answer.json == {
        "title": "Dig",
        "done": False,
        "due": None,
        "tags": ["a"],
        "at": "2026-12-03T14:00:00+00:00",
    }


def test_a_page_returned_where_a_list_was_declared_says_how_to_fix_it() -> None:
    spec = ResponseSpec(Task, many=True)
    from flask_toolkit.db.pagination import Pagination
    from flask_toolkit.db.responses import serialize

    with pytest.raises(TypeError, match="many='page'"):
        serialize(spec, Pagination(items=[], page=1, per_page=1, total=0))


def test_schema_comes_from_the_mapper() -> None:
    view = responds(Task, include=["project"], rename={"created_at": "created"})(
        lambda: None
    )
    spec = view._toolkit_response  # type: ignore[attr-defined]
    schema = response_schema(spec)
    props = schema["properties"]
    assert props["created"] == {"type": "string", "format": "date-time"}
    assert props["title"] == {"type": "string", "maxLength": 200}
    assert props["due"] == {"type": ["string", "null"], "format": "date"}
    assert props["status"] == {"enum": ["todo", "done"]}
    assert props["project"]["type"] == ["object", "null"]
    assert props["project"]["properties"]["name"]["maxLength"] == 100
    assert set(schema["required"]) == set(props)
    page = response_schema(ResponseSpec(Task, many="page"))
    assert page["properties"]["items"]["type"] == "array"
    assert response_schema(ResponseSpec(Summary))["properties"]["tags"] == {
        "type": "array",
        "items": {"type": "string"},
    }


@pytest.mark.parametrize(
    "options, message",
    [
        ({"include": ["owner"]}, "no relationship 'owner'"),
        ({"exclude": ["secret"]}, "no field 'secret'"),
        ({"rename": {"nope": "x"}}, "no field 'nope'"),
    ],
)
def test_declaration_mistakes_fail_at_import(
    options: dict[str, t.Any], message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        responds(Task, **options)
    with pytest.raises(TypeError, match="a TypedDict or a form class"):
        responds(dict)


def test_an_output_shape_of_its_own_selects_the_fields(client: FlaskClient) -> None:
    client.post("/projects")
    assert client.get("/typed/1").json == {"id": 1, "name": "Dig", "due": None}
    assert client.get("/form-shaped").json == [{"id": 1, "title": "Dig", "done": False}]


def test_output_shapes_have_schemas() -> None:
    typed = response_schema(ResponseSpec(TaskOut))
    assert typed["properties"] == {
        "id": {"type": "integer"},
        "title": {"type": "string"},
        "due": {"type": ["string", "null"], "format": "date"},
    }
    form = response_schema(ResponseSpec(TaskOutForm, many=True))["items"]
    assert form["properties"] == {
        "id": {"type": "integer"},
        "title": {"type": "string"},
        "done": {"type": ["boolean", "null"]},
    }


def test_a_declared_field_the_object_lacks_says_so() -> None:
    from flask_toolkit.db.responses import serialize

    with pytest.raises(TypeError, match="declares 'id'"):
        serialize(
            ResponseSpec(TaskOut), Summary("Dig", False, None, [], dt.datetime.now())
        )
