"""A Flask-APScheduler user's store and clients, on our API: jobs whose function is
not a registered task, per-app tasks, job ids every store keeps exactly, and the last
wire-format differences (no Content-Type, ``error_message``, ``?_=``, ...)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import typing as t
from pathlib import Path

import pytest
from flask import Flask

from flask_toolkit import Identity
from flask_toolkit import public
from flask_toolkit.auth import login_user
from flask_toolkit.extension import get_state
from tests import _scheduler_api as h
from tests._servers import ServerDatabases

JOB = {
    "id": "job1",
    "func": "tests._scheduler_api:job1",
    "trigger": "interval",
    "minutes": 10,
}
STORES = [
    pytest.param("sqlite", id="sqlite", marks=pytest.mark.sqlite),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgresql),
    pytest.param("mariadb", id="mariadb", marks=pytest.mark.mariadb),
    pytest.param("redis", id="redis"),
]


def only_app_a(x: int = 0) -> int:
    """A task registered for one app only."""
    return x


@pytest.fixture(params=STORES)
def store_app(
    request: pytest.FixtureRequest, tmp_path: Path, server_databases: ServerDatabases
) -> t.Iterator[Flask]:
    """An API app whose default job store is the app database on each backend, or
    Redis."""
    config: dict[str, t.Any] = {"SCHEDULER_DASHBOARD_ENABLED": True}
    database = None
    if request.param in ("postgresql", "mariadb"):
        database = server_databases.get(request.param)
        config["SQLALCHEMY_DATABASE_URI"] = database.url_string
    elif request.param == "redis":
        redis_url = request.getfixturevalue("redis_url")
        config["SCHEDULER_JOBSTORES"] = {"default": redis_url}
    app = h.make_app(tmp_path, **config)
    yield app
    h.close(app)
    if database is not None:
        database.clean()


@pytest.fixture
def admin(store_app: Flask) -> h.Caller:
    return h.caller(store_app, "admin")


def store_legacy_job(app: Flask, command: str, *, paused: bool = True) -> None:
    """Put an ``os:system`` job straight into the store, as a Flask-APScheduler app
    that let its API schedule it would have left it."""
    with app.app_context():
        scheduler = get_state(app).components["scheduler"].open()
        scheduler.add_job(
            "os:system",
            "interval",
            hours=1,
            id="legacy",
            name="legacy",
            args=[command],
            **({"next_run_time": None} if paused else {}),
        )


def settle(app: Flask) -> None:
    """Stop the scheduler and wait for every run it was given to finish."""
    scheduler = get_state(app).components["scheduler"].scheduler
    executors = list(scheduler._executors.values()) if scheduler is not None else []
    with app.app_context():
        h.toolkit.scheduler.shutdown(wait=True)
    for executor in executors:
        executor.shutdown(wait=True)


# -- jobs whose function is not a registered task ------------------------------------


def test_unregistered_job_can_be_seen_paused_and_deleted_never_run(
    store_app: Flask, admin: h.Caller, tmp_path: Path
) -> None:
    pwned = tmp_path / "PWNED"
    store_legacy_job(store_app, f"touch {pwned}")
    listed = admin.get("/scheduler/jobs").json
    assert [(j["id"], j["func"], j["registered"]) for j in listed] == [
        ("legacy", "os:system", False)
    ]
    job = admin.get("/scheduler/jobs/legacy").json
    assert (job["registered"], job["paused"]) == (False, True)

    refused = [
        admin.patch("/scheduler/jobs/legacy", {"args": ["id"]}),
        admin.patch("/scheduler/jobs/legacy", {"kwargs": {}}),
        admin.patch("/scheduler/jobs/legacy", {"trigger": "interval", "seconds": 1}),
        admin.patch("/scheduler/jobs/legacy", {"next_run_time": "2030-01-01"}),
        admin.patch("/scheduler/jobs/legacy", {"name": "renamed"}),
        admin.post("/scheduler/jobs/legacy/resume"),
        admin.post("/scheduler/jobs/legacy/run"),
    ]
    for response in refused:
        assert response.status_code == 409, response.json
        message = response.json["msg"]
        assert "'os:system'" in message and "not a registered task" in message
        assert "toolkit.scheduler.register" in message
        assert response.json["error_message"] == message
    assert admin.get("/scheduler/jobs/legacy").json == job

    assert admin.post("/scheduler/jobs/legacy/pause").json["registered"] is False
    assert admin.delete("/scheduler/jobs/legacy").status_code == 204
    assert admin.get("/scheduler/jobs/legacy").status_code == 404
    settle(store_app)
    assert not pwned.exists()
    with store_app.app_context():
        assert h.toolkit.scheduler.history.runs("legacy")[1] == 0


def test_unregistered_job_becomes_a_task_when_its_func_is_patched(
    store_app: Flask, admin: h.Caller, tmp_path: Path
) -> None:
    store_legacy_job(store_app, "echo hello", paused=False)
    assert admin.post("/scheduler/jobs/legacy/run").status_code == 409
    response = admin.patch("/scheduler/jobs/legacy", {"func": JOB["func"]})
    assert response.status_code == 200, response.json
    assert (response.json["func"], response.json["registered"]) == (JOB["func"], True)
    assert response.json["args"] == ["echo hello"]  # job1(x) takes one argument
    assert admin.post("/scheduler/jobs/legacy/run").status_code == 200


def test_unregistered_jobs_are_named_at_start_and_in_the_cli(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = h.make_app(tmp_path)
    try:
        store_legacy_job(app, "true")
        with app.app_context():
            h.toolkit.scheduler.add_job("mine", "tests._scheduler_api:job1", "date")
        settle(app)
        with caplog.at_level(logging.WARNING):
            with app.app_context():
                h.toolkit.scheduler.get_jobs()  # opens the scheduler again
        warnings = [
            r.getMessage() for r in caplog.records if "legacy" in r.getMessage()
        ]
        assert len(warnings) == 1
        assert "'legacy' (os:system)" in warnings[0]
        assert "mine" not in warnings[0]
        runner = app.test_cli_runner()
        lines = runner.invoke(args=["toolkit", "jobs", "list"]).output.splitlines()
        marks = {line.split("\t")[0]: line.endswith("\tUNREGISTERED") for line in lines}
        assert marks == {"legacy": True, "mine": False}
        only = runner.invoke(args=["toolkit", "jobs", "list", "--unregistered"])
        assert [line.split("\t")[0] for line in only.output.splitlines()] == ["legacy"]
    finally:
        h.close(app)


# -- config functions and per-app tasks -----------------------------------------------

CONFIG_JOB = {"id": "cfg", "func": "os:getpid", "trigger": "interval", "hours": 1}


def test_config_functions_run_as_configured_but_are_not_tasks(tmp_path: Path) -> None:
    app = h.make_app(tmp_path, SCHEDULER_JOBS=[CONFIG_JOB])
    try:
        admin = h.caller(app, "admin")
        job = admin.get("/scheduler/jobs/cfg").json
        # Flask-APScheduler names a job without a name after its id.
        assert (job["name"], job["func"], job["registered"]) == (
            "cfg",
            "os:getpid",
            True,
        )
        response = admin.post("/scheduler/jobs", {**JOB, "func": "os:getpid"})
        assert response.status_code == 400
        assert "not a registered task" in response.json["msg"]["func"][0]
        response = admin.patch("/scheduler/jobs/cfg", {"args": [1]})
        assert response.status_code == 409
        assert "SCHEDULER_JOBS" in response.json["msg"]
        assert admin.get("/scheduler/jobs/cfg").json["args"] == []
        # The rest works as for any job.
        assert admin.post("/scheduler/jobs/cfg/run").status_code == 200
        changed = admin.patch(
            "/scheduler/jobs/cfg", {"trigger": "interval", "hours": 2}
        )
        assert changed.json["hours"] == 2
        assert admin.post("/scheduler/jobs/cfg/pause").json["paused"] is True
        assert admin.post("/scheduler/jobs/cfg/resume").json["paused"] is False
    finally:
        h.close(app)


def test_tasks_are_per_app(tmp_path: Path) -> None:
    a = h.make_app(tmp_path / "a", SCHEDULER_JOBS=[CONFIG_JOB])
    b = h.make_app(tmp_path / "b")
    try:
        h.toolkit.scheduler.register(only_app_a, app=a)
        job = {**JOB, "id": "x"}
        for app, func, status in [
            (a, "os:getpid", 400),  # a config function of a: not a task anywhere
            (b, "os:getpid", 400),
            (a, f"{__name__}:only_app_a", 200),
            (b, f"{__name__}:only_app_a", 400),
            (a, JOB["func"], 200),  # declared on the toolkit: a task of every app
            (b, JOB["func"], 200),
        ]:
            admin = h.caller(app, "admin")
            response = admin.post("/scheduler/jobs", {**job, "func": func})
            assert response.status_code == status, (app.instance_path, func)
            admin.delete("/scheduler/jobs/x")
        with a.app_context():
            assert f"{__name__}:only_app_a" in h.toolkit.scheduler.registry
        with b.app_context():
            assert f"{__name__}:only_app_a" not in h.toolkit.scheduler.registry
            assert "os:getpid" not in h.toolkit.scheduler.registry
    finally:
        h.close(a)
        h.close(b)


# -- job ids --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "job_id", ["a\x00b", "line\nbreak", "tab\there", "del\x7f", "x\x1b[31m"]
)
def test_ids_with_control_characters_are_field_errors(
    admin: h.Caller, job_id: str
) -> None:
    response = admin.post("/scheduler/jobs", {**JOB, "id": job_id})
    assert response.status_code == 400, response.json
    message = response.json["msg"]["id"][0]  # NUL: the body reader's own rule
    assert "control characters" in message or "NUL characters" in message
    assert admin.get("/scheduler/jobs").json == []


def test_lone_surrogate_id_is_refused(admin: h.Caller) -> None:
    body = json.dumps({**JOB, "id": "x\ud800"})  # ASCII: "x\\ud800"
    response = admin.post(
        "/scheduler/jobs", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.json
    assert response.json["code"] == -1
    assert admin.get("/scheduler/jobs").json == []


@pytest.mark.parametrize("quoted", ["a%00b", "x%ED%A0%80", "%0A", "x%C0%80"])
def test_ids_no_job_can_have_are_404_in_the_url(admin: h.Caller, quoted: str) -> None:
    admin.post("/scheduler/jobs", JOB)
    path = f"/scheduler/jobs/{quoted}"
    for method, suffix in [
        ("GET", ""),
        ("PATCH", ""),
        ("DELETE", ""),
        ("POST", "/pause"),
        ("POST", "/resume"),
        ("POST", "/run"),
        ("GET", "/runs"),
    ]:
        body = {"args": [1]} if method == "PATCH" else None
        response = admin.open(method, path + suffix, body)
        assert response.status_code == 404, (method, suffix, response.data)
        assert response.json["code"] == -1


def test_ids_compare_exactly(admin: h.Caller) -> None:
    ids = ["Case", "case", "CASE", "a", "a ", "é", "e\u0301"]
    for job_id in ids:
        response = admin.post("/scheduler/jobs", {**JOB, "id": job_id})
        assert response.status_code == 200, (job_id, response.json)
    for job_id in ids:
        quoted = job_id.replace(" ", "%20")
        assert admin.get(f"/scheduler/jobs/{quoted}").json["id"] == job_id
    listed = admin.get("/scheduler/jobs?sort=id").json
    assert sorted(j["id"] for j in listed) == sorted(ids)
    assert admin.post("/scheduler/jobs", {**JOB, "id": "case"}).status_code == 409
    assert admin.delete("/scheduler/jobs/case").status_code == 204
    assert admin.get("/scheduler/jobs/Case").json["id"] == "Case"
    assert admin.get("/scheduler/jobs/case").status_code == 404


def test_run_history_ids_compare_exactly(store_app: Flask, admin: h.Caller) -> None:
    """The runs of ``Case`` are not the runs of ``case`` (MariaDB compares text
    without case unless the column is binary)."""
    for job_id in ("Case", "case"):
        assert admin.post("/scheduler/jobs", {**JOB, "id": job_id}).status_code == 200
    with store_app.app_context():
        history = store_app.extensions["toolkit"].toolkit.scheduler.history
        history.record(
            "Case", dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc), "missed"
        )
    runs = admin.get("/scheduler/jobs/Case/runs").json
    assert [r["job_id"] for r in runs] == ["Case"]
    assert admin.get("/scheduler/jobs/case/runs").json == []


# -- Flask-APScheduler clients --------------------------------------------------------


def test_bodies_without_content_type_are_json(admin: h.Caller) -> None:
    # As Flask-APScheduler's tests and clients send them: data=json.dumps(...).
    response = admin.open("POST", "/scheduler/jobs", data=json.dumps(JOB))
    assert response.status_code == 200, response.json
    assert "Content-Type" not in response.request.headers
    response = admin.open(
        "PATCH", "/scheduler/jobs/job1", data=json.dumps({"args": [3]})
    )
    assert response.json["args"] == [3]
    response = admin.open("POST", "/scheduler/jobs", data="id=job2&func=x")
    assert response.status_code == 400
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        response = admin.open(
            "POST",
            "/scheduler/jobs",
            data=json.dumps({**JOB, "id": "job3"}),
            headers={"Content-Type": content_type},
        )
        assert response.status_code == 415
    assert [j["id"] for j in admin.get("/scheduler/jobs").json] == ["job1"]


def test_bodies_without_content_type_need_csrf_from_cookie_callers(
    tmp_path: Path,
) -> None:
    app = h.make_app(tmp_path)
    try:

        @app.post("/login")
        @public
        def login() -> str:
            login_user(Identity("admin", h.USERS["admin"]))
            return "ok"

        client = app.test_client()
        assert client.post("/login", json={}).status_code == 200
        response = client.post("/scheduler/jobs", data=json.dumps(JOB))
        assert response.status_code == 400
        assert "CSRF" in response.json["msg"]
        assert client.get("/scheduler/jobs").json == []
        from flask import session
        from flask_wtf.csrf import generate_csrf

        with client.session_transaction() as sess, app.test_request_context():
            session.update(sess)
            token = generate_csrf()
            sess.update(session)
        response = client.post(
            "/scheduler/jobs", data=json.dumps(JOB), headers={"X-CSRFToken": token}
        )
        assert response.status_code == 200, response.json
    finally:
        h.close(app)


def test_errors_carry_error_message(store_app: Flask, admin: h.Caller) -> None:
    response = admin.get("/scheduler/jobs/nope")
    assert response.status_code == 404
    assert response.json["error_message"] == response.json["msg"]
    assert response.json["code"] == -1
    response = admin.post("/scheduler/jobs", {"id": "x", "func": "os:system"})
    assert response.status_code == 400
    assert "func" in response.json["msg"]
    assert response.json["error_message"].startswith("func: 'os:system' is not a")
    for caller, path in [
        (h.caller(store_app, None), "/scheduler/jobs"),
        (h.caller(store_app, "reader"), "/scheduler/start"),
        (admin, "/scheduler/no/such/path"),
    ]:
        response = caller.open("POST", path)
        assert response.status_code in (401, 403, 404)
        assert response.json["error_message"] == response.json["msg"]
    assert "error_message" not in admin.post("/scheduler/jobs", JOB).json


def test_resuming_an_ended_job_answers_200_null(admin: h.Caller) -> None:
    ended = {**JOB, "start_date": "2020-01-01", "end_date": "2020-01-02"}
    assert admin.post("/scheduler/jobs", ended).json["paused"] is True
    response = admin.post("/scheduler/jobs/job1/resume")
    assert (response.status_code, response.json) == (200, None)
    assert admin.get("/scheduler/jobs/job1").status_code == 404


def test_jquery_cache_buster_is_ignored(admin: h.Caller) -> None:
    admin.post("/scheduler/jobs", JOB)
    assert len(admin.get("/scheduler/jobs?_=1700000000000").json) == 1
    assert admin.get("/scheduler/jobs/job1/runs?_=1").status_code == 200
    assert admin.get("/scheduler/jobs?_=1&colour=blue").status_code == 400


def test_config_job_named_after_its_id(tmp_path: Path) -> None:
    app = h.make_app(
        tmp_path,
        SCHEDULER_JOBS=[
            {**JOB, "id": "unnamed"},
            {**JOB, "id": "named", "name": "A name"},
        ],
    )
    try:
        admin = h.caller(app, "admin")
        names = {j["id"]: j["name"] for j in admin.get("/scheduler/jobs").json}
        assert names == {"unnamed": "unnamed", "named": "A name"}
    finally:
        h.close(app)


@pytest.mark.parametrize(
    ("key", "advice"),
    [
        ("SCHEDULER_AUTH", "scheduler:write"),
        ("SCHEDULER_ALLOWED_HOSTS", "SCHEDULER_AUTOSTART = False"),
    ],
)
def test_flask_apscheduler_only_keys_warn(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, key: str, advice: str
) -> None:
    with caplog.at_level(logging.WARNING):
        app = h.make_app(tmp_path, **{key: ["anything"]})
    h.close(app)
    warnings = [r.getMessage() for r in caplog.records if key in r.getMessage()]
    assert len(warnings) == 1
    assert "no effect" in warnings[0] and advice in warnings[0]


def test_no_warning_without_those_keys(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        app = h.make_app(tmp_path)
    h.close(app)
    assert "Flask-APScheduler setting" not in caplog.text
    assert os.path.isdir(tmp_path)


@pytest.mark.parametrize(
    "changes",
    [
        {"name": "n\x00ul"},
        {"args": ["a\x00b"]},
        {"kwargs": {"x": "a\x00b"}},
        {"name": "x\ud800"},
        {"args": ["x\udfff"]},
    ],
)
def test_odd_text_in_other_fields_is_never_a_500(
    admin: h.Caller, changes: dict[str, t.Any]
) -> None:
    body = json.dumps({**JOB, **changes})
    response = admin.post(
        "/scheduler/jobs", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code in (200, 400), response.data
    if response.status_code == 200:
        job = admin.get("/scheduler/jobs/job1").json
        assert {key: job[key] for key in changes} == changes


@pytest.mark.parametrize("quoted", ["a%00b", "x%ED%A0%80", "%0A"])
def test_dashboard_pages_of_ids_no_job_can_have_are_404(
    store_app: Flask, admin: h.Caller, quoted: str
) -> None:
    admin.post("/scheduler/jobs", JOB)
    assert admin.get("/scheduler/dashboard/jobs/job1").status_code == 200
    path = f"/scheduler/dashboard/jobs/{quoted}"
    assert admin.get(path).status_code == 404
    response = admin.post(f"{path}/run", data={"csrf_token": "x"})
    assert response.status_code in (400, 404)
