"""An app managed with Flask-Migrate, for the migrations test.

``TEST_MIGRATE_DB`` is the database URL and ``TEST_MIGRATE_DIR`` the instance folder.
It uses the scheduler (a config job) and auth with the database store, so the toolkit's
tables are in use. With ``TEST_MIGRATE_FSA`` set, the models stay on Flask-SQLAlchemy
(``Migrate(app, fsa)``) and the toolkit shares its metadata (``metadata=fsa.metadata``).
"""

from __future__ import annotations

import os
import typing as t

import sqlalchemy as sa
from flask import Flask
from flask_migrate import Migrate
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from flask_toolkit import Identity
from flask_toolkit import Toolkit

if os.environ.get("TEST_MIGRATE_FSA"):
    from flask_sqlalchemy import SQLAlchemy

    fsa = SQLAlchemy()
    toolkit = Toolkit(metadata=fsa.metadata)
    db: t.Any = fsa

    class Note(fsa.Model):  # type: ignore[name-defined,misc]
        __tablename__ = "migrate_note"

        id = fsa.Column(fsa.Integer, primary_key=True)
        text = fsa.Column(fsa.String(200))

else:
    toolkit = Toolkit()
    db = toolkit.db

    class Note(db.Model):  # type: ignore[no-redef]
        __tablename__ = "migrate_note"

        id: Mapped[int] = mapped_column(primary_key=True, init=False)
        text: Mapped[str] = mapped_column(sa.String(200))


@toolkit.auth.identity_loader
def load_identity(user_id: object) -> Identity | None:
    return Identity(user_id, ["notes:read"])


@toolkit.scheduler.register
def tick() -> None:
    """A job; its runs go to the history table."""


def create_app() -> Flask:
    app = Flask("migrate_app", instance_path=os.environ["TEST_MIGRATE_DIR"])
    app.config.update(
        SECRET_KEY="migrate test",
        SQLALCHEMY_DATABASE_URI=os.environ["TEST_MIGRATE_DB"],
        SCHEDULER_LEADER_INTERVAL=0.1,
        SCHEDULER_JOBS=[
            {"id": "tick", "func": tick, "trigger": "interval", "seconds": 1}
        ],
    )
    toolkit.init_app(app)
    if db is not toolkit.db:
        db.init_app(app)
    Migrate(app, db, directory=os.path.join(app.instance_path, "migrations"))
    return app
