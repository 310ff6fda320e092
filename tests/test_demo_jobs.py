"""The demo's scheduled jobs, tested as a user of the toolkit would: with the pytest
plugin's ``db``, ``run_job`` and ``run_due_jobs`` fixtures and time-machine.
"""

from __future__ import annotations

import datetime as dt
import typing as t
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine
from examples.taskboard import create_app
from examples.taskboard.models import Task
from examples.taskboard.models import toolkit
from flask import Flask

from flask_toolkit.db import Database
from flask_toolkit.pytest_plugin import JobRun

UTC = dt.timezone.utc


@pytest.fixture
def app(tmp_path: Path) -> t.Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/demo.db",
            # SQLite has one writer: the job store stays out of the test's database.
            "SCHEDULER_JOBSTORES": {"default": "memory"},
        },
        instance_path=str(tmp_path),
    )
    yield app
    toolkit.db.get_engine(app).dispose()


def titles(db: Database) -> set[str]:
    return set(db.session.scalars(sa.select(Task.title)))


def test_demo_declares_its_jobs(db: Database) -> None:
    jobs_by_id = {job.id: job for job in toolkit.scheduler.get_jobs()}
    assert set(jobs_by_id) == {"purge-done-tasks", "overdue-reminder"}
    assert str(jobs_by_id["purge-done-tasks"].trigger).startswith("cron[")


def test_purge_deletes_old_finished_tasks(
    db: Database, run_job: t.Callable[[str], JobRun]
) -> None:
    old = dt.datetime(2000, 1, 1)
    db.session.add_all(
        [
            Task(title="old and done", done=True, created_at=old),
            Task(title="old and open", created_at=old, due=dt.date(2000, 2, 1)),
            Task(title="new and done", done=True),
        ]
    )
    db.session.commit()
    run = run_job("purge-done-tasks")
    assert (run.status, run.return_value) == ("success", 1)
    assert titles(db) == {"old and open", "new and done"}
    reminder = run_job("overdue-reminder")
    assert reminder.return_value == ["old and open"]


def test_reminder_runs_on_weekday_mornings(
    db: Database,
    run_due_jobs: t.Callable[[], list[JobRun]],
    time_machine: time_machine.TimeMachineFixture,
) -> None:
    # Friday 2030-03-01, before eight: nothing is due yet.
    time_machine.move_to(dt.datetime(2030, 3, 1, 7, 0, tzinfo=UTC), tick=False)
    db.session.add(Task(title="file taxes", due=dt.date(2030, 2, 28)))
    db.session.commit()
    assert run_due_jobs() == []
    time_machine.move_to(dt.datetime(2030, 3, 1, 8, 0, 5, tzinfo=UTC), tick=False)
    (run,) = run_due_jobs()
    assert (run.job_id, run.return_value) == ("overdue-reminder", ["file taxes"])
    # Saturday: the nightly clean-up runs, the reminder does not.
    time_machine.move_to(dt.datetime(2030, 3, 2, 3, 0, 5, tzinfo=UTC), tick=False)
    assert [(r.job_id, r.status) for r in run_due_jobs()] == [
        ("purge-done-tasks", "success")
    ]
    # Monday at eight: Sunday's and Monday's clean-ups coalesce into one run, five
    # hours late, past the grace time: missed, as the scheduler would record it.
    time_machine.move_to(dt.datetime(2030, 3, 4, 8, 0, 5, tzinfo=UTC), tick=False)
    assert [(r.job_id, r.status) for r in run_due_jobs()] == [
        ("purge-done-tasks", "missed"),
        ("overdue-reminder", "success"),
    ]
