"""``toolkit.db``: engine config, models, requests on every backend, lifecycle."""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest
import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from flask import Flask
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from flask_toolkit import api_blueprint
from flask_toolkit import APIError
from flask_toolkit import Toolkit
from flask_toolkit.db.database import Database

from ._orm_models import count_tasks
from ._orm_models import db
from ._orm_models import make_app
from ._orm_models import Project
from ._orm_models import Task
from ._orm_models import toolkit
from ._servers import require_driver


@pytest.fixture
def db_app(database_url: str, tmp_path: Path) -> t.Iterator[Flask]:
    app = make_app(database_url, tmp_path)
    yield app
    db.get_engine(app).dispose()


def _plain_app(tmp_path: Path, **config: t.Any) -> Flask:
    app = Flask("config_test", instance_path=str(tmp_path / "instance"))
    app.config.update(TESTING=True, **config)
    return app


# -- configuration -------------------------------------------------------------------


def test_default_is_sqlite_in_the_instance_folder(tmp_path: Path) -> None:
    app = _plain_app(tmp_path)
    kit = Toolkit(app)
    engine = kit.db.get_engine(app)
    assert engine.url.database == str(tmp_path / "instance" / "toolkit.sqlite")
    assert engine.pool._pre_ping  # type: ignore[attr-defined]
    assert not (tmp_path / "instance" / "toolkit.sqlite").exists()  # nothing written


def test_relative_sqlite_path_is_in_the_instance_folder(tmp_path: Path) -> None:
    app = _plain_app(tmp_path, SQLALCHEMY_DATABASE_URI="sqlite:///app.db")
    kit = Toolkit(app)
    assert kit.db.get_engine(app).url.database == str(tmp_path / "instance" / "app.db")


def test_flask_sqlalchemy_keys_and_the_notes_pool_settings_pass_through(
    tmp_path: Path,
) -> None:
    options = {
        "pool_size": 20,
        "max_overflow": 10,
        "pool_timeout": 30,
        "pool_recycle": 360,
        "pool_pre_ping": False,
    }
    app = _plain_app(
        tmp_path,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/x.db",
        SQLALCHEMY_ENGINE_OPTIONS=options,
        SQLALCHEMY_ECHO=True,
    )
    kit = Toolkit(app)
    engine = kit.db.get_engine(app)
    pool = engine.pool
    assert isinstance(pool, sa.QueuePool)
    assert pool.size() == 20
    assert pool._max_overflow == 10  # type: ignore[attr-defined]
    assert pool._timeout == 30  # type: ignore[attr-defined]
    assert pool._recycle == 360
    assert not pool._pre_ping  # type: ignore[attr-defined]
    assert engine.echo is True


@pytest.mark.parametrize(
    ("key", "value", "advice"),
    [
        ("SQLALCHEMY_BINDS", {"other": "sqlite://"}, "one engine per app"),
        ("SQLALCHEMY_COMMIT_ON_TEARDOWN", True, "never committed for you"),
    ],
)
def test_flask_sqlalchemy_keys_that_would_change_behaviour_warn(
    tmp_path: Path, key: str, value: t.Any, advice: str
) -> None:
    app = _plain_app(tmp_path, **{key: value})
    with pytest.warns(UserWarning, match=f"{key} is set.*{advice}"):
        Toolkit(app)


def test_mysql_gets_utf8mb4(tmp_path: Path) -> None:
    require_driver("pymysql", "mariadb")
    app = _plain_app(
        tmp_path, SQLALCHEMY_DATABASE_URI="mysql+pymysql://u:p@127.0.0.1/app"
    )
    kit = Toolkit(app)
    assert kit.db.get_engine(app).url.query["charset"] == "utf8mb4"
    app = _plain_app(
        tmp_path, SQLALCHEMY_DATABASE_URI="mysql+pymysql://u:p@h/app?charset=latin1"
    )
    kit = Toolkit(app)
    assert kit.db.get_engine(app).url.query["charset"] == "latin1"


def test_four_byte_unicode_round_trips(database_url: str, tmp_path: Path) -> None:
    app = make_app(database_url, tmp_path)
    with app.app_context():
        with db.session_scope() as session:
            session.add(Task(title="Émoji 🌱 and 漢字"))
        with db.session_scope(commit=False) as session:
            title = session.scalars(sa.select(Task.title)).one()
    db.get_engine(app).dispose()
    assert title == "Émoji 🌱 and 漢字"


