"""The demo's scheduled jobs: a nightly clean-up and a morning reminder.

Declared at import time, like the models; ``create_app`` imports this module. They
run in the app context, so ``toolkit.db`` and ``current_app`` work as in a view, and
each run is recorded in the run history (``flask toolkit jobs list`` shows the jobs).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import current_app

from .models import db
from .models import Task
from .models import toolkit
from .models import utcnow

#: Finished tasks older than this are deleted by the nightly clean-up.
KEEP_DONE_DAYS = 30


@toolkit.scheduler.task("cron", id="purge-done-tasks", hour=3, minute=0)
def purge_done_tasks() -> int:
    """Delete the tasks finished more than :data:`KEEP_DONE_DAYS` days ago."""
    cutoff = utcnow() - dt.timedelta(days=KEEP_DONE_DAYS)
    with db.session_scope() as session:
        result = session.execute(
            sa.delete(Task).where(Task.done.is_(True), Task.created_at < cutoff)
        )
    deleted = int(getattr(result, "rowcount", 0) or 0)
    current_app.logger.info("Clean-up: deleted %d finished tasks.", deleted)
    return deleted


@toolkit.scheduler.task("cron", id="overdue-reminder", day_of_week="mon-fri", hour=8)
def remind_overdue() -> list[str]:
    """Log the open tasks that are past their due date (a real app would e-mail)."""
    today = utcnow().date()
    titles = list(
        db.session.scalars(
            sa.select(Task.title)
            .where(Task.done.is_(False), Task.due < today)
            .order_by(Task.due)
        )
    )
    if titles:
        current_app.logger.warning("Overdue: %s", ", ".join(titles))
    return titles
