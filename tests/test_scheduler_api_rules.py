"""More of the job API's validation rules, each pinned by the answer a client gets:
error messages that name the app's own job stores and executors, a task list that is
empty, end dates compared across time zones, and nulls inside a trigger."""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest
from flask import Flask

from flask_toolkit.errors import APIError
from flask_toolkit.scheduler.schemas import check_call
from tests import _scheduler_api as h

FUNC = "tests._scheduler_api:job1"


@pytest.fixture(scope="module")
def api_app(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[Flask]:
    # Two job stores and two executors under other aliases, so that a message that
    # lists one kind cannot pass for the other.
    app = h.make_app(
        Path(tmp_path_factory.mktemp("rules")),
        SCHEDULER_JOBSTORES={"default": "memory", "archive": "memory"},
        SCHEDULER_EXECUTORS={
            "default": {"type": "threadpool", "max_workers": 2},
            "fast": {"type": "threadpool", "max_workers": 1},
            "slow": {"type": "threadpool", "max_workers": 1},
        },
    )
    yield app
    h.close(app)


@pytest.fixture
def admin(api_app: Flask) -> t.Iterator[h.Caller]:
    caller = h.caller(api_app, "admin")
    yield caller
    for job in caller.get("/scheduler/jobs").json:
        caller.delete(f"/scheduler/jobs/{job['id']}")


def refused(response: t.Any) -> t.Any:
    assert response.status_code == 400, response.json
    assert response.json["code"] == -1
    return response.json["msg"]


def test_unknown_jobstore_lists_the_job_stores(admin: h.Caller) -> None:
    response = admin.post(
        "/scheduler/jobs", {"id": "new", "func": FUNC, "jobstore": "fast"}
    )
    assert refused(response) == {
        "jobstore": ["There is no jobstore 'fast'; configured: 'archive', 'default'."]
    }
    assert admin.get("/scheduler/jobs/new").status_code == 404


def test_unknown_executor_lists_the_executors(admin: h.Caller) -> None:
    response = admin.post(
        "/scheduler/jobs", {"id": "new", "func": FUNC, "executor": "archive"}
    )
    assert refused(response) == {
        "executor": [
            "There is no executor 'archive'; configured: 'default', 'fast', 'slow'."
        ]
    }


def test_job_in_the_second_store_and_executor(admin: h.Caller) -> None:
    body = {
        "id": "kept",
        "func": FUNC,
        "jobstore": "archive",
        "executor": "slow",
        "trigger": "interval",
        "hours": 1,
    }
    response = admin.post("/scheduler/jobs", body)
    assert response.status_code == 200, response.json
    listed = admin.get("/scheduler/jobs?jobstore=archive").json
    assert [job["id"] for job in listed] == ["kept"]
    assert admin.get("/scheduler/jobs?jobstore=default").json == []


def test_listing_by_unknown_jobstore(admin: h.Caller) -> None:
    response = admin.get("/scheduler/jobs?jobstore=slow")
    assert refused(response) == {
        "jobstore": ["There is no jobstore 'slow'; configured: 'archive', 'default'."]
    }


@pytest.mark.parametrize(
    ("trigger", "expected_end"),
    [
        # 10:00 at +05:00 is 05:00 UTC: an end at 06:00 UTC is after it.
        (
            {
                "start_date": "2040-01-01T10:00:00+05:00",
                "end_date": "2040-01-01T06:00:00Z",
            },
            "2040-01-01T06:00:00+00:00",
        ),
        # An end date alone (no start date) is fine.
        ({"end_date": "2040-01-01T06:00:00+00:00"}, "2040-01-01T06:00:00+00:00"),
    ],
)
def test_end_date_accepted(
    admin: h.Caller, trigger: dict[str, str], expected_end: str
) -> None:
    body = {"id": "new", "func": FUNC, "trigger": "interval", "hours": 1, **trigger}
    response = admin.post("/scheduler/jobs", body)
    assert response.status_code == 200, response.json
    assert response.json["end_date"] == expected_end


def test_end_date_before_start_date_across_time_zones(admin: h.Caller) -> None:
    # 10:00 at -05:00 is 15:00 UTC: an end at 12:00 UTC is before it.
    body = {
        "id": "new",
        "func": FUNC,
        "trigger": "interval",
        "hours": 1,
        "start_date": "2040-01-01T10:00:00-05:00",
        "end_date": "2040-01-01T12:00:00+00:00",
    }
    assert refused(admin.post("/scheduler/jobs", body)) == {
        "end_date": ["end_date must not be before start_date."]
    }


def test_null_interval_unit_is_left_out(admin: h.Caller) -> None:
    body = {
        "id": "new",
        "func": FUNC,
        "trigger": "interval",
        "minutes": None,
        "seconds": 30,
    }
    response = admin.post("/scheduler/jobs", body)
    assert response.status_code == 200, response.json
    assert response.json["seconds"] == 30
    assert response.json.get("minutes") in (None, 0)


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"minutes": -1}, {"minutes": ["Number must be between 0 and 52560000."]}),
        (
            {"seconds": 3_153_600_001},
            {"seconds": ["Number must be between 0 and 3153600000."]},
        ),
        ({"weeks": 5_201}, {"weeks": ["Number must be between 0 and 5200."]}),
        ({"hours": 876_001}, {"hours": ["Number must be between 0 and 876000."]}),
    ],
)
def test_interval_limits(
    admin: h.Caller, body: dict[str, t.Any], errors: dict[str, t.Any]
) -> None:
    response = admin.post(
        "/scheduler/jobs", {"id": "new", "func": FUNC, "trigger": "interval", **body}
    )
    assert refused(response) == errors


