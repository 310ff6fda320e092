"""The JSON API, under ``/api``: every error here is answered in the envelope."""

from __future__ import annotations

import typing as t

import sqlalchemy as sa
from flask import Blueprint
from sqlalchemy.orm import selectinload

from flask_toolkit import api_blueprint
from flask_toolkit import APIError
from flask_toolkit import require_permission
from flask_toolkit import to_dict
from flask_toolkit import validate_data

from .forms import ProjectForm
from .forms import TaskForm
from .forms import TaskPatchForm
from .models import db
from .models import Project
from .models import Task

api = api_blueprint(Blueprint("api", __name__, url_prefix="/api"))


@api.get("/tasks")
@require_permission("tasks:read")
def list_tasks() -> dict[str, t.Any]:
    """One page of tasks, oldest first: ``?page=``, ``?per_page=`` (at most 100)."""
    return db.paginate(sa.select(Task).order_by(Task.id)).to_dict()


@api.get("/tasks/<int:task_id>")
@require_permission("tasks:read")
def get_task(task_id: int) -> dict[str, t.Any]:
    return to_dict(db.get_or_404(Task, task_id))


@api.post("/tasks")
@require_permission("tasks:write")
@validate_data(TaskForm)
def create_task(form: TaskForm) -> tuple[dict[str, t.Any], int]:
    task = Task(**form.valid_data)
    if task.project_id is not None and db.session.get(Project, task.project_id) is None:
        raise APIError(400, {"project_id": ["There is no project with this id."]})
    db.session.add(task)
    db.session.commit()
    return to_dict(task), 201


@api.patch("/tasks/<int:task_id>")
@require_permission("tasks:write")
@validate_data(TaskPatchForm)
def update_task(task_id: int, form: TaskPatchForm) -> dict[str, t.Any]:
    task = db.get_or_404(Task, task_id)
    # valid_data holds only the fields the client sent: a missing "done" stays as is.
    for name, value in form.valid_data.items():
        setattr(task, name, value)
    db.session.commit()
    return to_dict(task)


@api.delete("/tasks/<int:task_id>")
@require_permission("tasks:write")
def delete_task(task_id: int) -> tuple[str, int]:
    db.session.delete(db.get_or_404(Task, task_id))
    db.session.commit()
    return "", 204


@api.get("/projects")
@require_permission("projects:read")
def list_projects() -> dict[str, t.Any]:
    """One page of projects, each with its tasks (loaded in one more query)."""
    select = (
        sa.select(Project).options(selectinload(Project.tasks)).order_by(Project.id)
    )
    return db.paginate(select).to_dict(include=["tasks"])


@api.post("/projects")
@require_permission("projects:write")
@validate_data(ProjectForm)
def create_project(form: ProjectForm) -> tuple[dict[str, t.Any], int]:
    project = Project(**form.valid_data)
    db.session.add(project)
    db.session.commit()  # a name already taken: IntegrityError, answered 409
    return to_dict(project), 201
