"""The app of the boot-with-the-database-down test, for gunicorn.

``create_app()`` reads the database URL from ``TEST_BOOT_DB``. It has a scheduled job
(so every worker starts its scheduler), a route that needs the database and one that
does not.
"""

from __future__ import annotations

import os
import typing as t

import sqlalchemy as sa
from flask import Blueprint
from flask import Flask

from flask_toolkit import api_blueprint
from flask_toolkit import Toolkit

toolkit = Toolkit()


@toolkit.scheduler.task("interval", id="beat", seconds=1)
def beat() -> None:
    """Does nothing; its runs are recorded in the history table."""


def create_app() -> Flask:
    app = Flask("boot_app", instance_path=os.environ["TEST_BOOT_DIR"])
    app.config.update(
        SQLALCHEMY_DATABASE_URI=os.environ["TEST_BOOT_DB"],
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 2}},
        SCHEDULER_LEADER_INTERVAL=0.2,
        SCHEDULER_LEADER_TTL=2.0,
    )
    toolkit.init_app(app)
    api = api_blueprint(Blueprint("api", __name__, url_prefix="/api"))

    @api.get("/db")
    def database() -> dict[str, t.Any]:
        return {"one": toolkit.db.session.scalar(sa.text("SELECT 1"))}

    @api.get("/pid")
    def pid() -> dict[str, t.Any]:
        return {"pid": os.getpid()}

    app.register_blueprint(api)
    return app
