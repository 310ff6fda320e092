"""The behaviours Flask-APScheduler's own API tests check, against our API.

Flask-APScheduler 1.13 (``flask_apscheduler/scheduler.py`` ``_load_api``, ``api.py``,
``utils.py``), summarised: thirteen routes under ``SCHEDULER_API_PREFIX`` (default
``/scheduler``), endpoint names prefixed with ``SCHEDULER_ENDPOINT_PREFIX`` (default
``scheduler.``):

=======  ======================  ====================  ==========================
method   path                    endpoint              success
=======  ======================  ====================  ==========================
GET      ``""``                  get_scheduler_info    200 current_host,
                                                       allowed_hosts, running
POST     /pause, /resume         pause_scheduler,      204
                                 resume_scheduler
POST     /start                  start_scheduler       204 (400 if running)
POST     /shutdown               shutdown_scheduler    204 (400 if not running),
                                                       optional body {"wait": bool}
POST     /jobs                   add_job               200 + job (409 duplicate id)
GET      /jobs                   get_jobs              200 + list of jobs
GET      /jobs/<id>              get_job               200 + job (404)
PATCH    /jobs/<id>              update_job            200 + job (404)
DELETE   /jobs/<id>              delete_job            204 (404)
POST     /jobs/<id>/pause        pause_job             200 + job (404)
POST     /jobs/<id>/resume       resume_job            200 + job (404)
POST     /jobs/<id>/run          run_job               200 + job (404)
=======  ======================  ====================  ==========================

Every other failure is a 500 with ``{"error_message": ...}``. A job is a flat object:
``id``, ``name``, ``func`` (``"module:function"``), ``args``, ``kwargs``, ``trigger``
(``date`` / ``interval`` / ``cron``) with the trigger's own keys beside it
(``run_date``; ``start_date``, ``end_date``, ``weeks`` .. ``seconds``; the cron fields
as strings), then ``misfire_grace_time``, ``max_instances`` and ``next_run_time``
(ISO 8601, ``null`` when paused). A ``trigger`` object ``{"type": ..., ...}`` is also
read. Where it answers 500 we answer a 4xx: noted on each test.
"""

from __future__ import annotations

import datetime as dt
import typing as t
from pathlib import Path

import pytest
from flask import Flask
from flask import url_for

from tests import _scheduler_api as h

JOB = {
    "id": "job1",
    "func": "tests._scheduler_api:job1",
    "trigger": "interval",
    "minutes": 10,
}


@pytest.fixture
def api_app(tmp_path: Path) -> t.Iterator[Flask]:
    app = h.make_app(tmp_path)
    yield app
    h.close(app)


@pytest.fixture
def admin(api_app: Flask) -> h.Caller:
    return h.caller(api_app, "admin")


def add(admin: h.Caller, **changes: t.Any) -> dict[str, t.Any]:
    response = admin.post("/scheduler/jobs", {**JOB, **changes})
    assert response.status_code == 200, response.json
    return t.cast("dict[str, t.Any]", response.json)


def assert_no_job(response: t.Any, job_id: str = "job1") -> None:
    """A 404 in the envelope that names the job and says where the jobs are listed."""
    assert response.status_code == 404
    msg = f"There is no job {job_id!r}. GET /scheduler/jobs lists the existing jobs."
    assert response.json == {"code": -1, "msg": msg, "error_message": msg}


def test_scheduler_info(api_app: Flask, admin: h.Caller) -> None:
    info = admin.get("/scheduler").json
    assert info["current_host"]
    assert info["allowed_hosts"] == ["*"]
    assert info["running"] is False
    assert admin.post("/scheduler/start").status_code == 204
    info = admin.get("/scheduler").json
    assert info["running"] is True
    assert info["leader"]["lock"] == "file"


def test_start_pause_resume_shutdown(admin: h.Caller) -> None:
    # Flask-APScheduler: 500 for pause/resume before start, 400 for a second start.
    assert admin.post("/scheduler/pause").status_code == 409
    assert admin.post("/scheduler/start").status_code == 204
    assert admin.post("/scheduler/start").status_code == 409
    assert admin.post("/scheduler/pause").status_code == 204
    assert admin.get("/scheduler").json["state"] == "paused"
    assert admin.post("/scheduler/resume").status_code == 204
    assert admin.get("/scheduler").json["state"] != "paused"
    assert admin.post("/scheduler/shutdown", {"wait": False}).status_code == 204
    assert admin.post("/scheduler/shutdown").status_code == 409
    assert admin.get("/scheduler").json["running"] is False


def test_add_job(admin: h.Caller) -> None:
    job = {
        "id": "job1",
        "func": "tests._scheduler_api:job1",
        "trigger": "date",
        "run_date": "2035-12-01T12:30:01-06:00",
    }
    body = admin.post("/scheduler/jobs", job).json
    for key, value in job.items():
        assert body[key] == value
    assert body["name"] == "job1"
    assert body["next_run_time"] == "2035-12-01T12:30:01-06:00"
    # Our superset of fields.
    assert body["paused"] is False
    assert body["jobstore"] == "default"
    assert {"coalesce", "executor", "misfire_grace_time", "max_instances"} <= set(body)


def test_add_job_legacy_trigger_object(admin: h.Caller) -> None:
    job = {
        "id": "job1",
        "func": JOB["func"],
        "trigger": {"type": "cron", "hour": "3", "minute": 0},
    }
    body = admin.post("/scheduler/jobs", job).json
    assert (body["trigger"], body["hour"], body["minute"]) == ("cron", "3", "0")


def test_add_conflicted_job(admin: h.Caller) -> None:
    add(admin)
    response = admin.post("/scheduler/jobs", JOB)
    assert response.status_code == 409
    assert "already exists" in response.json["msg"]
    replaced = add(admin, minutes=20, replace_existing=True)
    assert replaced["minutes"] == 20


