"""Jobs and an app factory for the scheduler tests (module level, so job stores can
import them again, also from other processes).

``create_app()`` reads its settings from the environment, for gunicorn:
``TEST_SCHEDULER_DB`` (the app database URL) and ``TEST_SCHEDULER_STORE`` (a job store
URL; default: the app database).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
import typing as t

import sqlalchemy as sa
from flask import current_app
from flask import Flask
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from flask_toolkit import Toolkit
from flask_toolkit.scheduler import current_run

toolkit = Toolkit()
db = toolkit.db
#: Released by tests to let :func:`wait_for_release` finish.
gate = threading.Event()


class Tick(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "scheduler_tick"

    id: Mapped[int] = mapped_column(primary_key=True, init=False)
    job_id: Mapped[str] = mapped_column(sa.String(100))
    scheduled: Mapped[str] = mapped_column(sa.String(40))
    app_name: Mapped[str] = mapped_column(sa.String(100))
    pid: Mapped[int] = mapped_column(default=0)


@toolkit.scheduler.register
def record_tick() -> None:
    """Write a row with the run's scheduled time, through ``toolkit.db``."""
    run = current_run()
    assert run is not None
    db.session.add(
        Tick(
            job_id=run.job_id,
            scheduled=run.scheduled_run_time.astimezone(dt.timezone.utc).isoformat(),
            app_name=current_app.name,
            pid=os.getpid(),
        )
    )
    db.session.commit()


@toolkit.scheduler.register
def slow_tick(seconds: float) -> None:
    """:func:`record_tick`, then take ``seconds`` more."""
    record_tick()
    time.sleep(seconds)


@toolkit.scheduler.register
def gated_tick() -> None:
    """:func:`record_tick`, then wait for :data:`gate` (at most a minute)."""
    record_tick()
    gate.wait(60)


@toolkit.scheduler.register
def fail() -> None:
    raise RuntimeError("the job failed on purpose")


@toolkit.scheduler.register
def sleep(seconds: float) -> None:
    time.sleep(seconds)


@toolkit.scheduler.register
def wait_for_release() -> None:
    gate.wait(10)


def not_registered() -> None:
    """Exists, but is not a task."""


@toolkit.scheduler.task("interval", id="declared", hours=1)
def declared() -> None:
    """Declared with the decorator."""


def make_app(database_url: str, instance_path: str, **config: t.Any) -> Flask:
    """A test app (not started) with the tables created."""
    app = Flask("scheduler_test_app", instance_path=instance_path)
    app.config.update(
        SQLALCHEMY_DATABASE_URI=database_url,
        SCHEDULER_LEADER_INTERVAL=0.1,
        SCHEDULER_AUTOSTART=False,
    )
    app.config.update(config)
    toolkit.init_app(app)
    with app.app_context():
        db.create_all()
    return app


def create_app() -> Flask:
    """The gunicorn test app: an interval job that writes a row per run."""
    config: dict[str, t.Any] = {
        "SCHEDULER_AUTOSTART": True,
        "SCHEDULER_LEADER_INTERVAL": 0.2,
        "SCHEDULER_LEADER_TTL": 2.0,
        "SCHEDULER_JOBS": [
            {
                "id": "tick",
                "func": "tests._scheduler_jobs:record_tick",
                "trigger": "interval",
                "seconds": 1,
                "coalesce": False,
                "misfire_grace_time": 60,
                # After a takeover the missed runs are caught up in one batch; the
                # next run waits for that batch instead of being skipped.
                "max_instances": 1,
            }
        ],
    }
    store = os.environ.get("TEST_SCHEDULER_STORE")
    if store:
        config["SCHEDULER_JOBSTORES"] = {"default": store}
    app = Flask(
        "scheduler_gunicorn_app", instance_path=os.environ["TEST_SCHEDULER_DIR"]
    )
    app.config.update(SQLALCHEMY_DATABASE_URI=os.environ["TEST_SCHEDULER_DB"], **config)

    @app.post("/jobs/<job_id>/<float:delay>")
    def add(job_id: str, delay: float) -> dict[str, t.Any]:
        run_date = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=delay)
        job = toolkit.scheduler.add_job(job_id, record_tick, "date", run_date=run_date)
        info = toolkit.scheduler.leader_info()
        return {"id": job.id, "run_date": run_date.isoformat(), **info}

    @app.get("/leader")
    def leader() -> dict[str, t.Any]:
        return toolkit.scheduler.leader_info()

    toolkit.init_app(app)
    return app
