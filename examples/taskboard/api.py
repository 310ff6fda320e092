"""The JSON API, under ``/api``: every error here is answered in the envelope."""

from __future__ import annotations

import typing as t

import sqlalchemy as sa
from flask import Blueprint
from flask import request

from flask_toolkit import APIError
from flask_toolkit import api_blueprint

from .models import Task
from .models import db

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
def create_task() -> tuple[dict[str, t.Any], int]:
    data = request.get_json()
    title = data.get("title") if isinstance(data, dict) else None
    if not isinstance(title, str) or not title.strip():
        raise APIError(400, {"title": ["A non-empty string is required."]})
    task = Task(title=title.strip())
    db.session.add(task)
    db.session.commit()
    return task_json(task), 201
