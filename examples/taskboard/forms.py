"""The demo's request forms: what the write endpoints accept."""

from __future__ import annotations

import typing as t

from wtforms import BooleanField
from wtforms import IntegerField
from wtforms import StringField
from wtforms.validators import DataRequired
from wtforms.validators import Length

from flask_toolkit import MetaForm


def strip(value: t.Any) -> t.Any:
    return value.strip() if isinstance(value, str) else value


class TaskForm(MetaForm):
    """``POST /api/tasks``: a title is required; ``done`` defaults to false."""

    title = StringField(validators=[DataRequired(), Length(max=200)], filters=[strip])
    done = BooleanField()
    project_id = IntegerField()


class TaskPatchForm(MetaForm):
    """``PATCH /api/tasks/<id>``: every field optional; only sent fields change."""

    title = StringField(validators=[Length(min=1, max=200)], filters=[strip])
    done = BooleanField()


class ProjectForm(MetaForm):
    """``POST /api/projects``: a name, unique across projects."""

    name = StringField(validators=[DataRequired(), Length(max=100)], filters=[strip])
