"""The demo's request forms: one per resource, for POST and (partial) PATCH."""

from __future__ import annotations

import typing as t

from wtforms import BooleanField
from wtforms import IntegerField
from wtforms import StringField
from wtforms.validators import DataRequired
from wtforms.validators import Length

from flask_toolkit import MetaForm

from .models import Task


def strip(value: t.Any) -> t.Any:
    return value.strip() if isinstance(value, str) else value


class TaskForm(MetaForm):
    """A task. ``POST`` needs a title; ``PATCH`` (partial) changes what is sent.

    ``done`` may be left out (the column's default is false) but never ``null``: its
    column is NOT NULL, which ``Meta.model`` tells the form. ``project_id`` may be
    ``null``: the task leaves its project.
    """

    class Meta:
        model = Task

    title = StringField(validators=[DataRequired(), Length(max=200)], filters=[strip])
    done = BooleanField()
    project_id = IntegerField()


class ProjectForm(MetaForm):
    """A project: a name, unique across projects."""

    name = StringField(validators=[DataRequired(), Length(max=100)], filters=[strip])
