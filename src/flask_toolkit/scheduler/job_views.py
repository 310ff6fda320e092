"""The API's job views: add, list, read, change, delete, pause, resume, run, runs.

Registered on the blueprint by :func:`~flask_toolkit.scheduler.api.create_blueprint`.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue

from ..errors import APIError
from .audit import audit
from .paging import page_args
from .paging import paged_response
from .paging import query_form
from .requests import body
from .requests import check_id
from .requests import find_job
from .requests import iso
from .requests import job_json
from .requests import job_kind
from .requests import not_found
from .requests import prefix
from .requests import refuse_unregistered
from .requests import require_json
from .requests import scheduler_manager
from .requests import utc
from .schemas import check_call
from .schemas import ListJobsForm
from .schemas import PageForm
from .schemas import parse_job
from .tasks import CONFIGURED
from .tasks import UNREGISTERED
from .tasks import unregistered_message


def add_job() -> ResponseReturnValue:
    from apscheduler.jobstores.base import ConflictingIdError

    parsed = parse_job(body())
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
        job = scheduler_manager().add_job(
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
            f" {prefix()}/jobs/{job_id} to change it, or send"
            ' "replace_existing": true.',
        ) from None
    audit("add_job", job_id)
    return job_json(job)


def get_jobs() -> ResponseReturnValue:
    form = query_form(ListJobsForm)
    paged = form.page.data is not None or form.per_page.data is not None
    page, per_page = page_args(form, paged)
    start, end = form.next_run_from.data, form.next_run_to.data
    if start is not None and end is not None and utc(end) < utc(start):
        raise APIError(
            400, {"next_run_to": ["next_run_to must not be before next_run_from."]}
        )
    state = form.state.data
    if state == "active":
        state = "scheduled"
    manager = scheduler_manager()
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


def get_job(job_id: str) -> ResponseReturnValue:
    return job_json(find_job(job_id))


def update_job(job_id: str) -> ResponseReturnValue:
    parsed = parse_job(body(), job_id=job_id)
    manager = scheduler_manager()
    job = find_job(job_id)
    changes = dict(parsed.options)
    if changes.get("name") == "":
        changes["name"] = job_id
    kind = job_kind(job)
    if "func" not in changes:  # a new func is a task: the body was validated
        if kind == UNREGISTERED and (changes or parsed.trigger is not None):
            raise APIError(409, unregistered_message(job, "changed"))
        if kind == CONFIGURED and {"args", "kwargs"} & set(changes):
            raise APIError(
                409,
                f"Job {job_id!r} runs as SCHEDULER_JOBS configures it, so the API"
                " cannot change its arguments; change them in the app's config, or"
                " schedule a registered task with your arguments instead.",
            )
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
    return job_json(find_job(job_id))


def delete_job(job_id: str) -> ResponseReturnValue:
    from apscheduler.jobstores.base import JobLookupError

    require_json()
    try:
        scheduler_manager().remove_job(check_id(job_id))
    except JobLookupError:
        raise not_found(job_id) from None
    audit("delete_job", job_id)
    return "", 204


def pause_job(job_id: str) -> ResponseReturnValue:
    from apscheduler.jobstores.base import JobLookupError

    body()
    try:
        job = scheduler_manager().pause_job(check_id(job_id))
    except JobLookupError:
        raise not_found(job_id) from None
    audit("pause_job", job_id)
    return job_json(job)


def resume_job(job_id: str) -> ResponseReturnValue:
    from apscheduler.jobstores.base import JobLookupError

    body()
    job = find_job(job_id)
    refuse_unregistered(job, "resumed")
    # What APScheduler's resume_job does, from the job just read rather than reading
    # it once more: the next run time from now (an instant, so UTC will do), or the
    # job's removal when its schedule has ended.
    next_run_time = job.trigger.get_next_fire_time(
        None, dt.datetime.now(dt.timezone.utc)
    )
    manager = scheduler_manager()
    try:
        if next_run_time is None:
            manager.remove_job(job_id)
            job = None
        else:
            job = manager.modify_job(job_id, next_run_time=next_run_time)
    except JobLookupError:
        raise not_found(job_id) from None
    audit("resume_job", job_id)
    if job is None:
        # The schedule has ended, so resuming removed the job: Flask-APScheduler
        # answers 200 with null, and so do we.
        return current_app.json.response(None)
    return job_json(job)


def run_job(job_id: str) -> ResponseReturnValue:
    from apscheduler.executors.base import MaxInstancesReachedError

    body()
    job = find_job(job_id)
    refuse_unregistered(job, "run")
    try:
        run = scheduler_manager().run_job(job_id)
    except MaxInstancesReachedError:
        raise APIError(
            409,
            f"Job {job_id!r} is already running {job.max_instances} time(s), its"
            " max_instances; try again when a run has finished.",
        ) from None
    audit("run_job", job_id)
    data = scheduler_manager().job_to_dict(scheduler_manager().get_job(job_id) or job)
    data["run"] = {
        "job_id": run.job_id,
        "scheduled_run_time": iso(run.scheduled_run_time),
        "runs_url": url_for(f"{request.blueprint}.get_job_runs", job_id=job_id),
    }
    return current_app.json.response(data)


def get_job_runs(job_id: str) -> ResponseReturnValue:
    form = query_form(PageForm)
    page, per_page = page_args(form)
    manager = scheduler_manager()
    rows, total = manager.history.runs(check_id(job_id), page=page, per_page=per_page)
    if total == 0 and manager.get_job(job_id) is None:
        raise not_found(job_id)
    items = [{key: iso(value) for key, value in row.items()} for row in rows]
    return paged_response(items, total, page, per_page)
