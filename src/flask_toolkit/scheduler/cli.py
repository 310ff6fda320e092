"""``flask toolkit jobs ...``: list, run, pause and resume jobs from the shell.

The commands open the job store in standby mode: they read and write the shared store
(the leader picks changes up within a second) and never run scheduled jobs themselves;
``run`` runs the one job in the command's own process and waits for it.
"""

from __future__ import annotations

import datetime as dt
import typing as t

import click
from flask import current_app
from flask.cli import with_appcontext

from ..cli import toolkit_cli


def _manager() -> t.Any:
    from ..state import get_state

    return get_state().toolkit.scheduler


def _scheduling() -> t.Any:
    return _manager()._state()


def _job_lookup_error() -> type[Exception]:
    # APScheduler is imported when a command runs, not when the CLI is registered.
    from apscheduler.jobstores.base import JobLookupError

    return t.cast("type[Exception]", JobLookupError)


@toolkit_cli.group("jobs")
def jobs_cli() -> None:
    """Scheduled jobs: list, run now, pause, resume."""


@jobs_cli.command("list")
@click.option(
    "--unregistered",
    is_flag=True,
    help="Only the jobs whose function is not a registered task.",
)
@with_appcontext
def list_command(unregistered: bool) -> None:
    """List the jobs of the job stores, next run first.

    A job whose function is not a registered task (nor its SCHEDULER_JOBS function)
    is marked UNREGISTERED: it keeps its schedule, but the API will not run it.
    """
    manager = _manager()
    jobs, _ = manager.list_jobs(page=1, per_page=10_000)
    shown = 0
    for job in jobs:
        data = manager.job_to_dict(job)
        if unregistered and data["registered"]:
            continue
        shown += 1
        when = "paused" if data["paused"] else data["next_run_time"]
        mark = "" if data["registered"] else "\tUNREGISTERED"
        click.echo(f"{data['id']}\t{data['func']}\t{job.trigger}\t{when}{mark}")
    if not shown:
        click.echo("No unregistered jobs." if unregistered else "No jobs.")


@jobs_cli.command("run")
@click.argument("job_id")
@with_appcontext
def run_command(job_id: str) -> None:
    """Run JOB_ID now, in this process, and wait for it (the schedule is unchanged)."""
    state = _scheduling()
    scheduler = state.open()
    job = scheduler.get_job(job_id)
    if job is None:
        raise click.ClickException(_missing(job_id))
    now = dt.datetime.now(scheduler.timezone)
    events = state.runner.run(job, job._jobstore_alias, [now], "apscheduler.executors")
    failed = [e for e in events if getattr(e, "exception", None) is not None]
    if failed:
        raise click.ClickException(f"Job {job_id!r} failed: {failed[0].exception!r}")
    click.echo(f"Job {job_id!r} ran.")


@jobs_cli.command("pause")
@click.argument("job_id")
@with_appcontext
def pause_command(job_id: str) -> None:
    """Pause JOB_ID: it keeps its settings and does not run until resumed."""
    try:
        _manager().pause_job(job_id)
    except _job_lookup_error():
        raise click.ClickException(_missing(job_id)) from None
    click.echo(f"Job {job_id!r} paused.")


@jobs_cli.command("resume")
@click.argument("job_id")
@with_appcontext
def resume_command(job_id: str) -> None:
    """Resume JOB_ID from its next scheduled time."""
    try:
        job = _manager().resume_job(job_id)
    except _job_lookup_error():
        raise click.ClickException(_missing(job_id)) from None
    when = job.next_run_time.isoformat() if job and job.next_run_time else "never"
    click.echo(f"Job {job_id!r} resumed; next run {when}.")


def _missing(job_id: str) -> str:
    return (
        f"No job {job_id!r} in the job stores of {current_app.name!r};"
        " see 'flask toolkit jobs list'."
    )
