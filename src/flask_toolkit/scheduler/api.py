"""The scheduler's REST API: Flask-APScheduler's paths and job JSON, secured.

:func:`init_api` registers a :class:`~flask.Blueprint` at ``SCHEDULER_API_PREFIX``
(default ``/scheduler``) whose endpoint names carry ``SCHEDULER_ENDPOINT_PREFIX``
(default ``scheduler.``), as Flask-APScheduler names its routes. Read endpoints need
the ``scheduler:read`` permission, the others ``scheduler:write``; a write's body is
JSON, sent as ``Content-Type: application/json`` or without a type. Every body and
query string is validated by the forms of :mod:`~flask_toolkit.scheduler.schemas`
before the manager is called; each change is written to the app logger as an audit
line. Every error answer is the toolkit's envelope plus Flask-APScheduler's
``error_message`` (one sentence), so both kinds of clients read it.
"""

from __future__ import annotations

import re
import typing as t

from flask import Blueprint
from flask import current_app
from flask import Flask
from flask import request
from flask import Response
from flask.typing import ResponseReturnValue

from .. import config
from ..auth import public
from ..auth import require_permission
from ..errors import api_blueprint
from ..errors import APIError
from ..openapi import describe_blueprint
from . import job_views
from . import spec
from .audit import audit
from .requests import body
from .requests import prefix
from .requests import require_json
from .requests import scheduler_manager
from .schemas import JOB_STATES
from .schemas import ShutdownForm

if t.TYPE_CHECKING:
    from .manager import SchedulerManager

#: The API's config keys and their defaults (documented in ``docs/config.rst``).
API_DEFAULTS: dict[str, t.Any] = {
    "SCHEDULER_ENDPOINT_PREFIX": "scheduler.",
    "SCHEDULER_API_ALLOW_ANONYMOUS": False,
    "SCHEDULER_API_PER_PAGE": 100,
    "SCHEDULER_API_MAX_PER_PAGE": 1000,
    "SCHEDULER_API_UNPAGED_LIMIT": 1000,
}
config.register_defaults(API_DEFAULTS)

#: The permission of every endpoint that only reads.
READ_PERMISSION = "scheduler:read"
#: The permission of every endpoint that changes a job or the scheduler.
WRITE_PERMISSION = "scheduler:write"

_ENDPOINT_PREFIX_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\.\Z")
_JSON_TYPES = ("application/json",)

View = t.Callable[..., ResponseReturnValue]


def init_api(app: Flask, manager: SchedulerManager) -> None:
    """Register the REST API on ``app`` (the manager calls it when
    ``SCHEDULER_API_ENABLED`` is true).

    :param app: the application.
    :param manager: the app's :class:`~flask_toolkit.scheduler.SchedulerManager`.
    :raises RuntimeError: when the app cannot authenticate anyone and
        ``SCHEDULER_API_ALLOW_ANONYMOUS`` is not set, or for a bad endpoint prefix.
    """
    from ..state import get_state

    cfg = app.config
    for key, value in API_DEFAULTS.items():
        cfg.setdefault(key, value)
    anonymous = bool(cfg["SCHEDULER_API_ALLOW_ANONYMOUS"])
    if not anonymous and not get_state(app).toolkit.auth.is_configured(app):
        raise RuntimeError(
            "SCHEDULER_API_ENABLED is true but the app cannot authenticate anyone, so"
            " anybody could add and run jobs. Register an identity loader with"
            " '@toolkit.auth.identity_loader' before 'toolkit.init_app(app)', and give"
            f" your operators the {READ_PERMISSION!r} / {WRITE_PERMISSION!r}"
            " permissions. For local development only, SCHEDULER_API_ALLOW_ANONYMOUS ="
            " True opens the API to everyone."
        )
    if anonymous:
        app.logger.warning(
            "SCHEDULER_API_ALLOW_ANONYMOUS is set: the scheduler API at %r lets ANY"
            " caller add, change and run jobs. Never use this outside local"
            " development.",
            cfg["SCHEDULER_API_PREFIX"] or "/",
        )
    endpoint_prefix = cfg["SCHEDULER_ENDPOINT_PREFIX"]
    if not isinstance(endpoint_prefix, str) or not _ENDPOINT_PREFIX_RE.match(
        endpoint_prefix
    ):
        raise RuntimeError(
            f"SCHEDULER_ENDPOINT_PREFIX = {endpoint_prefix!r} cannot name the API's"
            " blueprint: use one identifier followed by a dot, like 'scheduler.'."
        )
    prefix = (cfg["SCHEDULER_API_PREFIX"] or "").rstrip("/")
    blueprint = create_blueprint(
        name=endpoint_prefix[:-1], url_prefix=prefix, allow_anonymous=anonymous
    )
    app.register_blueprint(blueprint)
    app.after_request(_error_message_hook(blueprint.name, prefix))
    if prefix:
        # Unknown paths under the prefix get the JSON 404 too.
        prefixes = tuple(cfg["TOOLKIT_API_PREFIXES"])
        if prefix not in prefixes:
            cfg["TOOLKIT_API_PREFIXES"] = (*prefixes, prefix)


