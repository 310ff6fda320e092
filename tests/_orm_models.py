"""Models and an app factory shared by the ORM tests (``test_orm*.py``,
``test_session.py``, ``test_serialize.py``, ``test_pagination.py``).

The models are declared once, at import time, on a module-level toolkit — as an app
would — and every test registers that toolkit on a fresh app of its own backend.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import typing as t
import uuid
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from flask_toolkit import Toolkit

toolkit = Toolkit()
db = toolkit.db


class Status(enum.Enum):
    todo = "todo"
    done = "done"


class Project(db.Model):  # type: ignore[misc]
    __tablename__ = "project"
    # The notes' MySQL table options, per model (other backends ignore them).
    __table_args__ = {
        "mysql_engine": "InnoDB",
        "mysql_charset": "utf8mb4",
        "mysql_collate": "utf8mb4_unicode_ci",
    }

    id: Mapped[int] = mapped_column(primary_key=True, init=False)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    budget: Mapped[decimal.Decimal | None] = mapped_column(
        sa.Numeric(10, 2), default=None
    )
    notes: Mapped[str | None] = mapped_column(sa.Text, default=None, deferred=True)
    tasks: Mapped[list[Task]] = relationship(
        back_populates="project", default_factory=list, order_by="Task.id"
    )


class Task(db.Model):  # type: ignore[misc]
    __tablename__ = "task"

    id: Mapped[int] = mapped_column(primary_key=True, init=False)
    title: Mapped[str] = mapped_column(sa.String(200))
    project_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("project.id"), default=None, init=False
    )
    done: Mapped[bool] = mapped_column(default=False)
    status: Mapped[Status] = mapped_column(
        sa.Enum(Status, name="task_status"), default=Status.todo
    )
    ref: Mapped[uuid.UUID] = mapped_column(default_factory=uuid.uuid4)
    due: Mapped[dt.date | None] = mapped_column(default=None)
    remind_at: Mapped[dt.time | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime] = mapped_column(
        default_factory=lambda: dt.datetime(2024, 5, 6, 7, 8, 9)
    )
    project: Mapped[Project | None] = relationship(back_populates="tasks", default=None)


def make_app(url: str, tmp_path: Path, **config: t.Any) -> Flask:
    """A testing app on ``url`` with the models' tables created."""
    app = Flask("orm_test", instance_path=str(tmp_path / "instance"))
    app.config.update(TESTING=True, SQLALCHEMY_DATABASE_URI=url, **config)
    toolkit.init_app(app)
    with app.app_context():
        db.create_all()
    return app


def count_tasks(app: Flask) -> int:
    """Rows in ``task``, read through a connection of its own."""
    with db.get_engine(app).connect() as connection:
        return int(
            connection.execute(
                sa.select(sa.func.count()).select_from(Task.__table__)
            ).scalar_one()
        )
