from __future__ import annotations

import datetime as dt
import subprocess
import sys
import typing as t
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from flask_toolkit.scheduler import history as history_module
from tests import _scheduler_jobs as jobs
from tests._scheduler_jobs import make_app
from tests.test_scheduler_manager import finished_runs
from tests.test_scheduler_manager import ticks
from tests.test_scheduler_manager import wait_for

manager = jobs.toolkit.scheduler


@pytest.fixture
def hist_app(tmp_path: Path, sqlite_url: str) -> t.Iterator[Flask]:
    app = make_app(sqlite_url, str(tmp_path), SCHEDULER_SHUTDOWN_TIMEOUT=0.2)
    with app.app_context():
        yield app
        manager.shutdown()
        jobs.gate.clear()


def test_retention_deletes_old_runs(hist_app: Flask) -> None:
    history = manager.history
    history.create()
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=31)
    history.record("job", old, "missed")
    history.record("job", dt.datetime.now(dt.timezone.utc), "missed")
    row_id = history.start("job", old - dt.timedelta(seconds=1))
    with history.engine.begin() as conn:
        conn.execute(
            history.table.update()
            .where(history.table.c.id == row_id)
            .values(started_at=old.replace(tzinfo=None))
        )
    assert manager.history.runs("job")[1] == 3
    history.prune()
    rows, total = manager.history.runs("job")
    assert total == 1 and rows[0]["status"] == "missed"


def test_running_jobs_are_recorded_interrupted_at_shutdown(hist_app: Flask) -> None:
    manager.add_job("blocked", jobs.wait_for_release, "interval", hours=1)
    manager.run_job("blocked")
    wait_for(
        lambda: [r["status"] for r in manager.history.runs("blocked")[0]] == ["running"]
    )
    manager.shutdown()
    assert [r["status"] for r in manager.history.runs("blocked")[0]] == ["interrupted"]
    jobs.gate.set()


def test_a_run_that_ends_after_shutdown_leaves_no_connection_open(
    hist_app: Flask,
) -> None:
    # The run outlives shutdown() and the engine's dispose(), as at the end of a test
    # or of an app: its status is still written, on a connection closed afterwards
    # (one left in the disposed engine's new pool would be unclosed for good: a
    # ResourceWarning whenever it is collected, on Python 3.13).
    engine = jobs.toolkit.db.get_engine(hist_app)
    manager.add_job("late", jobs.wait_for_release, "interval", hours=1)
    manager.run_job("late")
    rows = lambda: manager.history.runs("late")[0]  # noqa: E731
    wait_for(lambda: [r["status"] for r in rows()] == ["running"])
    manager.shutdown()
    engine.dispose()
    opened: list[object] = []
    closed: list[object] = []
    sa.event.listen(engine, "connect", lambda *args: opened.append(args))
    sa.event.listen(engine, "close", lambda *args: closed.append(args))
    reader = sa.create_engine(engine.url, poolclass=sa.NullPool)

    def statuses() -> list[str]:
        with reader.connect() as conn:
            table = manager.history.table
            return list(conn.execute(sa.select(table.c.status)).scalars())

    jobs.gate.set()
    try:
        wait_for(
            lambda: opened and len(opened) == len(closed) and statuses() == ["success"],
            timeout=30,
        )
    finally:
        reader.dispose()


def test_runs_of_dead_processes_are_interrupted_by_the_next_leader(
    hist_app: Flask,
) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    history = manager.history
    history.create()
    row_id = history.start("crashed", dt.datetime.now(dt.timezone.utc))
    with history.engine.begin() as conn:
        conn.execute(
            history.table.update()
            .where(history.table.c.id == row_id)
            .values(pid=int(dead.stdout))
        )
    manager.start()
    wait_for(lambda: manager.history.runs("crashed")[0][0]["status"] == "interrupted")


def test_a_broken_history_never_breaks_the_job(
    hist_app: Flask, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Short retries, and the test waits for the last of them: a job thread still
    # retrying after the test would write through an engine the test has disposed.
    monkeypatch.setattr(history_module, "RETRY_DELAYS", (0.01, 0.01))
    manager.start()
    with manager.history.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE toolkit_job_runs"))
        conn.execute(sa.text("CREATE TABLE toolkit_job_runs (unrelated INTEGER)"))
    manager.add_job("still-runs", jobs.record_tick, "date")
    wait_for(lambda: ticks(hist_app))  # the job ran...
    # ...its claim and its final status could not be written: both are logged, and
    # the final status is kept to be written later.
    wait_for(lambda: manager.history.has_pending)
    assert "Could not claim the run of job 'still-runs'" in caplog.text
    assert "Could not write a run's final status to the history" in caplog.text


def test_history_can_be_disabled(tmp_path: Path, sqlite_url: str) -> None:
    app = make_app(sqlite_url, str(tmp_path), SCHEDULER_HISTORY_ENABLED=False)
    with app.app_context():
        try:
            manager.add_job("quiet", jobs.record_tick, "date")
            manager.start()
            wait_for(lambda: ticks(app))
            assert finished_runs("quiet") == []
        finally:
            manager.shutdown()
