"""SQLite URLs, by Flask-SQLAlchemy's rules: a relative path is in the instance folder
(made on the first connection, never in ``init_app``), and ``sqlite://`` is in memory.
"""

from __future__ import annotations

import os
import typing as t

import sqlalchemy as sa

if t.TYPE_CHECKING:
    from flask import Flask


def in_memory(url: sa.URL) -> bool:
    database = url.database or ""
    if database in ("", ":memory:"):
        return True
    return database.startswith("file:") and (
        "mode=memory" in database or url.query.get("mode") == "memory"
    )


def in_instance_folder(url: sa.URL, app: Flask) -> bool:
    database = url.database or ""
    return os.path.dirname(database) == os.path.abspath(app.instance_path)


def make_instance_folder(app: Flask) -> t.Callable[..., None]:
    path = app.instance_path

    def make(*args: t.Any) -> None:
        os.makedirs(path, exist_ok=True)

    return make


def relative_to_instance_folder(url: sa.URL, app: Flask) -> sa.URL:
    """Make a relative SQLite path relative to the instance folder (Flask-SQLAlchemy's
    rule); the folder is created on the first connection.
    """
    database = url.database
    if (
        not database
        or database == ":memory:"
        or url.query.get("uri")
        or (database.startswith("file:"))
    ):
        return url
    if not os.path.isabs(database):
        url = url.set(database=os.path.join(app.instance_path, database))
    return url
