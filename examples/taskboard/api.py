"""The JSON API, under ``/api``: every error here is answered in the envelope.

One form per resource validates both ``POST`` and ``PATCH`` (``partial=True``), and
each view declares what it returns with ``@responds``, so every endpoint sends a
task with the same keys and the API docs describe the same shape.
"""

from __future__ import annotations

import typing as t

import sqlalchemy as sa
from flask import Blueprint
from sqlalchemy.orm import selectinload

from flask_toolkit import api_blueprint
from flask_toolkit import APIError
from flask_toolkit import require_permission
from flask_toolkit import responds
from flask_toolkit import validate_data
from flask_toolkit.db import Pagination

from .forms import ProjectForm
from .forms import TaskForm
from .models import db
from .models import Project
from .models import Task

api = api_blueprint(Blueprint("api", __name__, url_prefix="/api"))


def _check_project(project_id: int | None) -> None:
    if project_id is not None and db.session.get(Project, project_id) is None:
        raise APIError(400, {"project_id": ["There is no project with this id."]})


@api.get("/tasks")
@require_permission("tasks:read")
@responds(Task, many="page")
def list_tasks() -> Pagination[Task]:
    """One page of tasks, oldest first: ``?page=``, ``?per_page=`` (at most 100)."""
    return db.paginate(sa.select(Task).order_by(Task.id))


@api.get("/tasks/<int:task_id>")
@require_permission("tasks:read")
@responds(Task)
def get_task(task_id: int) -> Task:
    return db.get_or_404(Task, task_id)


@api.post("/tasks")
@require_permission("tasks:write")
@validate_data(TaskForm)
@responds(Task, status=201)
def create_task(form: TaskForm) -> Task:
    task = Task(**form.valid_data)
    _check_project(task.project_id)
    db.session.add(task)
    db.session.commit()
    return task


@api.patch("/tasks/<int:task_id>")
@require_permission("tasks:write")
@validate_data(TaskForm, partial=True)
@responds(Task)
def update_task(task_id: int, form: TaskForm) -> Task:
    task = db.get_or_404(Task, task_id)
    # sent_data: only the fields the client sent; an explicit null clears a field
    # that allows it (the form refuses null for the others).
    changes = form.sent_data
    if "project_id" in changes:
        _check_project(changes["project_id"])
    for name, value in changes.items():
        setattr(task, name, value)
    db.session.commit()
    return task


@api.delete("/tasks/<int:task_id>")
@require_permission("tasks:write")
def delete_task(task_id: int) -> tuple[str, int]:
    db.session.delete(db.get_or_404(Task, task_id))
    db.session.commit()
    return "", 204


@api.get("/projects")
@require_permission("projects:read")
@responds(Project, many="page", include=["tasks"])
def list_projects() -> Pagination[Project]:
    """One page of projects, each with its tasks (loaded in one more query)."""
    select = (
        sa.select(Project).options(selectinload(Project.tasks)).order_by(Project.id)
    )
    return db.paginate(select)


@api.post("/projects")
@require_permission("projects:write")
@validate_data(ProjectForm)
@responds(Project, status=201)
def create_project(form: ProjectForm) -> t.Any:
    project = Project(**form.valid_data)
    db.session.add(project)
    db.session.commit()  # a name already taken: IntegrityError, answered 409
    return project
