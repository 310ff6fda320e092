"""The OpenAPI 3.1 document of the scheduler API, served at ``<prefix>/openapi.json``.

Request bodies and query parameters are generated from the forms in
:mod:`~flask_toolkit.scheduler.schemas`; the job body is a ``oneOf`` with one variant
per trigger, each listing the job options and that trigger's fields. The ``func``
property enumerates the app's registered tasks, so the document also tells a client
which tasks it may schedule.
"""

from __future__ import annotations

import typing as t

from flask import Flask

from .. import openapi
from .schemas import JobForm
from .schemas import JobPatchForm
from .schemas import ListJobsForm
from .schemas import PageForm
from .schemas import scheduler_aliases
from .schemas import ShutdownForm
from .schemas import TRIGGER_FORMS

#: The API's own version, in ``info.version``.
API_VERSION = "1.0"

_DATE = {"type": ["string", "null"], "format": "date-time"}
_JOB: dict[str, t.Any] = {
    "type": "object",
    "required": ["id", "name", "func", "args", "kwargs", "trigger"],
    "properties": {
        "id": {"type": "string"},
        "name": {"type": ["string", "null"]},
        "func": {"type": ["string", "null"]},
        "args": {"type": "array"},
        "kwargs": {"type": "object"},
        "trigger": {"type": "string"},
        "run_date": _DATE,
        "start_date": _DATE,
        "end_date": _DATE,
        "timezone": {"type": "string"},
        "jitter": {"type": ["integer", "number", "null"]},
        **{
            unit: {"type": "integer"}
            for unit in ("weeks", "days", "hours", "minutes", "seconds")
        },
        **{
            name: {"type": "string"}
            for name in (
                "year",
                "month",
                "day",
                "week",
                "day_of_week",
                "hour",
                "minute",
                "second",
            )
        },
        "next_run_time": _DATE,
        "misfire_grace_time": {"type": ["integer", "null"]},
        "max_instances": {"type": "integer"},
        "coalesce": {"type": "boolean"},
        "jobstore": {"type": ["string", "null"]},
        "executor": {"type": "string"},
        "paused": {"type": "boolean"},
        "registered": {"type": "boolean"},
    },
}
_RUN_REF = {
    "type": "object",
    "required": ["job_id", "scheduled_run_time", "runs_url"],
    "properties": {
        "job_id": {"type": "string"},
        "scheduled_run_time": {"type": "string", "format": "date-time"},
        "runs_url": {"type": "string"},
    },
}
_RUN = {
    "type": "object",
    "properties": {
        "id": {},
        "job_id": {"type": "string"},
        "scheduled_run_time": _DATE,
        "started_at": _DATE,
        "finished_at": _DATE,
        "duration": {"type": ["number", "null"]},
        "status": {"type": "string"},
        "error": {"type": ["string", "null"]},
        "traceback": {"type": ["string", "null"]},
        "host": {"type": ["string", "null"]},
        "pid": {"type": ["integer", "null"]},
    },
}
_WHO: dict[str, t.Any] = {"host": {"type": "string"}, "pid": {"type": "integer"}}
_PROCESS = {"type": "object", "properties": _WHO}
_HEARTBEAT = {
    "type": "object",
    "properties": {
        **_WHO,
        "role": {"enum": ["leader", "standby"]},
        "state": {"enum": ["stopped", "standby", "running", "paused"]},
        "started_at": _DATE,
        "seen_at": _DATE,
        "renewed_at": _DATE,
        "gone": {"type": "boolean"},
    },
}
_INFO = {
    "type": "object",
    "required": ["current_host", "allowed_hosts", "running"],
    "properties": {
        "current_host": {"type": ["string", "null"]},
        "allowed_hosts": {"type": "array", "items": {"type": "string"}},
        "running": {"type": "boolean"},
        "state": {"enum": ["stopped", "standby", "running", "paused"]},
        "leader": {
            "type": "object",
            "description": "`leader_info()`: who leads, the lease, this process, and"
            " the scheduler processes from their heartbeats in the job store.",
            "properties": {
                "is_leader": {"type": "boolean"},
                "leader": {"oneOf": [_PROCESS, {"type": "null"}]},
                "lock": {"type": "string"},
                "state": {"enum": ["stopped", "standby", "running", "paused"]},
                "host": {"type": "string"},
                "pid": {"type": "integer"},
                "renewed_at": _DATE,
                "heartbeat_interval": {"type": "number"},
                "shared": {"type": "boolean"},
                "processes": {"type": "array", "items": _HEARTBEAT},
                "standbys": {"type": "array", "items": _HEARTBEAT},
            },
        },
    },
}
_ERROR = openapi.json_response(
    "An error: the toolkit's error envelope, plus Flask-APScheduler's"
    " `error_message` (one sentence).",
    {
        "type": "object",
        "required": ["error_message"],
        "properties": {"error_message": {"type": "string"}},
    },
)
_PAGE_HEADERS = {
    "X-Total-Count": {
        "description": "Items in all pages.",
        "schema": {"type": "integer"},
    },
    "X-Page": {"description": "This page's number.", "schema": {"type": "integer"}},
    "X-Per-Page": {"description": "Items per page.", "schema": {"type": "integer"}},
    "Link": {
        "description": "first/prev/next/last page URLs (RFC 8288).",
        "schema": {"type": "string"},
    },
}
_AUTH = {401: _ERROR, 403: _ERROR}
#: The body of the action endpoints: none, or an object that is ignored.
_IGNORED_BODY = {"type": "object"}
_WRITE = {**_AUTH, 400: _ERROR, 413: _ERROR, 415: _ERROR}


