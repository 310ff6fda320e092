"""The demo's page: rendered on the server with who is logged in, then driven by
``static/taskboard.js`` through the JSON API.

Rendering the login state on the server means an anonymous visit makes no request
that fails (no 401 from ``/api/auth/me`` in the console), and the page shows each user
only what they may do: no Add form without ``tasks:write``, the job dashboard and the
API docs only for those who can open them.
"""

from __future__ import annotations

import typing as t

from flask import current_app
from flask import Flask
from flask import render_template
from flask import request
from flask import url_for
from flask_wtf.csrf import generate_csrf

from flask_toolkit import current_identity
from flask_toolkit import public
from flask_toolkit.auth import is_granted
from flask_toolkit.auth import safe_next_url

from . import auth


def _can(permission: str) -> bool:
    return is_granted(current_identity.permissions, permission)


def _links() -> list[tuple[str, str]]:
    """The admin's way to the job dashboard and the API docs, when both exist."""
    links = []
    if "toolkit_dashboard" in current_app.blueprints and _can("scheduler:read"):
        links.append(("Job dashboard", url_for("toolkit_dashboard.jobs")))
    docs_permission = current_app.config.get("TOOLKIT_API_DOCS_PERMISSION")
    if "toolkit_api_docs" in current_app.blueprints and (
        not docs_permission or _can(docs_permission)
    ):
        links.append(("API docs", url_for("toolkit_api_docs.docs_page")))
    return links


def index() -> str:
    """The task board: the login form, or the user's tasks and projects."""
    user = current_identity.user if current_identity.id is not None else None
    demo_users = auth.DEMO_USERS if current_app.config["TASKBOARD_DEMO_USERS"] else []
    context: dict[str, t.Any] = {
        "user": user,
        "demo_users": demo_users,
        # Where to go after logging in, when a page sent the browser here.
        "next_url": safe_next_url(request.args.get("next")),
    }
    if user is not None:
        context.update(
            csrf_token=generate_csrf(),
            permissions=sorted(current_identity.permissions),
            can={
                name: _can(name)
                for name in (
                    "tasks:read",
                    "tasks:write",
                    "projects:read",
                    "projects:write",
                )
            },
            links=_links(),
        )
    return render_template("index.html", **context)


def init_app(app: Flask) -> None:
    """Serve the page at ``/``."""
    app.add_url_rule("/", "index", public(index))
