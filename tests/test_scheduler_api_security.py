"""The scheduler API is secure by default: auth, permissions, registered tasks only,
JSON writes only, every bad input a 4xx in the envelope, an audit line per change."""

from __future__ import annotations

import logging
import typing as t
from pathlib import Path

import pytest
from flask import Flask

from flask_toolkit import Toolkit
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


@pytest.mark.parametrize(
    "func",
    [
        "os:system",
        "builtins:eval",
        "subprocess:call",
        "os.system",
        "tests._scheduler_api:calls",
    ],
)
def test_unregistered_functions_are_refused(admin: h.Caller, func: str) -> None:
    response = admin.post(
        "/scheduler/jobs", {**JOB, "func": func, "args": ["touch /tmp/x"]}
    )
    assert response.status_code == 400
    message = response.json["msg"]["func"][0]
    assert "not a registered task" in message
    assert "'tests._scheduler_api:job1'" in message  # names the allowed tasks
    assert admin.get("/scheduler/jobs").json == []


def test_patch_cannot_change_func_to_unregistered(admin: h.Caller) -> None:
    admin.post("/scheduler/jobs", JOB)
    response = admin.patch(
        "/scheduler/jobs/job1", {"func": "os:system", "args": ["id"]}
    )
    assert response.status_code == 400
    assert "func" in response.json["msg"]
    job = admin.get("/scheduler/jobs/job1").json
    assert (job["func"], job["args"]) == (JOB["func"], [])


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/scheduler"),
        ("GET", "/scheduler/jobs"),
        ("GET", "/scheduler/jobs/job1"),
        ("GET", "/scheduler/openapi.json"),
        ("POST", "/scheduler/jobs"),
        ("POST", "/scheduler/start"),
        ("DELETE", "/scheduler/jobs/job1"),
    ],
)
def test_anonymous_gets_401(api_app: Flask, method: str, path: str) -> None:
    response = h.caller(api_app, None).open(
        method, path, JOB if method == "POST" else None
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json["code"] == -1


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/scheduler/jobs"),
        ("PATCH", "/scheduler/jobs/job1"),
        ("DELETE", "/scheduler/jobs/job1"),
        ("POST", "/scheduler/jobs/job1/run"),
        ("POST", "/scheduler/jobs/job1/pause"),
        ("POST", "/scheduler/pause"),
        ("POST", "/scheduler/start"),
        ("POST", "/scheduler/shutdown"),
    ],
)
def test_read_only_identity_cannot_write(
    api_app: Flask, admin: h.Caller, method: str, path: str
) -> None:
    admin.post("/scheduler/jobs", JOB)
    reader = h.caller(api_app, "reader")
    assert reader.get("/scheduler/jobs").status_code == 200
    response = reader.open(method, path, JOB if method == "POST" else {})
    assert response.status_code == 403
    assert "scheduler:write" in response.json["msg"]


def test_identity_without_permissions_cannot_read(api_app: Flask) -> None:
    response = h.caller(api_app, "nobody").get("/scheduler/jobs")
    assert response.status_code == 403
    assert "scheduler:read" in response.json["msg"]


@pytest.mark.parametrize(
    "content_type",
    ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data"],
)
def test_writes_require_json(admin: h.Caller, content_type: str) -> None:
    # A body without any Content-Type is read as JSON (Flask-APScheduler clients
    # send one): see test_scheduler_api_migration.py.
    headers = {"Content-Type": content_type}
    for path in ("/scheduler/jobs", "/scheduler/start"):
        response = admin.open("POST", path, data="id=job1", headers=headers)
        assert response.status_code == 415
        assert "application/json" in response.json["msg"]
    assert admin.get("/scheduler/jobs").json == []


def test_refuses_to_start_without_auth(tmp_path: Path) -> None:
    toolkit = Toolkit()
    app = Flask("no_auth", instance_path=str(tmp_path))
    app.config.update(TESTING=True, SCHEDULER_API_ENABLED=True)
    with pytest.raises(RuntimeError, match="identity_loader"):
        toolkit.init_app(app)


