from __future__ import annotations

import os
import typing as t
from pathlib import Path

import pytest
from flask import Flask

from flask_toolkit.scheduler.lifecycle import in_reloader_parent
from tests import _scheduler_jobs as jobs
from tests._scheduler_jobs import make_app
from tests.test_scheduler_manager import finished_runs
from tests.test_scheduler_manager import wait_for

manager = jobs.toolkit.scheduler


def info(app: Flask) -> dict[str, t.Any]:
    with app.app_context():
        return manager.leader_info()


def shutdown(app: Flask) -> None:
    with app.app_context():
        manager.shutdown()
    jobs.toolkit.db.get_engine(app).dispose()


def two_apps(tmp_path: Path, url: str, **config: t.Any) -> list[Flask]:
    apps = [make_app(url, str(tmp_path / name), **config) for name in ("a", "b")]
    for app in apps:
        with app.app_context():
            manager.start()
    return apps


def check_one_leader_then_takeover(apps: list[Flask], lock: str) -> None:
    try:
        wait_for(lambda: any(info(app)["is_leader"] for app in apps), timeout=30)
        infos = [info(app) for app in apps]
        assert sum(i["is_leader"] for i in infos) == 1
        assert {i["lock"] for i in infos} == {lock}
        leader, standby = (
            (apps[0], apps[1]) if infos[0]["is_leader"] else (apps[1], apps[0])
        )
        standby_info = info(standby)
        assert standby_info["state"] == "standby"
        if lock != "mysql":  # MySQL does not say who holds a named lock
            assert standby_info["leader"] == {
                "host": standby_info["host"],
                "pid": os.getpid(),
            }
        shutdown(leader)
        wait_for(lambda: info(standby)["is_leader"], timeout=30)
        assert info(standby)["state"] == "running"
    finally:
        for app in apps:
            shutdown(app)


def test_one_leader_per_database_store(
    tmp_path: Path, database_url: str, backend: str
) -> None:
    lock = {"sqlite": "file", "postgresql": "postgresql", "mariadb": "mysql"}[backend]
    check_one_leader_then_takeover(two_apps(tmp_path, database_url), lock)


def test_one_leader_per_redis_store(
    tmp_path: Path, sqlite_url: str, redis_url: str
) -> None:
    apps = two_apps(
        tmp_path,
        sqlite_url,
        SCHEDULER_JOBSTORES={"default": redis_url},
        SCHEDULER_LEADER_TTL=1.0,
    )
    check_one_leader_then_takeover(apps, "redis")


def test_without_leader_election_every_process_leads(
    tmp_path: Path, sqlite_url: str
) -> None:
    apps = two_apps(tmp_path, sqlite_url, SCHEDULER_LEADER_ELECTION=False)
    try:
        wait_for(lambda: all(info(app)["is_leader"] for app in apps), timeout=30)
        assert info(apps[0])["lock"] == "none"
    finally:
        for app in apps:
            shutdown(app)


def test_reloader_parent_detection(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not in_reloader_parent()
    monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")
    assert not in_reloader_parent()


@pytest.mark.parametrize(
    ("backend", "store", "interval"),
    [
        # Polling stores: the leader looks at the store every interval.
        ("sqlite", None, 0.1),
        ("mariadb", None, 0.1),
        # Stores that announce changes: the leader hears of them although it would
        # not look at the store for a minute.
        ("postgresql", None, 60.0),
        ("sqlite", "redis", 60.0),
    ],
    indirect=["backend"],
)
def test_leader_runs_a_job_that_a_standby_added(
    tmp_path: Path,
    database_url: str,
    request: pytest.FixtureRequest,
    store: str | None,
    interval: float,
) -> None:
    config: dict[str, t.Any] = {"SCHEDULER_LEADER_INTERVAL": interval}
    if store:
        config["SCHEDULER_JOBSTORES"] = {
            "default": request.getfixturevalue("redis_url")
        }
    apps = two_apps(tmp_path, database_url, **config)
    try:
        leader = wait_for(
            lambda: [a for a in apps if info(a)["is_leader"]], timeout=30
        )[0]
        standby = apps[1] if leader is apps[0] else apps[0]
        with standby.app_context():
            manager.add_job("from-standby", jobs.record_tick, "date")
        with leader.app_context():
            runs = wait_for(lambda: finished_runs("from-standby"), timeout=30)
        assert [r["status"] for r in runs] == ["success"]
    finally:
        for app in apps:
            shutdown(app)
