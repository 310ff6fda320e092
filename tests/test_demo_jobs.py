from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa
from examples.taskboard import create_app
from examples.taskboard import jobs
from examples.taskboard.models import db
from examples.taskboard.models import Task
from examples.taskboard.models import toolkit

from tests.test_scheduler_manager import wait_for


def test_demo_jobs_clean_up_and_remind(tmp_path: Path) -> None:
    app = create_app({"TESTING": True}, instance_path=str(tmp_path))
    with app.app_context():
        try:
            old = dt.datetime(2000, 1, 1)
            db.session.add_all(
                [
                    Task(title="old and done", done=True, created_at=old),
                    Task(title="old and open", created_at=old, due=dt.date(2000, 2, 1)),
                    Task(title="new and done", done=True),
                ]
            )
            db.session.commit()
            jobs_by_id = {job.id: job for job in toolkit.scheduler.get_jobs()}
            assert set(jobs_by_id) == {"purge-done-tasks", "overdue-reminder"}
            assert str(jobs_by_id["purge-done-tasks"].trigger).startswith("cron[")

            toolkit.scheduler.run_job("purge-done-tasks")
            runs = wait_for(
                lambda: [
                    r
                    for r in toolkit.scheduler.history.runs("purge-done-tasks")[0]
                    if r["status"] == "success"
                ]
            )
            assert len(runs) == 1
            titles = set(db.session.scalars(sa.select(Task.title)))
            assert titles == {"old and open", "new and done"}
            assert jobs.remind_overdue() == ["old and open"]
        finally:
            toolkit.scheduler.shutdown()
