"""What every scheduler API view needs: the manager, the body, the common answers."""

from __future__ import annotations

import datetime as dt
import typing as t

from flask import current_app
from flask import request
from flask.typing import ResponseReturnValue

from .. import timefmt
from ..errors import APIError
from ..forms.body import read_json_request
from ..state import get_state
from .ids import id_problem
from .tasks import app_tasks
from .tasks import UNREGISTERED
from .tasks import unregistered_message

if t.TYPE_CHECKING:
    from .manager import SchedulerManager

_JSON_TYPES = ("application/json",)


def scheduler_manager() -> SchedulerManager:
    return t.cast("SchedulerManager", get_state().toolkit.scheduler)


def require_json() -> None:
    """Refuse a write whose ``Content-Type`` is not JSON: no cross-site form posts.

    A request without a ``Content-Type`` is read as JSON: Flask-APScheduler clients
    send ``POST /jobs/<id>/pause`` without a body, and ``data=json.dumps(job)``
    without a type. A browser can send such a request with the caller's cookie, so a
    cookie-authenticated write must pass the session's CSRF check, as any other
    does; ``text/plain`` and form bodies stay refused.
    """
    if not request.content_type:
        if request.content_length or request.environ.get("HTTP_TRANSFER_ENCODING"):
            request.environ["CONTENT_TYPE"] = "application/json"
        return
    mimetype = request.mimetype
    if mimetype not in _JSON_TYPES and not mimetype.endswith("+json"):
        raise APIError(
            415,
            "Send scheduler API changes as JSON, with 'Content-Type: application/json'"
            " or without a Content-Type (or no body at all where none is needed).",
        )


def body() -> dict[str, t.Any]:
    require_json()
    # Floats, not decimals: job arguments are stored as plain JSON numbers anyway.
    body, _ = read_json_request(decimals=False)
    return body


def not_found(job_id: str) -> APIError:
    return APIError(
        404,
        f"There is no job {job_id!r}. GET {prefix()}/jobs lists the existing jobs.",
    )


def prefix() -> str:
    return (current_app.config["SCHEDULER_API_PREFIX"] or "").rstrip("/")


def job_json(job: t.Any) -> ResponseReturnValue:
    return current_app.json.response(scheduler_manager().job_to_dict(job))


def check_id(job_id: str) -> str:
    """Return ``job_id``; a string that no job can have (NUL, other control
    characters, lone surrogates) is answered 404 without asking the job store."""
    if id_problem(job_id):
        raise not_found(job_id)
    return job_id


def find_job(job_id: str) -> t.Any:
    job = scheduler_manager().get_job(check_id(job_id))
    if job is None:
        raise not_found(job_id)
    return job


def job_kind(job: t.Any) -> str:
    """``"task"``, ``"configured"`` or ``"unregistered"``: see
    :meth:`~flask_toolkit.scheduler.tasks.AppTasks.kind`."""
    return app_tasks().kind(job)


def refuse_unregistered(job: t.Any, action: str) -> None:
    """409 if the job's function is not known to the app: the API never runs it."""
    if job_kind(job) == UNREGISTERED:
        raise APIError(409, unregistered_message(job, action))


def iso(value: t.Any) -> t.Any:
    return timefmt.iso(value)


def utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.timezone.utc)
