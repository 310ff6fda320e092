"""Job bodies the scheduler API refuses, and why: one row per rule, each with the exact
answer a client gets (the fuzz test only checks that bad input is a 4xx)."""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest
from flask import Flask

from tests import _scheduler_api as h

FUNC = "tests._scheduler_api:job1"
SCHEDULE_HINT = "Send 'trigger' with the trigger's fields to change the schedule."


@pytest.fixture(scope="module")
def api_app(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[Flask]:
    app = h.make_app(Path(tmp_path_factory.mktemp("validation")))
    yield app
    h.close(app)


@pytest.fixture
def admin(api_app: Flask) -> t.Iterator[h.Caller]:
    caller = h.caller(api_app, "admin")
    assert (
        caller.post(
            "/scheduler/jobs",
            {"id": "job1", "func": FUNC, "trigger": "interval", "minutes": 10},
        ).json["id"]
        == "job1"
    )
    yield caller
    for job in caller.get("/scheduler/jobs").json:
        caller.delete(f"/scheduler/jobs/{job['id']}")


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {"trigger": "interval", "minutes": 10, "colour": "red"},
            {"colour": ["Unknown field."]},
        ),
        # A trigger object: its type decides which keys belong to the trigger.
        (
            {"trigger": {"type": "cron", "hour": 3}, "minutes": 10},
            {"minutes": ["Unknown field."]},
        ),
        ({"trigger": {"hour": 3}}, {"hour": ["Unknown field."]}),  # type: date
        ({"hour": 3}, {"hour": ["Unknown field."]}),  # no trigger: a date trigger
        ({"id": "a/b"}, {"id": ["A job id cannot contain '/'."]}),
        (
            {"trigger": "weekly"},
            {
                "trigger": [
                    "Unknown trigger 'weekly'; use one of 'date', 'interval', 'cron'."
                ]
            },
        ),
        (
            {
                "trigger": "interval",
                "start_date": "2040-01-02T00:00:00",
                "end_date": "2040-01-01T23:59:59+00:00",
            },
            {"end_date": ["end_date must not be before start_date."]},
        ),
        (
            {"jobstore": "nope"},
            {"jobstore": ["There is no jobstore 'nope'; configured: 'default'."]},
        ),
        (
            {"executor": "nope"},
            {"executor": ["There is no executor 'nope'; configured: 'default'."]},
        ),
        (
            {"trigger": "interval", "days": 36_501},
            {"days": ["Number must be between 0 and 36500."]},
        ),
        (
            {"trigger": "cron", "hour": "25"},
            {
                "hour": [
                    "Bad cron expression for 'hour': Error validating expression '25':"
                    " the last value (25) is higher than the maximum value (23)."
                ]
            },
        ),
        (
            {"trigger": "weekly", "colour": 1, "max_instances": 0},
            {
                "trigger": [
                    "Unknown trigger 'weekly'; use one of 'date', 'interval', 'cron'."
                ],
                "colour": ["Unknown field."],
                "max_instances": ["Number must be between 1 and 10000."],
            },
        ),
    ],
)
def test_new_job_refused(
    admin: h.Caller, body: dict[str, t.Any], errors: dict[str, t.Any]
) -> None:
    response = admin.post("/scheduler/jobs", {"id": "new", "func": FUNC, **body})
    assert response.status_code == 400
    body = response.json
    assert (body["code"], body["msg"]) == (-1, errors)
    assert isinstance(body["error_message"], str)  # for Flask-APScheduler clients
    assert admin.get("/scheduler/jobs/new").status_code == 404


def test_only_registered_tasks(admin: h.Caller) -> None:
    response = admin.post("/scheduler/jobs", {"id": "new", "func": "os:system"})
    assert response.status_code == 400
    (message,) = response.json["msg"]["func"]
    # Other test modules may register tasks of their own on the shared toolkit.
    assert message.startswith(
        "'os:system' is not a registered task; only registered tasks can be"
        " scheduled. Allowed: "
    )
    assert "'tests._scheduler_api:job1'" in message


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"run_date": "2040-01-01T00:00:00+00:00"}, {"trigger": "date"}),
        (
            {"trigger": "interval", "start_date": "2040-01-01T00:00:00Z", "hours": 2},
            {"trigger": "interval", "end_date": None, "hours": 2},
        ),
        (
            {"trigger": "interval", "minutes": 5, "jitter": None, "end_date": None},
            {"trigger": "interval", "minutes": 5},
        ),
        ({"trigger": "date", "misfire_grace_time": None}, {"misfire_grace_time": None}),
        (
            {
                "trigger": "interval",
                "hours": 1,
                "start_date": "2040-01-01T00:00:00+00:00",
                "end_date": "2040-01-01T00:00:00+00:00",
            },
            {"end_date": "2040-01-01T00:00:00+00:00"},
        ),
        ({"trigger": {"type": "cron", "hour": 3}}, {"trigger": "cron", "hour": "3"}),
    ],
)
def test_new_job_accepted(
    admin: h.Caller, body: dict[str, t.Any], expected: dict[str, t.Any]
) -> None:
    response = admin.post("/scheduler/jobs", {"id": "new", "func": FUNC, **body})
    assert response.status_code == 200, response.json
    job = response.json
    assert {k: job.get(k) for k in expected} == expected
    assert admin.get("/scheduler/jobs/new").json == job


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {"id": "other"},
            {"id": ["A job's id cannot be changed; add a new job instead."]},
        ),
        ({"id": "job1", "minutes": 5}, {"trigger": [SCHEDULE_HINT]}),
        ({"name": "x", "weeks": 1}, {"trigger": [SCHEDULE_HINT]}),
        (
            {"jobstore": "default"},
            {
                "jobstore": [
                    "A job cannot move to another job store; delete it and add it"
                    " there."
                ]
            },
        ),
        ({"colour": 1}, {"colour": ["Unknown field."]}),
    ],
)
def test_change_refused(
    admin: h.Caller, body: dict[str, t.Any], errors: dict[str, t.Any]
) -> None:
    before = admin.get("/scheduler/jobs/job1").json
    response = admin.patch("/scheduler/jobs/job1", body)
    assert response.status_code == 400
    body = response.json
    assert (body["code"], body["msg"]) == (-1, errors)
    assert isinstance(body["error_message"], str)  # for Flask-APScheduler clients
    assert admin.get("/scheduler/jobs/job1").json == before


@pytest.mark.parametrize(
    "body",
    [
        {"trigger": "cron", "hour": 4},
        {"trigger": {"type": "cron", "hour": 4}},
        {"id": "job1", "trigger": "cron", "hour": "4"},
    ],
)
def test_change_of_schedule(admin: h.Caller, body: dict[str, t.Any]) -> None:
    job = admin.patch("/scheduler/jobs/job1", body).json
    assert (job["trigger"], job["hour"], job["id"]) == ("cron", "4", "job1")
    assert job["next_run_time"].endswith("T04:00:00+00:00")
