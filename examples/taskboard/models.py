"""The demo's models, declared at import time before any app exists."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from flask_toolkit import Toolkit

toolkit = Toolkit()
db = toolkit.db


def utcnow() -> dt.datetime:
    """Naive UTC in whole seconds, the same on every backend: MySQL's DATETIME keeps
    no zone and no fraction, so a new row answers what a reload of it answers."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


class Project(db.Model):  # type: ignore[name-defined,misc]
    """A team's project; its tasks are listed with it when asked for."""

    __tablename__ = "project"

    id: Mapped[int] = mapped_column(primary_key=True, init=False)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default_factory=utcnow)
    tasks: Mapped[list[Task]] = relationship(
        back_populates="project", default_factory=list, order_by="Task.id"
    )


class Task(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "task"

    id: Mapped[int] = mapped_column(primary_key=True, init=False)
    title: Mapped[str] = mapped_column(sa.String(200))
    done: Mapped[bool] = mapped_column(default=False)
    due: Mapped[dt.date | None] = mapped_column(default=None)
    project_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("project.id", ondelete="SET NULL"), default=None, index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(default_factory=utcnow)
    # Not set by __init__ at all: a default of None would be written over project_id
    # at flush on SQLAlchemy 2.0.
    project: Mapped[Project | None] = relationship(back_populates="tasks", init=False)
