"""The audit log of the scheduler API: who changed what, and when."""

from __future__ import annotations

import datetime as dt
import logging

from flask import current_app

from ..auth import current_identity


def audit(action: str, job_id: str | None = None) -> None:
    """Write who changed what, and when, to the app logger (at ``INFO``).

    The record also carries ``record.toolkit_audit``: ``identity``, ``action``, ``job``
    and ``time``, for structured log handlers.

    :param action: the endpoint's name, such as ``"pause_job"``.
    :param job_id: the job acted on, if any.
    """
    if not current_app.logger.isEnabledFor(logging.INFO):
        return
    who = current_identity.id
    when = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    current_app.logger.info(
        "scheduler audit: identity=%s action=%s job=%s time=%s",
        "anonymous" if who is None else repr(who),
        action,
        "-" if job_id is None else repr(job_id),
        when,
        extra={
            "toolkit_audit": {
                "identity": who,
                "action": action,
                "job": job_id,
                "time": when,
            }
        },
    )
