"""The dashboard's pages: the jobs, one job with its runs, the cluster; and actions.

Read through the public methods of :class:`~flask_toolkit.scheduler.SchedulerManager`
only, so they work in the leader, in a standby and in a process that never starts
the scheduler, as the REST API does.
"""

from __future__ import annotations

import datetime as dt
import typing as t

from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import validate_csrf
from werkzeug.datastructures import MultiDict
from wtforms import ValidationError

from ...auth import safe_next_url
from ...errors import APIError
from ..audit import audit
from ..requests import check_id
from ..requests import scheduler_manager
from ..roster import DROP_AFTER
from ..roster import GONE_AFTER
from ..schemas import JOB_STATES
from ..schemas import ListJobsForm
from ..schemas import PageForm
from ..schemas import SORT_KEYS
from . import chart
from .describe import as_utc
from .describe import span_in_words
from .describe import trigger_in_words

#: Runs listed per page on a job's page.
RUNS_PER_PAGE = 20
#: The chart's choices of window, in hours.
CHART_HOURS = (24, 48)
#: History rows read for the chart at most (a job running every minute for 48 hours).
CHART_MAX_ROWS = 3000

_ACTIONS = {
    "pause": ("pause_job", "Paused"),
    "resume": ("resume_job", "Resumed"),
    "run": ("run_job", "Started a run of"),
    "delete": ("delete_job", "Deleted"),
}


#: The query parameters of the jobs list that have a field of their own on the page.
_FILTER_FIELDS = frozenset(
    ("state", "jobstore", "next_run_from", "next_run_to", "sort", "page", "per_page")
)


def _query(
    form_class: type[t.Any], only: t.Container[str] | None = None
) -> tuple[t.Any, dict[str, list[str]]]:
    """Validate the query string (empty inputs left out, and only the names in
    ``only`` if given); the form and its errors.
    """
    sent = MultiDict(
        [
            (k, v)
            for k, v in request.args.items(multi=True)
            if v != "" and (only is None or k in only)
        ]
    )
    form = form_class(json={}, query=sent)
    return form, ({} if form.validate() else dict(form.errors))