def test_anonymous_opt_out_is_loud(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    toolkit = Toolkit()
    app = Flask("no_auth", instance_path=str(tmp_path))
    app.config.update(
        TESTING=True, SCHEDULER_API_ENABLED=True, SCHEDULER_API_ALLOW_ANONYMOUS=True
    )
    with caplog.at_level(logging.WARNING):
        toolkit.init_app(app)
    assert "ANY caller" in caplog.text
    try:
        assert app.test_client().get("/scheduler/jobs").status_code == 200
    finally:
        with app.app_context():
            toolkit.scheduler.shutdown(wait=False)
        toolkit.db.get_engine(app).dispose()


BAD_JOBS: list[tuple[dict[str, t.Any], str]] = [
    ({"trigger": "weekly"}, "trigger"),
    ({"minutes": "abc"}, "minutes"),
    ({"minutes": True}, "minutes"),
    ({"minutes": 1.5}, "minutes"),
    ({"minutes": -1}, "minutes"),
    ({"trigger": "cron", "minutes": None, "minute": "*/61"}, "minute"),
    ({"trigger": "cron", "minutes": None, "hour": "25"}, "hour"),
    ({"trigger": "cron", "minutes": None, "day_of_week": "funday"}, "day_of_week"),
    ({"trigger": "cron", "minutes": None, "month": []}, "month"),
    ({"trigger": "date", "minutes": None, "run_date": "next tuesday"}, "run_date"),
    ({"trigger": "date", "minutes": None, "run_date": "2025-02-30"}, "run_date"),
    ({"trigger": "date", "minutes": None, "run_date": 1700000000}, "run_date"),
    ({"trigger": "date", "minutes": None, "run_date": "0001-01-01"}, "run_date"),
    ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
    ({"timezone": "../../etc/passwd"}, "timezone"),
    ({"start_date": "2030-01-02", "end_date": "2030-01-01"}, "end_date"),
    ({"colour": "blue"}, "colour"),
    ({"args": "not a list"}, "args"),
    ({"args": [float("nan")]}, "args"),
    ({"kwargs": [1, 2]}, "kwargs"),
    ({"kwargs": {"not valid": 1}}, "kwargs"),
    ({"id": ""}, "id"),
    ({"id": "a/b"}, "id"),
    ({"id": 7}, "id"),
    ({"id": "x" * 192}, "id"),
    ({"name": ["x"]}, "name"),
    ({"max_instances": 0}, "max_instances"),
    ({"misfire_grace_time": "soon"}, "misfire_grace_time"),
    ({"coalesce": "yes"}, "coalesce"),
    ({"jobstore": "nowhere"}, "jobstore"),
    ({"executor": "nowhere"}, "executor"),
    ({"next_run_time": "tomorrow"}, "next_run_time"),
]


@pytest.mark.parametrize(("changes", "field"), BAD_JOBS)
def test_bad_job_fields_are_400(
    admin: h.Caller, changes: dict[str, t.Any], field: str
) -> None:
    body = {k: v for k, v in {**JOB, **changes}.items() if v is not None}
    response = admin.post("/scheduler/jobs", body)
    assert response.status_code == 400, response.json
    assert field in response.json["msg"], response.json
    assert admin.get("/scheduler/jobs").json == []


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b"[1, 2]", 400),
        (b'"job"', 400),
        (b"null", 400),
    ],
)
def test_bad_bodies_are_json_4xx(admin: h.Caller, body: bytes, status: int) -> None:
    response = admin.open(
        "POST",
        "/scheduler/jobs",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == status
    assert response.is_json and response.json["code"] == -1


def test_patch_errors(admin: h.Caller) -> None:
    admin.post("/scheduler/jobs", JOB)
    cases = [
        ({"minutes": 5}, "trigger"),  # trigger fields without a trigger
        ({"id": "other"}, "id"),
        ({"jobstore": "default"}, "jobstore"),
        ({"trigger": "cron", "second": "99"}, "second"),
    ]
    for body, field in cases:
        response = admin.patch("/scheduler/jobs/job1", body)
        assert response.status_code == 400, body
        assert field in response.json["msg"], response.json
    assert admin.get("/scheduler/jobs/job1").json["minutes"] == 10


def test_list_query_errors(admin: h.Caller) -> None:
    for query, field in [
        ("page=0", "page"),
        ("page=x", "page"),
        ("per_page=100000", "per_page"),
        ("state=sleeping", "state"),
        ("jobstore=nowhere", "jobstore"),
        ("next_run_from=yesterday", "next_run_from"),
        ("next_run_from=2030-01-02&next_run_to=2030-01-01", "next_run_to"),
        ("sort=name", "sort"),
        ("colour=blue", "colour"),
    ]:
        response = admin.get(f"/scheduler/jobs?{query}")
        assert response.status_code == 400, query
        assert field in response.json["msg"], (query, response.json)


@pytest.mark.parametrize("prefix", ["", "api", "a.b.", "scheduler"])
def test_bad_endpoint_prefix(tmp_path: Path, prefix: str) -> None:
    with pytest.raises(RuntimeError, match="SCHEDULER_ENDPOINT_PREFIX"):
        h.make_app(tmp_path, SCHEDULER_ENDPOINT_PREFIX=prefix)


def test_disabled_by_default(tmp_path: Path) -> None:
    app = h.make_app(tmp_path, SCHEDULER_API_ENABLED=False)
    try:
        assert "scheduler" not in app.blueprints
        assert h.caller(app, "admin").get("/scheduler/jobs").status_code == 404
    finally:
        h.close(app)


def test_unknown_path_under_prefix_is_json_404(admin: h.Caller) -> None:
    response = admin.get("/scheduler/nothing/here", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.json["code"] == -1
    response = admin.open("PUT", "/scheduler/jobs/job1", {"id": "job1"})
    assert response.status_code == 405
    assert response.json["code"] == -1


def test_audit_log(admin: h.Caller, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        admin.post("/scheduler/jobs", JOB)
        admin.post("/scheduler/jobs/job1/pause")
        admin.delete("/scheduler/jobs/job1")
        admin.get("/scheduler/jobs")
    audits = [r.toolkit_audit for r in caplog.records if hasattr(r, "toolkit_audit")]
    assert [(a["identity"], a["action"], a["job"]) for a in audits] == [
        ("admin", "add_job", "job1"),
        ("admin", "pause_job", "job1"),
        ("admin", "delete_job", "job1"),
    ]
    assert all(a["time"] for a in audits)
    assert "identity='admin' action=add_job job='job1'" in caplog.text


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"args": [1, 2]}, "args"),
        ({"kwargs": {"y": 1}}, "kwargs"),
        ({"args": [1], "kwargs": {"x": 2}}, "args"),
    ],
)
def test_arguments_must_fit_the_task(
    admin: h.Caller, changes: dict[str, t.Any], field: str
) -> None:
    response = admin.post("/scheduler/jobs", {**JOB, **changes})
    assert response.status_code == 400
    assert "takes (x: 't.Any' = 0)" in response.json["msg"][field][0]
    admin.post("/scheduler/jobs", JOB)
    response = admin.patch("/scheduler/jobs/job1", changes)
    assert response.status_code == 400
    assert field in response.json["msg"]
    assert admin.patch("/scheduler/jobs/job1", {"kwargs": {"x": 3}}).status_code == 200
