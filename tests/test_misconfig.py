"""A misconfiguration that no retry can fix is logged at ERROR with the fix, and
``flask toolkit check`` reports it with a non-zero exit status; a mistyped SQLite path
never creates folders. In-memory SQLite is one database shared by every thread.
"""

from __future__ import annotations

import logging
import sys
import threading
import typing as t
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from flask_toolkit import api_blueprint
from flask_toolkit import Toolkit

from ._servers import BACKENDS
from .test_dropin import wait_for


def make_app(tmp_path: Path, url: str, **config: t.Any) -> tuple[Flask, Toolkit]:
    toolkit = Toolkit()
    app = Flask("misconfig", instance_path=str(tmp_path / "instance"))
    app.config.update(SQLALCHEMY_DATABASE_URI=url, SECRET_KEY="s", **config)
    toolkit.init_app(app)
    return app, toolkit


def check(app: Flask) -> t.Any:
    return app.test_cli_runner().invoke(args=["toolkit", "check"])


def wrong(url: str, **parts: str) -> str:
    return sa.make_url(url).set(**parts).render_as_string(hide_password=False)


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
def test_check_passes_on_a_working_database(database_url: str, tmp_path: Path) -> None:
    app, toolkit = make_app(tmp_path, database_url)
    result = check(app)
    assert result.exit_code == 0, result.output
    assert "connected" in result.output
    toolkit.db.get_engine(app).dispose()


