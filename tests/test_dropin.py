"""Toolkit(app) costs nothing the app did not ask for, and never stops it from booting.

An app that only validates, authenticates and uses the database gets no scheduler
thread, table or query; the scheduler starts once something is scheduled; an app
boots with its database down; an app with a started scheduler can be collected.
"""

from __future__ import annotations

import gc
import logging
import subprocess
import sys
import threading
import time
import typing as t
import weakref
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from wtforms import StringField

from flask_toolkit import MetaForm
from flask_toolkit import Toolkit
from flask_toolkit import validate_data

from ._servers import BACKENDS
from ._servers import require_driver


def wait_for(predicate: t.Callable[[], t.Any], timeout: float = 20) -> t.Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def scheduler_threads() -> set[threading.Thread]:
    """The live scheduler threads of this process, as objects: an earlier test's
    scheduler may still be stopping, and a thread's name is no identity."""
    return {
        t
        for t in threading.enumerate()
        if "scheduler" in t.name.lower() and t.is_alive()
    }


def run_python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_import_does_not_load_apscheduler() -> None:
    out = run_python(
        "import sys, flask_toolkit\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'apscheduler'}))"
    )
    assert out.strip() == "[]"


def test_config_keys_are_registered_without_importing_the_features() -> None:
    """Every key a lazily imported module registers is known after the import."""
    out = run_python(
        "import importlib, pkgutil, flask_toolkit\n"
        "from flask_toolkit import config\n"
        "before = dict(config.DEFAULTS)\n"
        "for m in pkgutil.walk_packages(flask_toolkit.__path__, 'flask_toolkit.'):\n"
        "    importlib.import_module(m.name)\n"
        "after = dict(config.DEFAULTS)\n"
        "print(sorted(k for k in after if k not in before or after[k] != before[k]))"
    )
    assert out.strip() == "[]"


def test_misspelled_scheduler_key_warns_without_the_scheduler() -> None:
    app = Flask("typo")
    app.config.update(TESTING=True, SCHEDULER_API_ENABLE=True)
    with pytest.warns(UserWarning, match="SCHEDULER_API_ENABLED") as record:
        Toolkit(app)
    assert record[0].filename == __file__  # points at the user's line


class Note(MetaForm):
    text = StringField()


def validation_only_app(url: str, instance: Path) -> tuple[Flask, Toolkit]:
    toolkit = Toolkit()
    app = Flask("validation_only", instance_path=str(instance))
    app.config.update(SQLALCHEMY_DATABASE_URI=url, SECRET_KEY="s")

    @app.post("/notes")
    @validate_data(Note)
    def add(form: Note) -> dict[str, t.Any]:
        return {"text": form.text.data}

    toolkit.init_app(app)
    return app, toolkit


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
def test_app_that_does_not_schedule_gets_no_thread_table_or_query(
    database_url: str, tmp_path: Path
) -> None:
    statements: list[str] = []
    threads_before = scheduler_threads()
    app, toolkit = validation_only_app(database_url, tmp_path)
    engine = toolkit.db.get_engine(app)
    sa.event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    client = app.test_client()
    for _ in range(3):
        response = client.post("/notes", json={"text": "hi"})
        assert response.status_code == 200
    time.sleep(1.5)  # two lease intervals: a started scheduler would have queried
    assert statements == []
    started = scheduler_threads() - threads_before
    assert not started, [t.name for t in started]
    assert "scheduler" not in app.extensions["toolkit"].components
    names = sa.inspect(engine).get_table_names()
    assert "apscheduler_jobs" not in names and "toolkit_job_runs" not in names
    engine.dispose()


def later_task() -> None:
    """Declared by a test after init_app."""


def test_scheduler_starts_when_a_task_is_declared_after_init_app(
    tmp_path: Path, sqlite_url: str
) -> None:
    app, toolkit = validation_only_app(sqlite_url, tmp_path)
    assert "scheduler" not in app.extensions["toolkit"].components

    toolkit.scheduler.task("interval", id="later", hours=1)(later_task)
    try:
        with app.app_context():
            wait_for(lambda: toolkit.scheduler.state == "running")
            assert [j.id for j in toolkit.scheduler.get_jobs()] == ["later"]
    finally:
        with app.app_context():
            toolkit.scheduler.shutdown()
        toolkit.db.get_engine(app).dispose()


def test_config_jobs_start_the_scheduler(tmp_path: Path, sqlite_url: str) -> None:
    toolkit = Toolkit()
    app = Flask("with_jobs", instance_path=str(tmp_path))
    app.config.update(
        SQLALCHEMY_DATABASE_URI=sqlite_url,
        SCHEDULER_LEADER_INTERVAL=0.1,
        SCHEDULER_JOBS=[
            {
                "id": "tick",
                "func": "tests._scheduler_jobs:sleep",
                "args": [0],
                "trigger": "interval",
                "hours": 1,
            }
        ],
    )
    toolkit.init_app(app)
    try:
        with app.app_context():
            assert toolkit.scheduler.running
            wait_for(lambda: toolkit.scheduler.state == "running")
            assert toolkit.scheduler.get_job("tick") is not None
    finally:
        with app.app_context():
            toolkit.scheduler.shutdown()
        toolkit.db.get_engine(app).dispose()


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_boots_with_the_database_down_and_answers_503(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    require_driver("psycopg", "postgresql")
    url = f"postgresql+psycopg://toolkit:toolkit@127.0.0.1:{_closed_port()}/x"
    toolkit = Toolkit()
    app = Flask("db_down", instance_path=str(tmp_path))
    app.config.update(
        SQLALCHEMY_DATABASE_URI=url,
        SCHEDULER_API_ENABLED=True,
        SCHEDULER_API_ALLOW_ANONYMOUS=True,
        SCHEDULER_LEADER_INTERVAL=0.1,
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 1}},
    )
    toolkit.init_app(app)  # no error: nothing is connected here
    try:
        with caplog.at_level(logging.WARNING, "flask_toolkit.scheduler"):
            wait_for(lambda: "cannot open its job store" in caplog.text)
        response = app.test_client().get("/scheduler/jobs")
        assert response.status_code == 503, response.data
    finally:
        with app.app_context():
            toolkit.scheduler.shutdown()


def _started_app(sqlite_url: str, tmp_path: Path) -> weakref.ref[Flask]:
    toolkit = Toolkit()
    app = Flask("collected", instance_path=str(tmp_path))
    app.config.update(
        SQLALCHEMY_DATABASE_URI=sqlite_url,
        SCHEDULER_AUTOSTART=True,
        SCHEDULER_LEADER_INTERVAL=0.1,
    )
    toolkit.init_app(app)
    with app.app_context():
        wait_for(lambda: toolkit.scheduler.state == "running")
    return weakref.ref(app)


def test_app_with_started_scheduler_is_garbage_collected(
    tmp_path: Path, sqlite_url: str
) -> None:
    before = set(threading.enumerate())
    ref = _started_app(sqlite_url, tmp_path)
    # The lease thread holds the app only during a round, a few milliseconds.
    wait_for(lambda: gc.collect() is not None and ref() is None)
    wait_for(lambda: not [t for t in threading.enumerate() if t not in before])