def _job_body(app: Flask, *, patch: bool) -> dict[str, t.Any]:
    """The ``oneOf`` of job bodies, one variant per trigger (and, for PATCH, none)."""
    from ..state import get_state

    options = openapi.form_schema(JobPatchForm if patch else JobForm)
    tasks = sorted(get_state(app).toolkit.scheduler.registry)
    func = {"enum": tasks} if tasks else {"type": "string"}
    options["properties"]["func"] = func if not patch else openapi.nullable(func)
    for kind in ("jobstore", "executor"):
        aliases = {"enum": sorted(scheduler_aliases(kind))}
        options["properties"][kind] = openapi.nullable(aliases)
    if patch:  # a job cannot move to another store
        options["properties"]["jobstore"] = {"type": "null"}
    variants = []
    if patch:
        without = {**options, "properties": dict(options["properties"])}
        del without["properties"]["trigger"]
        variants.append(without)
    for name, form_class in TRIGGER_FORMS.items():
        trigger_schema = openapi.form_schema(form_class)
        variant = {
            **options,
            "properties": {**options["properties"], **trigger_schema["properties"]},
        }
        if name == "date" and not patch:
            variant["properties"]["trigger"] = {"enum": ["date", None]}
        else:
            variant["properties"]["trigger"] = {"const": name}
            variant["required"] = [*options.get("required", ()), "trigger"]
        variants.append(variant)
    return {"oneOf": variants}


