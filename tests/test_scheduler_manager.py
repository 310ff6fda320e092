from __future__ import annotations

import copy
import datetime as dt
import time
import typing as t
from pathlib import Path

import pytest
import sqlalchemy as sa
from apscheduler.jobstores.base import ConflictingIdError
from apscheduler.jobstores.base import JobLookupError
from flask import Flask

from flask_toolkit.scheduler import UnknownTaskError
from tests import _scheduler_jobs as jobs
from tests._scheduler_jobs import make_app

manager = jobs.toolkit.scheduler


def wait_for(predicate: t.Callable[[], t.Any], timeout: float = 10) -> t.Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


@pytest.fixture
def sched_app(tmp_path: Path, sqlite_url: str) -> t.Iterator[Flask]:
    app = make_app(sqlite_url, str(tmp_path))
    with app.app_context():
        yield app
        manager.shutdown()


def finished_runs(job_id: str) -> list[dict[str, t.Any]]:
    return [
        r
        for r in manager.history.runs(job_id, per_page=100)[0]
        if r["status"] not in ("claimed", "running")
    ]


def ticks(app: Flask) -> list[t.Any]:
    with app.app_context():
        return list(jobs.db.session.scalars(sa.select(jobs.Tick)))


def test_scheduled_job_runs_in_app_context_and_is_recorded(sched_app: Flask) -> None:
    manager.start()
    manager.add_job("now", "tests._scheduler_jobs:record_tick", "date")
    rows = wait_for(lambda: ticks(sched_app))
    assert rows[0].app_name == sched_app.name
    assert rows[0].job_id == "now"
    history = wait_for(lambda: finished_runs("now"))
    assert history[0]["status"] == "success"
    assert history[0]["duration"] >= 0
    assert history[0]["scheduled_run_time"] == rows[0].scheduled
    assert manager.leader_info()["is_leader"] is True
    assert manager.state == "running"


def test_failing_job_is_recorded_with_traceback(sched_app: Flask) -> None:
    manager.start()
    manager.add_job("failing", jobs.fail, "date")
    runs = wait_for(lambda: finished_runs("failing"))
    assert runs[0]["status"] == "error"
    assert runs[0]["error"] == "RuntimeError: the job failed on purpose"
    assert "raise RuntimeError" in runs[0]["traceback"]


def test_run_job_runs_now_without_changing_the_schedule(sched_app: Flask) -> None:
    job = manager.add_job(
        "later", "tests._scheduler_jobs:record_tick", "interval", hours=5
    )
    ref = manager.run_job("later")
    assert ref.job_id == "later"
    rows = wait_for(lambda: ticks(sched_app))
    assert (
        rows[0].scheduled
        == ref.scheduled_run_time.astimezone(dt.timezone.utc).isoformat()
    )
    assert manager.get_job("later").next_run_time == job.next_run_time
    with pytest.raises(JobLookupError):
        manager.run_job("nope")


def test_missed_run_is_recorded(sched_app: Flask) -> None:
    manager.start()
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=30)
    manager.add_job(
        "late", jobs.record_tick, "date", run_date=past, misfire_grace_time=5
    )
    runs = wait_for(lambda: finished_runs("late"))
    assert [r["status"] for r in runs] == ["missed"]
    assert ticks(sched_app) == []


def test_run_skipped_for_max_instances_is_recorded(sched_app: Flask) -> None:
    manager.start()
    manager.add_job("slow", jobs.sleep, "interval", seconds=0.2, args=[1.0])
    runs = wait_for(
        lambda: [r for r in finished_runs("slow") if r["status"] == "skipped"]
    )
    assert runs[0]["started_at"] is None


def test_only_registered_functions_can_be_scheduled(sched_app: Flask) -> None:
    with pytest.raises(UnknownTaskError, match="not a registered task"):
        manager.add_job("x", "os:system", "date", args=["true"])
    with pytest.raises(UnknownTaskError):
        manager.add_job("x", jobs.not_registered, "date")
    manager.add_job("x", jobs.sleep, "interval", hours=1, args=[0])
    with pytest.raises(UnknownTaskError):
        manager.modify_job("x", func="os:system")
    assert "tests._scheduler_jobs:record_tick" in manager.registry
    assert manager.registry["tests._scheduler_jobs:fail"] is jobs.fail
    with pytest.raises(ConflictingIdError):
        manager.add_job("x", jobs.sleep, "interval", hours=1, args=[0])


def test_register_under_a_name(sched_app: Flask) -> None:
    def local() -> None: ...

    with pytest.raises(ValueError, match="module level"):
        manager.register(local)
    manager.register(jobs.not_registered, name="custom-name")
    job = manager.add_job("named", "custom-name", "cron", hour=3)
    assert manager.job_to_dict(job)["func"] == "custom-name"


