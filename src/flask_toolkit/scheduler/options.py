"""The scheduler's config keys, and the APScheduler options they make for an app.

This module is imported with the package, so it stays light: APScheduler and the
modules built on it are imported inside the functions that need them, when a scheduler
is built. Every scheduler key is registered here, also those of the REST API, so that
an app that never loads the API still gets their defaults and the misspelled-key check.
"""

from __future__ import annotations

import types
import typing as t

from flask import Flask

from .. import config
from ..db import timeouts
from . import errors

if t.TYPE_CHECKING:
    import sqlalchemy as sa

#: Job defaults applied under ``SCHEDULER_JOB_DEFAULTS``. APScheduler's own
#: ``misfire_grace_time`` of 1 second drops a run whenever the process is a second late.
JOB_DEFAULTS: t.Mapping[str, t.Any] = types.MappingProxyType(
    {"misfire_grace_time": 300, "coalesce": True, "max_instances": 1}
)
#: The default of ``SCHEDULER_JOB_DEFAULTS``; each app gets its own copy.
_JOB_DEFAULTS_KEY_DEFAULT: dict[str, t.Any] = dict(JOB_DEFAULTS)

config.register_defaults(
    {
        "SCHEDULER_JOBS": None,
        "SCHEDULER_JOBSTORES": None,
        "SCHEDULER_EXECUTORS": None,
        "SCHEDULER_JOB_DEFAULTS": _JOB_DEFAULTS_KEY_DEFAULT,
        "SCHEDULER_TIMEZONE": None,
        "SCHEDULER_API_ENABLED": False,
        "SCHEDULER_API_PREFIX": "/scheduler",
        "SCHEDULER_AUTOSTART": "auto",
        "SCHEDULER_LEADER_ELECTION": True,
        "SCHEDULER_LEADER_INTERVAL": 1.0,
        "SCHEDULER_LEADER_TTL": 30.0,
        "SCHEDULER_LEADER_LOCK_FILE": None,
        "SCHEDULER_HEARTBEAT_INTERVAL": 30.0,
        "SCHEDULER_HISTORY_ENABLED": True,
        "SCHEDULER_HISTORY_TABLE": "toolkit_job_runs",
        "SCHEDULER_HISTORY_RETENTION": 30,
        "SCHEDULER_SHUTDOWN_TIMEOUT": 30.0,
    }
)
# The REST API's keys (its module registers the same values when it is imported).
config.register_defaults(
    {
        "SCHEDULER_ENDPOINT_PREFIX": "scheduler.",
        "SCHEDULER_API_ALLOW_ANONYMOUS": False,
        "SCHEDULER_API_PER_PAGE": 100,
        "SCHEDULER_API_MAX_PER_PAGE": 1000,
        "SCHEDULER_API_UNPAGED_LIMIT": 1000,
    }
)
# The dashboard's keys (its module registers the same values when it is imported).
config.register_defaults(
    {"SCHEDULER_DASHBOARD_ENABLED": False, "SCHEDULER_DASHBOARD_PER_PAGE": 25}
)


def _store_from_url(url: str, cfg: t.Mapping[str, t.Any]) -> t.Any:
    """A job store from a URL, with the timeouts of :mod:`flask_toolkit.db.timeouts`."""
    from apscheduler.jobstores.memory import MemoryJobStore

    from .runner import DatabaseJobStore

    if url == "memory":
        return MemoryJobStore()
    if url.startswith(("redis://", "rediss://", "unix://")):
        import redis
        from apscheduler.jobstores.redis import RedisJobStore

        store = RedisJobStore()
        store.redis = redis.Redis.from_url(url, **timeouts.redis_options(cfg))
        return store
    store = DatabaseJobStore(
        url=url, engine_options=timeouts.engine_options(url, {}, cfg)
    )
    timeouts.install_watchdog(store.engine, cfg.get("TOOLKIT_DB_STATEMENT_TIMEOUT"))
    return store


def _plugin_config(value: t.Any) -> t.Any:
    # APScheduler pops "type"/"class" from dicts: never hand it the app's config dicts.
    return dict(value) if isinstance(value, t.Mapping) else value


