"""What a Flask-SQLAlchemy 3.1 user types either works the same or fails at once with
a message naming the replacement; forgetting ``init_app`` says so everywhere.
"""

from __future__ import annotations

import itertools
import typing as t
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Blueprint
from flask import Flask

from flask_toolkit import api_blueprint
from flask_toolkit import require_permission
from flask_toolkit import Toolkit
from flask_toolkit.db import Pagination

from ._orm_models import db
from ._orm_models import make_app
from ._orm_models import Project
from ._orm_models import Task


@pytest.fixture
def app(tmp_path: Path, sqlite_url: str) -> t.Iterator[Flask]:
    app = make_app(sqlite_url, tmp_path)
    with app.app_context():
        project = Project("Garden")
        db.session.add(project)
        db.session.add_all(
            [Task(f"task {i}", project=project if i < 3 else None) for i in range(45)]
        )
        db.session.commit()
    bp = api_blueprint(Blueprint("fsa", __name__, url_prefix="/api"))

    @bp.get("/tasks")
    def tasks() -> dict[str, t.Any]:
        page = db.paginate(sa.select(Task).order_by(Task.id), error_out=False)
        return {
            "titles": [task.title for task in page],  # iteration
            "page": page.page,
            "first": page.first,
            "last": page.last,
        }

    @bp.get("/strict")
    def strict() -> dict[str, t.Any]:
        return db.paginate(sa.select(Task).order_by(Task.id)).to_dict(only=["id"])

    @bp.get("/first/<title>")
    def first(title: str) -> dict[str, t.Any]:
        task = db.first_or_404(sa.select(Task).filter_by(title=title))
        return {"id": task.id}

    @bp.get("/one/<title>")
    def one(title: str) -> dict[str, t.Any]:
        task = db.one_or_404(sa.select(Task).filter_by(title=title))
        return {"id": task.id}

    app.register_blueprint(bp)
    yield app
    db.get_engine(app).dispose()


def test_model_query_names_the_replacement() -> None:
    with pytest.raises(AttributeError, match=r"db\.session\.scalars\(sa\.select\(Task"):
        Task.query  # noqa: B018


def test_sqlalchemy_names_on_db_name_the_import() -> None:
    with pytest.raises(AttributeError, match=r"not copy.*: sqlalchemy\.Column "):
        db.Column  # noqa: B018
    with pytest.raises(AttributeError, match=r": sqlalchemy\.orm\.relationship "):
        db.relationship  # noqa: B018
    with pytest.raises(AttributeError) as info:
        db.no_such_name  # noqa: B018
    assert "Flask-SQLAlchemy" not in str(info.value)
    # Probes for optional attributes (Flask-Migrate's "metadatas") still see none.
    assert not hasattr(db, "metadatas") and not hasattr(db, "Integer")


def test_classic_models_keep_working_with_a_plain_base(
    tmp_path: Path, sqlite_url: str
) -> None:
    """Flask-SQLAlchemy's model style (``Column`` attributes, keyword constructor)
    needs only a plain declarative base, handed to ``Toolkit(model_class=...)``.
    """

    class Base(sa.orm.DeclarativeBase):
        pass

    class Author(Base):
        __tablename__ = "classic_author"
        id = sa.Column(sa.Integer, primary_key=True)
        name = sa.Column(sa.String(50), nullable=False)

    kit = Toolkit(model_class=Base)
    app = Flask("classic", instance_path=str(tmp_path / "instance"))
    app.config.update(SQLALCHEMY_DATABASE_URI=sqlite_url)
    kit.init_app(app)
    bp = api_blueprint(Blueprint("classic", __name__, url_prefix="/api"))

    @bp.post("/authors")
    def add() -> dict[str, t.Any]:
        kit.db.session.add(Author(name="Ada"))
        kit.db.session.commit()
        return {}

    @bp.get("/authors")
    def names() -> dict[str, t.Any]:
        return {"names": kit.db.session.scalars(sa.select(Author.name)).all()}

    app.register_blueprint(bp)
    with app.app_context():
        kit.db.create_all()
    client = app.test_client()
    assert client.post("/api/authors").status_code == 200
    assert client.get("/api/authors").get_json() == {"names": ["Ada"]}
    kit.db.get_engine(app).dispose()


def test_first_and_one_or_404(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/api/first/task 1").json == {"id": 2}
    assert client.get("/api/one/task 1").json == {"id": 2}
    for path in ("/api/first/nope", "/api/one/nope"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json["code"] == -1


def test_paginate_error_out(app: Flask) -> None:
    client = app.test_client()
    lenient = client.get("/api/tasks?page=abc&per_page=-3")
    assert lenient.status_code == 200
    assert lenient.json["page"] == 1 and len(lenient.json["titles"]) == 20
    assert lenient.json["first"] == 1 and lenient.json["last"] == 20
    assert client.get("/api/strict?page=abc").status_code == 400
    page3 = client.get("/api/tasks?page=3").json
    assert page3["titles"] == [f"task {i}" for i in range(40, 45)]
    assert (page3["first"], page3["last"]) == (41, 45)


def test_prev_next_and_iteration(app: Flask) -> None:
    with app.test_request_context("/?per_page=10"):
        page = db.paginate(sa.select(Task).order_by(Task.id))
        assert [t.title for t in page] == [f"task {i}" for i in range(10)]
        after = page.next()
        assert after.page == 2 and after.items[0].title == "task 10"
        assert after.prev().items == page.items
        assert page.prev().page == 1


def test_paginate_of_several_entities_fails_at_once(app: Flask) -> None:
    with app.app_context(), pytest.raises(TypeError, match="joinedload"):
        db.paginate(sa.select(Task, Project).join(Task.project), page=1)


def _fsa_pages(page: int, per_page: int, total: int) -> list[int | None]:
    from flask_sqlalchemy.pagination import Pagination as FSAPagination

    class Fixed(FSAPagination):
        def _query_items(self) -> list[t.Any]:
            return []

        def _query_count(self) -> int:
            return total

    return list(Fixed(page=page, per_page=per_page, error_out=False).iter_pages())


def test_iter_pages_matches_flask_sqlalchemy() -> None:
    import flask_sqlalchemy  # noqa: F401  (in the test extra)

    for total, per_page in itertools.product([0, 1, 9, 10, 11, 95, 400], [1, 10]):
        pages = max(1, -(-total // per_page))
        for page in range(1, pages + 1):
            ours = Pagination(items=[], page=page, per_page=per_page, total=total)
            assert list(ours.iter_pages()) == _fsa_pages(page, per_page, total), (
                total,
                per_page,
                page,
            )


def test_forgetting_init_app_says_so() -> None:
    toolkit = Toolkit()
    app = Flask("forgot")
    app.config.update(SECRET_KEY="s", TESTING=True)

    @app.get("/guarded")
    @require_permission("tasks:read")
    def guarded() -> str:
        return "never"

    with app.test_request_context(), pytest.raises(RuntimeError, match="init_app"):
        toolkit.auth.issue_token("ann")
    with pytest.raises(RuntimeError, match="init_app"):
        app.test_client().get("/guarded", headers={"Accept": "text/html"})