def test_job_to_dict_uses_flask_apscheduler_fields(sched_app: Flask) -> None:
    cron = manager.add_job("c", jobs.record_tick, "cron", hour="*/2", minute=5, args=[])
    interval = manager.add_job(
        "i", jobs.sleep, "interval", hours=1, seconds=30, args=[1]
    )
    date = manager.add_job(
        "d", jobs.record_tick, "date", run_date="2030-01-01 00:00:00"
    )
    manager.pause_job("d")
    c, i, d = (
        manager.job_to_dict(manager.get_job(j.id)) for j in (cron, interval, date)
    )
    assert c["trigger"] == "cron" and c["hour"] == "*/2" and c["minute"] == "5"
    assert i["trigger"] == "interval" and (i["hours"], i["seconds"]) == (1, 30)
    assert i["args"] == [1] and i["func"] == "tests._scheduler_jobs:sleep"
    assert d["trigger"] == "date" and d["run_date"].startswith("2030-01-01T00:00:00")
    assert d["paused"] is True and d["next_run_time"] is None
    for data in (c, i):
        assert data["paused"] is False
        dt.datetime.fromisoformat(data["next_run_time"])
    assert set(c) >= set(
        "id name func args kwargs trigger next_run_time misfire_grace_time"
        " max_instances coalesce jobstore executor paused".split()
    )
    assert c["misfire_grace_time"] == 300 and c["coalesce"] is True


@pytest.mark.parametrize("store", ["app-db", "memory", "redis"])
def test_list_jobs_pages_and_filters(
    tmp_path: Path, sqlite_url: str, store: str, request: pytest.FixtureRequest
) -> None:
    config: dict[str, t.Any] = {}
    if store == "memory":
        config["SCHEDULER_JOBSTORES"] = {"default": "memory"}
    elif store == "redis":
        config["SCHEDULER_JOBSTORES"] = {
            "default": request.getfixturevalue("redis_url")
        }
    app = make_app(sqlite_url, str(tmp_path), **config)
    with app.app_context():
        try:
            now = dt.datetime.now(dt.timezone.utc)
            for n in range(25):
                manager.add_job(
                    f"job{n:02d}",
                    jobs.record_tick,
                    "date",
                    run_date=now + dt.timedelta(hours=26 - n),
                )
            for n in (0, 1, 2):
                manager.pause_job(f"job{n:02d}")
            page, total = manager.list_jobs(page=1, per_page=10)
            # declared job (1 hour) first, then by next run time; paused last
            assert total == 26
            assert [j.id for j in page][:3] == ["declared", "job24", "job23"]
            last, _ = manager.list_jobs(page=3, per_page=10)
            assert [j.id for j in last] == [
                "job05",
                "job04",
                "job03",
                "job00",
                "job01",
                "job02",
            ]
            paused, total = manager.list_jobs(state="paused")
            assert total == 3 and [j.id for j in paused] == ["job00", "job01", "job02"]
            window, total = manager.list_jobs(
                state="scheduled",
                next_run_from=now + dt.timedelta(hours=5, minutes=30),
                next_run_to=now + dt.timedelta(hours=8, minutes=30),
            )
            assert [j.id for j in window] == ["job20", "job19", "job18"] and total == 3
            latest, _ = manager.list_jobs(per_page=4, sort="-next_run_time")
            # latest first, paused jobs still last
            assert [j.id for j in latest] == ["job03", "job04", "job05", "job06"]
            tail, _ = manager.list_jobs(page=7, per_page=4, sort="-next_run_time")
            assert [j.id for j in tail] == ["job01", "job02"]
            by_id, _ = manager.list_jobs(per_page=3, sort="id")
            assert [j.id for j in by_id] == ["declared", "job00", "job01"]
            by_id_desc, _ = manager.list_jobs(per_page=3, sort="-id")
            assert [j.id for j in by_id_desc] == ["job24", "job23", "job22"]
            with pytest.raises(ValueError):
                manager.list_jobs(state="nope")
            with pytest.raises(ValueError, match="sort must be one of"):
                manager.list_jobs(sort="name")
        finally:
            manager.shutdown()


def test_process_pool_executor_is_refused(tmp_path: Path, sqlite_url: str) -> None:
    with pytest.raises(RuntimeError, match="thread pool"):
        make_app(
            sqlite_url,
            str(tmp_path),
            SCHEDULER_EXECUTORS={"default": {"type": "processpool"}},
        )


def test_autostart(tmp_path: Path, sqlite_url: str) -> None:
    app = make_app(sqlite_url, str(tmp_path), SCHEDULER_AUTOSTART="auto", TESTING=True)
    with app.app_context():
        assert manager.state == "stopped" and not manager.running
    app = make_app(sqlite_url, str(tmp_path / "2"), SCHEDULER_AUTOSTART=True)
    with app.app_context():
        try:
            assert manager.running
            wait_for(lambda: manager.state == "running")
            manager.pause()
            assert manager.state == "paused"
            manager.resume()
            wait_for(lambda: manager.state == "running")
        finally:
            manager.shutdown()
        assert manager.state == "stopped"


