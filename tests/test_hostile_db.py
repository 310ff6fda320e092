"""Hostile ids and text that used to reach the database and fail there (a 500), on
every backend: ids beyond the key column's range, NUL characters, huge numbers in
foreign keys and page numbers; the demo app's endpoints as an attacker sees them."""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest
import sqlalchemy as sa
from examples.taskboard import create_app
from examples.taskboard.models import toolkit as demo_toolkit
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from flask_toolkit import to_dict
from flask_toolkit import Toolkit

toolkit = Toolkit()
db = toolkit.db


class Tag(db.Model):  # type: ignore[misc]
    __tablename__ = "hostile_tag"
    name: Mapped[str] = mapped_column(sa.String(50), primary_key=True)


class Small(db.Model):  # type: ignore[misc]
    __tablename__ = "hostile_small"
    id: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)


class Plain(db.Model):  # type: ignore[misc]
    __tablename__ = "hostile_plain"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)


class Big(db.Model):  # type: ignore[misc]
    __tablename__ = "hostile_big"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)


class JSONClient(FlaskClient):
    """A client that asks for JSON, so errors come in the envelope."""

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.environ_base["HTTP_ACCEPT"] = "application/json"


MODELS: dict[str, t.Any] = {"small": Small, "plain": Plain, "big": Big}
#: The largest id each key column holds on every backend.
LARGEST = {"small": 2**15 - 1, "plain": 2**31 - 1, "big": 2**63 - 1}


@pytest.fixture
def keys_app(database_url: str, tmp_path: Path) -> t.Iterator[Flask]:
    app = Flask("hostile_keys", instance_path=str(tmp_path / "instance"))
    app.config.update(TESTING=True, SQLALCHEMY_DATABASE_URI=database_url)
    app.test_client_class = JSONClient
    toolkit.init_app(app)
    with app.app_context():
        db.create_all()
        with db.session_scope() as session:
            session.add(Tag(name="ok"))
            session.add_all([MODELS[k](id=LARGEST[k]) for k in MODELS])

    @app.get("/tags/<name>")
    def tag(name: str) -> dict[str, t.Any]:
        return to_dict(db.get_or_404(Tag, name))

    @app.get("/<kind>/<int:ident>")
    def number(kind: str, ident: int) -> dict[str, t.Any]:
        return to_dict(db.get_or_404(MODELS[kind], ident))

    @app.get("/session-get/<int:ident>")
    def session_get(ident: int) -> dict[str, t.Any]:
        return {"found": db.session.get(Plain, ident) is not None}

    yield app
    db.get_engine(app).dispose()


@pytest.mark.parametrize("kind", ["small", "plain", "big"])
def test_ids_beyond_the_key_column_are_not_found(keys_app: Flask, kind: str) -> None:
    client = keys_app.test_client()
    largest = LARGEST[kind]
    assert client.get(f"/{kind}/{largest}").json == {"id": largest}
    for ident in (largest + 1, 2**63, 2**64, 10**30, int("9" * 400)):
        answer = client.get(f"/{kind}/{ident}")
        assert answer.status_code == 404, (ident, answer.data[:200])
        assert answer.json["code"] == -1


def test_session_get_answers_none_for_an_id_no_row_can_have(keys_app: Flask) -> None:
    client = keys_app.test_client()
    assert client.get(f"/session-get/{2**31 - 1}").json == {"found": True}
    assert client.get(f"/session-get/{2**31}").json == {"found": False}
    assert client.get(f"/session-get/{2**63}").json == {"found": False}


@pytest.mark.parametrize("path", ["/tags/a%00b", "/tags/%00", "/tags/ok%00"])
def test_text_ids_with_nul_are_not_found(keys_app: Flask, path: str) -> None:
    client = keys_app.test_client()
    assert client.get("/tags/ok").json == {"name": "ok"}
    answer = client.get(path)
    assert answer.status_code == 404
    assert answer.json["code"] == -1


@pytest.fixture
def demo(database_url: str, tmp_path: Path) -> t.Iterator[Flask]:
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url},
        instance_path=str(tmp_path),
    )
    yield app
    with app.app_context():
        demo_toolkit.scheduler.shutdown()
    demo_toolkit.db.get_engine(app).dispose()


def login(client: FlaskClient) -> FlaskClient:
    answer = client.post(
        "/api/auth/token", json={"email": "admin@example.com", "password": "admin"}
    )
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {answer.json['token']}"
    return client


OUT_OF_RANGE = ["Number out of range."]
NO_NUL = ["Text must not contain NUL characters."]
NOT_UTF8 = "The request body is not valid UTF-8 text."
CREDENTIALS = '"email": "admin@example.com", "password": "admin"'


@pytest.mark.parametrize(
    ("body", "status", "msg"),
    [
        # Anonymous callers: the login endpoint.
        (b'{"email": "\\ud800", "password": "x"}', 400, NOT_UTF8),
        (
            b'{"email": "a\\u0000@b.c", "password": "x"}',
            400,
            {"email": NO_NUL},
        ),
        (
            f'{{{CREDENTIALS}, "expires_in": 1{"0" * 309}}}'.encode(),
            400,
            {"expires_in": OUT_OF_RANGE},
        ),
        (
            f'{{{CREDENTIALS}, "expires_in": 1e400000}}'.encode(),
            400,
            {"expires_in": OUT_OF_RANGE},
        ),
        (
            f'{{{CREDENTIALS}, "expires_in": {"9" * 5000}}}'.encode(),
            400,
            {"expires_in": OUT_OF_RANGE},
        ),
    ],
)
def test_demo_login_hostile_bodies(
    demo: Flask, body: bytes, status: int, msg: t.Any
) -> None:
    answer = demo.test_client().post(
        "/api/auth/token", data=body, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == status
    assert answer.json == {"code": -1, "msg": msg}


@pytest.mark.parametrize(
    ("body", "msg"),
    [
        (b'{"title": "\\udfff"}', NOT_UTF8),
        (b'{"title": "a\\u0000"}', {"title": NO_NUL}),
        (
            b'{"title": "x", "project_id": 9223372036854775808}',
            {"project_id": OUT_OF_RANGE},
        ),
        (b'{"title": "x", "project_id": 1e400000}', {"project_id": OUT_OF_RANGE}),
        # Within 64 bits but beyond PostgreSQL's INTEGER: no such project.
        (
            b'{"title": "x", "project_id": 2147483648}',
            {"project_id": ["There is no project with this id."]},
        ),
    ],
)
def test_demo_task_hostile_bodies(demo: Flask, body: bytes, msg: t.Any) -> None:
    client = login(demo.test_client())
    answer = client.post(
        "/api/tasks", data=body, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400
    assert answer.json == {"code": -1, "msg": msg}


@pytest.mark.parametrize(
    "path", ["/api/tasks/9223372036854775808", "/api/tasks/2147483648", "/api/tasks/1"]
)
def test_demo_task_ids_beyond_the_column_are_not_found(demo: Flask, path: str) -> None:
    client = login(demo.test_client())
    assert client.get(path).status_code == 404
    answer = client.patch(path, json={"done": True})
    assert answer.status_code == 404
    assert answer.json["code"] == -1


@pytest.mark.parametrize("value", ["9" * 5000, "1" + "0" * 309, "2147483648"])
def test_demo_huge_page_numbers(demo: Flask, value: str) -> None:
    client = login(demo.test_client())
    answer = client.get(f"/api/tasks?page={value}")
    assert answer.status_code == 400
    assert "page" in answer.json["msg"]
