"""``db.paginate``, ``db.get_or_404`` and ``db.one_or_404`` on every backend."""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from ._orm_models import db
from ._orm_models import make_app
from ._orm_models import Task


@pytest.fixture
def client_app(database_url: str, tmp_path: Path) -> t.Iterator[Flask]:
    app = make_app(database_url, tmp_path, TOOLKIT_PER_PAGE=10, TOOLKIT_MAX_PER_PAGE=25)
    with app.app_context():
        with db.session_scope() as session:
            session.add_all([Task(title=f"task {n:02}") for n in range(1, 43)])

    @app.get("/api/tasks")
    def tasks() -> dict[str, t.Any]:
        page = db.paginate(sa.select(Task).order_by(Task.id))
        return page.to_dict(exclude=["ref"])

    @app.get("/api/tasks/<int:task_id>")
    def task(task_id: int) -> dict[str, t.Any]:
        return {"id": db.get_or_404(Task, task_id).id}

    @app.get("/api/tasks/by-title/<title>")
    def by_title(title: str) -> dict[str, t.Any]:
        task = db.one_or_404(sa.select(Task).where(Task.title == title))
        return {"id": task.id}

    yield app
    db.get_engine(app).dispose()


def test_pages_from_the_query_string(client_app: Flask) -> None:
    client = client_app.test_client()
    first = client.get("/api/tasks").json
    assert [t["title"] for t in first["items"]][:2] == ["task 01", "task 02"]
    assert (first["page"], first["per_page"], first["total"], first["pages"]) == (
        1,
        10,
        42,
        5,
    )
    last = client.get("/api/tasks?page=5").json
    assert [t["title"] for t in last["items"]] == ["task 41", "task 42"]
    clamped = client.get("/api/tasks?per_page=1000").json
    assert clamped["per_page"] == 25 and len(clamped["items"]) == 25
    past = client.get("/api/tasks?page=9").json
    assert past["items"] == [] and past["total"] == 42


@pytest.mark.parametrize(
    "query", ["page=0", "page=-1", "page=abc", "per_page=1.5", "page=99999999999"]
)
def test_bad_page_numbers_are_a_400_envelope(client_app: Flask, query: str) -> None:
    answer = client_app.test_client().get(f"/api/tasks?{query}")
    assert answer.status_code == 400
    name = query.partition("=")[0]
    assert answer.json == {
        "code": -1,
        "msg": {name: ["Must be a whole number from 1 to 2147483647."]},
    }


def test_pagination_properties_in_code(client_app: Flask) -> None:
    with client_app.test_request_context("/?page=2&per_page=20"):
        page = db.paginate(sa.select(Task).order_by(Task.id))
        assert (page.page, page.per_page, len(page.items)) == (2, 20, 20)
        assert page.has_prev and page.has_next
        assert (page.prev_num, page.next_num) == (1, 3)
        explicit = db.paginate(
            sa.select(Task).order_by(Task.id), page=3, per_page=20, count=False
        )
        assert explicit.total is None and explicit.pages is None
        assert len(explicit.items) == 2 and not explicit.has_next


@pytest.mark.parametrize(("per_page", "last"), [(14, 3), (21, 2), (7, 6), (1, 42)])
def test_last_page_has_no_next_when_rows_fill_it(
    client_app: Flask, per_page: int, last: int
) -> None:
    # 42 rows in pages that divide it exactly: the last page is full, and is the last.
    query = sa.select(Task).order_by(Task.id)
    with client_app.test_request_context():
        page = db.paginate(query, page=last, per_page=per_page)
        assert (len(page.items), page.pages, page.total) == (per_page, last, 42)
        assert not page.has_next and page.next_num is None
        if last > 1:
            before = db.paginate(query, page=last - 1, per_page=per_page)
            assert before.has_next and before.next_num == last


def test_a_column_select_keeps_equal_values(client_app: Flask) -> None:
    with client_app.test_request_context("/"):
        page = db.paginate(sa.select(Task.done).order_by(Task.id), per_page=5)
        assert page.items == [False] * 5 and page.total == 42


def test_one_or_404(client_app: Flask) -> None:
    client = client_app.test_client()
    assert client.get("/api/tasks/by-title/task 07").status_code == 200
    missing = client.get("/api/tasks/by-title/nope")
    assert missing.status_code == 404
    assert missing.json == {"code": -1, "msg": "The requested item was not found."}


@pytest.mark.parametrize(
    ("task_id", "status"),
    [(7, 200), (99, 404), (2**31, 404), (2**63, 404), (10**30, 404)],
)
def test_get_or_404_with_ids_the_column_cannot_hold(
    client_app: Flask, task_id: int, status: int
) -> None:
    answer = client_app.test_client().get(f"/api/tasks/{task_id}")
    assert answer.status_code == status
    if status == 404:
        assert answer.json["code"] == -1
