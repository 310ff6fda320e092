"""Each app's tasks, and the jobs whose function is none of them.

:class:`AppTasks`, kept in the app's toolkit state, is what one app may schedule: the
tasks declared on the manager (``@scheduler.task`` / ``scheduler.register``, available
to every app of the toolkit, whenever it is registered), the tasks registered for that
app alone (``register(func, app=app)``), and, apart, the functions of the app's
``SCHEDULER_JOBS``. A config function runs only as its job is configured: it is not a
task, so neither the API nor :meth:`~flask_toolkit.scheduler.SchedulerManager.add_job`
can schedule it again, with other arguments.

Any other job in a store (an ``"os:system"`` job of a Flask-APScheduler store, say) is
*unregistered*: it keeps its schedule on the scheduler, a warning names it when the
scheduler opens, and the API lists, pauses and deletes it but never runs it.
"""

from __future__ import annotations

import typing as t

from flask import Flask

from ..state import get_state
from .jobs import default_name
from .jobs import import_ref
from .jobs import Registry
from .jobs import UnknownTaskError

#: The key of an app's :class:`AppTasks` in its toolkit state.
TASKS_KEY = "scheduler_tasks"

#: :meth:`AppTasks.kind` of a job whose function is a registered task.
TASK = "task"
#: ... of a job declared in the app's ``SCHEDULER_JOBS``, with its configured function.
CONFIGURED = "configured"
#: ... of any other job: its function is not known to the app (a legacy store's
#: ``"os:system"`` job, say). It keeps its schedule, but the API will not run it.
UNREGISTERED = "unregistered"

_HOW_TO_REGISTER = (
    "Register the function with '@toolkit.scheduler.task(...)' or"
    " 'toolkit.scheduler.register(func)'"
)


class AppTasks:
    """The functions one app's scheduler knows (kept in the app's toolkit state).

    :param shared: the manager's registry: tasks declared with ``@scheduler.task`` or
        ``scheduler.register``, available to every app of the toolkit.
    """

    def __init__(self, shared: Registry) -> None:
        self.shared = shared
        #: Tasks registered for this app only (``register(func, app=app)``).
        self.own = Registry()
        #: Config job id -> the function ``SCHEDULER_JOBS`` gives it.
        self.configured: dict[str, t.Callable[..., t.Any]] = {}
        #: Config job id -> the ``func`` reference as configured.
        self.configured_refs: dict[str, str] = {}

    def configure(self, specs: t.Iterable[t.Any]) -> list[dict[str, t.Any]]:
        """Check the ``SCHEDULER_JOBS`` entries; return them with ``func`` imported.

        Each function is kept for its job id in :attr:`configured`: it runs as
        configured, but it does not become a task.

        :raises ValueError: for an entry without ``id`` or ``func``.
        """
        result = []
        for spec in specs:
            spec = dict(spec)
            if not spec.get("id"):
                raise ValueError(
                    f"Every job in SCHEDULER_JOBS needs an 'id' so that restarts update"
                    f" it instead of adding a copy: {spec!r}"
                )
            func = spec.get("func")
            if isinstance(func, str):
                self.configured_refs[spec["id"]] = func
                func = import_ref(func)
            elif not callable(func):
                raise ValueError(
                    f"The job {spec['id']!r} in SCHEDULER_JOBS needs a 'func': a"
                    " function or its 'package.module:function' reference."
                )
            self.configured[spec["id"]] = spec["func"] = func
            result.append(spec)
        return result

    def add(self, func: t.Callable[..., t.Any], name: str | None = None) -> str:
        """Register a task for this app only; return its name.

        :raises ValueError: if the name is taken by another function.
        """
        name = name or default_name(func)
        if name in self.shared and self.shared.resolve(name)[1] is not func:
            raise ValueError(
                f"Another function is already registered as task {name!r}; pass a"
                " different 'name='."
            )
        return self.own.add(func, name)

    def tasks(self) -> dict[str, t.Callable[..., t.Any]]:
        """Name -> function of every task this app may schedule."""
        return {**self.shared.as_mapping(), **self.own.as_mapping()}

    def resolve(
        self, func: str | t.Callable[..., t.Any]
    ) -> tuple[str, t.Callable[..., t.Any]]:
        """``(name, function)`` of a task of this app, by name or function.

        :raises UnknownTaskError: if it is not a registered task of this app.
        """
        try:
            return self.own.resolve(func)
        except UnknownTaskError:
            pass
        try:
            return self.shared.resolve(func)
        except UnknownTaskError:
            shown = func if isinstance(func, str) else repr(func)
            raise UnknownTaskError(
                f"{shown!r} is not a registered task. {_HOW_TO_REGISTER}; registered"
                f" tasks: {', '.join(sorted(self.tasks())) or 'none'}."
            ) from None

    def name_of(self, func: t.Any, func_ref: str | None) -> str | None:
        """The task name of a job's function, else its import reference."""
        name = self.own.name_of(func, None) or self.shared.name_of(func, None)
        return name or func_ref

    def func_name(self, job: t.Any) -> str | None:
        """What the job JSON shows as ``func``: the task name, the reference its
        ``SCHEDULER_JOBS`` entry gives, else the import reference."""
        func, job_id = getattr(job, "func", None), str(getattr(job, "id", ""))
        name = self.own.name_of(func, None) or self.shared.name_of(func, None)
        if name is None and func is not None and self.configured.get(job_id) is func:
            name = self.configured_refs.get(job_id)
        return name or getattr(job, "func_ref", None)

    def kind(self, job: t.Any) -> str:
        """:data:`TASK`, :data:`CONFIGURED` or :data:`UNREGISTERED` for a job."""
        func = getattr(job, "func", None)
        if self.own.name_of(func, None) or self.shared.name_of(func, None):
            return TASK
        if func is not None and self.configured.get(job.id) is func:
            return CONFIGURED
        return UNREGISTERED


