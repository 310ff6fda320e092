from __future__ import annotations

from flask import Flask

from flask_toolkit import Toolkit

toolkit = Toolkit()


def send_digest() -> None:
    """Scheduled from config."""


@toolkit.scheduler.register  # may be scheduled through the API, not declared here
def remind(who: str) -> None:
    """Scheduled at run time."""


def make_app(hours: int) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SQLALCHEMY_DATABASE_URI="sqlite:///jobs.sqlite",
        SCHEDULER_AUTOSTART=False,  # this script only edits the store
        SCHEDULER_JOBS=[
            {
                "id": "digest",
                "func": "__main__:send_digest",
                "trigger": "interval",
                "hours": hours,
            }
        ],
    )
    toolkit.init_app(app)
    return app


with make_app(hours=24).app_context():
    scheduler = toolkit.scheduler
    scheduler.add_job("remind-ann", remind, "cron", hour=9, args=["ann"])
    scheduler.pause_job("remind-ann")
    scheduler.shutdown()

# The process restarts with a changed config: no duplicate, no ConflictingIdError,
# the paused job stays paused, the new trigger is applied.
with make_app(hours=12).app_context():
    scheduler = toolkit.scheduler
    jobs = {job.id: scheduler.job_to_dict(job) for job in scheduler.get_jobs()}
    assert sorted(jobs) == ["digest", "remind-ann"]
    assert jobs["remind-ann"]["paused"] is True
    assert jobs["digest"]["hours"] == 12
    assert jobs["digest"]["func"] == "__main__:send_digest"

    # A client can only name registered tasks, never an import path of its choice.
    try:
        scheduler.add_job("evil", "os:system", "date", args=["rm -rf /"])
        raise AssertionError("unreachable")
    except KeyError as e:  # UnknownTaskError
        assert "not a registered task" in str(e)

    page, total = scheduler.list_jobs(page=1, per_page=1, state="paused")
    assert total == 1 and page[0].id == "remind-ann"
    scheduler.shutdown()
