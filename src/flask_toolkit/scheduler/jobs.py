"""The task registry, job declarations from config, and the job JSON format.

Only registered functions can be scheduled through the manager (and so through the REST
API): a client names a task, it never sends an import path to run. Each app's own view
of the tasks is :class:`~flask_toolkit.scheduler.tasks.AppTasks`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import typing as t

from flask import g
from flask import has_app_context

from .. import timefmt

#: Keys of a job declaration that are job options; other keys are trigger arguments.
JOB_OPTIONS = frozenset(
    {
        "id",
        "func",
        "args",
        "kwargs",
        "name",
        "misfire_grace_time",
        "coalesce",
        "max_instances",
        "next_run_time",
        "jobstore",
        "executor",
        "replace_existing",
        "trigger",
    }
)
#: Options a restart re-applies from the declaration to a job already in the store.
SYNCED_OPTIONS = (
    "args",
    "kwargs",
    "name",
    "misfire_grace_time",
    "coalesce",
    "max_instances",
)

_RUN_KEY = "_toolkit_job_run"


class UnknownTaskError(KeyError):
    """A function that is not in the task registry was given to the scheduler."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclasses.dataclass(frozen=True)
class RunRef:
    """Identifies one run of a job: the job's id and the run's scheduled time.

    The same pair identifies the run's row in the run history.
    """

    job_id: str
    scheduled_run_time: dt.datetime


def current_run() -> RunRef | None:
    """The run in progress when called from inside a job, else ``None``."""
    if not has_app_context():
        return None
    return t.cast("RunRef | None", g.get(_RUN_KEY))


def set_current_run(run: RunRef) -> None:
    """Set the run of the current app context (called by the job runner)."""
    setattr(g, _RUN_KEY, run)


def import_ref(ref: str) -> t.Callable[..., t.Any]:
    """Import ``"package.module:function"`` (``"package.module.function"`` also works).

    :raises ValueError: with the expected format, if the reference cannot be imported.
    """
    module_name, sep, attr = ref.partition(":")
    if not sep:
        module_name, _, attr = ref.rpartition(".")
    try:
        obj: t.Any = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError, ValueError) as e:
        raise ValueError(
            f"Cannot import the job function {ref!r} ({e}). Write it as"
            " 'package.module:function' with an importable module."
        ) from e
    if not callable(obj):
        raise ValueError(f"The job function {ref!r} is not callable.")
    return t.cast("t.Callable[..., t.Any]", obj)


def default_name(func: t.Callable[..., t.Any]) -> str:
    """The registry name of a function: ``"module:qualname"``, like APScheduler's."""
    module = getattr(func, "__module__", None)
    qualname = getattr(func, "__qualname__", None)
    if not module or not qualname or "<" in qualname:
        raise ValueError(
            f"{func!r} cannot be registered without a name: it is not a module-level"
            " function, so a job store could not find it again. Move it to module level"
            " or pass 'name='."
        )
    return f"{module}:{qualname}"


class Registry:
    """Name -> function mapping of everything that may be scheduled."""

    def __init__(self) -> None:
        self._funcs: dict[str, t.Callable[..., t.Any]] = {}

    def add(self, func: t.Callable[..., t.Any], name: str | None = None) -> str:
        """Register ``func`` as ``name`` (default ``"module:qualname"``); return it.

        :raises ValueError: if another function is already registered under the name.
        """
        name = name or default_name(func)
        existing = self._funcs.get(name)
        if existing is not None and existing is not func:
            raise ValueError(
                f"Another function is already registered as task {name!r}; pass a"
                " different 'name='."
            )
        self._funcs[name] = func
        return name

    def resolve(
        self, func: str | t.Callable[..., t.Any]
    ) -> tuple[str, t.Callable[..., t.Any]]:
        """Return ``(name, function)`` for a registered name or a registered function.

        :raises UnknownTaskError: if it is not registered.
        """
        if isinstance(func, str):
            if func in self._funcs:
                return func, self._funcs[func]
        else:
            for name, registered in self._funcs.items():
                if registered is func:
                    return name, registered
        shown = func if isinstance(func, str) else repr(func)
        raise UnknownTaskError(
            f"{shown!r} is not a registered task. Register it with"
            " '@toolkit.scheduler.task(...)' or 'toolkit.scheduler.register(func)';"
            f" registered tasks: {', '.join(sorted(self._funcs)) or 'none'}."
        )

    def name_of(self, func: t.Any, func_ref: str | None) -> str | None:
        """The registry name of a job's function, else its import reference."""
        for name, registered in self._funcs.items():
            if registered is func:
                return name
        return func_ref

    def as_mapping(self) -> t.Mapping[str, t.Callable[..., t.Any]]:
        return dict(self._funcs)

    def __contains__(self, name: object) -> bool:
        return name in self._funcs


