"""``GET /jobs`` pages, filters and bounds; ``GET /jobs/<id>/runs``; a page of 100
out of 10,000 stored jobs."""

from __future__ import annotations

import datetime as dt
import time
import typing as t
from pathlib import Path

import pytest
from flask import Flask

from tests import _scheduler_api as h

FUNC = "tests._scheduler_api:job1"


@pytest.fixture
def api_app(tmp_path: Path) -> t.Iterator[Flask]:
    app = h.make_app(
        tmp_path, SCHEDULER_API_UNPAGED_LIMIT=5, SCHEDULER_API_MAX_PER_PAGE=50
    )
    yield app
    h.close(app)


@pytest.fixture
def admin(api_app: Flask) -> h.Caller:
    return h.caller(api_app, "admin")


def add_jobs(admin: h.Caller, count: int) -> None:
    for i in range(count):
        body = {
            "id": f"job{i:02d}",
            "func": FUNC,
            "trigger": "date",
            "run_date": f"2040-01-{i + 1:02d}T00:00:00+00:00",
        }
        assert admin.post("/scheduler/jobs", body).status_code == 200


def ids(response: t.Any) -> list[str]:
    return [job["id"] for job in response.json]


def test_sort_orders(admin: h.Caller) -> None:
    add_jobs(admin, 4)
    admin.post("/scheduler/jobs/job02/pause")
    assert ids(admin.get("/scheduler/jobs?sort=-next_run_time")) == [
        "job03",
        "job01",
        "job00",
        "job02",
    ]
    assert ids(admin.get("/scheduler/jobs?sort=-id&per_page=2")) == ["job03", "job02"]
    assert ids(admin.get("/scheduler/jobs?sort=id&page=2&per_page=2")) == [
        "job02",
        "job03",
    ]
    bad = admin.get("/scheduler/jobs?sort=name")
    assert bad.status_code == 400 and "sort" in bad.json["msg"]


def test_pages_and_headers(admin: h.Caller) -> None:
    add_jobs(admin, 7)
    response = admin.get("/scheduler/jobs?page=2&per_page=3")
    assert ids(response) == ["job03", "job04", "job05"]
    assert response.headers["X-Total-Count"] == "7"
    assert (response.headers["X-Page"], response.headers["X-Per-Page"]) == ("2", "3")
    links = response.headers["Link"]
    assert '</scheduler/jobs?page=3&per_page=3>; rel="next"' in links
    assert '</scheduler/jobs?page=1&per_page=3>; rel="prev"' in links
    assert 'rel="last"' in links
    assert ids(admin.get("/scheduler/jobs?page=3&per_page=3")) == ["job06"]
    assert admin.get("/scheduler/jobs?page=9&per_page=3").json == []


def test_default_page_size(admin: h.Caller) -> None:
    add_jobs(admin, 3)
    response = admin.get("/scheduler/jobs?page=1")
    assert response.headers["X-Per-Page"] == "100"


def test_unpaged_list_is_bounded(admin: h.Caller) -> None:
    add_jobs(admin, 7)
    response = admin.get("/scheduler/jobs")
    assert ids(response) == [f"job{i:02d}" for i in range(5)]
    assert response.headers["X-Total-Count"] == "7"
    assert 'rel="next"' in response.headers["Link"]


def test_per_page_limit(admin: h.Caller) -> None:
    response = admin.get("/scheduler/jobs?per_page=51")
    assert response.status_code == 400
    assert "per_page" in response.json["msg"]


def test_filters(admin: h.Caller) -> None:
    add_jobs(admin, 6)
    admin.post("/scheduler/jobs/job01/pause")
    admin.post("/scheduler/jobs/job04/pause")
    assert ids(admin.get("/scheduler/jobs?state=paused")) == ["job01", "job04"]
    active = ["job00", "job02", "job03", "job05"]
    assert ids(admin.get("/scheduler/jobs?state=active&per_page=10")) == active
    assert ids(admin.get("/scheduler/jobs?state=scheduled&per_page=10")) == active
    window = "next_run_from=2040-01-02T00:00:00Z&next_run_to=2040-01-04"
    assert ids(admin.get(f"/scheduler/jobs?{window}")) == ["job02", "job03"]
    assert ids(admin.get("/scheduler/jobs?jobstore=default&sort=next_run_time")) == [
        "job00",
        "job02",
        "job03",
        "job05",
        "job01",
    ]


def test_runs_of_a_job(api_app: Flask, admin: h.Caller) -> None:
    add_jobs(admin, 1)
    assert admin.get("/scheduler/jobs/job00/runs").json == []
    missing = admin.get("/scheduler/jobs/nope/runs")
    assert missing.status_code == 404
    msg = "There is no job 'nope'. GET /scheduler/jobs lists the existing jobs."
    assert missing.json == {"code": -1, "msg": msg, "error_message": msg}
    admin.patch("/scheduler/jobs/job00", {"max_instances": 3})
    for _ in range(3):
        run = admin.post("/scheduler/jobs/job00/run").json["run"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        response = admin.get(f"{run['runs_url']}?per_page=2")
        if response.headers["X-Total-Count"] == "3" and all(
            r["status"] == "success" for r in response.json
        ):
            break
        time.sleep(0.05)
    assert response.headers["X-Total-Count"] == "3"
    rows = response.json
    assert len(rows) == 2
    assert rows[0]["job_id"] == "job00"
    assert rows[0]["status"] == "success"
    # The three runs ran side by side (max_instances=3), so the newest row is not
    # always the last one asked for: look for it among all of them.
    every = admin.get(f"{run['runs_url']}?per_page=3").json
    assert run["scheduled_run_time"] in {r["scheduled_run_time"] for r in every}
    assert admin.get(f"{run['runs_url']}?page=0").status_code == 400
    assert admin.delete("/scheduler/jobs/job00").status_code == 204
    response = admin.get(run["runs_url"])
    assert response.headers["X-Total-Count"] == "3"  # the history outlives the job


def test_run_now_respects_max_instances(admin: h.Caller) -> None:
    h.release.clear()
    job = {"id": "slow", "func": "tests._scheduler_api:blocker", "trigger": "interval"}
    admin.post("/scheduler/jobs", {**job, "hours": 1, "max_instances": 1})
    try:
        assert admin.post("/scheduler/jobs/slow/run").status_code == 200
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            response = admin.post("/scheduler/jobs/slow/run")
            if response.status_code == 409:
                break
            time.sleep(0.05)
        assert response.status_code == 409
        assert "max_instances" in response.json["msg"]
    finally:
        h.release.set()
    # The released run finishes and records itself (before the app is torn down).
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        rows = admin.get("/scheduler/jobs/slow/runs").json
        if any(row["finished_at"] for row in rows):
            break
        time.sleep(0.05)
    finished = [row for row in rows if row["finished_at"]]
    assert [row["status"] for row in finished] == ["success"], rows


def test_page_of_100_out_of_10000_jobs(tmp_path: Path) -> None:
    """10,000 jobs in the SQLite store: a page of 100 comes back (timed elsewhere)."""
    app = h.make_app(tmp_path)
    try:
        h.bulk_add(app, 10_000, dt.datetime(2040, 1, 1, tzinfo=dt.timezone.utc))
        admin = h.caller(app, "admin")
        response = admin.get("/scheduler/jobs?page=50&per_page=100")
        assert response.status_code == 200
        assert response.headers["X-Total-Count"] == "10000"
        assert ids(response) == [f"bulk{i:05d}" for i in range(4900, 5000)]
        assert response.json[0]["run_date"] == "2040-01-04T09:40:00+00:00"
    finally:
        h.close(app)
