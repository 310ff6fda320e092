"""The scheduler's tables in the app's database, and ``db.metadata``.

When an app uses its scheduler, the run history table (``SCHEDULER_HISTORY_TABLE``) and,
when the default job store is the app's database, APScheduler's ``apscheduler_jobs``
and the heartbeat table (``toolkit_scheduler_processes``, :mod:`.roster`) are added to
``db.metadata`` (:meth:`~flask_toolkit.db.Database.adopt_tables`), so
``db.create_all()`` and Flask-Migrate / Alembic manage them with the app's own tables.
"""

from __future__ import annotations

import typing as t

from flask import Flask

from . import options
from .history import History
from .roster import make_table


def history_with_tables(app: Flask, db: t.Any) -> History:
    """The app's :class:`History`, after adding the scheduler's tables to
    ``db.metadata``. No I/O.

    :param db: the toolkit's :class:`~flask_toolkit.db.Database`.
    """
    engine = db.get_engine(app)
    history = History(
        engine,
        app.config["SCHEDULER_HISTORY_TABLE"],
        app.config["SCHEDULER_HISTORY_RETENTION"],
        enabled=bool(app.config["SCHEDULER_HISTORY_ENABLED"]),
    )
    tables = [history.table] if history.enabled else []
    if "default" not in (app.config["SCHEDULER_JOBSTORES"] or {}):
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

        jobs_t = SQLAlchemyJobStore(engine=engine).jobs_t
        # MySQL / MariaDB store FLOAT(25) as DOUBLE; say so, or every Alembic
        # autogenerate would "alter" the column.
        jobs_t.c.next_run_time.type = options.next_run_time_type()
        tables.extend([jobs_t, make_table()])
    db.adopt_tables(tables)
    return history
