from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship
from sqlalchemy.orm import selectinload

from flask_toolkit import to_dict
from flask_toolkit import Toolkit

toolkit = Toolkit()
db = toolkit.db


class Status(enum.Enum):
    open = "open"
    done = "done"


class Project(db.Model):
    __tablename__ = "project"
    id: Mapped[int] = mapped_column(primary_key=True, init=False)
    name: Mapped[str] = mapped_column(sa.String(100))
    budget: Mapped[decimal.Decimal] = mapped_column(sa.Numeric(10, 2))
    tasks: Mapped[list[Task]] = relationship(
        back_populates="project", default_factory=list
    )


class Task(db.Model):
    __tablename__ = "task"
    id: Mapped[int] = mapped_column(primary_key=True, init=False)
    title: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[Status] = mapped_column(default=Status.open)
    created_at: Mapped[dt.datetime] = mapped_column(
        default=dt.datetime(2024, 5, 6, 7, 8, 9)
    )
    project_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("project.id"), default=None, init=False
    )
    project: Mapped[Project | None] = relationship(back_populates="tasks", default=None)


app = Flask(__name__)
app.testing = True
app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
toolkit.init_app(app)

with app.app_context():
    db.create_all()
    with db.session_scope() as session:
        session.add(Task("Dig", project=Project("Garden", decimal.Decimal("12.50"))))

    # Columns only, as JSON types; relationships are never loaded behind your back.
    task = db.session.scalars(sa.select(Task)).one()
    assert to_dict(task) == {
        "id": 1,
        "title": "Dig",
        "status": "open",
        "created_at": "2024-05-06T07:08:09+00:00",
        "project_id": 1,
    }

    # Relationships when asked for, loaded with the query; dotted names go deeper,
    # exclude= leaves attributes out, and a cycle is written as the primary key.
    project = db.session.scalars(
        sa.select(Project).options(
            selectinload(Project.tasks).selectinload(Task.project)
        )
    ).one()
    data = to_dict(project, include=["tasks.project"], exclude=["tasks.created_at"])
    assert data == {
        "id": 1,
        "name": "Garden",
        "budget": "12.50",
        "tasks": [
            {"id": 1, "title": "Dig", "status": "open", "project_id": 1, "project": 1}
        ],
    }

    # The datetime format: RFC 3339 by default (a naive datetime is taken as UTC);
    # per call, or for the app with TOOLKIT_DATETIME_FORMAT.
    assert to_dict(task, datetime_format="iso")["created_at"] == "2024-05-06T07:08:09"
    notes_format = "%Y-%m-%d %H:%M:%S"
    assert to_dict(task, datetime_format=notes_format)["created_at"] == (
        "2024-05-06 07:08:09"
    )


# Plain dataclasses (and lists of them) too — without dataclasses.asdict.
@dataclasses.dataclass
class Point:
    x: int
    seen: dt.date


assert to_dict([Point(1, dt.date(2024, 1, 2))]) == [{"x": 1, "seen": "2024-01-02"}]
