"""One datetime format for the whole app: to_dict, error bodies, the scheduler API."""

from __future__ import annotations

import datetime as dt
import typing as t
from pathlib import Path

import pytest
from flask import Flask

from flask_toolkit import APIError
from flask_toolkit import to_dict
from tests import _scheduler_api as h

EAST = dt.timezone(dt.timedelta(hours=8))
#: 14:00 UTC, seen from +08:00.
WHEN = dt.datetime(2040, 12, 3, 22, 0, tzinfo=EAST)


def with_timestamp(status: int, msg: t.Any) -> dict[str, t.Any]:
    return {"code": -1, "msg": msg, "at": WHEN}


@pytest.fixture
def api_app(tmp_path: Path) -> t.Iterator[Flask]:
    app = h.make_app(tmp_path, TOOLKIT_ERROR_FORMATTER=with_timestamp)

    @app.get("/api/when")
    def when() -> t.Any:
        return to_dict({"when": WHEN})

    @app.get("/api/fail")
    def fail() -> t.Any:
        raise APIError(409, {"until": WHEN})

    yield app
    h.close(app)


@pytest.mark.parametrize(
    "fmt, text",
    [
        (None, "2040-12-03T22:00:00+08:00"),
        ("%Y-%m-%d %H:%M:%S", "2040-12-03 22:00:00"),
    ],
)
def test_to_dict_errors_and_scheduler_api_write_the_same_text(
    api_app: Flask, fmt: str | None, text: str
) -> None:
    if fmt is not None:
        api_app.config["TOOLKIT_DATETIME_FORMAT"] = fmt
    admin = h.caller(api_app, "admin")
    job = {
        "id": "once",
        "func": "tests._scheduler_api:job1",
        "trigger": "date",
        "run_date": WHEN.isoformat(),
    }
    created = admin.post("/scheduler/jobs", job)
    assert created.status_code == 200, created.json
    assert created.json["run_date"] == text
    assert created.json["next_run_time"] == text
    assert admin.get("/api/when").json == {"when": text}
    failed = admin.get("/api/fail")
    assert failed.status_code == 409
    assert failed.json == {"code": -1, "msg": {"until": text}, "at": text}
