"""An app with the scheduler REST API on, and callers with different permissions,
shared by the ``test_scheduler_api*`` modules.

Jobs are module level so the job store can import them again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import pickle
import threading
import typing as t
from pathlib import Path

from apscheduler.triggers.date import DateTrigger
from flask import Flask
from flask.testing import FlaskClient

from flask_toolkit import Identity
from flask_toolkit import Toolkit
from flask_toolkit.extension import get_state

toolkit = Toolkit()
#: Arguments each call of :func:`job1` was given.
calls: list[t.Any] = []

USERS: dict[str, list[str]] = {
    "admin": ["scheduler:read", "scheduler:write"],
    "reader": ["scheduler:read"],
    "nobody": [],
}


@toolkit.scheduler.register
def job1(x: t.Any = 0) -> None:
    calls.append(x)


#: Set by tests to let :func:`blocker` return.
release = threading.Event()


@toolkit.scheduler.register
def blocker() -> None:
    """Run until :data:`release` is set (at most 10 seconds)."""
    release.wait(10)


@toolkit.auth.identity_loader
def load_identity(user_id: t.Any) -> Identity | None:
    permissions = USERS.get(user_id) if isinstance(user_id, str) else None
    return None if permissions is None else Identity(user_id, permissions)


def make_app(tmp_path: Path, **config: t.Any) -> Flask:
    """A testing app on SQLite in ``tmp_path``, the API enabled."""
    app = Flask("scheduler_api_app", instance_path=str(tmp_path / "instance"))
    app.config.update(
        TESTING=True,
        SECRET_KEY="test secret",
        AUTH_CREDENTIAL_STORE="memory",
        SCHEDULER_API_ENABLED=True,
        SCHEDULER_LEADER_INTERVAL=0.2,
    )
    app.config.update(config)
    toolkit.init_app(app)
    return app


def close(app: Flask) -> None:
    """Shut the app's scheduler down and release its database.

    Waits for running jobs, so none records its run while the engine is disposed.
    """
    release.set()
    scheduling = get_state(app).components.get("scheduler")  # made on first use
    scheduler = scheduling.scheduler if scheduling is not None else None
    executors = list(scheduler._executors.values()) if scheduler is not None else []
    with app.app_context():
        toolkit.scheduler.shutdown(wait=True)
    # The runner records a run's end after it stops counting the run as in flight, so
    # shutdown(wait=True) can return first; joining the pool threads waits for it.
    for executor in executors:
        executor.shutdown(wait=True)
    toolkit.db.get_engine(app).dispose()


def bulk_add(app: Flask, count: int, start: dt.datetime) -> None:
    """Store ``count`` date jobs ``bulk00000``... one minute apart, in one insert.

    Adding 10,000 jobs one by one takes a minute; this pickles copies of one job
    straight into the default SQLAlchemy job store's table.
    """
    with app.app_context():
        template = toolkit.scheduler.add_job(
            "bulk-template", job1, "date", run_date=start
        )
        state = template.__getstate__()
        toolkit.scheduler.remove_job("bulk-template")
        scheduler = get_state(app).components["scheduler"].open()
        store = scheduler.lookup_jobstore("default")
        rows = []
        for i in range(count):
            when = start + dt.timedelta(minutes=i)
            trigger = DateTrigger(run_date=when)
            copy = {
                **state,
                "id": f"bulk{i:05d}",
                "trigger": trigger,
                "next_run_time": when,
            }
            rows.append(
                {
                    "id": copy["id"],
                    "next_run_time": when.timestamp(),
                    "job_state": pickle.dumps(copy, store.pickle_protocol),
                }
            )
        with store.engine.begin() as connection:
            connection.execute(store.jobs_t.insert(), rows)


@dataclasses.dataclass
class Caller:
    """A test client that sends one user's bearer token, and JSON bodies."""

    client: FlaskClient
    token: str | None

    def open(
        self, method: str, path: str, json: t.Any = None, **kwargs: t.Any
    ) -> t.Any:
        headers = dict(kwargs.pop("headers", {}))
        if self.token is not None:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        if method in ("POST", "PATCH", "PUT") and "data" not in kwargs and json is None:
            headers.setdefault("Content-Type", "application/json")
        if json is not None:
            kwargs["json"] = json
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: t.Any) -> t.Any:
        return self.open("GET", path, **kwargs)

    def post(self, path: str, json: t.Any = None, **kwargs: t.Any) -> t.Any:
        return self.open("POST", path, json, **kwargs)

    def patch(self, path: str, json: t.Any = None, **kwargs: t.Any) -> t.Any:
        return self.open("PATCH", path, json, **kwargs)

    def delete(self, path: str, **kwargs: t.Any) -> t.Any:
        return self.open("DELETE", path, **kwargs)


def caller(app: Flask, user: str | None) -> Caller:
    """A :class:`Caller` for ``user`` (``None``: anonymous)."""
    token = None
    if user is not None:
        with app.app_context():
            token = toolkit.auth.issue_token(user)
    return Caller(app.test_client(), token)