def test_user_model_class_is_db_model(tmp_path: Path) -> None:
    class Base(sa_orm.MappedAsDataclass, sa_orm.DeclarativeBase):
        pass

    class Note(Base):
        __tablename__ = "note"
        id: Mapped[int] = mapped_column(primary_key=True, init=False)
        text: Mapped[str] = mapped_column(sa.String(50))

    kit = Toolkit(model_class=Base)
    assert kit.db.Model is Base
    assert kit.db.metadata is Base.metadata
    app = _plain_app(tmp_path)
    kit.init_app(app)
    with app.app_context():
        kit.db.create_all()
        with kit.db.session_scope() as session:
            session.add(Note("hello"))
        assert kit.db.session.scalars(sa.select(Note.text)).all() == ["hello"]
    kit.db.get_engine(app).dispose()


def test_bad_model_class_says_what_to_pass() -> None:
    with pytest.raises(TypeError, match="subclass of sqlalchemy.orm.DeclarativeBase"):
        Database(model_class=object)  # type: ignore[arg-type]


def test_two_databases_may_declare_the_same_model_name() -> None:
    other = Toolkit().db

    class Task(other.Model):  # type: ignore[misc,name-defined]
        __tablename__ = "task"
        id: Mapped[int] = mapped_column(primary_key=True)

    assert Task.registry is not db.Model.registry
    sa_orm.configure_mappers()


class Stamped(db.Model):  # type: ignore[misc]
    """Values the database computes, on insert and on update."""

    __tablename__ = "stamped"
    id: Mapped[int] = mapped_column(primary_key=True, init=False)
    label: Mapped[str] = mapped_column(sa.String(20))
    kind: Mapped[str] = mapped_column(sa.String(20), server_default="plain", init=False)
    version: Mapped[int] = mapped_column(
        default=1, onupdate=sa.text("version + 1"), init=False
    )


def test_server_computed_values_are_readable_after_the_scope(db_app: Flask) -> None:
    with db_app.app_context():
        with db.session_scope() as session:
            stamped = Stamped("new")
            session.add(stamped)
        # Closed: the object is detached, yet the database's values were fetched.
        assert (stamped.id, stamped.kind, stamped.version) == (stamped.id, "plain", 1)
        with db.session_scope() as session:
            session.add(stamped)
            stamped.label = "changed"
        assert stamped.version == 2


# -- requests ------------------------------------------------------------------------


def _register_routes(app: Flask) -> None:
    from flask import Blueprint

    bp = api_blueprint(Blueprint("api", __name__, url_prefix="/api"))

    @bp.post("/tasks/<int:n>")
    def create(n: int) -> tuple[dict[str, t.Any], int]:
        db.session.add(Task(title=f"task {n}"))
        db.session.flush()  # the row is in the database's transaction now
        if n % 2:
            raise RuntimeError("failed mid-transaction")
        db.session.commit()
        return {"ok": n}, 201

    @bp.post("/scoped/<int:n>")
    def scoped(n: int) -> tuple[dict[str, t.Any], int]:
        with db.session_scope() as session:
            session.add(Task(title=f"scoped {n}"))
            session.flush()
            if n % 2:
                raise APIError(422, "refused after writing")
        return {"ok": n}, 201

    @bp.post("/projects/<name>")
    def project(name: str) -> tuple[dict[str, t.Any], int]:
        db.session.add(Project(name=name))
        db.session.commit()
        return {"ok": name}, 201

    @bp.get("/tasks/<int:ident>")
    def get(ident: int) -> dict[str, t.Any]:
        return {"title": db.get_or_404(Task, ident).title}

    app.register_blueprint(bp)


def test_request_failing_mid_transaction_leaves_no_row(db_app: Flask) -> None:
    _register_routes(db_app)
    db_app.config["PROPAGATE_EXCEPTIONS"] = False
    client = db_app.test_client()
    failed = client.post("/api/tasks/1")
    assert failed.status_code == 500
    assert failed.json == {
        "code": -1,
        "msg": "The server met an unexpected error; the failure was logged.",
    }
    assert client.post("/api/scoped/1").status_code == 422
    assert count_tasks(db_app) == 0
    assert client.post("/api/tasks/2").status_code == 201
    assert count_tasks(db_app) == 1


