"""The scheduler's config keys, and the APScheduler options they make for an app."""

from __future__ import annotations

import types
import typing as t

import sqlalchemy as sa
from apscheduler.jobstores.memory import MemoryJobStore
from flask import Flask

from .. import config
from .runner import check_executor
from .runner import DatabaseJobStore

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
        "SCHEDULER_LEADER_TTL": 5.0,
        "SCHEDULER_LEADER_LOCK_FILE": None,
        "SCHEDULER_HISTORY_ENABLED": True,
        "SCHEDULER_HISTORY_TABLE": "toolkit_job_runs",
        "SCHEDULER_HISTORY_RETENTION": 30,
        "SCHEDULER_SHUTDOWN_TIMEOUT": 30.0,
    }
)


def _store_from_url(url: str) -> t.Any:
    if url == "memory":
        return MemoryJobStore()
    if url.startswith(("redis://", "rediss://", "unix://")):
        import redis
        from apscheduler.jobstores.redis import RedisJobStore

        store = RedisJobStore()
        store.redis = redis.Redis.from_url(url)
        return store
    return DatabaseJobStore(url=url)


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
    changing it in one app's config changes no other app.

    :raises RuntimeError: with the supported alternative.
    """
    if app.config["SCHEDULER_JOB_DEFAULTS"] is _JOB_DEFAULTS_KEY_DEFAULT:
        app.config["SCHEDULER_JOB_DEFAULTS"] = dict(_JOB_DEFAULTS_KEY_DEFAULT)
    for alias, value in (app.config["SCHEDULER_EXECUTORS"] or {}).items():
        if _is_process_pool(value):
            check_executor(value, alias)


def should_autostart(app: Flask) -> bool:
    """``SCHEDULER_AUTOSTART``: ``"auto"`` starts unless testing or under a ``flask``
    command other than ``flask run``.
    """
    value = app.config["SCHEDULER_AUTOSTART"]
    if value != "auto":
        return bool(value)
    if app.testing:
        return False
    import click

    # 'flask run' serves; 'flask shell', 'flask toolkit jobs' and the like don't.
    ctx = click.get_current_context(silent=True)
    return ctx is None or ctx.info_name == "run"


def scheduler_options(app: Flask, engine: sa.Engine) -> dict[str, t.Any]:
    """APScheduler options from the app's config; ``engine`` backs the default store."""
    cfg = app.config
    stores = {
        alias: _store_from_url(value)
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