def _is_process_pool(value: t.Any) -> bool:
    if isinstance(value, t.Mapping):
        kind = str(value.get("type") or value.get("class") or "")
        return "process" in kind.lower()
    return "ProcessPool" in type(value).__name__


def prepare_config(app: Flask) -> None:
    """Check the config at ``init_app``: refuse a process-pool executor.

    Also gives the app its own copy of the default ``SCHEDULER_JOB_DEFAULTS``, so that
    changing it in one app's config changes no other app, and registers the 503
    handler of a Redis job store (:mod:`~flask_toolkit.scheduler.errors`).

    :raises RuntimeError: with the supported alternative.
    """
    errors.init_app(app)
    if app.config["SCHEDULER_JOB_DEFAULTS"] is _JOB_DEFAULTS_KEY_DEFAULT:
        app.config["SCHEDULER_JOB_DEFAULTS"] = dict(_JOB_DEFAULTS_KEY_DEFAULT)
    for alias, value in (app.config["SCHEDULER_EXECUTORS"] or {}).items():
        if _is_process_pool(value):
            from .runner import check_executor

            check_executor(value, alias)


#: Set by the pytest plugin while tests run: ``"auto"`` then never starts a scheduler,
#: also in an app that forgot ``TESTING = True``.
hold_autostart = False


def should_autostart(app: Flask) -> bool | None:
    """``SCHEDULER_AUTOSTART``: whether this process may start the scheduler by itself.

    ``True`` / ``False`` are returned as they are (always / never). ``"auto"`` gives
    ``False`` when testing (``app.testing``, or under the pytest plugin) or under a
    ``flask`` command other than ``flask run``, else ``None``: start as soon as the app
    has something to schedule (see :func:`has_work`).
    """
    value = app.config["SCHEDULER_AUTOSTART"]
    if value != "auto":
        return bool(value)
    if app.testing or hold_autostart:
        return False
    import click

    # 'flask run' serves; 'flask shell', 'flask toolkit jobs' and the like don't.
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.info_name != "run":
        return False
    return None


def has_work(app: Flask, declared_tasks: int) -> bool:
    """Whether the app uses its scheduler: config jobs, tasks declared with a
    trigger, the REST API or the dashboard switched on.
    """
    cfg = app.config
    jobs = cfg["SCHEDULER_JOBS"] or cfg.get("JOBS")
    return bool(
        jobs
        or declared_tasks
        or cfg["SCHEDULER_API_ENABLED"]
        or cfg["SCHEDULER_DASHBOARD_ENABLED"]
    )


def next_run_time_type() -> t.Any:
    """The type of ``apscheduler_jobs.next_run_time`` as each database stores it."""
    import sqlalchemy as sa
    from sqlalchemy.dialects import mysql

    return sa.Float(25).with_variant(mysql.DOUBLE(), "mysql", "mariadb")


def scheduler_options(app: Flask, engine: sa.Engine) -> dict[str, t.Any]:
    """APScheduler options from the app's config; ``engine`` backs the default store."""
    from .runner import DatabaseJobStore

    cfg = app.config
    stores = {
        alias: _store_from_url(value, cfg)
        if isinstance(value, str)
        else _plugin_config(value)
        for alias, value in (cfg["SCHEDULER_JOBSTORES"] or {}).items()
    }
    if "default" not in stores:
        stores["default"] = DatabaseJobStore(engine=engine, own_engine=False)
    executors = {
        alias: _plugin_config(value)
        for alias, value in (cfg["SCHEDULER_EXECUTORS"] or {}).items()
    }
    result: dict[str, t.Any] = {
        "jobstores": stores,
        "executors": executors,
        "job_defaults": {**JOB_DEFAULTS, **(cfg["SCHEDULER_JOB_DEFAULTS"] or {})},
    }
    if cfg["SCHEDULER_TIMEZONE"]:
        result["timezone"] = cfg["SCHEDULER_TIMEZONE"]
    return result
