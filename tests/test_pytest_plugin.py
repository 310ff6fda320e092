"""The pytest plugin, as a user meets it: small test suites of a sample app, run by
pytester in a new process on each database, with and without pytest-flask.

The plugin is loaded with ``-p flask_toolkit.pytest_plugin`` while this branch's
package is not installed; once it is (``pip install -e .``), its ``pytest11`` entry
point loads it and these runs exercise that instead.
"""

from __future__ import annotations

import importlib.metadata
import os
from pathlib import Path

import pytest

CONFTEST = """
import os

import pytest

from sample_app import create_app, toolkit


@pytest.fixture
def app():
    url = os.environ["SAMPLE_DATABASE_URL"]
    config = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": url}
    if url.startswith("sqlite"):
        # SQLite has one writer at a time: keep the job store out of the database.
        config["SCHEDULER_JOBSTORES"] = {"default": "memory"}
    app = create_app(config)
    yield app
    toolkit.db.get_engine(app).dispose()
"""

PASSING = """
import datetime as dt
import os

import pytest
import sqlalchemy as sa

from flask_toolkit.testing import assert_error
from sample_app import create_app
from sample_app import nightly
from sample_app import Task
from sample_app import toolkit

WRITER = (1, ["tasks:read", "tasks:write"])
IN_MEMORY = os.environ["SAMPLE_DATABASE_URL"] == "sqlite://"


def count(db):
    return db.session.scalar(sa.select(sa.func.count()).select_from(Task))


def count_outside(db):
    # A connection of its own: what was really committed.
    with db.engine.connect() as other:
        return other.scalar(sa.select(sa.func.count()).select_from(Task))


@pytest.mark.parametrize("path", ["/api/tasks", "/api/tasks/in-scope"])
def test_commits_are_seen_inside_the_test_only(db, client_as, path):
    client = client_as(*WRITER)
    assert client.post(path, json={"title": "a"}).status_code == 201
    assert [t["title"] for t in client.get("/api/tasks").json] == ["a"]
    assert count(db) == 1
    if not IN_MEMORY:  # one connection is the whole in-memory database
        assert count_outside(db) == 0


def test_the_test_itself_may_commit(db):
    db.session.add(Task(title="b"))
    db.session.commit()
    with db.session_scope() as session:
        session.add(Task(title="c"))
    assert count(db) == 2


def test_a_refused_write_is_undone_alone(db, client_as):
    client = client_as(*WRITER)
    assert client.post("/api/tasks", json={"title": "same"}).status_code == 201
    assert_error(client.post("/api/tasks", json={"title": "same"}), 409)
    assert client.post("/api/tasks", json={"title": "other"}).status_code == 201
    assert count(db) == 2


def test_nothing_is_left_by_the_tests_before(db):
    assert count(db) == 0


def test_anonymous_and_permission_errors(anonymous_client, client_as):
    assert_error(anonymous_client.get("/api/tasks"), 401)
    reader = client_as(2, ["tasks:read"])
    refused = reader.post("/api/tasks", json={"title": "x"})
    assert_error(refused, 403, message="tasks:write")
    invalid = client_as(*WRITER).post("/api/tasks", json={})
    assert_error(invalid, 400, field="title", message="required")


def test_session_client_sends_the_csrf_token(db, client_as, session_client):
    task_id = client_as(*WRITER).post("/api/tasks", json={"title": "gone"}).json["id"]
    client = session_client(1)
    token, client.csrf_token = client.csrf_token, None
    assert_error(client.delete(f"/api/tasks/{task_id}"), 400, message="CSRF")
    client.csrf_token = token
    assert client.delete(f"/api/tasks/{task_id}").status_code == 204
    assert count(db) == 0


def test_an_unknown_user_cannot_log_in(session_client):
    with pytest.raises(ValueError, match="returned None for 99"):
        session_client(99)


def test_run_a_job_now(db, run_job):
    run = run_job("nightly")
    assert (run.status, run.return_value, run.error) == ("success", 1, None)
    assert count(db) == 1
    failed = run_job("broken")
    assert failed.status == "error"
    assert failed.error == "RuntimeError: the report server is down"
    assert 'raise RuntimeError("the report server is down")' in failed.traceback


def test_the_nightly_trigger(db, run_due_jobs, time_machine):
    utc = dt.timezone.utc
    time_machine.move_to(dt.datetime(2030, 1, 1, 2, 0, tzinfo=utc), tick=False)
    assert run_due_jobs() == []
    time_machine.move_to(dt.datetime(2030, 1, 1, 3, 0, 30, tzinfo=utc), tick=False)
    assert [(r.job_id, r.status) for r in run_due_jobs()] == [("nightly", "success")]
    assert run_due_jobs() == []
    time_machine.move_to(dt.datetime(2030, 1, 3, 3, 1, tzinfo=utc), tick=False)
    # Two nights were due; coalesce (the default) makes them one run.
    (run,) = run_due_jobs()
    assert run.scheduled == dt.datetime(2030, 1, 3, 3, 0, tzinfo=utc)
    titles = db.session.scalars(sa.select(Task.title).order_by(Task.id)).all()
    assert titles == ["nightly 2030-01-01", "nightly 2030-01-03"]


def test_a_test_adds_a_job(db):
    toolkit.scheduler.add_job("extra", nightly, "interval", hours=5)
    assert toolkit.scheduler.get_job("extra") is not None


def test_jobs_added_by_earlier_tests_are_gone(db):
    # The job store is written outside the transaction; the plugin empties it.
    assert toolkit.scheduler.get_job("extra") is None
    assert toolkit.scheduler.get_job("nightly") is not None


def test_jobs_never_start_by_themselves():
    # Not in TESTING mode, and "auto" would start the scheduler outside pytest.
    other = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert not other.testing and other.config["SCHEDULER_AUTOSTART"] == "auto"
    with other.app_context():
        assert toolkit.scheduler.leader_info()["state"] == "stopped"
    toolkit.db.get_engine(other).dispose()
"""

