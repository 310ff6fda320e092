"""The ``flask toolkit`` command group; each component adds its commands to it."""

from __future__ import annotations

from flask.cli import AppGroup

#: ``flask toolkit ...``: named so it never collides with Flask-Migrate's ``flask db``.
toolkit_cli = AppGroup(
    "toolkit", help="flask-toolkit: database, auth and scheduler tasks."
)