def test_zero_interval_unit_is_allowed(admin: h.Caller) -> None:
    body = {"id": "new", "func": FUNC, "trigger": "interval", "minutes": 0, "hours": 2}
    response = admin.post("/scheduler/jobs", body)
    assert response.status_code == 200, response.json


def test_no_tasks_registered(tmp_path: Path) -> None:
    """An app whose task registry is empty says so instead of listing nothing."""
    from flask_toolkit import Toolkit

    app = Flask("no_tasks", instance_path=str(tmp_path / "instance"))
    app.config.update(
        TESTING=True,
        SECRET_KEY="test secret",
        AUTH_CREDENTIAL_STORE="memory",
        SCHEDULER_API_ENABLED=True,
        SCHEDULER_JOBSTORES={"default": "memory"},
    )
    toolkit = Toolkit()
    toolkit.auth.identity_loader(h.load_identity)
    toolkit.init_app(app)
    try:
        caller = h.caller(app, "admin")
        response = caller.post("/scheduler/jobs", {"id": "new", "func": FUNC})
        assert refused(response) == {
            "func": [
                f"'{FUNC}' is not a registered task; only registered tasks can be"
                " scheduled. Allowed: none."
            ]
        }
        toolkit.scheduler.register(h.job1)
        toolkit.scheduler.register(h.blocker)
        response = caller.post("/scheduler/jobs", {"id": "new", "func": "os:system"})
        assert refused(response) == {
            "func": [
                "'os:system' is not a registered task; only registered tasks can be"
                " scheduled. Allowed: 'tests._scheduler_api:blocker',"
                " 'tests._scheduler_api:job1'."
            ]
        }
    finally:
        with app.app_context():
            toolkit.scheduler.shutdown(wait=True)
        toolkit.db.get_engine(app).dispose()


def test_arguments_of_a_function_that_is_no_task(api_app: Flask) -> None:
    """The API sets arguments of registered tasks only: a job whose function is not
    one (added in code, or a task no longer registered) gets a 409, never a call."""
    with api_app.test_request_context("/scheduler/jobs/x", method="PATCH"):
        with pytest.raises(APIError) as raised:
            check_call("os:system", ["true"], {})
    assert raised.value.code == 409
    assert raised.value.msg == (
        "'os:system' is not a registered task, so the API cannot set its arguments."
        " Register it with '@toolkit.scheduler.task(...)' or"
        " 'toolkit.scheduler.register(func)'."
    )
