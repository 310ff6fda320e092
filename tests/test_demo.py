from __future__ import annotations

import typing as t
from pathlib import Path

import pytest
from examples.taskboard import create_app as create_demo
from flask import Flask
from flask.testing import FlaskClient

from tests._browser import close_demo


@pytest.fixture
def create_app() -> t.Iterator[t.Callable[..., Flask]]:
    """The demo's ``create_app``; each app it made is closed after the test."""
    apps: list[Flask] = []

    def create(*args: t.Any, **kwargs: t.Any) -> Flask:
        app = create_demo(*args, **kwargs)
        apps.append(app)
        return app

    yield create
    for app in apps:
        close_demo(app)


def login(client: FlaskClient, email: str = "admin@example.com") -> FlaskClient:
    """Send a demo user's bearer token with every request of ``client``."""
    password = email.partition("@")[0]
    answer = client.post("/api/auth/token", json={"email": email, "password": password})
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {answer.json['token']}"
    return client


def test_demo_starts_with_zero_configuration(
    tmp_path: Path, create_app: t.Callable[..., Flask]
) -> None:
    app = create_app({"TESTING": True}, instance_path=str(tmp_path))
    client = app.test_client()
    assert client.get("/").status_code == 200
    missing = client.get("/api/no-such-thing")
    assert missing.status_code == 404
    assert missing.json["code"] == -1


def test_demo_creates_and_lists_tasks(
    tmp_path: Path, create_app: t.Callable[..., Flask]
) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/demo.db"})
    client = login(app.test_client())
    created = client.post("/api/tasks", json={"title": "Water the plants"})
    assert created.status_code == 201
    listed = client.get("/api/tasks").json
    assert [t["title"] for t in listed["items"]] == ["Water the plants"]
    assert (listed["page"], listed["total"]) == (1, 1)
    bad = client.post("/api/tasks", json={"title": ""})
    assert bad.status_code == 400
    assert bad.json == {"code": -1, "msg": {"title": ["This field is required."]}}


def test_demo_write_endpoints_validate(
    tmp_path: Path, create_app: t.Callable[..., Flask]
) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/demo.db"})
    client = login(app.test_client())
    task = client.post("/api/tasks", json={"title": "  Sow seeds ", "done": True}).json
    assert (task["title"], task["done"]) == ("Sow seeds", True)
    wrong = client.post("/api/tasks", json={"title": 5, "colour": "red"})
    assert wrong.status_code == 400
    assert wrong.json["msg"] == {
        "title": ["Not a valid string."],
        "colour": ["Unknown field."],
    }
    # PATCH changes only what was sent: "done" stays true.
    patched = client.patch(f"/api/tasks/{task['id']}", json={"title": "Sow beans"})
    assert patched.status_code == 200
    assert (patched.json["title"], patched.json["done"]) == ("Sow beans", True)
    patched = client.patch(f"/api/tasks/{task['id']}", json={"done": False})
    assert (patched.json["title"], patched.json["done"]) == ("Sow beans", False)
    assert (
        client.patch(f"/api/tasks/{task['id']}", json={"title": " "}).status_code == 400
    )
    missing = client.patch("/api/tasks/999", json={"done": True})
    assert missing.status_code == 404
    assert missing.json["code"] == -1 and missing.json["msg"]


def test_demo_projects_list_their_tasks(
    tmp_path: Path, create_app: t.Callable[..., Flask]
) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/demo.db"})
    client = login(app.test_client())
    project = client.post("/api/projects", json={"name": "Garden"}).json
    assert client.post("/api/projects", json={"name": "Garden"}).status_code == 409
    task = client.post(
        "/api/tasks", json={"title": "Dig", "project_id": project["id"]}
    ).json
    assert task["project_id"] == project["id"]
    no_project = client.post("/api/tasks", json={"title": "Lost", "project_id": 99})
    assert no_project.status_code == 400
    assert no_project.json["msg"] == {
        "project_id": ["There is no project with this id."]
    }
    listed = client.get("/api/projects").json["items"]
    assert [(p["name"], [t["title"] for t in p["tasks"]]) for p in listed] == [
        ("Garden", ["Dig"])
    ]
    assert client.get(f"/api/tasks/{task['id']}").json["title"] == "Dig"
    assert client.get("/api/tasks/999").json == {
        "code": -1,
        "msg": "Task 999 was not found.",
    }
    assert client.get("/api/tasks?page=0").status_code == 400