def create_blueprint(
    *,
    name: str = "scheduler",
    url_prefix: str = "/scheduler",
    allow_anonymous: bool = False,
) -> Blueprint:
    """Build the API's blueprint (use :func:`init_api` to register it on an app).

    :param name: the blueprint name, so endpoints are ``<name>.get_job`` and so on.
    :param url_prefix: where the API is mounted.
    :param allow_anonymous: mark every view public instead of requiring permissions.
    """
    bp = api_blueprint(Blueprint(name, __name__, url_prefix=url_prefix or None))
    describe_blueprint(bp, spec.build)  # its operations in the app's document
    read: t.Callable[[View], View]
    write: t.Callable[[View], View]
    if allow_anonymous:
        read = write = public
    else:
        read = require_permission(READ_PERMISSION)
        write = require_permission(WRITE_PERMISSION)

    routes: list[tuple[str, View, str, t.Callable[[View], View]]] = [
        ("" if url_prefix else "/", get_scheduler_info, "GET", read),
        ("/pause", pause_scheduler, "POST", write),
        ("/resume", resume_scheduler, "POST", write),
        ("/start", start_scheduler, "POST", write),
        ("/shutdown", shutdown_scheduler, "POST", write),
        ("/jobs", job_views.add_job, "POST", write),
        ("/jobs", job_views.get_jobs, "GET", read),
        ("/jobs/<job_id>", job_views.get_job, "GET", read),
        ("/jobs/<job_id>", job_views.update_job, "PATCH", write),
        ("/jobs/<job_id>", job_views.delete_job, "DELETE", write),
        ("/jobs/<job_id>/pause", job_views.pause_job, "POST", write),
        ("/jobs/<job_id>/resume", job_views.resume_job, "POST", write),
        ("/jobs/<job_id>/run", job_views.run_job, "POST", write),
        ("/jobs/<job_id>/runs", job_views.get_job_runs, "GET", read),
        ("/openapi.json", openapi, "GET", read),
    ]
    for rule, view, method, guard in routes:
        bp.add_url_rule(rule, view.__name__, guard(view), methods=[method])
    return bp


def error_text(msg: t.Any) -> str:
    """One sentence from an envelope's message: field errors become ``field: ...``."""
    if isinstance(msg, str):
        return msg
    if isinstance(msg, t.Mapping):
        return "; ".join(f"{key}: {error_text(value)}" for key, value in msg.items())
    if isinstance(msg, (list, tuple)):
        return " ".join(error_text(item) for item in msg)
    return "" if msg is None else str(msg)


def _error_message_hook(
    blueprint: str, prefix: str
) -> t.Callable[[Response], Response]:
    def add_error_message(response: Response) -> Response:
        if response.status_code < 400 or not response.is_json:
            return response
        path = request.path
        under_prefix = bool(prefix) and (
            path == prefix or path.startswith(prefix + "/")
        )
        if request.blueprint != blueprint and not under_prefix:
            return response
        data = response.get_json(silent=True)
        if isinstance(data, dict) and "error_message" not in data:
            message = error_text(data.get("msg")) or response.status
            response.set_data(
                current_app.json.dumps({**data, "error_message": message})
            )
        return response

    return add_error_message


def get_scheduler_info() -> ResponseReturnValue:
    manager = scheduler_manager()
    leader = manager.leader_info()
    return {
        "current_host": leader.get("host"),
        "allowed_hosts": ["*"],
        "running": manager.running,
        "state": manager.state,
        "leader": leader,
    }


def must_run(action: str) -> None:
    if not scheduler_manager().running:
        raise APIError(
            409,
            f"Cannot {action}: the scheduler is not started in this process."
            f" POST {prefix()}/start first.",
        )


def pause_scheduler() -> ResponseReturnValue:
    body()
    must_run("pause")
    scheduler_manager().pause()
    audit("pause_scheduler")
    return "", 204


def resume_scheduler() -> ResponseReturnValue:
    body()
    must_run("resume")
    scheduler_manager().resume()
    audit("resume_scheduler")
    return "", 204


def start_scheduler() -> ResponseReturnValue:
    body()
    if scheduler_manager().running:
        raise APIError(409, "The scheduler is already started in this process.")
    scheduler_manager().start()
    audit("start_scheduler")
    return "", 204


def shutdown_scheduler() -> ResponseReturnValue:
    require_json()
    form = ShutdownForm()
    if not form.validate():
        raise APIError(current_app.config["TOOLKIT_VALIDATION_STATUS"], form.errors)
    must_run("shut down")
    scheduler_manager().shutdown(wait=form.wait.data is not False)
    audit("shutdown_scheduler")
    return "", 204


def openapi() -> ResponseReturnValue:
    return current_app.json.response(
        spec.build(current_app, t.cast(str, request.blueprint))
    )


__all__ = [
    "JOB_STATES",
    "READ_PERMISSION",
    "WRITE_PERMISSION",
    "create_blueprint",
    "init_api",
]