def build(app: Flask, blueprint_name: str) -> dict[str, t.Any]:
    """The OpenAPI document of the API registered as ``blueprint_name`` on ``app``."""
    job = openapi.json_response("The job.", _JOB)
    ops = {
        "get_scheduler_info": openapi.describe(
            summary="Scheduler state and who runs the jobs",
            responses={200: openapi.json_response("The scheduler.", _INFO), **_AUTH},
        ),
        "pause_scheduler": _action("Stop processing jobs in this process"),
        "resume_scheduler": _action("Resume processing jobs in this process"),
        "start_scheduler": _action("Start the scheduler in this process"),
        "shutdown_scheduler": _action("Shut the scheduler down", body=ShutdownForm),
        "add_job": openapi.describe(
            summary="Add a job running a registered task",
            body=_job_body(app, patch=False),
            body_required=True,
            responses={200: job, **_WRITE, 409: _ERROR},
        ),
        "get_jobs": openapi.describe(
            summary="List jobs, one page at a time",
            description=(
                "Ordered by next run time, paused jobs last. Without `page` or"
                " `per_page` the list is bounded by SCHEDULER_API_UNPAGED_LIMIT."
            ),
            query=ListJobsForm,
            responses={
                200: openapi.json_response(
                    "One page of jobs.", {"type": "array", "items": _JOB}, _PAGE_HEADERS
                ),
                400: _ERROR,
                **_AUTH,
            },
        ),
        "get_job": openapi.describe(
            summary="One job", responses={200: job, **_AUTH, 404: _ERROR}
        ),
        "update_job": openapi.describe(
            summary="Change a job's options or schedule",
            description=(
                "409 for a job whose function is not a registered task (unless the"
                " change sets `func` to one), and for new arguments of a job from"
                " SCHEDULER_JOBS."
            ),
            body=_job_body(app, patch=True),
            responses={200: job, **_WRITE, 404: _ERROR, 409: _ERROR},
        ),
        "delete_job": openapi.describe(
            summary="Remove a job",
            # 415: a body that is not JSON (a DELETE needs none).
            responses={204: "Removed.", **_AUTH, 404: _ERROR, 415: _ERROR},
        ),
        "pause_job": _job_action("Pause a job", job),
        "resume_job": _job_action(
            "Resume a paused job",
            openapi.json_response(
                "The job; `null` when its schedule has ended, so resuming removed it.",
                {"oneOf": [_JOB, {"type": "null"}]},
            ),
            conflict=True,
        ),
        "run_job": _job_action(
            "Run a job now, through its executor",
            openapi.json_response(
                "The job, and `run`: how to find this run in the history.",
                {**_JOB, "properties": {**_JOB["properties"], "run": _RUN_REF}},
            ),
            conflict=True,
        ),
        "get_job_runs": openapi.describe(
            summary="A job's run history, newest first",
            query=PageForm,
            responses={
                200: openapi.json_response(
                    "One page of runs.", {"type": "array", "items": _RUN}, _PAGE_HEADERS
                ),
                400: _ERROR,
                **_AUTH,
                404: _ERROR,
            },
        ),
        "openapi": openapi.describe(
            summary="This document",
            responses={
                200: openapi.json_response("OpenAPI 3.1.", {"type": "object"}),
                **_AUTH,
            },
        ),
    }
    for op in ops.values():
        # Every operation answers 400 to credentials in the query string
        # (?access_token=...), before anything else is looked at.
        op["responses"] = {400: _ERROR, **op["responses"]}
    doc = openapi.build_document(
        app,
        title="Scheduler API",
        version=API_VERSION,
        description="Flask-APScheduler's REST API, served by flask-toolkit.",
        operations={f"{blueprint_name}.{name}": op for name, op in ops.items()},
        security=[{"bearer": []}, {"apiKey": []}],
        security_schemes={
            "bearer": {"type": "http", "scheme": "bearer"},
            "apiKey": {
                "type": "apiKey",
                "in": "header",
                "name": app.config.get("AUTH_API_KEY_HEADER", "X-API-Key"),
            },
        },
    )
    limit = int(app.config["SCHEDULER_API_MAX_PER_PAGE"])
    stores = sorted(scheduler_aliases("jobstore"))
    for path in doc["paths"].values():
        for op in path.values():
            for param in op.get("parameters", ()):
                if param["name"] == "per_page":
                    param["schema"]["maximum"] = limit
                elif param["name"] == "jobstore":
                    param["schema"] = {"enum": stores}
    return doc


def _action(summary: str, body: type[t.Any] | None = None) -> dict[str, t.Any]:
    return openapi.describe(
        summary=summary,
        body=body or _IGNORED_BODY,
        responses={204: "Done.", **_WRITE, 409: _ERROR},
    )


def _job_action(
    summary: str, response: t.Any, *, conflict: bool = False
) -> dict[str, t.Any]:
    responses = {200: response, **_WRITE, 404: _ERROR}
    if conflict:
        responses[409] = _ERROR
    return openapi.describe(summary=summary, body=_IGNORED_BODY, responses=responses)
