from __future__ import annotations

from pathlib import Path

from examples.taskboard import create_app


def test_demo_starts_with_zero_configuration(tmp_path: Path) -> None:
    app = create_app({"TESTING": True}, instance_path=str(tmp_path))
    client = app.test_client()
    assert client.get("/").status_code == 200
    missing = client.get("/api/no-such-thing")
    assert missing.status_code == 404
    assert missing.json["code"] == -1


def test_demo_creates_and_lists_tasks(tmp_path: Path) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/demo.db"})
    client = app.test_client()
    created = client.post("/api/tasks", json={"title": "Water the plants"})
    assert created.status_code == 201
    assert [t["title"] for t in client.get("/api/tasks").json] == ["Water the plants"]
    bad = client.post("/api/tasks", json={"title": ""})
    assert bad.status_code == 400
    assert bad.json == {"code": -1, "msg": {"title": ["A non-empty string is required."]}}