def _page_links(page: int, per_page: int, total: int) -> dict[str, t.Any]:
    pages = max(1, -(-total // per_page))
    args = request.args.to_dict()

    def link(number: int) -> str | None:
        if not 1 <= number <= pages or number == page:
            return None
        return url_for(
            t.cast(str, request.endpoint),
            **{**(request.view_args or {}), **args, "page": number},
        )

    return {
        "page": page,
        "pages": pages,
        "total": total,
        "prev": link(page - 1),
        "next": link(page + 1),
    }


def _last_run(job_id: str) -> dict[str, t.Any] | None:
    rows, _ = scheduler_manager().history.runs(job_id, page=1, per_page=1)
    return rows[0] if rows else None


def job_row(job: t.Any) -> dict[str, t.Any]:
    """What the pages show of one APScheduler job."""
    data = scheduler_manager().job_to_dict(job)
    return {
        "id": job.id,
        "name": data.get("name") or job.id,
        "func": data.get("func"),
        "trigger": trigger_in_words(job.trigger),
        "trigger_type": data.get("trigger"),
        "next_run": as_utc(job.next_run_time),
        "paused": job.next_run_time is None,
        # Added by the manager for jobs whose function is not a registered task.
        "registered": data.get("registered", True) is not False,
        "jobstore": data.get("jobstore"),
        "executor": data.get("executor"),
        "max_instances": data.get("max_instances"),
        "misfire_grace_time": data.get("misfire_grace_time"),
        "coalesce": data.get("coalesce"),
        "args": data.get("args"),
        "kwargs": data.get("kwargs"),
    }


def jobs() -> ResponseReturnValue:
    """The jobs, one page at a time, with the REST API's filters."""
    manager = scheduler_manager()
    cfg = current_app.config
    form, errors = _query(ListJobsForm)
    ok = not errors
    page = (form.page.data if ok else None) or 1
    per_page = (form.per_page.data if ok else None) or cfg[
        "SCHEDULER_DASHBOARD_PER_PAGE"
    ]
    per_page = min(int(per_page), int(cfg["SCHEDULER_API_MAX_PER_PAGE"]))
    filters: dict[str, t.Any] = {}
    if ok:
        state = form.state.data
        filters = {
            "state": "scheduled" if state == "active" else state,
            "next_run_from": form.next_run_from.data,
            "next_run_to": form.next_run_to.data,
            "jobstore": form.jobstore.data,
            "sort": form.sort.data or "next_run_time",
        }
    items, total = manager.list_jobs(page, per_page, **filters)
    rows = [dict(job_row(job), last=_last_run(job.id)) for job in items]
    return render_template(
        "toolkit_dashboard/jobs.html",
        rows=rows,
        errors=errors,
        other_errors=[
            f"{name}: {' '.join(map(str, messages))}"
            for name, messages in errors.items()
            if name not in _FILTER_FIELDS
        ],
        args=request.args,
        states=JOB_STATES,
        sorts=SORT_KEYS,
        jobstores=manager.jobstore_aliases(),
        paging=_page_links(page, per_page, total),
        per_page=per_page,
    )


def _chart_rows(job_id: str, since: dt.datetime) -> list[dict[str, t.Any]]:
    """The job's history rows back to ``since`` (at most :data:`CHART_MAX_ROWS`)."""
    history = scheduler_manager().history
    collected: list[dict[str, t.Any]] = []
    page, size = 1, 500
    while len(collected) < CHART_MAX_ROWS:
        rows, total = history.runs(job_id, page=page, per_page=size)
        collected.extend(rows)
        oldest = chart.run_time(rows[-1]) if rows else None
        if not rows or page * size >= total or (oldest is not None and oldest < since):
            break
        page += 1
    return collected


def job(job_id: str) -> ResponseReturnValue:
    """One job: its settings, its runs, the runs-over-time chart and the actions."""
    manager = scheduler_manager()
    found = manager.get_job(check_id(job_id))
    form, errors = _query(PageForm, only=("page", "per_page"))
    page = (form.page.data if not errors else None) or 1
    runs, total = manager.history.runs(job_id, page=page, per_page=RUNS_PER_PAGE)
    if found is None and total == 0:
        raise APIError(404, f"There is no job {job_id!r}, and no run of one.")
    try:
        hours = int(request.args.get("hours", CHART_HOURS[0]))
    except ValueError:
        hours = CHART_HOURS[0]
    if hours not in CHART_HOURS:
        hours = CHART_HOURS[0]
    now = dt.datetime.now(dt.timezone.utc)
    buckets = chart.hourly(
        _chart_rows(job_id, now - dt.timedelta(hours=hours)), hours, now
    )
    return render_template(
        "toolkit_dashboard/job.html",
        job_id=job_id,
        job=None if found is None else job_row(found),
        runs=runs,
        errors=errors,
        paging=_page_links(page, RUNS_PER_PAGE, total),
        chart=chart.render(buckets),
        history_enabled=manager.history.enabled,
        hours=hours,
        chart_hours=CHART_HOURS,
        totals={k: sum(b.counts[k] for b in buckets) for k in chart.SERIES},
    )


def cluster() -> ResponseReturnValue:
    """Who leads, the lease, the scheduler processes seen in the job store, and this
    process.
    """
    manager = scheduler_manager()
    info = manager.leader_info()
    _, scheduled = manager.list_jobs(1, 1, state="scheduled")
    _, paused = manager.list_jobs(1, 1, state="paused")
    known = {"is_leader", "leader", "lock", "state", "host", "pid", "standbys"}
    known |= {"renewed_at", "processes", "heartbeat_interval", "shared"}
    interval = info.get("heartbeat_interval") or 0
    return render_template(
        "toolkit_dashboard/cluster.html",
        info=info,
        leader=info.get("leader"),
        renewed=info.get("renewed_at"),
        standbys=info.get("standbys") or [],
        processes=info.get("processes") or [],
        interval=span_in_words(interval) if interval else None,
        gone_after=span_in_words(GONE_AFTER * interval) if interval else None,
        drop_after=span_in_words(DROP_AFTER * interval) if interval else None,
        extra={k: v for k, v in info.items() if k not in known},
        scheduled=scheduled,
        paused=paused,
        jobstores=manager.jobstore_aliases(),
        executors=manager.executor_aliases(),
    )


def _check_csrf() -> None:
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError as error:
        reason = error.args[0] if error.args else "The CSRF token is invalid."
        raise APIError(
            400,
            f"{reason} Reload the dashboard page and try again: every action must"
            " come from a dashboard form.",
        ) from None


def act(job_id: str, action: str) -> ResponseReturnValue:
    """Pause, resume, run now or delete a job; back to where the form was."""
    from apscheduler.executors.base import MaxInstancesReachedError
    from apscheduler.jobstores.base import JobLookupError

    _check_csrf()
    manager = scheduler_manager()
    found = manager.get_job(check_id(job_id))
    if found is None:
        raise APIError(404, f"There is no job {job_id!r}; it may have been deleted.")
    if action in ("run", "resume") and not job_row(found)["registered"]:
        raise APIError(
            409,
            f"Job {job_id!r} runs a function that is not a registered task, so it"
            " cannot be run or resumed from here.",
        )
    audit_name, verb = _ACTIONS[action]
    target = safe_next_url(request.form.get("next")) or url_for(".job", job_id=job_id)
    try:
        if action == "pause":
            manager.pause_job(job_id)
        elif action == "resume":
            if manager.resume_job(job_id) is None:
                verb = "Resumed (its schedule had ended, so it was removed):"
                target = url_for(".jobs")
        elif action == "run":
            manager.run_job(job_id)
        else:
            manager.remove_job(job_id)
            target = url_for(".jobs")
    except JobLookupError:
        raise APIError(404, f"Job {job_id!r} was deleted just now.") from None
    except MaxInstancesReachedError:
        flash(
            f"Job {job_id!r} is already running {found.max_instances} time(s), its"
            " max_instances; try again when a run has finished.",
            "error",
        )
        return redirect(target, 303)
    audit(audit_name, job_id)
    flash(f"{verb} job {job_id!r}.", "success")
    return redirect(target, 303)
