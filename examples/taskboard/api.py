"""The JSON API, under ``/api``: every error here is answered in the envelope."""

from __future__ import annotations

import typing as t

import sqlalchemy as sa
from flask import Blueprint

from flask_toolkit import api_blueprint
from flask_toolkit import validate_data

from .forms import TaskForm
from .forms import TaskPatchForm
from .models import db
from .models import Task

api = api_blueprint(Blueprint("api", __name__, url_prefix="/api"))


def task_json(task: Task) -> dict[str, t.Any]:
    return {
        "id": task.id,
        "title": task.title,
        "done": task.done,
        "created_at": task.created_at.strftime("%Y-%m-%d %H:%M:%S"),
    }


@api.get("/tasks")
def list_tasks() -> list[dict[str, t.Any]]:
    tasks = db.session.scalars(sa.select(Task).order_by(Task.id))
    return [task_json(task) for task in tasks]


@api.post("/tasks")
@validate_data(TaskForm)
def create_task(form: TaskForm) -> tuple[dict[str, t.Any], int]:
    task = Task(**form.valid_data)
    db.session.add(task)
    db.session.commit()
    return task_json(task), 201


@api.patch("/tasks/<int:task_id>")
@validate_data(TaskPatchForm)
def update_task(task_id: int, form: TaskPatchForm) -> dict[str, t.Any]:
    task = db.get_or_404(Task, task_id)
    # valid_data holds only the fields the client sent: a missing "done" stays as is.
    for name, value in form.valid_data.items():
        setattr(task, name, value)
    db.session.commit()
    return task_json(task)
