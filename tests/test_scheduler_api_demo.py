"""The demo exposes the scheduler API to its admin users only."""

from __future__ import annotations

from pathlib import Path

from examples.taskboard import create_app
from flask.testing import FlaskClient


def token(client: FlaskClient, email: str) -> dict[str, str]:
    password = email.partition("@")[0]
    answer = client.post("/api/auth/token", json={"email": email, "password": password})
    return {"Authorization": f"Bearer {answer.json['token']}"}


def test_admins_control_the_demo_jobs(tmp_path: Path) -> None:
    app = create_app({"TESTING": True}, instance_path=str(tmp_path))
    client = app.test_client()
    admin = token(client, "admin@example.com")
    jobs = client.get("/scheduler/jobs", headers=admin)
    assert jobs.status_code == 200
    assert jobs.json, "the demo declares scheduled jobs"
    job_id = jobs.json[0]["id"]
    paused = client.post(f"/scheduler/jobs/{job_id}/pause", headers=admin)
    assert paused.json["paused"] is True
    assert (
        client.post(f"/scheduler/jobs/{job_id}/resume", headers=admin).status_code
        == 200
    )
    member = token(client, "demo@example.com")
    assert client.get("/scheduler/jobs", headers=member).status_code == 403
    assert client.get("/scheduler/jobs").status_code == 401
    with app.app_context():
        app.extensions["toolkit"].toolkit.scheduler.shutdown(wait=False)
