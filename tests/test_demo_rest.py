"""The demo's REST semantics, over HTTP on every backend: one shape per resource,
datetimes with their zone, PATCH that means PATCH, input from the right place."""

from __future__ import annotations

import datetime as dt
import typing as t
from pathlib import Path

import pytest
from examples.taskboard import create_app
from examples.taskboard.models import toolkit
from flask.testing import FlaskClient

from .test_demo import login


@pytest.fixture
def client(database_url: str, tmp_path: Path) -> t.Iterator[FlaskClient]:
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url},
        instance_path=str(tmp_path),
    )
    yield login(app.test_client())
    with app.app_context():
        toolkit.db.drop_all()
    toolkit.db.get_engine(app).dispose()


def test_a_task_has_the_same_keys_from_every_endpoint(client: FlaskClient) -> None:
    created = client.post("/api/tasks", json={"title": "Dig"})
    assert created.status_code == 201
    task_id = created.json["id"]
    fetched = client.get(f"/api/tasks/{task_id}").json
    patched = client.patch(f"/api/tasks/{task_id}", json={"done": True}).json
    listed = client.get("/api/tasks").json["items"][0]
    keys = {"id", "title", "done", "due", "project_id", "created_at"}
    for body in (created.json, fetched, patched, listed):
        assert set(body) == keys
    assert created.json["due"] is None and created.json["project_id"] is None
    assert {**created.json, "done": True} == patched == listed


def test_datetimes_keep_their_zone_and_round_trip(client: FlaskClient) -> None:
    before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    created = client.post("/api/tasks", json={"title": "Dig"}).json["created_at"]
    parsed = dt.datetime.fromisoformat(created)
    assert parsed.utcoffset() == dt.timedelta(0)
    assert before - dt.timedelta(minutes=5) <= parsed <= before + dt.timedelta(days=1)


@pytest.mark.parametrize(
    "change, errors",
    [
        ({"done": None}, {"done": ["This field cannot be null."]}),
        ({"title": None}, {"title": ["This field cannot be null."]}),
        ({"title": " "}, {"title": ["This field is required."]}),
        (
            {"title": "x" * 201},
            {"title": ["Field cannot be longer than 200 characters."]},
        ),
        ({"done": "yes"}, {"done": ["Not a valid boolean value."]}),
        ({"priority": 1}, {"priority": ["Unknown field."]}),
    ],
)
def test_patch_refuses_bad_fields_with_400_and_changes_nothing(
    client: FlaskClient, change: dict[str, t.Any], errors: dict[str, t.Any]
) -> None:
    task = client.post("/api/tasks", json={"title": "Dig", "done": True}).json
    answer = client.patch(f"/api/tasks/{task['id']}", json=change)
    assert answer.status_code == 400
    assert answer.json == {"code": -1, "msg": errors}
    assert client.get(f"/api/tasks/{task['id']}").json == task


def test_patch_changes_only_what_was_sent_and_null_clears(client: FlaskClient) -> None:
    project = client.post("/api/projects", json={"name": "Garden"}).json
    task = client.post(
        "/api/tasks", json={"title": "Dig", "done": True, "project_id": project["id"]}
    ).json
    same = client.patch(f"/api/tasks/{task['id']}", json={})
    assert same.status_code == 200 and same.json == task
    cleared = client.patch(f"/api/tasks/{task['id']}", json={"project_id": None})
    assert cleared.status_code == 200
    assert cleared.json == {**task, "project_id": None}


def test_a_field_in_the_query_string_of_a_patch_is_refused(
    client: FlaskClient,
) -> None:
    task = client.post("/api/tasks", json={"title": "Dig"}).json
    answer = client.patch(f"/api/tasks/{task['id']}?title=x", json={})
    assert answer.status_code == 400
    assert answer.json["msg"] == {
        "title": ["Unknown field in the query string: send it in the JSON body."]
    }
    assert client.get(f"/api/tasks/{task['id']}").json["title"] == "Dig"


def test_anonymous_and_unpermitted_callers_never_see_field_errors(
    client: FlaskClient,
) -> None:
    task = client.post("/api/tasks", json={"title": "Dig"}).json
    anonymous = client.application.test_client()
    answer = anonymous.patch(f"/api/tasks/{task['id']}", json={"title": None})
    assert answer.status_code == 401
    viewer = login(client.application.test_client(), "viewer@example.com")
    answer = viewer.patch(f"/api/tasks/{task['id']}", json={"title": None})
    assert answer.status_code == 403
    assert "title" not in str(answer.json["msg"])
