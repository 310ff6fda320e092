"""The scheduler's REST API: Flask-APScheduler's paths and job JSON, secured.

:func:`init_api` registers a :class:`~flask.Blueprint` at ``SCHEDULER_API_PREFIX``
(default ``/scheduler``) whose endpoint names carry ``SCHEDULER_ENDPOINT_PREFIX``
(default ``scheduler.``), as Flask-APScheduler names its routes. Read endpoints need
the ``scheduler:read`` permission, the others ``scheduler:write``; every write must be
sent as ``Content-Type: application/json``. Every body and query string is validated
by the forms of :mod:`~flask_toolkit.scheduler.schemas` before the manager is called;
each change is written to the app logger as an audit line.
"""

from __future__ import annotations

import datetime as dt
import re
import typing as t

from flask import Blueprint
from flask import current_app
from flask import Flask
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue

from .. import config
from ..auth import public
from ..auth import require_permission
from ..errors import api_blueprint
from ..errors import APIError
from ..validation import read_json_request
from .audit import audit
from .paging import page_args
from .paging import paged_response
from .paging import query_form
from .schemas import check_call
from .schemas import JOB_STATES
from .schemas import ListJobsForm
from .schemas import PageForm
from .schemas import parse_job
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
    from ..extension import get_state

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
    if prefix:
        # Unknown paths under the prefix get the JSON 404 too.
        prefixes = tuple(cfg["TOOLKIT_API_PREFIXES"])
        if prefix not in prefixes:
            cfg["TOOLKIT_API_PREFIXES"] = (*prefixes, prefix)


def _manager() -> SchedulerManager:
    from ..extension import get_state

    return get_state().toolkit.scheduler


def _require_json() -> None:
    """Refuse a write whose ``Content-Type`` is not JSON: no cross-site form posts.

    A request without a body and without a ``Content-Type`` is accepted, as
    Flask-APScheduler clients send ``POST /jobs/<id>/pause``; browsers cannot send
    such a request with the caller's cookie unless it also passes the session's
    CSRF check.
    """
    if not request.content_type and not request.content_length:
        return
    mimetype = request.mimetype
    if mimetype not in _JSON_TYPES and not mimetype.endswith("+json"):
        raise APIError(
            415,
            "Send scheduler API changes as JSON, with 'Content-Type: application/json'"
            " (or no body at all where none is needed).",
        )


def _body() -> dict[str, t.Any]:
    _require_json()
    body, _ = read_json_request()
    return body


def _not_found(job_id: str) -> APIError:
    return APIError(
        404,
        f"There is no job {job_id!r}. GET {_prefix()}/jobs lists the existing jobs.",
    )


def _prefix() -> str:
    return (current_app.config["SCHEDULER_API_PREFIX"] or "").rstrip("/")


def _job_json(job: t.Any) -> ResponseReturnValue:
    return current_app.json.response(_manager().job_to_dict(job))


def _get_job(job_id: str) -> t.Any:
    job = _manager().get_job(job_id)
    if job is None:
        raise _not_found(job_id)
    return job