def test_200_requests_half_failing_leave_no_connection_checked_out(
    db_app: Flask,
) -> None:
    _register_routes(db_app)
    db_app.config["PROPAGATE_EXCEPTIONS"] = False
    client = db_app.test_client()
    statuses = []
    for n in range(200):
        route = "tasks" if n < 100 else "scoped"
        statuses.append(client.post(f"/api/{route}/{n}").status_code)
    assert statuses.count(201) == 100
    assert db.get_engine(db_app).pool.checkedout() == 0  # type: ignore[attr-defined]
    assert count_tasks(db_app) == 100


def test_unique_violation_is_a_409_envelope(db_app: Flask) -> None:
    _register_routes(db_app)
    client = db_app.test_client()
    assert client.post("/api/projects/one").status_code == 201
    conflict = client.post("/api/projects/one")
    assert conflict.status_code == 409
    assert conflict.json["code"] == -1
    assert "constraint refused" in conflict.json["msg"]
    assert "project" not in conflict.json["msg"]  # no database text leaks


def test_get_or_404_answers_in_the_envelope(db_app: Flask) -> None:
    _register_routes(db_app)
    client = db_app.test_client()
    missing = client.get("/api/tasks/99")
    assert missing.status_code == 404
    assert missing.json == {"code": -1, "msg": "Task 99 was not found."}


@pytest.mark.parametrize(
    ("driver", "url"),
    [
        ("psycopg", "postgresql+psycopg://toolkit:toolkit@127.0.0.1:9/none"),
        ("pymysql", "mysql+pymysql://toolkit:toolkit@127.0.0.1:9/none"),
    ],
)
def test_unreachable_database_is_a_503_envelope(
    tmp_path: Path, driver: str, url: str
) -> None:
    # A port nothing listens on: connecting fails before any statement is sent.
    require_driver(driver, "postgresql" if driver == "psycopg" else "mariadb")
    app = _plain_app(
        tmp_path,
        SQLALCHEMY_DATABASE_URI=url,
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 2}},
    )
    kit = Toolkit(app)

    @app.get("/api/count")
    def count() -> dict[str, t.Any]:
        return {"n": kit.db.session.scalar(sa.text("SELECT 1"))}

    @app.get("/page")
    def page() -> dict[str, t.Any]:
        return {"n": kit.db.session.scalar(sa.text("SELECT 1"))}

    client = app.test_client()
    answer = client.get("/api/count")
    assert answer.status_code == 503
    assert answer.json == {
        "code": -1,
        "msg": "The database is unavailable at the moment; try again shortly.",
    }
    html = client.get("/page")
    assert html.status_code == 503
    assert html.mimetype == "text/html"
    assert kit.db.get_engine(app).pool.checkedout() == 0  # type: ignore[attr-defined]


def test_locked_sqlite_is_a_503(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/locked.db"
    app = make_app(
        url, tmp_path, SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"timeout": 0.1}}
    )

    @app.post("/api/tasks")
    def create() -> tuple[dict[str, t.Any], int]:
        db.session.add(Task(title="Blocked"))
        db.session.commit()
        return {}, 201

    other = sa.create_engine(url, poolclass=sa.NullPool)
    with other.connect() as holder:
        holder.exec_driver_sql("BEGIN EXCLUSIVE")
        answer = app.test_client().post("/api/tasks")
        holder.rollback()
    other.dispose()
    assert answer.status_code == 503
    assert db.get_engine(app).pool.checkedout() == 0  # type: ignore[attr-defined]
    db.get_engine(app).dispose()


def test_exhausted_pool_is_a_503(db_app: Flask, tmp_path: Path) -> None:
    url = db.get_engine(db_app).url.render_as_string(hide_password=False)
    options = {"pool_size": 1, "max_overflow": 0, "pool_timeout": 0.1}
    app = make_app(url, tmp_path, SQLALCHEMY_ENGINE_OPTIONS=options)

    @app.get("/api/count")
    def count() -> dict[str, t.Any]:
        return {"n": db.session.scalar(sa.select(sa.func.count()).select_from(Task))}

    engine = db.get_engine(app)
    client = app.test_client()
    with engine.connect():  # the only connection, held elsewhere
        busy = client.get("/api/count")
    assert busy.status_code == 503
    assert client.get("/api/count").json == {"n": 0}
    engine.dispose()


