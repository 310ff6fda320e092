"""Taskboard: a small team task board built on flask-toolkit.

Run it with ``python3 dev.py demo`` from the repository root, or
``flask --app examples.taskboard run``.
"""

from __future__ import annotations

import typing as t

from flask import Flask

from .models import toolkit


def create_app(
    config: t.Mapping[str, t.Any] | None = None, *, instance_path: str | None = None
) -> Flask:
    """Build the demo app. With no config it uses SQLite in the instance folder."""
    app = Flask(__name__, instance_path=instance_path)
    app.config.from_mapping(
        SECRET_KEY="dev: change me in production",
        # Every endpoint must say who may call it (@public, @login_required,
        # @require_permission); `flask toolkit routes` lists them.
        AUTH_DEFAULT_DENY=True,
        # Create the demo accounts listed on the landing page (never in production).
        TASKBOARD_DEMO_USERS=True,
        # The scheduler's REST API at /scheduler: admins (permission "*") control the
        # jobs; it needs scheduler:read / scheduler:write.
        SCHEDULER_API_ENABLED=True,
        # The job dashboard at /scheduler/dashboard/, for the same permissions.
        SCHEDULER_DASHBOARD_ENABLED=True,
        # Pages that need a login send the browser to the board's login form.
        AUTH_LOGIN_VIEW="index",
        # The API's OpenAPI document at /openapi.json and its docs page at /docs.
        TOOLKIT_API_DOCS=True,
    )
    if config:
        app.config.from_mapping(config)
    from . import auth  # the identity loader, which the scheduler API requires
    from . import jobs  # noqa: F401  (declares the scheduled jobs before init_app)

    toolkit.init_app(app)

    from . import pages
    from .api import api

    app.register_blueprint(api)
    auth.init_app(app)

    pages.init_app(app)

    with app.app_context():
        # The demo creates its tables on start so it runs with zero set-up; a real
        # app would run the toolkit's CLI or its migrations instead.
        toolkit.db.create_all()
        if app.config["TASKBOARD_DEMO_USERS"]:
            auth.seed_demo_users()
    return app