def split_declaration(
    spec: t.Mapping[str, t.Any],
) -> tuple[dict[str, t.Any], str | None, dict[str, t.Any]]:
    """Split a job declaration into ``(job options, trigger name, trigger arguments)``.

    ``trigger`` may be a name with the trigger's arguments beside it
    (Flask-APScheduler's format) or a mapping ``{"type": "cron", ...}``.
    """
    options = {k: v for k, v in spec.items() if k in JOB_OPTIONS}
    trigger_args = {k: v for k, v in spec.items() if k not in JOB_OPTIONS}
    trigger = options.pop("trigger", None)
    if isinstance(trigger, t.Mapping):
        trigger_args = {
            **{k: v for k, v in trigger.items() if k != "type"},
            **trigger_args,
        }
        trigger = trigger.get("type")
    return options, trigger, trigger_args


def trigger_key(trigger: t.Any) -> tuple[str, str, str]:
    """What a restart compares to decide whether a declared trigger changed.

    The trigger's class and its description (``interval[0:00:10]``,
    ``cron[hour='3', minute='0']``) and time zone; an interval trigger's computed start
    date is deliberately ignored, so a restart does not shift the schedule.
    """
    return (type(trigger).__name__, str(trigger), str(getattr(trigger, "timezone", "")))


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else timefmt.format_datetime(value)


def trigger_to_dict(trigger: t.Any) -> dict[str, t.Any]:
    """A trigger's fields in Flask-APScheduler's job format."""
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.date import DateTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    data: dict[str, t.Any] = {}
    if isinstance(trigger, DateTrigger):
        data["trigger"] = "date"
        data["run_date"] = _iso(trigger.run_date)
    elif isinstance(trigger, IntervalTrigger):
        data["trigger"] = "interval"
        data["start_date"] = _iso(trigger.start_date)
        if trigger.end_date:
            data["end_date"] = _iso(trigger.end_date)
        seconds = int(trigger.interval.total_seconds())
        weeks, seconds = divmod(seconds, 7 * 86400)
        days, seconds = divmod(seconds, 86400)
        hours, seconds = divmod(seconds, 3600)
        minutes, seconds = divmod(seconds, 60)
        for key, value in (
            ("weeks", weeks),
            ("days", days),
            ("hours", hours),
            ("minutes", minutes),
            ("seconds", seconds),
        ):
            if value:
                data[key] = value
        if trigger.jitter:
            data["jitter"] = trigger.jitter
        data["timezone"] = str(trigger.timezone)
    elif isinstance(trigger, CronTrigger):
        data["trigger"] = "cron"
        if trigger.start_date:
            data["start_date"] = _iso(trigger.start_date)
        if trigger.end_date:
            data["end_date"] = _iso(trigger.end_date)
        for field in trigger.fields:
            if not field.is_default:
                data[field.name] = str(field)
        if trigger.jitter:
            data["jitter"] = trigger.jitter
        data["timezone"] = str(trigger.timezone)
    else:
        data["trigger"] = str(trigger)
    return data


def job_to_dict(job: t.Any, registry: t.Any = None) -> dict[str, t.Any]:
    """A JSON-ready dict of an APScheduler job, in Flask-APScheduler's format plus more.

    Keys: ``id``, ``name``, ``func`` (the registry name, else the import reference),
    ``args``, ``kwargs``, ``trigger`` and the trigger's fields, ``next_run_time`` (ISO
    8601 or ``None``), ``misfire_grace_time``, ``max_instances``, ``coalesce``,
    ``jobstore``, ``executor``, ``paused``; with an app's
    :class:`~flask_toolkit.scheduler.tasks.AppTasks` as ``registry``, also
    ``registered``: whether the function is a task or the job's configured function
    (``False``: the API lists, pauses and deletes the job, but will not run it).

    :param registry: a :class:`Registry` or an app's ``AppTasks``, to name ``func``.
    """
    func_ref = getattr(job, "func_ref", None)
    app_tasks = registry if hasattr(registry, "func_name") else None
    if app_tasks is not None:
        func = app_tasks.func_name(job)
    else:
        func = registry.name_of(job.func, func_ref) if registry else func_ref
    data: dict[str, t.Any] = {
        "id": job.id,
        "name": job.name,
        "func": func,
        "args": list(job.args),
        "kwargs": dict(job.kwargs),
    }
    data.update(trigger_to_dict(job.trigger))
    next_run_time = getattr(job, "next_run_time", None)
    data.update(
        {
            "next_run_time": _iso(next_run_time),
            "misfire_grace_time": job.misfire_grace_time,
            "max_instances": job.max_instances,
            "coalesce": job.coalesce,
            "jobstore": getattr(job, "_jobstore_alias", None),
            "executor": job.executor,
            "paused": next_run_time is None,
        }
    )
    if app_tasks is not None:
        data["registered"] = app_tasks.kind(job) != "unregistered"
    return data
