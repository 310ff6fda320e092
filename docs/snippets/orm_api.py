from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint
from flask import Flask
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from flask_toolkit import api_blueprint
from flask_toolkit import to_dict
from flask_toolkit import Toolkit

toolkit = Toolkit()
db = toolkit.db


class Task(db.Model):
    __tablename__ = "task"
    id: Mapped[int] = mapped_column(primary_key=True, init=False)
    title: Mapped[str] = mapped_column(sa.String(200), unique=True)


api = api_blueprint(Blueprint("api", __name__, url_prefix="/api"))


@api.get("/tasks")
def list_tasks() -> dict[str, Any]:
    # ?page= and ?per_page= from the query string; bad values are a 400 envelope.
    return db.paginate(sa.select(Task).order_by(Task.id)).to_dict()


@api.get("/tasks/<int:task_id>")
def get_task(task_id: int) -> dict[str, Any]:
    return to_dict(db.get_or_404(Task, task_id))


@api.post("/tasks/<title>")
def create_task(title: str) -> tuple[dict[str, Any], int]:
    task = Task(title)
    db.session.add(task)
    db.session.commit()  # a duplicate title: IntegrityError -> 409 envelope
    return to_dict(task), 201


app = Flask(__name__)
app.testing = True
app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
app.config["TOOLKIT_PER_PAGE"] = 2
toolkit.init_app(app)
app.register_blueprint(api)
with app.app_context():
    db.create_all()

client = app.test_client()
for title in ("one", "two", "three"):
    assert client.post(f"/api/tasks/{title}").status_code == 201

page = client.get("/api/tasks?page=2").json
assert page == {
    "items": [{"id": 3, "title": "three"}],
    "page": 2,
    "per_page": 2,
    "total": 3,
    "pages": 2,
}
assert client.get("/api/tasks?page=zero").json == {
    "code": -1,
    "msg": {"page": ["Must be a whole number from 1 to 2147483647."]},
}
assert client.get("/api/tasks/9").json == {"code": -1, "msg": "Task 9 was not found."}
duplicate = client.post("/api/tasks/one")
assert duplicate.status_code == 409
assert duplicate.json["msg"].startswith("The change conflicts with data already stored")