def _iso(value: t.Any) -> t.Any:
    return value.isoformat() if isinstance(value, (dt.datetime, dt.date)) else value


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
    from . import spec

    bp = api_blueprint(Blueprint(name, __name__, url_prefix=url_prefix or None))
    read: t.Callable[[View], View]
    write: t.Callable[[View], View]
    if allow_anonymous:
        read = write = public
    else:
        read = require_permission(READ_PERMISSION)
        write = require_permission(WRITE_PERMISSION)

    def route(
        rule: str, endpoint: str, method: str, guard: t.Callable[[View], View]
    ) -> t.Callable[[View], View]:
        def decorator(view: View) -> View:
            bp.add_url_rule(rule, endpoint, guard(view), methods=[method])
            return view

        return decorator

    # the scheduler

    @route("" if url_prefix else "/", "get_scheduler_info", "GET", read)
    def get_scheduler_info() -> ResponseReturnValue:
        manager = _manager()
        leader = manager.leader_info()
        return {
            "current_host": leader.get("host"),
            "allowed_hosts": ["*"],
            "running": manager.running,
            "state": manager.state,
            "leader": leader,
        }

    def _must_run(action: str) -> None:
        if not _manager().running:
            raise APIError(
                409,
                f"Cannot {action}: the scheduler is not started in this process."
                f" POST {_prefix()}/start first.",
            )

    @route("/pause", "pause_scheduler", "POST", write)
    def pause_scheduler() -> ResponseReturnValue:
        _body()
        _must_run("pause")
        _manager().pause()
        audit("pause_scheduler")
        return "", 204

    @route("/resume", "resume_scheduler", "POST", write)
    def resume_scheduler() -> ResponseReturnValue:
        _body()
        _must_run("resume")
        _manager().resume()
        audit("resume_scheduler")
        return "", 204

    @route("/start", "start_scheduler", "POST", write)
    def start_scheduler() -> ResponseReturnValue:
        _body()
        if _manager().running:
            raise APIError(409, "The scheduler is already started in this process.")
        _manager().start()
        audit("start_scheduler")
        return "", 204

    @route("/shutdown", "shutdown_scheduler", "POST", write)
    def shutdown_scheduler() -> ResponseReturnValue:
        _require_json()
        form = ShutdownForm()
        if not form.validate():
            raise APIError(current_app.config["TOOLKIT_VALIDATION_STATUS"], form.errors)
        _must_run("shut down")
        _manager().shutdown(wait=form.wait.data is not False)
        audit("shutdown_scheduler")
        return "", 204

    # jobs

    @route("/jobs", "add_job", "POST", write)
    def add_job() -> ResponseReturnValue:
        from apscheduler.jobstores.base import ConflictingIdError

        parsed = parse_job(_body())
        options = dict(parsed.options)
        job_id = options.pop("id")
        if not options.get("name"):  # as Flask-APScheduler: no name means the id
            options["name"] = job_id
        check_call(
            options["func"],
            options.get("args", ()),
            options.get("kwargs", {}),
            sent=options,
        )
        try:
            job = _manager().add_job(
                job_id,
                options.pop("func"),
                parsed.trigger,
                **options,
                **parsed.trigger_args,
            )
        except ConflictingIdError:
            raise APIError(
                409,
                f"A job with the id {job_id!r} already exists. PATCH"
                f" {_prefix()}/jobs/{job_id} to change it, or send"
                ' "replace_existing": true.',
            ) from None
        audit("add_job", job_id)
        return _job_json(job)

    @route("/jobs", "get_jobs", "GET", read)
    def get_jobs() -> ResponseReturnValue:
        form = query_form(ListJobsForm)
        paged = form.page.data is not None or form.per_page.data is not None
        page, per_page = page_args(form, paged)
        start, end = form.next_run_from.data, form.next_run_to.data
        if start is not None and end is not None and _utc(end) < _utc(start):
            raise APIError(
                400, {"next_run_to": ["next_run_to must not be before next_run_from."]}
            )
        state = form.state.data
        if state == "active":
            state = "scheduled"
        manager = _manager()
        jobs, total = manager.list_jobs(
            page,
            per_page,
            state=state,
            next_run_from=start,
            next_run_to=end,
            jobstore=form.jobstore.data,
            sort=form.sort.data or "next_run_time",
        )
        return paged_response(
            [manager.job_to_dict(job) for job in jobs], total, page, per_page
        )

    @route("/jobs/<job_id>", "get_job", "GET", read)
    def get_job(job_id: str) -> ResponseReturnValue:
        return _job_json(_get_job(job_id))

    @route("/jobs/<job_id>", "update_job", "PATCH", write)
    def update_job(job_id: str) -> ResponseReturnValue:
        parsed = parse_job(_body(), job_id=job_id)
        manager = _manager()
        job = _get_job(job_id)
        changes = dict(parsed.options)
        if changes.get("name") == "":
            changes["name"] = job_id
        if {"func", "args", "kwargs"} & set(changes):
            check_call(
                changes.get("func") or manager.job_to_dict(job)["func"],
                changes.get("args", job.args),
                changes.get("kwargs", job.kwargs),
                sent=changes,
            )
        if parsed.trigger is not None:
            was_paused = job.next_run_time is None
            manager.reschedule_job(job_id, parsed.trigger, **parsed.trigger_args)
            if was_paused and "next_run_time" not in changes:
                changes["next_run_time"] = None  # a paused job stays paused
        if changes:
            manager.modify_job(job_id, **changes)
        audit("update_job", job_id)
        return _job_json(_get_job(job_id))

    @route("/jobs/<job_id>", "delete_job", "DELETE", write)
    def delete_job(job_id: str) -> ResponseReturnValue:
        from apscheduler.jobstores.base import JobLookupError

        _require_json()
        try:
            _manager().remove_job(job_id)
        except JobLookupError:
            raise _not_found(job_id) from None
        audit("delete_job", job_id)
        return "", 204

    @route("/jobs/<job_id>/pause", "pause_job", "POST", write)
    def pause_job(job_id: str) -> ResponseReturnValue:
        from apscheduler.jobstores.base import JobLookupError

        _body()
        try:
            job = _manager().pause_job(job_id)
        except JobLookupError:
            raise _not_found(job_id) from None
        audit("pause_job", job_id)
        return _job_json(job)

    @route("/jobs/<job_id>/resume", "resume_job", "POST", write)
    def resume_job(job_id: str) -> ResponseReturnValue:
        from apscheduler.jobstores.base import JobLookupError

        _body()
        try:
            job = _manager().resume_job(job_id)
        except JobLookupError:
            raise _not_found(job_id) from None
        audit("resume_job", job_id)
        if job is None:
            raise APIError(
                404,
                f"The schedule of job {job_id!r} has ended, so resuming it removed it.",
            )
        return _job_json(job)

    @route("/jobs/<job_id>/run", "run_job", "POST", write)
    def run_job(job_id: str) -> ResponseReturnValue:
        from apscheduler.executors.base import MaxInstancesReachedError

        _body()
        job = _get_job(job_id)
        try:
            run = _manager().run_job(job_id)
        except MaxInstancesReachedError:
            raise APIError(
                409,
                f"Job {job_id!r} is already running {job.max_instances} time(s), its"
                " max_instances; try again when a run has finished.",
            ) from None
        audit("run_job", job_id)
        data = _manager().job_to_dict(_manager().get_job(job_id) or job)
        data["run"] = {
            "job_id": run.job_id,
            "scheduled_run_time": _iso(run.scheduled_run_time),
            "runs_url": url_for(f"{bp.name}.get_job_runs", job_id=job_id),
        }
        return current_app.json.response(data)

    @route("/jobs/<job_id>/runs", "get_job_runs", "GET", read)
    def get_job_runs(job_id: str) -> ResponseReturnValue:
        form = query_form(PageForm)
        page, per_page = page_args(form)
        manager = _manager()
        rows, total = manager.history.runs(job_id, page=page, per_page=per_page)
        if total == 0 and manager.get_job(job_id) is None:
            raise _not_found(job_id)
        items = [{key: _iso(value) for key, value in row.items()} for row in rows]
        return paged_response(items, total, page, per_page)

    @route("/openapi.json", "openapi", "GET", read)
    def openapi() -> ResponseReturnValue:
        return current_app.json.response(spec.build(current_app, bp.name))

    return bp


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.timezone.utc)


__all__ = [
    "JOB_STATES",
    "READ_PERMISSION",
    "WRITE_PERMISSION",
    "create_blueprint",
    "init_api",
]
