"""``db.session_scope()`` and ``db.session`` on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import logging
import sys
import typing as t
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from ._orm_models import count_tasks
from ._orm_models import db
from ._orm_models import make_app
from ._orm_models import Project
from ._orm_models import Task


@pytest.fixture
def db_app(database_url: str, tmp_path: Path) -> t.Iterator[Flask]:
    app = make_app(database_url, tmp_path)
    with app.app_context():
        yield app
    db.get_engine(app).dispose()


class Boom(Exception):
    pass


def test_commits_on_success_and_objects_stay_usable(db_app: Flask) -> None:
    with db.session_scope() as session:
        project = Project(name="Garden")
        session.add(project)
        session.add(Task(title="Dig", project=project))
    # Closed, yet every column (including generated ones) is readable.
    assert project.id is not None
    assert project.name == "Garden"
    assert count_tasks(db_app) == 1
    assert db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_reraises_the_original_exception_with_its_traceback(db_app: Flask) -> None:
    error = Boom("original")

    def fail() -> None:
        raise error

    with pytest.raises(Boom) as caught:
        with db.session_scope() as session:
            session.add(Task(title="Never stored"))
            session.flush()
            fail()
    assert caught.value is error
    frames = [frame.name for frame in caught.traceback]
    assert frames[-1] == "fail"  # the traceback still ends where it was raised
    assert count_tasks(db_app) == 0
    assert db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_a_failing_commit_rolls_back_and_raises_its_error(db_app: Flask) -> None:
    with db.session_scope() as session:
        session.add(Project(name="Unique"))
    with pytest.raises(sa.exc.IntegrityError):
        with db.session_scope() as session:
            session.add(Task(title="Goes with the failed commit"))
            session.add(Project(name="Unique"))
    assert count_tasks(db_app) == 0
    assert db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_a_failing_rollback_is_logged_and_the_original_raised(
    db_app: Flask, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    error = Boom("original")

    def broken_rollback(self: sa.orm.Session) -> None:
        raise RuntimeError("rollback failed too")

    with pytest.raises(Boom) as caught, caplog.at_level(logging.ERROR):
        with db.session_scope():
            monkeypatch.setattr(sa.orm.Session, "rollback", broken_rollback)
            raise error
    monkeypatch.undo()
    assert caught.value is error
    assert "Rolling back the session after Boom failed" in caplog.text
    assert "rollback failed too" in caplog.text
    assert db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_commit_false_keeps_nothing(db_app: Flask) -> None:
    with db.session_scope(commit=False) as session:
        session.add(Task(title="Read-only block"))
        session.flush()
        assert session.scalar(sa.select(sa.func.count()).select_from(Task)) == 1
    assert count_tasks(db_app) == 0


def test_nested_scope_joins_the_outer_transaction(db_app: Flask) -> None:
    with pytest.raises(Boom):
        with db.session_scope() as outer:
            with db.session_scope() as inner:
                assert inner is outer
                inner.add(Task(title="Inner"))
            # The inner scope did not commit on its own: the outer failure undoes it.
            raise Boom
    assert count_tasks(db_app) == 0

    with db.session_scope() as outer:
        with db.session_scope() as inner:
            inner.add(Task(title="Inner"))
    assert count_tasks(db_app) == 1


def test_a_failed_inner_scope_undoes_only_its_own_writes(db_app: Flask) -> None:
    with db.session_scope() as outer:
        outer.add(Task(title="Outer before"))
        with pytest.raises(Boom):
            with db.session_scope() as inner:
                inner.add(Task(title="Inner, rolled back"))
                inner.flush()
                raise Boom
        outer.add(Task(title="Outer after"))
    with db.session_scope(commit=False) as session:
        titles = session.scalars(sa.select(Task.title).order_by(Task.id)).all()
    assert titles == ["Outer before", "Outer after"]


def test_a_failed_flush_in_an_inner_scope_lets_the_outer_one_go_on(
    db_app: Flask,
) -> None:
    with db.session_scope() as outer:
        outer.add(Project(name="Taken"))
        outer.flush()
        with pytest.raises(sa.exc.IntegrityError):
            with db.session_scope() as inner:
                inner.add(Project(name="Taken"))
                inner.flush()
        outer.add(Task(title="After the conflict"))
    assert count_tasks(db_app) == 1
    with db.session_scope(commit=False) as session:
        assert session.scalars(sa.select(Project.name)).all() == ["Taken"]


def test_nested_commit_false_discards_only_the_inner_block(db_app: Flask) -> None:
    with db.session_scope() as outer:
        outer.add(Task(title="Kept"))
        with db.session_scope(commit=False) as inner:
            inner.add(Task(title="Discarded"))
    assert count_tasks(db_app) == 1


def test_nested_savepoint_on_a_fresh_sqlite_transaction(db_app: Flask) -> None:
    # Before any write, SQLite's driver has not begun a transaction; an inner scope must
    # not commit behind the outer one's back.
    with pytest.raises(Boom):
        with db.session_scope():
            with db.session_scope() as inner:
                inner.add(Task(title="Inner first"))
            raise Boom
    assert count_tasks(db_app) == 0


def test_a_scope_object_cannot_be_entered_twice(db_app: Flask) -> None:
    scope = db.session_scope()
    with scope:
        with pytest.raises(RuntimeError, match="call 'db.session_scope\\(\\)' again"):
            scope.__enter__()


def test_db_session_is_per_app_context_and_never_commits(db_app: Flask) -> None:
    first = db.session._get_current_object()  # type: ignore[attr-defined]
    # One session per app context: what one access adds, the next access sees.
    assert db.session._get_current_object() is first  # type: ignore[attr-defined]
    db.session.add(Task(title="Not committed"))
    db.session.flush()
    with db_app.app_context():
        assert db.session._get_current_object() is not first  # type: ignore[attr-defined]
    # The app fixture's context ends in teardown: simulate it here.
    db_app.do_teardown_appcontext()
    assert count_tasks(db_app) == 0
    assert db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_scopes_in_an_async_view(db_app: Flask) -> None:
    pytest.importorskip("asgiref")

    @db_app.post("/async/<int:n>")
    async def create(n: int) -> tuple[dict[str, int], int]:
        with db.session_scope() as session:
            session.add(Task(title=f"async {n}"))
            session.flush()
            if n % 2:
                raise Boom
        return {"n": n}, 201

    db_app.config["PROPAGATE_EXCEPTIONS"] = False
    client = db_app.test_client()
    assert client.post("/async/2").status_code == 201
    assert client.post("/async/1").status_code == 500
    assert count_tasks(db_app) == 1
    assert db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_keyboard_interrupt_rolls_back_too(db_app: Flask) -> None:
    with pytest.raises(KeyboardInterrupt):
        with db.session_scope() as session:
            session.add(Task(title="Interrupted"))
            session.flush()
            raise KeyboardInterrupt
    assert count_tasks(db_app) == 0
    assert sys.exc_info() == (None, None, None)


def test_first_session_after_requests_is_still_closed(
    database_url: str, tmp_path: Path
) -> None:
    """The session teardown is set up by the first session, also when the app has
    served requests before: the request's connection goes back to the pool, and an
    uncommitted write is rolled back."""
    app = make_app(database_url, tmp_path)

    @app.get("/plain")
    def plain() -> dict[str, bool]:
        return {"ok": True}

    @app.post("/write")
    def write() -> dict[str, int]:
        db.session.add(Project(name="Never committed"))
        db.session.flush()
        return {"open": db.engine.pool.checkedout()}  # type: ignore[attr-defined]

    client = app.test_client()
    try:
        assert client.get("/plain").json == {"ok": True}
        for _ in range(2):
            assert client.post("/write").json == {"open": 1}
            with app.app_context():
                assert db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
                assert db.session.scalars(sa.select(Project)).all() == []
    finally:
        db.get_engine(app).dispose()