def test_other_database_errors_stay_500(db_app: Flask) -> None:
    db_app.config["PROPAGATE_EXCEPTIONS"] = False

    @db_app.get("/api/broken")
    def broken() -> dict[str, t.Any]:
        db.session.execute(sa.text("SELECT no_such_column FROM task"))
        return {}

    assert db_app.test_client().get("/api/broken").status_code == 500


def test_handlers_can_be_turned_off(tmp_path: Path) -> None:
    app = _plain_app(tmp_path, TOOLKIT_DB_ERROR_HANDLERS=False)
    Toolkit(app)
    assert sa.exc.OperationalError not in app.error_handler_spec[None][None]


# -- lifecycle -----------------------------------------------------------------------


def test_create_database_when_missing(absent_database_url: str, tmp_path: Path) -> None:
    app = _plain_app(tmp_path, SQLALCHEMY_DATABASE_URI=absent_database_url)
    toolkit.init_app(app)
    runner = app.test_cli_runner()
    try:
        result = runner.invoke(args=["toolkit", "create-db"])
        assert result.exit_code == 0, result.output
        assert "Created the database" in result.output
        assert "toolkit:toolkit@" not in result.output  # password hidden
        again = runner.invoke(args=["toolkit", "create-db"])
        assert "exists already" in again.output
        tables = runner.invoke(args=["toolkit", "create-tables"])
        assert tables.exit_code == 0, tables.output
        assert ", ".join(sorted(db.metadata.tables)) in tables.output
        with app.app_context():
            with db.session_scope() as session:
                session.add(Task(title="In the new database"))
        assert count_tasks(app) == 1
        nothing = runner.invoke(args=["toolkit", "create-tables"])
        assert "nothing to do" in nothing.output
        refused = runner.invoke(args=["toolkit", "drop-tables"], input="n\n")
        assert refused.exit_code == 1
        dropped = runner.invoke(args=["toolkit", "drop-tables", "--yes"])
        assert dropped.exit_code == 0, dropped.output
        assert sa.inspect(db.get_engine(app)).get_table_names() == []
    finally:
        db.get_engine(app).dispose()


def test_cli_says_when_the_server_cannot_be_reached(tmp_path: Path) -> None:
    require_driver("psycopg", "postgresql")
    url = "postgresql+psycopg://toolkit:secret@127.0.0.1:9/app"
    app = _plain_app(
        tmp_path,
        SQLALCHEMY_DATABASE_URI=url,
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 2}},
    )
    Toolkit(app)
    runner = app.test_cli_runner()
    tables = runner.invoke(args=["toolkit", "create-tables"])
    assert tables.exit_code == 1
    assert "create-tables: could not connect to postgresql+psycopg://toolkit:***@" in (
        tables.output
    )
    assert "'flask toolkit create-db' creates it" in tables.output
    created = runner.invoke(args=["toolkit", "create-db"])
    assert created.exit_code == 1
    assert "Is the server running and the login right?" in created.output
    assert "secret" not in created.output + tables.output


def test_init_app_creates_nothing(absent_database_url: str, tmp_path: Path) -> None:
    app = _plain_app(tmp_path, SQLALCHEMY_DATABASE_URI=absent_database_url)
    toolkit.init_app(app)
    url = db.get_engine(app).url
    if url.get_backend_name() == "sqlite":
        assert not Path(str(url.database)).exists()
    else:
        with pytest.raises(sa.exc.OperationalError):
            with db.get_engine(app).connect():
                pass
    result = app.test_cli_runner().invoke(
        args=["toolkit", "create-tables", "--create-db"]
    )
    assert result.exit_code == 0, result.output
    assert db.create_database(app) is False
    assert set(sa.inspect(db.get_engine(app)).get_table_names()) == set(
        db.metadata.tables
    )
    db.get_engine(app).dispose()
