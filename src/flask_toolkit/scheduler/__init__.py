"""The APScheduler manager, ``toolkit.scheduler``.

APScheduler 3.x inside the Flask app: jobs from config (``SCHEDULER_JOBS`` /
``JOBS``) or the ``@toolkit.scheduler.task(...)`` decorator, a persistent job store in
the app's own database by default, every job run inside the app context, one active
scheduler across processes (a leader lease through the job store's own server) and a
run history table.

Interface used by the REST API (``api.py``)
-------------------------------------------

Every method of :class:`SchedulerManager` acts on ``current_app``'s scheduler, so call
them inside an app context (a request, ``app.app_context()``, a CLI command). A method
that needs the job store opens it on first use, in *standby* mode (store readable and
writable, no jobs run by this process) when the scheduler was not started, so the API
works the same in the leader, in a standby process and in a process that never starts
the scheduler.

Registry
    ``registry`` -> ``Mapping[str, Callable]``: the only functions the API may schedule,
    those of the current app (:mod:`~flask_toolkit.scheduler.tasks`). Names are
    ``"module:qualname"`` unless given. Filled by ``@task`` and ``register(func,
    name=None)`` for every app, ``register(func, app=app)`` for one; the ``func`` of a
    config job only runs as configured and is not in it.

Declaring and controlling jobs (APScheduler semantics and exceptions)
    ``task(trigger, id=None, **trigger_args)`` decorator; ``add_job(id, func,
    trigger=None, **kwargs)`` where ``func`` is a registered name or a registered
    callable (``KeyError``-derived :class:`UnknownTaskError` otherwise) and ``kwargs``
    are ``args``, ``kwargs``, ``name``, ``misfire_grace_time``, ``coalesce``,
    ``max_instances``, ``next_run_time``, ``jobstore``, ``executor``,
    ``replace_existing`` plus the trigger's own arguments (``seconds=10``,
    ``hour="*/2"``, ...). ``modify_job(id, **changes)`` (``func`` may again only be a
    registered name), ``reschedule_job(id, trigger, **trigger_args)``,
    ``remove_job(id)``, ``remove_all_jobs()``, ``get_job(id)`` -> APScheduler ``Job`` or
    ``None``, ``get_jobs()``, ``pause_job(id)``, ``resume_job(id)``. A missing id raises
    APScheduler's ``JobLookupError``, a duplicate id ``ConflictingIdError``, a bad
    trigger argument ``ValueError`` / ``TypeError``.

``run_job(id)``
    Run the job now, through its executor and inside the app context, without changing
    its schedule; the run is recorded in the history. Returns a :class:`RunRef`
    (``job_id``, ``scheduled_run_time``) that matches the history row. Raises
    ``JobLookupError``, or APScheduler's ``MaxInstancesReachedError`` when the job is
    already running ``max_instances`` times in this process.

Scheduler state
    ``start()``, ``shutdown(wait=True)``, ``pause()``, ``resume()`` (this process only),
    ``running`` -> bool, ``state`` -> ``"stopped" | "standby" | "running" | "paused"``
    (``"stopped"``: not started in this process, though its store may be open for
    the API; ``"standby"``: started, another process leads). ``leader_info()`` ->
    dict with ``is_leader`` (bool), ``leader`` (``{"host", "pid"}`` or ``None`` if
    unknown), ``lock`` (``"file" | "postgresql" | "mysql" | "redis" | "none"``),
    ``state``, ``host``, ``pid``; and, read from the heartbeats in the job store,
    ``processes`` (each ``host``, ``pid``, ``role``, ``state``, ``started_at``,
    ``seen_at``, ``renewed_at``, ``gone``), ``standbys``, ``renewed_at``,
    ``heartbeat_interval`` and ``shared`` (see :mod:`.heartbeat`).

Listing
    ``list_jobs(page=1, per_page=100, state=None, next_run_from=None,
    next_run_to=None, jobstore=None)`` -> ``(jobs, total)``: one page, ordered by
    ``next_run_time`` (paused jobs last) then id; ``state`` is ``"scheduled"`` or
    ``"paused"``; on an SQLAlchemy store only the page's rows are read and un-pickled.
    ``job_to_dict(job)`` -> JSON-ready dict in Flask-APScheduler's job format (``id``,
    ``name``, ``func``, ``args``, ``kwargs``, ``trigger`` and its fields,
    ``misfire_grace_time``, ``max_instances``, ``next_run_time`` as ISO 8601) plus
    ``coalesce``, ``jobstore``, ``executor``, ``paused``, ``registered``. ``func``
    is the registry name.

History
    ``history.runs(job_id, page=1, per_page=50)`` -> ``(rows, total)``, newest first;
    each row a dict: ``id``, ``job_id``, ``scheduled_run_time``, ``started_at``,
    ``finished_at``, ``duration`` (seconds), ``status`` (``"claimed" | "running" |
    "success" | "error" | "missed" | "skipped" | "interrupted"``), ``error``,
    ``traceback``, ``host``, ``pid``.

Inside a job, :func:`current_run` gives the :class:`RunRef` of the run in progress.
"""

from __future__ import annotations

from . import cli as _cli  # noqa: F401  (adds 'flask toolkit jobs')
from .jobs import current_run
from .jobs import RunRef
from .jobs import UnknownTaskError
from .manager import SchedulerManager

__all__ = ["RunRef", "SchedulerManager", "UnknownTaskError", "current_run"]