@pytest.mark.parametrize("backend", ["postgresql", "mariadb"], indirect=True)
@pytest.mark.parametrize(
    ("change", "fix"),
    [
        ({"password": "not-the-password"}, "check the user name and password"),
        ({"database": "toolkit_no_such_db"}, "flask toolkit create-db"),
    ],
    ids=["wrong-password", "missing-database"],
)
def test_check_fails_with_the_fix(
    database_url: str,
    tmp_path: Path,
    change: dict[str, str],
    fix: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, toolkit = make_app(tmp_path, wrong(database_url, **change))
    result = check(app)
    assert result.exit_code == 1
    assert "misconfigured" in result.output and fix in result.output
    assert "not-the-password" not in result.output

    # A request that needs the database: 503, and the fix in the log at ERROR.
    bp = api_blueprint(__import__("flask").Blueprint("x", __name__, url_prefix="/api"))
    bp.get("/one")(lambda: {"one": toolkit.db.session.scalar(sa.text("SELECT 1"))})
    app.register_blueprint(bp)
    with caplog.at_level(logging.ERROR):
        assert app.test_client().get("/api/one").status_code == 503
    assert any(
        r.levelno == logging.ERROR and fix in r.getMessage() for r in caplog.records
    )


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_scheduler_logs_a_misconfiguration_at_error(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app, toolkit = make_app(
        tmp_path,
        wrong(database_url, password="not-the-password"),
        SCHEDULER_AUTOSTART=True,
        SCHEDULER_LEADER_INTERVAL=0.1,
    )
    try:
        with caplog.at_level(logging.ERROR, "flask_toolkit.scheduler"):
            wait_for(
                lambda: any(
                    r.levelno == logging.ERROR
                    and "check the user name and password" in r.getMessage()
                    for r in caplog.records
                )
            )
    finally:
        with app.app_context():
            toolkit.scheduler.shutdown()


@pytest.mark.parametrize(
    ("url", "module", "fix"),
    [
        (
            "postgresql+psycopg://u:p@127.0.0.1/db",
            "psycopg",
            "pip install 'flask-toolkit[postgres]'",
        ),
        (
            "mysql+pymysql://u:p@127.0.0.1/db",
            "pymysql",
            "pip install 'flask-toolkit[mysql]'",
        ),
    ],
    ids=["postgresql", "mysql"],
)
def test_missing_driver_boots_and_names_the_extra(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    module: str,
    fix: str,
) -> None:
    # As if the driver were not installed: 'import psycopg' raises ImportError.
    monkeypatch.setitem(sys.modules, module, None)
    with caplog.at_level(logging.ERROR):
        app, toolkit = make_app(tmp_path, url)  # boots: init_app does not raise
    assert any(
        r.levelno == logging.ERROR and fix in r.getMessage() for r in caplog.records
    )

    bp = api_blueprint(__import__("flask").Blueprint("x", __name__, url_prefix="/api"))
    bp.get("/one")(lambda: {"one": toolkit.db.session.scalar(sa.text("SELECT 1"))})
    bp.get("/up", endpoint="up")(lambda: {"up": True})
    app.register_blueprint(bp)
    client = app.test_client()
    assert client.get("/api/up").get_json() == {"up": True}  # no database: fine
    caplog.clear()
    with caplog.at_level(logging.ERROR):
        response = client.get("/api/one")
    assert response.status_code == 503
    assert response.get_json() == {
        "code": -1,
        "msg": "The database is unavailable at the moment; try again shortly.",
    }
    assert any(
        r.levelno == logging.ERROR and fix in r.getMessage() for r in caplog.records
    )

    result = check(app)
    assert result.exit_code == 1
    assert "misconfigured" in result.output and fix in result.output
    assert ":p@" not in result.output
    result = app.test_cli_runner().invoke(args=["toolkit", "create-tables"])
    assert result.exit_code == 1 and fix in result.output, result.output
    result = app.test_cli_runner().invoke(args=["toolkit", "create-db"])
    assert result.exit_code == 1 and fix in result.output, result.output


def test_mistyped_sqlite_path_creates_no_folder(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    missing = tmp_path / "no" / "such" / "dir"
    app, toolkit = make_app(
        tmp_path,
        f"sqlite:///{missing}/x.db",
        SCHEDULER_AUTOSTART=True,
        SCHEDULER_LEADER_INTERVAL=0.1,
    )
    try:
        with caplog.at_level(logging.ERROR, "flask_toolkit.scheduler"):
            wait_for(lambda: "does not exist" in caplog.text)
        result = check(app)
        assert result.exit_code == 1
        assert "flask toolkit create-db" in result.output
        assert not (tmp_path / "no").exists()
    finally:
        with app.app_context():
            toolkit.scheduler.shutdown()

    created = app.test_cli_runner().invoke(args=["toolkit", "create-db"])
    assert created.exit_code == 0, created.output
    assert (missing / "x.db").exists()
    assert check(app).exit_code == 0


def test_init_app_makes_no_folder(tmp_path: Path) -> None:
    app, toolkit = make_app(tmp_path, None)  # type: ignore[arg-type]
    assert not (tmp_path / "instance").exists()
    with app.app_context():
        toolkit.db.session.execute(sa.text("SELECT 1"))
    assert (tmp_path / "instance" / "toolkit.sqlite").exists()
    toolkit.db.get_engine(app).dispose()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_in_memory_sqlite_is_shared_by_threads(tmp_path: Path, url: str) -> None:
    app, toolkit = make_app(tmp_path, url, TESTING=True)
    db = toolkit.db

    class Item(db.Model):  # type: ignore[name-defined,misc]
        __tablename__ = f"memory_item_{len(url)}"
        id: sa.orm.Mapped[int] = sa.orm.mapped_column(primary_key=True, init=False)
        name: sa.orm.Mapped[str] = sa.orm.mapped_column(sa.String(20))

    bp = api_blueprint(__import__("flask").Blueprint("m", __name__, url_prefix="/api"))

    @bp.post("/items/<name>")
    def add(name: str) -> tuple[dict[str, t.Any], int]:
        db.session.add(Item(name=name))
        db.session.commit()
        return {"name": name}, 201

    @bp.get("/items")
    def items() -> dict[str, t.Any]:
        return {"count": len(db.session.scalars(sa.select(Item)).all())}

    app.register_blueprint(bp)
    with app.app_context():
        db.create_all()
    statuses: list[int] = []

    def worker(i: int) -> None:
        client = app.test_client()
        statuses.append(client.post(f"/api/items/n{i}").status_code)

    # As the threaded development server serves a browser: each request on a new
    # thread. (One connection is shared, as in Flask-SQLAlchemy, so requests that
    # write at the same moment would share a transaction; use a file for that.)
    for i in range(20):
        thread = threading.Thread(target=worker, args=(i,))
        thread.start()
        thread.join(30)
    assert statuses == [201] * 20
    assert app.test_client().get("/api/items").json == {"count": 20}
    db.get_engine(app).dispose()