def test_restart_keeps_jobs_and_paused_state(tmp_path: Path, database_url: str) -> None:
    def config(seconds: int) -> dict[str, t.Any]:
        return {
            "SCHEDULER_JOBS": [
                {
                    "id": "cfg",
                    "func": "tests._scheduler_jobs:sleep",
                    "args": [0],
                    "trigger": "interval",
                    "seconds": seconds,
                },
                {
                    "id": "cfg-paused",
                    "func": "tests._scheduler_jobs:fail",
                    "trigger": "cron",
                    "hour": 1,
                },
            ]
        }

    first = make_app(database_url, str(tmp_path), **config(60))
    with first.app_context():
        manager.start()
        manager.add_job("api", jobs.record_tick, "interval", minutes=5)
        manager.pause_job("api")
        manager.pause_job("cfg-paused")
        before = {j.id: j.next_run_time for j in manager.get_jobs()}
        manager.shutdown()
    jobs.toolkit.db.get_engine(first).dispose()

    second = make_app(database_url, str(tmp_path), **config(120))
    with second.app_context():
        try:
            manager.start()
            after = {j.id: j for j in manager.get_jobs()}
            assert sorted(after) == ["api", "cfg", "cfg-paused", "declared"]
            assert after["api"].next_run_time is None
            assert after["cfg-paused"].next_run_time is None
            assert after["cfg"].trigger.interval == dt.timedelta(seconds=120)
            assert after["declared"].next_run_time == before["declared"]
        finally:
            manager.shutdown()
        jobs.toolkit.db.get_engine(second).dispose()


def test_each_app_has_its_own_job_defaults(tmp_path: Path, sqlite_url: str) -> None:
    first = make_app(sqlite_url, str(tmp_path / "1"))
    second = make_app(sqlite_url, str(tmp_path / "2"))
    first.config["SCHEDULER_JOB_DEFAULTS"]["coalesce"] = False
    assert second.config["SCHEDULER_JOB_DEFAULTS"] == {
        "misfire_grace_time": 300,
        "coalesce": True,
        "max_instances": 1,
    }
    copy.deepcopy(dict(second.config))


@pytest.mark.parametrize("other", ["memory", "redis", "sql"])
def test_list_jobs_over_two_stores(
    tmp_path: Path, database_url: str, other: str, request: pytest.FixtureRequest
) -> None:
    """Pages over two stores follow one order, as if the jobs were in one store."""
    second: t.Any = "memory"
    if other == "redis":
        second = request.getfixturevalue("redis_url")
    elif other == "sql":  # two SQLAlchemy stores: merged on their run-time indexes
        second = {"type": "sqlalchemy", "url": database_url, "tablename": "other_jobs"}
    app = make_app(
        database_url,
        str(tmp_path),
        SCHEDULER_JOBSTORES={"default": database_url, "other": second},
    )
    start = dt.datetime(2041, 1, 1, tzinfo=dt.timezone.utc)
    expected: list[tuple[float | None, str]] = []
    with app.app_context():
        try:
            for n in range(21):
                store = "default" if n % 3 else "other"
                # every fourth job shares its run time with the one before it
                hours = n - (n % 4 == 0 and n > 0)
                job_id = f"{store[0]}{(n * 8) % 21:02d}"
                when = start + dt.timedelta(hours=hours)
                manager.add_job(
                    job_id, jobs.record_tick, "date", run_date=when, jobstore=store
                )
                if n % 5 == 2:
                    manager.pause_job(job_id, store)
                    expected.append((None, job_id))
                else:
                    expected.append((when.timestamp(), job_id))
            declared = manager.get_job("declared")
            if declared is not None:
                expected.append((declared.next_run_time.timestamp(), "declared"))
            scheduled = sorted(e for e in expected if e[0] is not None)
            paused = sorted(e[1] for e in expected if e[0] is None)
            latest = sorted(
                (e for e in expected if e[0] is not None), key=lambda e: (-e[0], e[1])
            )
            orders = {
                "next_run_time": [i for _, i in scheduled] + paused,
                "-next_run_time": [i for _, i in latest] + paused,
                "id": sorted(i for _, i in expected),
                "-id": sorted((i for _, i in expected), reverse=True),
            }
            for sort, order in orders.items():
                listed = []
                for page in range(1, 7):
                    jobs_of_page, total = manager.list_jobs(
                        page=page, per_page=4, sort=sort
                    )
                    assert total == len(expected)
                    listed.extend(job.id for job in jobs_of_page)
                assert listed == order, sort
            only_paused, total = manager.list_jobs(state="paused", per_page=3, page=2)
            assert total == len(paused)
            assert [j.id for j in only_paused] == paused[3:6]
            window, total = manager.list_jobs(
                state="scheduled",
                next_run_from=start + dt.timedelta(hours=4),
                next_run_to=start + dt.timedelta(hours=9),
            )
            in_window = [
                i
                for when, i in scheduled
                if (start + dt.timedelta(hours=4)).timestamp()
                <= when
                <= (start + dt.timedelta(hours=9)).timestamp()
            ]
            assert [j.id for j in window] == in_window and total == len(in_window)
        finally:
            manager.shutdown()
