"""The :class:`SchedulerManager`, ``toolkit.scheduler``.

Pay for what you use: this module imports neither APScheduler nor the modules built on
it. An app's :class:`~flask_toolkit.scheduler.lifecycle.AppScheduling` (and with it
APScheduler) is made the first time the app needs its scheduler: when it starts, or
when a method here is called.
"""

from __future__ import annotations

import collections.abc as cabc
import datetime as dt
import threading
import typing as t
import weakref

from flask import Flask

from . import options
from .jobs import job_to_dict
from .jobs import Registry
from .jobs import RunRef
from .jobs import split_declaration
from .tasks import app_tasks
from .tasks import AppTasks
from .tasks import TASKS_KEY
from .tasks import warn_ignored_keys

if t.TYPE_CHECKING:
    from ..extension import Toolkit
    from .history import History
    from .lifecycle import AppScheduling
    from .runner import AppScheduler

F = t.TypeVar("F", bound=t.Callable[..., t.Any])
#: Guards making an app's scheduling state once.
_STATE_LOCK = threading.Lock()


class SchedulerManager:
    """APScheduler 3.x inside the app (the contract: ``flask_toolkit.scheduler``'s doc).

    Tasks declared at import time (``@toolkit.scheduler.task(...)``) are tasks of every
    app of the toolkit (see ``flask_toolkit.scheduler.tasks`` for the rules);
    everything else acts on the scheduler of ``current_app``, so call the methods
    inside an app context.

    :param toolkit: the owning :class:`~flask_toolkit.Toolkit`, for its database.
    """

    def __init__(self, toolkit: Toolkit) -> None:
        self._toolkit = toolkit
        self._registry = Registry()
        self._declared: list[dict[str, t.Any]] = []
        #: Apps that start their scheduler once something is scheduled.
        self._waiting: weakref.WeakSet[Flask] = weakref.WeakSet()
        #: Every app of this manager.
        self._apps: weakref.WeakSet[Flask] = weakref.WeakSet()

    # setup

    def init_app(self, app: Flask) -> None:
        """Register the scheduler on ``app``; start it when the app has jobs.

        No I/O, and no APScheduler unless the app uses the scheduler (config jobs,
        ``@task`` declarations, the REST API or the dashboard): then, with
        ``SCHEDULER_AUTOSTART = "auto"``, it starts and opens its job store in the
        background, retrying with back-off while the database is unreachable.
        ``SCHEDULER_API_ENABLED`` / ``SCHEDULER_DASHBOARD_ENABLED`` register the REST
        API / the dashboard.

        :raises RuntimeError: for a process-pool executor, which cannot run jobs in the
            app context, or when the API is enabled but the app cannot authenticate.
        """
        from ..state import get_state

        options.prepare_config(app)
        get_state(app).components[TASKS_KEY] = AppTasks(self._registry)
        warn_ignored_keys(app)
        if app.config["SCHEDULER_API_ENABLED"]:
            from .api import init_api

            init_api(app, self)
        if app.config["SCHEDULER_DASHBOARD_ENABLED"]:
            from .dashboard import init_dashboard

            init_dashboard(app)
        self._apps.add(app)
        in_use = options.has_work(app, len(self._declared))
        if in_use or app.config["SCHEDULER_AUTOSTART"] is True:
            # Makes the state (no I/O), which puts the scheduler's tables in
            # db.metadata; also under 'flask db migrate', which never starts it.
            self._state(app)
        policy = options.should_autostart(app)
        if policy is None:
            if in_use:
                policy = True
            else:
                # Started later if a task is declared or a job added in this process.
                self._waiting.add(app)
        if policy:
            self._state(app).start(background=True)

    def _state(self, app: Flask | None = None) -> AppScheduling:
        """The app's scheduling state, made on first use (this imports APScheduler)."""
        from ..state import get_state

        components = get_state(app).components
        state = components.get("scheduler")
        if state is None:
            with _STATE_LOCK:
                state = components.get("scheduler")
                if state is None:
                    state = self._make_state(get_state(app).toolkit, app)
                    components["scheduler"] = state
        return t.cast("AppScheduling", state)

    def _make_state(self, toolkit: Toolkit, app: Flask | None) -> AppScheduling:
        from flask import current_app

        from .lifecycle import AppScheduling
        from .tables import history_with_tables

        if app is None:
            app = t.cast(Flask, current_app._get_current_object())  # type: ignore[attr-defined]
        history = history_with_tables(app, self._toolkit.db)
        return AppScheduling(app, history, self._build, self._load_jobs)

    def _wake_waiting(self, app: Flask | None = None) -> None:
        """Something is scheduled now: start the apps (or ``app``) waiting for it."""
        for known in list(self._apps) if app is None else [app]:
            state = self._state(known)  # in use now: its tables go to db.metadata
            if known in self._waiting:
                self._waiting.discard(known)
                state.start(background=True)

    def _build(self, state: AppScheduling) -> AppScheduler:
        from .ids import exact_ids
        from .runner import AppScheduler

        engine = self._toolkit.db.get_engine(state.app)
        scheduler_options = options.scheduler_options(state.app, engine)
        for store in scheduler_options["jobstores"].values():
            exact_ids(store)
        return AppScheduler(state.runner, **scheduler_options)

    def _load_jobs(self, state: AppScheduling) -> None:
        from .declarations import load_jobs

        load_jobs(state, self._declared)

    def _scheduler(self) -> AppScheduler:
        return self._state().open()

    def jobstore_aliases(self) -> list[str]:
        """The names of the current app's job stores (``SCHEDULER_JOBSTORES``)."""
        return self._scheduler().jobstore_aliases()

    def executor_aliases(self) -> list[str]:
        """The names of the current app's executors (``SCHEDULER_EXECUTORS``)."""
        return self._scheduler().executor_aliases()

    # the registry

    def register(
        self, func: F, name: str | None = None, *, app: Flask | None = None
    ) -> F:
        """Allow ``func`` to be scheduled, as ``name`` (default ``"module:qualname"``).

        Usable as a decorator (``@toolkit.scheduler.register``).

        :param app: register the task for this app only (after ``init_app``); by
            default it is a task of every app of the toolkit.
        """
        (self._registry if app is None else app_tasks(app)).add(func, name)
        return func

    @property
    def registry(self) -> t.Mapping[str, t.Callable[..., t.Any]]:
        """Name -> function of every task that may be scheduled: the current app's
        tasks inside an app context, else those of every app.
        """
        try:
            return app_tasks().tasks()
        except RuntimeError:  # no app context, or an app without the toolkit
            return self._registry.as_mapping()

    def task(
        self, trigger: str | t.Any, id: str | None = None, **trigger_args: t.Any
    ) -> t.Callable[[F], F]:
        """Declare a scheduled job (and register its function), at import time.

        .. code-block:: python

            @toolkit.scheduler.task("cron", id="cleanup", hour=3)
            def cleanup(): ...

        The job is added to each app's scheduler when it opens, and brought up to date
        on later starts (see the restart policy in the docs). Job options (``args``,
        ``kwargs``, ``name``, ``misfire_grace_time``, ``coalesce``, ``max_instances``,
        ``jobstore``, ``executor``) go beside the trigger arguments.

        :param trigger: ``"date"``, ``"interval"``, ``"cron"`` or a trigger instance.
        :param id: the job id; default the function's name.
        """

        def decorator(func: F) -> F:
            name = self._registry.add(func)
            self._declared.append(
                {
                    **trigger_args,
                    "id": id or func.__name__,
                    "func": name,
                    "trigger": trigger,
                }
            )
            self._wake_waiting()
            return func

        return decorator

    # job control

    def add_job(
        self,
        id: str,
        func: str | t.Callable[..., t.Any],
        trigger: t.Any = None,
        **kwargs: t.Any,
    ) -> t.Any:
        """Add a job running the registered task ``func``; return the APScheduler job.

        The job is named after its id unless ``name`` is given, as in
        Flask-APScheduler.

        :param kwargs: job options (``args``, ``kwargs``, ``name``, ``next_run_time``,
            ``replace_existing``, ...) and the trigger's arguments.
        :raises UnknownTaskError: if ``func`` is not a task of the current app.
        """
        _, callable_ = app_tasks().resolve(func)
        options, _, trigger_args = split_declaration({**kwargs, "id": id})
        options.pop("id")
        if not options.get("name"):
            options["name"] = id
        scheduler = self._scheduler()
        self._wake_waiting(self._state().app)
        if trigger is not None and not isinstance(trigger, (str, cabc.Mapping)):
            built = trigger
        else:
            if isinstance(trigger, cabc.Mapping):
                trigger_args = {**trigger, **trigger_args}
                trigger = trigger_args.pop("type", None)
            built = scheduler.create_trigger(trigger, trigger_args)
        return scheduler.add_job(callable_, trigger=built, id=id, **options)

    def modify_job(
        self, id: str, jobstore: str | None = None, **changes: t.Any
    ) -> t.Any:
        """Change a job's options (``func`` only to a registered task); return it."""
        if "func" in changes:
            changes["func"] = app_tasks().resolve(changes["func"])[1]
        return self._scheduler().modify_job(id, jobstore, **changes)

    def reschedule_job(
        self,
        id: str,
        trigger: t.Any,
        jobstore: str | None = None,
        **trigger_args: t.Any,
    ) -> t.Any:
        """Replace a job's trigger (the next run time follows it); return the job."""
        return self._scheduler().reschedule_job(id, jobstore, trigger, **trigger_args)

    def remove_job(self, id: str, jobstore: str | None = None) -> None:
        """Remove a job.

        :raises ~apscheduler.jobstores.base.JobLookupError: if there is no such job.
        """
        self._scheduler().remove_job(id, jobstore)

    def remove_all_jobs(self, jobstore: str | None = None) -> None:
        """Remove every job (of one job store)."""
        self._scheduler().remove_all_jobs(jobstore)

    def get_job(self, id: str, jobstore: str | None = None) -> t.Any:
        """The APScheduler job with this id, or ``None``."""
        return self._scheduler().get_job(id, jobstore)

    def get_jobs(self, jobstore: str | None = None) -> list[t.Any]:
        """Every job (loads all of them; prefer :meth:`list_jobs` for pages)."""
        return list(self._scheduler().get_jobs(jobstore))

    def pause_job(self, id: str, jobstore: str | None = None) -> t.Any:
        """Stop a job from running until :meth:`resume_job`; return the job."""
        return self._scheduler().pause_job(id, jobstore)

    def resume_job(self, id: str, jobstore: str | None = None) -> t.Any:
        """Resume a paused job; return the job."""
        return self._scheduler().resume_job(id, jobstore)

    def run_job(self, id: str, jobstore: str | None = None) -> RunRef:
        """Run a job now, in this process, through its executor and the history.

        The schedule does not change. Returns the run's :class:`RunRef`.

        :raises ~apscheduler.jobstores.base.JobLookupError: if there is no such job.
        :raises ~apscheduler.executors.base.MaxInstancesReachedError: if it already runs
            ``max_instances`` times.
        """
        from apscheduler.jobstores.base import JobLookupError

        scheduler = self._scheduler()
        job = scheduler.get_job(id, jobstore)
        if job is None:
            raise JobLookupError(id)
        now = dt.datetime.now(scheduler.timezone)
        scheduler.lookup_executor(job.executor).submit_job(job, [now])
        return RunRef(job.id, now)

    def list_jobs(
        self,
        page: int = 1,
        per_page: int = 100,
        state: str | None = None,
        next_run_from: dt.datetime | None = None,
        next_run_to: dt.datetime | None = None,
        jobstore: str | None = None,
        sort: str = "next_run_time",
    ) -> tuple[list[t.Any], int]:
        """One page of jobs and the total, reading only that page from the store.

        :param state: ``"scheduled"`` or ``"paused"``.
        :param sort: ``"next_run_time"`` (soonest first, paused jobs last),
            ``"-next_run_time"`` (latest first, paused jobs last), ``"id"`` or
            ``"-id"``.
        :raises ValueError: for a bad ``state``, ``sort`` or page numbers.
        :raises KeyError: for an unknown job store.
        """
        from . import listing

        return listing.list_page(
            self._scheduler(),
            page,
            per_page,
            state,
            next_run_from,
            next_run_to,
            jobstore,
            sort,
        )

    def job_to_dict(self, job: t.Any) -> dict[str, t.Any]:
        """A job as JSON-ready dict in Flask-APScheduler's format, plus more fields.

        ``registered`` is ``False`` for a job whose function is neither a task of the
        current app nor the function its ``SCHEDULER_JOBS`` entry gives it.
        """
        return job_to_dict(job, app_tasks())

    # the scheduler

    def start(self) -> None:
        """Start the current app's scheduler: it runs jobs while it holds the lease.

        The job store is opened here, so a database that cannot be reached raises;
        the scheduler that ``init_app`` starts opens it in the background instead.
        """
        self._state().start()

    def shutdown(self, wait: bool = True) -> None:
        """Stop the current app's scheduler (waiting for running jobs if ``wait``)."""
        self._state().shutdown(wait)

    def pause(self) -> None:
        """Stop processing jobs in this process (jobs keep their schedule)."""
        self._state().set_paused(True)

    def resume(self) -> None:
        """Undo :meth:`pause`."""
        self._state().set_paused(False)

    @property
    def running(self) -> bool:
        """Whether the scheduler was started in this process (leading or standby)."""
        return self._state().started

    @property
    def state(self) -> str:
        """``"stopped"``, ``"standby"``, ``"running"`` or ``"paused"``."""
        return self._state().state_name()

    def leader_info(self) -> dict[str, t.Any]:
        """Who runs the jobs: ``is_leader``, ``leader``, ``lock``, ``state``, this
        process' ``host`` and ``pid``; and from the heartbeats in the job store
        ``processes``, ``standbys``, ``renewed_at`` (see :doc:`/dashboard`).
        """
        from .heartbeat import cluster_info

        return cluster_info(self._state())

    @property
    def history(self) -> History:
        """The current app's run history (``history.runs(job_id, page, per_page)``)."""
        return self._state().history
