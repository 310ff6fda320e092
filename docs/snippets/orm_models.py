from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from flask_toolkit import Toolkit

toolkit = Toolkit()
db = toolkit.db


# Models are declared at import time, before any app exists. db.Model is a
# SQLAlchemy 2.x DeclarativeBase + MappedAsDataclass: typed columns, and an
# __init__ that takes the columns as arguments.
class Project(db.Model):
    __tablename__ = "project"
    # MySQL table options work per model (ignored elsewhere).
    __table_args__ = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}

    id: Mapped[int] = mapped_column(primary_key=True, init=False)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    tasks: Mapped[list[Task]] = relationship(
        back_populates="project", default_factory=list
    )


class Task(db.Model):
    __tablename__ = "task"

    id: Mapped[int] = mapped_column(primary_key=True, init=False)
    title: Mapped[str] = mapped_column(sa.String(200))
    project_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("project.id"), default=None, init=False
    )
    due: Mapped[dt.date | None] = mapped_column(default=None)
    project: Mapped[Project | None] = relationship(back_populates="tasks", default=None)


app = Flask(__name__)
app.testing = True
# Nothing configured: SQLite in the app's instance folder. Flask-SQLAlchemy's keys
# work unchanged, e.g. SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://..." and
# SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": 20, "pool_recycle": 360}.
app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///models-demo.sqlite"
toolkit.init_app(app)

with app.app_context():
    db.create_all()  # or: flask toolkit create-tables
    garden = Project("Garden")
    db.session.add(Task("Dig the beds", due=dt.date(2024, 4, 1), project=garden))
    db.session.commit()  # db.session never commits for you
    assert db.session.scalars(sa.select(Task.title)).all() == ["Dig the beds"]
    assert db.engine.pool._pre_ping  # pool_pre_ping is on by default
    db.drop_all()