FAILING = """
from flask_toolkit.testing import assert_error


def test_wrong_field(client_as):
    response = client_as(1, ["tasks:write"]).post("/api/tasks", json={})
    assert_error(response, 400, field="name")


def test_wrong_status(anonymous_client):
    assert_error(anonymous_client.get("/api/tasks"), 403)


def test_job_that_fails(db, run_job):
    assert run_job("broken").status == "success"
"""


def _plugin_args() -> list[str]:
    installed = any(
        ep.value == "flask_toolkit.pytest_plugin"
        for ep in importlib.metadata.entry_points(group="pytest11")
    )
    return [] if installed else ["-p", "flask_toolkit.pytest_plugin"]


@pytest.fixture
def suite(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> pytest.Pytester:
    here = Path(__file__).parent
    pytester.makepyfile(
        sample_app=(here / "_plugin_sample.py").read_text(),
        conftest=CONFTEST,
        test_passing=PASSING,
        test_failing=FAILING,
    )
    src = str(here.parent / "src")
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])
    )
    return pytester


@pytest.mark.parametrize(
    "with_pytest_flask",
    [True, pytest.param(False, marks=pytest.mark.slow)],
    ids=["pytest-flask", "plain-pytest"],
)
def test_user_suites_on_each_database(
    suite: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    with_pytest_flask: bool,
) -> None:
    monkeypatch.setenv("SAMPLE_DATABASE_URL", database_url)
    args = [*_plugin_args(), "-p", "no:cacheprovider", "-W", "error", "-rf"]
    if not with_pytest_flask:
        args += ["-p", "no:flask"]
    result = suite.runpytest_subprocess(*args, timeout=240)
    result.assert_outcomes(passed=13, failed=3)
    out = result.stdout.str()
    assert "no message for field 'name'" in out
    assert "expected a 403 error, got 401" in out
    assert "assert 'error' == 'success'" in out


def test_in_memory_sqlite(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAMPLE_DATABASE_URL", "sqlite://")
    result = suite.runpytest_subprocess(
        *_plugin_args(), "-p", "no:cacheprovider", "test_passing.py", timeout=240
    )
    result.assert_outcomes(passed=13)


def test_opt_out(suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    if _plugin_args():
        pytest.skip("the pytest11 entry point is not installed (pip install -e .)")
    monkeypatch.setenv("SAMPLE_DATABASE_URL", "sqlite://")
    result = suite.runpytest_subprocess(
        "-p",
        "no:flask_toolkit",
        "-p",
        "no:cacheprovider",
        "test_passing.py",
        "-k",
        "nothing_is_left",
        timeout=240,
    )
    result.assert_outcomes(errors=1)
    assert "fixture 'db' not found" in result.stdout.str()