def test_add_invalid_job(admin: h.Caller) -> None:
    # Flask-APScheduler: 500.
    response = admin.post("/scheduler/jobs", {"id": None})
    assert response.status_code == 400
    assert set(response.json["msg"]) == {"id", "func"}


def test_get_job(admin: h.Caller) -> None:
    job = add(admin)
    got = admin.get("/scheduler/jobs/job1").json
    assert got == job
    assert (got["func"], got["trigger"], got["minutes"]) == (
        JOB["func"],
        "interval",
        10,
    )


def test_get_job_not_found(admin: h.Caller) -> None:
    assert_no_job(admin.get("/scheduler/jobs/job1"))


def test_get_all_jobs(admin: h.Caller) -> None:
    job = add(admin)
    jobs = admin.get("/scheduler/jobs").json
    assert jobs == [job]


def test_delete_job(admin: h.Caller) -> None:
    add(admin)
    assert admin.delete("/scheduler/jobs/job1").status_code == 204
    assert_no_job(admin.get("/scheduler/jobs/job1"))
    assert_no_job(admin.delete("/scheduler/jobs/job1"))


def test_update_job(admin: h.Caller) -> None:
    job = add(admin)
    changes = {
        "args": [1],
        "trigger": "cron",
        "minute": "*/1",
        "start_date": "2035-01-01T00:00:00-06:00",
    }
    response = admin.patch("/scheduler/jobs/job1", changes)
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["id"], body["func"], body["args"]) == (job["id"], job["func"], [1])
    assert (body["trigger"], body["minute"]) == ("cron", "*/1")
    assert body["start_date"] == "2035-01-01T00:00:00-06:00"
    next_run = dt.datetime.fromisoformat(body["next_run_time"])
    assert next_run == dt.datetime.fromisoformat("2035-01-01T00:00:00-06:00")


def test_update_job_not_found(admin: h.Caller) -> None:
    response = admin.patch(
        "/scheduler/jobs/job1", {"args": [1], "trigger": "cron", "minute": "*/1"}
    )
    assert_no_job(response)


def test_update_invalid_job(admin: h.Caller) -> None:
    # Flask-APScheduler: 500.
    add(admin)
    response = admin.patch("/scheduler/jobs/job1", {"trigger": "invalid_trigger"})
    assert response.status_code == 400
    assert "trigger" in response.json["msg"]


def test_update_keeps_a_paused_job_paused(admin: h.Caller) -> None:
    add(admin)
    admin.post("/scheduler/jobs/job1/pause")
    body = admin.patch("/scheduler/jobs/job1", {"trigger": "interval", "hours": 1}).json
    assert (body["hours"], body["paused"], body["next_run_time"]) == (1, True, None)


def test_pause_and_resume_job(admin: h.Caller) -> None:
    add(admin)
    response = admin.post("/scheduler/jobs/job1/pause")
    assert response.status_code == 200
    assert response.json["next_run_time"] is None
    assert response.json["paused"] is True
    response = admin.post("/scheduler/jobs/job1/resume")
    assert response.status_code == 200
    assert response.json["next_run_time"] is not None


def test_resume_a_job_whose_schedule_has_ended(admin: h.Caller) -> None:
    """Flask-APScheduler answers 200 with null, and the job is gone."""
    # Its first run would be in an hour, after its end: it is stored without a next
    # run time, as a paused job is.
    end = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=30)
    job = add(admin, trigger="interval", hours=1, end_date=end.isoformat())
    assert job["next_run_time"] is None
    response = admin.post("/scheduler/jobs/job1/resume")
    assert response.status_code == 200
    assert response.json is None
    assert_no_job(admin.get("/scheduler/jobs/job1"))


def test_pause_and_resume_job_not_found(admin: h.Caller) -> None:
    assert_no_job(admin.post("/scheduler/jobs/job1/pause"))
    assert_no_job(admin.post("/scheduler/jobs/job1/resume"))


def test_run_job(admin: h.Caller) -> None:
    add(admin, args=[42])
    response = admin.post("/scheduler/jobs/job1/run")
    assert response.status_code == 200
    body = response.json
    assert body["next_run_time"] is not None
    assert body["run"]["job_id"] == "job1"
    assert body["run"]["runs_url"] == "/scheduler/jobs/job1/runs"


def test_run_job_not_found(admin: h.Caller) -> None:
    assert_no_job(admin.post("/scheduler/jobs/job1/run"))


def test_api_prefix(tmp_path: Path) -> None:
    app = h.make_app(tmp_path, SCHEDULER_API_PREFIX="/api")
    try:
        admin = h.caller(app, "admin")
        assert admin.get("/api/jobs").status_code == 200
        response = admin.get("/invalidapi/jobs")
        assert response.status_code == 404
    finally:
        h.close(app)


def test_endpoint_prefix(tmp_path: Path) -> None:
    app = h.make_app(tmp_path, SCHEDULER_ENDPOINT_PREFIX="api.")
    try:
        with app.test_request_context():
            assert url_for("api.get_scheduler_info") == "/scheduler"
            assert url_for("api.get_job", job_id="x") == "/scheduler/jobs/x"
            assert "scheduler.get_scheduler_info" not in app.view_functions
    finally:
        h.close(app)


def test_default_endpoint_names(api_app: Flask) -> None:
    names = {
        "get_scheduler_info",
        "pause_scheduler",
        "resume_scheduler",
        "start_scheduler",
        "shutdown_scheduler",
        "add_job",
        "get_job",
        "get_jobs",
        "delete_job",
        "update_job",
        "pause_job",
        "resume_job",
        "run_job",
    }
    assert {f"scheduler.{name}" for name in names} <= set(api_app.view_functions)
