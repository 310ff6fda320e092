"""The small app the pytest plugin's tests write user test suites against.

``tests/test_pytest_plugin.py`` copies this file into a pytester directory as
``sample_app.py``; it imports only public names, as a user's app would.
"""

from __future__ import annotations

import datetime as dt
import typing as t

import sqlalchemy as sa
from flask import Blueprint
from flask import Flask
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from wtforms import StringField
from wtforms.validators import InputRequired
from wtforms.validators import Length

from flask_toolkit import api_blueprint
from flask_toolkit import Identity
from flask_toolkit import login_required
from flask_toolkit import MetaForm
from flask_toolkit import require_permission
from flask_toolkit import to_dict
from flask_toolkit import Toolkit
from flask_toolkit import validate_data

toolkit = Toolkit()
db = toolkit.db

USERS = {1: ["tasks:read", "tasks:write"], 2: ["tasks:read"]}


class Task(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "sample_task"

    id: Mapped[int] = mapped_column(primary_key=True, init=False)
    title: Mapped[str] = mapped_column(sa.String(100), unique=True)


class TaskForm(MetaForm):
    title = StringField(validators=[InputRequired(), Length(max=100)])


api = api_blueprint(Blueprint("api", __name__, url_prefix="/api"))


@api.get("/tasks")
@require_permission("tasks:read")
def list_tasks() -> list[dict[str, t.Any]]:
    return t.cast(
        list[dict[str, t.Any]],
        to_dict(db.session.scalars(sa.select(Task).order_by(Task.id)).all()),
    )


@api.post("/tasks")
@require_permission("tasks:write")
@validate_data(TaskForm)
def create_task(form: TaskForm) -> tuple[dict[str, t.Any], int]:
    task = Task(title=form.title.data)
    db.session.add(task)
    db.session.commit()
    return to_dict(task), 201


@api.post("/tasks/in-scope")
@require_permission("tasks:write")
@validate_data(TaskForm)
def create_task_in_scope(form: TaskForm) -> tuple[dict[str, t.Any], int]:
    with db.session_scope() as session:
        task = Task(title=form.title.data)
        session.add(task)
    return to_dict(task), 201


@api.delete("/tasks/<int:task_id>")
@login_required
def delete_task(task_id: int) -> tuple[str, int]:
    db.session.delete(db.get_or_404(Task, task_id))
    db.session.commit()
    return "", 204


@toolkit.scheduler.task("cron", id="nightly", hour=3, misfire_grace_time=600)
def nightly() -> int:
    """Writes a task per run, named after the day it ran for."""
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    with db.session_scope() as session:
        session.add(Task(title=f"nightly {today}"))
    return 1


@toolkit.scheduler.task("cron", id="broken", day_of_week="sun", hour=4)
def broken() -> None:
    raise RuntimeError("the report server is down")


@toolkit.auth.identity_loader
def load_user(user_id: t.Any) -> Identity | None:
    permissions = USERS.get(user_id)
    return None if permissions is None else Identity(user_id, permissions)


def create_app(config: dict[str, t.Any]) -> Flask:
    app = Flask("sample_app")
    app.config.update(
        SECRET_KEY="sample secret",
        AUTH_CREDENTIAL_STORE="memory",
        SCHEDULER_TIMEZONE="UTC",
    )
    app.config.update(config)
    toolkit.init_app(app)
    app.register_blueprint(api)
    return app
