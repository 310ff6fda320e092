from __future__ import annotations

import time

import sqlalchemy as sa
from flask import current_app
from flask import Flask
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from flask_toolkit import Toolkit
from flask_toolkit.scheduler import current_run

toolkit = Toolkit()
db = toolkit.db


class Report(db.Model):
    __tablename__ = "report"
    id: Mapped[int] = mapped_column(primary_key=True, init=False)
    text: Mapped[str] = mapped_column(sa.String(200))


# Declared at import time, like a model. The function is registered as a task
# ("__main__:nightly_report" here): the only kind of function that can be scheduled.
@toolkit.scheduler.task("cron", id="nightly-report", hour=2, minute=30)
def nightly_report() -> None:
    run = current_run()  # which job, which scheduled time
    # Jobs run in the app context: current_app and toolkit.db work as in a view.
    text = f"{current_app.name}: {run.job_id} at {run.scheduled_run_time}"
    db.session.add(Report(text))
    db.session.commit()


def cleanup(days: int) -> None:
    """A config job: referenced as 'module:function' in SCHEDULER_JOBS."""


app = Flask(__name__)
app.config.update(
    SQLALCHEMY_DATABASE_URI="sqlite:///app.sqlite",  # the job store is this database
    SCHEDULER_JOBS=[
        {
            "id": "cleanup",
            "func": "__main__:cleanup",
            "args": [30],
            "trigger": "interval",
            "hours": 6,
        }
    ],
)
toolkit.init_app(app)  # outside 'flask run' / gunicorn, autostart is "auto": started

with app.app_context():
    db.create_all()
    scheduler = toolkit.scheduler
    assert {job.id for job in scheduler.get_jobs()} == {"nightly-report", "cleanup"}

    # Run a job now, through the executor, without touching its schedule.
    run = scheduler.run_job("nightly-report")
    for _ in range(100):
        rows, total = scheduler.history.runs("nightly-report")
        if total and rows[0]["status"] == "success":
            break
        time.sleep(0.05)
    assert rows[0]["scheduled_run_time"] == run.scheduled_run_time.isoformat()
    assert db.session.scalar(sa.select(Report.text)).startswith(f"{app.name}: nightly")

    # Started processes take the leader lease within SCHEDULER_LEADER_INTERVAL.
    while scheduler.state != "running":
        time.sleep(0.05)
    info = scheduler.leader_info()  # the only process, so the leader
    assert info["is_leader"] and info["lock"] == "file"
    assert info["leader"] == {"host": info["host"], "pid": info["pid"]}

    scheduler.shutdown()
