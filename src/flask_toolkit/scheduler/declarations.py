"""Declared jobs (config ``SCHEDULER_JOBS``, ``@task``) into a newly opened scheduler.

Run each time a process opens its scheduler, so the policy on restart lives here.
"""

from __future__ import annotations

import datetime as dt
import typing as t

from apscheduler.jobstores.base import ConflictingIdError

from .jobs import split_declaration
from .jobs import SYNCED_OPTIONS
from .jobs import trigger_key
from .tasks import app_tasks
from .tasks import warn_unregistered

if t.TYPE_CHECKING:
    from .lifecycle import AppScheduling


def load_jobs(state: AppScheduling, declared: list[dict[str, t.Any]]) -> None:
    """Add the config jobs and the ``@task`` declarations to a new scheduler."""
    cfg = state.app.config
    tasks = app_tasks(state.app)
    for spec in tasks.configure(cfg["SCHEDULER_JOBS"] or cfg.get("JOBS") or []):
        sync_job(state, spec)
    for spec in declared:
        sync_job(state, dict(spec))
    warn_unregistered(state.app, state.scheduler, tasks)


def sync_job(state: AppScheduling, spec: dict[str, t.Any]) -> None:
    """Add a declared job, or bring the stored job of that id up to date.

    The policy on restart: the function, arguments, name and the job options given
    in the declaration are re-applied; the trigger is replaced only when it changed
    (see :func:`~flask_toolkit.scheduler.jobs.trigger_key`), so the schedule does
    not shift; a job paused through the API or CLI stays paused.
    """
    scheduler = state.open()
    options, trigger_name, trigger_args = split_declaration(spec)
    options.pop("replace_existing", None)
    job_id = options.pop("id")
    if not options.get("name"):  # as Flask-APScheduler: named after the id
        options["name"] = job_id
    func = options.pop("func")
    if not callable(func):
        func = app_tasks(state.app).resolve(func)[1]
    jobstore = options.pop("jobstore", None)
    trigger = scheduler.create_trigger(trigger_name, trigger_args)
    existing = scheduler.get_job(job_id, jobstore)
    if existing is None:
        try:
            scheduler.add_job(
                func,
                trigger=trigger,
                id=job_id,
                jobstore=jobstore or "default",
                **options,
            )
            return
        except ConflictingIdError:  # another process added it just now
            existing = scheduler.get_job(job_id, jobstore)
            if existing is None:
                raise
    wanted: dict[str, t.Any] = {"args": (), "kwargs": {}}
    wanted.update({k: options[k] for k in SYNCED_OPTIONS if k in options})
    wanted["args"] = tuple(wanted["args"])
    changes = {k: v for k, v in wanted.items() if getattr(existing, k) != v}
    if existing.func is not func:
        changes["func"] = func
    if trigger_key(existing.trigger) != trigger_key(trigger):
        changes["trigger"] = trigger
        if existing.next_run_time is not None:
            now = dt.datetime.now(scheduler.timezone)
            changes["next_run_time"] = trigger.get_next_fire_time(None, now)
    if changes:
        # Only what changed is written: every process loads the declarations when
        # it starts, and a needless write could put back a next run time that the
        # leader has just moved on.
        scheduler.modify_job(job_id, existing._jobstore_alias, **changes)
