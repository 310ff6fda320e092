"""Exactly-once runs: claims in the history, fires that wait for a busy job, final
statuses after a database failure.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import time
import typing as t
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from tests import _scheduler_jobs as jobs
from tests._proxy import TcpProxy
from tests._scheduler_jobs import make_app
from tests.test_scheduler_manager import wait_for

manager = jobs.toolkit.scheduler
UTC = dt.timezone.utc


@pytest.fixture
def run_app(tmp_path: Path, database_url: str) -> t.Iterator[Flask]:
    app = make_app(database_url, str(tmp_path), SCHEDULER_SHUTDOWN_TIMEOUT=2)
    with app.app_context():
        yield app
        manager.shutdown()
        jobs.gate.clear()
    jobs.toolkit.db.get_engine(app).dispose()


def tick_times(job_id: str) -> list[dt.datetime]:
    with jobs.db.engine.connect() as conn:
        rows = conn.execute(
            sa.select(jobs.Tick.scheduled).where(jobs.Tick.job_id == job_id)
        ).scalars()
        return [dt.datetime.fromisoformat(s) for s in rows]


def history(job_id: str) -> dict[dt.datetime, list[str]]:
    """Scheduled time -> statuses of its rows."""
    result: dict[dt.datetime, list[str]] = {}
    for row in manager.history.runs(job_id, per_page=1000)[0]:
        when = dt.datetime.fromisoformat(row["scheduled_run_time"])
        result.setdefault(when, []).append(row["status"])
    return result


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def every_second(job_id: str, start: dt.datetime, **options: t.Any) -> None:
    manager.add_job(
        job_id,
        options.pop("func", jobs.record_tick),
        "interval",
        seconds=1,
        start_date=start,
        next_run_time=start,
        coalesce=False,
        misfire_grace_time=60,
        max_instances=1,
        **options,
    )


def set_pid(row_id: t.Any, pid: int) -> None:
    with manager.history.engine.begin() as conn:
        table = manager.history.table
        conn.execute(table.update().where(table.c.id == row_id).values(pid=pid))


def test_a_started_run_is_not_run_again_by_the_next_leader(run_app: Flask) -> None:
    # A leader started the run at t0 and was killed before it stored the next run
    # time: the store still says t0, the history says a dead process ran it.
    t0 = dt.datetime.now(UTC).replace(microsecond=0) - dt.timedelta(seconds=2)
    every_second("tick", t0)
    row_id = manager.history.start("tick", t0)
    assert isinstance(row_id, int)
    set_pid(row_id, dead_pid())
    manager.start()
    wait_for(lambda: len(tick_times("tick")) >= 4)
    times = tick_times("tick")
    assert t0 not in times
    assert t0 + dt.timedelta(seconds=1) in times
    assert not [k for k, n in Counter(times).items() if n > 1]
    runs = wait_for(
        lambda: history("tick").get(t0) == ["interrupted"] and history("tick")
    )
    assert all(len(statuses) == 1 for statuses in runs.values())
    assert manager._state().runner.duplicates_avoided == 1


def test_claims_that_never_started_are_run_by_the_next_leader(run_app: Flask) -> None:
    # A leader ran t0, with t1 and t2 claimed behind it (the job was busy), and was
    # killed: t0 had started, t1 and t2 had not. The store says t3 comes next.
    t0 = dt.datetime.now(UTC).replace(microsecond=0) - dt.timedelta(seconds=3)
    t1, t2, t3 = (t0 + dt.timedelta(seconds=k) for k in (1, 2, 3))
    every_second("tick", t3)
    dead = dead_pid()
    set_pid(manager.history.start("tick", t0), dead)
    for when in (t1, t2):
        set_pid(manager.history.claim("tick", when), dead)
    manager.start()
    wait_for(lambda: {t1, t2, t3} <= set(tick_times("tick")), timeout=30)
    times = tick_times("tick")
    assert t0 not in times
    assert not [k for k, n in Counter(times).items() if n > 1]
    runs = wait_for(
        lambda: (
            (runs := history("tick"))
            and runs.get(t0) == ["interrupted"]
            and runs.get(t1) == runs.get(t2) == ["success"]
            and runs
        ),
        timeout=30,
    )
    assert all(len(statuses) == 1 for statuses in runs.values())


def test_catch_up_and_the_next_fire_both_run(run_app: Flask) -> None:
    # Five runs are due at once; each takes 0.6 s, so the runs that fall due while
    # they catch up find the job busy (max_instances=1). They wait, none is dropped.
    t0 = dt.datetime.now(UTC).replace(microsecond=0) - dt.timedelta(seconds=4)
    every_second("slow", t0, func=jobs.slow_tick, args=[0.6])
    manager.start()
    wanted = {t0 + dt.timedelta(seconds=k) for k in range(10)}
    wait_for(lambda: wanted <= set(tick_times("slow")), timeout=30)
    times = tick_times("slow")
    assert len(times) == len(set(times))
    runs = wait_for(
        lambda: (
            all(history("slow").get(w) == ["success"] for w in wanted)
            and history("slow")
        )
    )
    assert "skipped" not in {s for statuses in runs.values() for s in statuses}


def test_with_coalesce_one_fire_waits_and_the_others_are_skipped(
    run_app: Flask,
) -> None:
    manager.start()
    manager.add_job(
        "busy", jobs.sleep, "interval", seconds=0.2, args=[1.5], coalesce=True
    )
    runs = wait_for(
        lambda: (
            (statuses := [r["status"] for r in manager.history.runs("busy")[0]])
            and statuses.count("success") >= 2
            and "skipped" in statuses
            and statuses
        )
    )
    assert set(runs) <= {"success", "skipped", "running", "claimed"}


@pytest.mark.parametrize("backend", ["postgresql", "mariadb"])
def test_a_run_ends_in_a_final_status_after_a_database_outage(
    tmp_path: Path, database_url: str
) -> None:
    url = sa.make_url(database_url)
    with TcpProxy(url.host or "127.0.0.1", url.port or 0) as proxy:
        proxied = url.set(host="127.0.0.1", port=proxy.port)
        app = make_app(proxied.render_as_string(hide_password=False), str(tmp_path))
        try:
            with app.app_context():
                manager.add_job("blocked", jobs.wait_for_release, "interval", hours=1)
                run = manager.run_job("blocked")
                wait_for(lambda: list(history("blocked").values()) == [["running"]])
                proxy.drop()  # the database goes away while the job runs
                jobs.gate.set()  # the job ends; its final status cannot be written
                time.sleep(1)  # the first attempts to write it fail
                proxy.resume()
                runs = wait_for(
                    lambda: (
                        _quiet(history, "blocked")
                        == {run.scheduled_run_time.astimezone(UTC): ["success"]}
                    ),
                    timeout=30,
                )
                assert runs
        finally:
            with app.app_context():
                manager.shutdown()
            jobs.gate.clear()
            jobs.toolkit.db.get_engine(app).dispose()


def _quiet(func: t.Callable[..., t.Any], *args: t.Any) -> t.Any:
    try:
        return func(*args)
    except sa.exc.OperationalError:
        return None


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_final_status_that_could_not_be_written_is_written_at_next_contact(
    tmp_path: Path, database_url: str
) -> None:
    url = sa.make_url(database_url)
    with TcpProxy(url.host or "127.0.0.1", url.port or 0) as proxy:
        proxied = url.set(host="127.0.0.1", port=proxy.port)
        app = make_app(proxied.render_as_string(hide_password=False), str(tmp_path))
        try:
            with app.app_context():
                manager.add_job("blocked", jobs.wait_for_release, "interval", hours=1)
                manager.start()
                run = manager.run_job("blocked")
                wait_for(lambda: list(history("blocked").values()) == [["running"]])
                proxy.drop()
                jobs.gate.set()
                # Every retry fails: the status waits in memory for the database.
                wait_for(lambda: manager.history.has_pending, timeout=30)
                proxy.resume()
                wait_for(
                    lambda: (
                        _quiet(history, "blocked")
                        == {run.scheduled_run_time.astimezone(UTC): ["success"]}
                    ),
                    timeout=30,
                )
        finally:
            with app.app_context():
                manager.shutdown()
            jobs.gate.clear()
            jobs.toolkit.db.get_engine(app).dispose()