def unregistered_message(job: t.Any, action: str) -> str:
    """Why the API will not ``action`` a job whose function is not a task."""
    ref = getattr(job, "func_ref", None) or repr(getattr(job, "func", None))
    return (
        f"Job {job.id!r} runs {ref!r}, which is not a registered task, so it cannot be"
        f" {action} through the API; it can be listed, paused and deleted. To allow"
        f" it: {_HOW_TO_REGISTER} in the app's code, or PATCH the job's 'func' to a"
        " registered task."
    )


def app_tasks(app: Flask | None = None) -> AppTasks:
    """The :class:`AppTasks` of ``app`` (default: the current app)."""
    return t.cast(AppTasks, get_state(app).components[TASKS_KEY])


#: Flask-APScheduler settings that do nothing here, and what to use instead.
IGNORED_KEYS = {
    "SCHEDULER_AUTH": (
        "the scheduler API authenticates with the toolkit's auth: give operators the"
        " 'scheduler:read' / 'scheduler:write' permissions"
    ),
    "SCHEDULER_ALLOWED_HOSTS": (
        "leader election already runs the jobs in one process at a time; on a host"
        " that must never run jobs, set SCHEDULER_AUTOSTART = False"
    ),
}


def warn_ignored_keys(app: Flask) -> None:
    """Log a warning for each Flask-APScheduler key of :data:`IGNORED_KEYS` set."""
    for key, instead in IGNORED_KEYS.items():
        if key in app.config:
            app.logger.warning(
                "%s is a Flask-APScheduler setting that has no effect here: %s.",
                key,
                instead,
            )


#: How many jobs (the first by id) opening the scheduler checks for unregistered
#: functions: few enough that opening stays fast with many jobs.
CHECKED_AT_OPEN = 1000


def warn_unregistered(app: Flask, scheduler: t.Any, tasks: AppTasks) -> None:
    """Log one warning naming the jobs whose function is not known to the app.

    Only the first :data:`CHECKED_AT_OPEN` jobs by id are read (a full scan costs about
    0.3 s per 10,000 jobs, in every process that opens the scheduler).
    """
    from . import listing  # APScheduler's, loaded only once a scheduler opens

    jobs, total = listing.list_page(
        scheduler, 1, CHECKED_AT_OPEN, None, None, None, None, "id"
    )
    found = [job for job in jobs if tasks.kind(job) == UNREGISTERED]
    if not found:
        return
    shown = ", ".join(f"{job.id!r} ({job.func_ref})" for job in found[:20])
    more = f" and {len(found) - 20} more" if len(found) > 20 else ""
    if total > len(jobs):
        more += f" among the first {len(jobs)} of {total} jobs"
    app.logger.warning(
        "%d job(s) in the job stores run functions that are not registered tasks:"
        " %s%s. They keep their schedule, but the scheduler API only lists, pauses"
        " and deletes them. %s to manage them fully; 'flask toolkit jobs list"
        " --unregistered' lists them.",
        len(found),
        shown,
        more,
        _HOW_TO_REGISTER,
    )
