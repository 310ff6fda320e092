"""A live leader that loses its lease warns, stops running jobs, and leads again later.

The cluster tests kill whole processes; here the leader process stays alive and only
its lease goes: its lock connection is terminated by the server (PostgreSQL), or its
Redis key expires and another process takes it. Everything is observed from outside
the lease code: the server, the log, ``leader_info()`` and the run history.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import typing as t
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from tests import _scheduler_jobs as jobs
from tests._scheduler_jobs import make_app
from tests.test_scheduler_manager import finished_runs
from tests.test_scheduler_manager import wait_for

manager = jobs.toolkit.scheduler

#: How long a paused leader is watched for a run it must not make.
STANDBY_WATCH = 1.5


def info(app: Flask) -> dict[str, t.Any]:
    with app.app_context():
        return manager.leader_info()


def started_leader(url: str, tmp_path: Path, **config: t.Any) -> Flask:
    app = make_app(url, str(tmp_path / "leader"), **config)
    with app.app_context():
        manager.start()
    wait_for(lambda: info(app)["is_leader"], timeout=30)
    assert info(app)["state"] == "running"
    return app


def check_loss_and_return(
    app: Flask,
    caplog: pytest.LogCaptureFixture,
    take_lease: t.Callable[[], None],
    give_back: t.Callable[[], None],
) -> dict[str, t.Any]:
    """Take the lease away from the running leader ``app``, check that it stands by
    and runs nothing, give the lease back and check that it runs the job it held back.
    """
    with caplog.at_level(logging.INFO, logger="flask_toolkit"):
        take_lease()
        wait_for(lambda: not info(app)["is_leader"], timeout=30)
        assert "lost the scheduler leader lease" in caplog.text
        standing_by = info(app)
        assert standing_by["state"] == "standby"
        with app.app_context():
            manager.add_job(
                "while-standing-by",
                jobs.record_tick,
                "date",
                run_date=dt.datetime.now(dt.timezone.utc),
            )
        # Nobody leads: the job waits (a wait for something that must not happen).
        with pytest.raises(AssertionError, match="not met"):
            with app.app_context():
                wait_for(lambda: finished_runs("while-standing-by"), STANDBY_WATCH)
        give_back()
        wait_for(lambda: info(app)["is_leader"], timeout=30)
        assert info(app)["state"] == "running"
        with app.app_context():
            runs = wait_for(lambda: finished_runs("while-standing-by"), timeout=30)
        assert [r["status"] for r in runs] == ["success"]
    return standing_by


def test_postgresql_leader_whose_lock_session_is_killed(
    tmp_path: Path,
    server_databases: t.Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    database = server_databases.get("postgresql")
    app = started_leader(database.url_string, tmp_path)
    engine = sa.create_engine(database.url_string, poolclass=sa.NullPool)
    rival = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    killer = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    held: dict[str, int] = {}

    def take_lease() -> None:
        # The advisory lock the leader's own session holds in this test's database.
        pid, cls, key = killer.execute(
            sa.text(
                "SELECT l.pid, l.classid::bigint, l.objid::bigint FROM pg_locks l"
                " WHERE l.locktype = 'advisory' AND l.granted AND l.database ="
                " (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
        ).one()
        held.update(cls=cls, key=key)
        # Another process queues for the lock first, so the server hands it over
        # the moment the leader's session ends: the leader, reconnecting at once,
        # must find it taken (polling for it instead would race the leader).
        waiter = threading.Thread(
            target=rival.execute,
            args=(sa.text("SELECT pg_advisory_lock(:cls, :key)"), held),
        )
        waiter.start()
        wait_for(
            lambda: killer.execute(
                sa.text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                    " AND NOT granted AND classid = :cls AND objid = :key"
                ),
                held,
            ).scalar(),
            timeout=30,
        )
        killer.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        waiter.join(30)
        assert not waiter.is_alive(), "the rival never got the lock"

    def give_back() -> None:
        rival.execute(sa.text("SELECT pg_advisory_unlock(:cls, :key)"), held)

    try:
        check_loss_and_return(app, caplog, take_lease, give_back)
    finally:
        with app.app_context():
            manager.shutdown()
        rival.close()
        killer.close()
        engine.dispose()
        jobs.toolkit.db.get_engine(app).dispose()
        database.clean()


def test_redis_leader_whose_key_is_taken(
    tmp_path: Path,
    sqlite_url: str,
    redis_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    import redis

    app = started_leader(
        sqlite_url,
        tmp_path,
        SCHEDULER_JOBSTORES={"default": redis_url},
        SCHEDULER_LEADER_TTL=1.0,
    )
    client = redis.Redis.from_url(redis_url)
    (key,) = client.keys("*leader*")

    def take_lease() -> None:
        # As if the key had expired and another host had set it.
        client.set(key, "elsewhere.example 4242:rival", px=60_000)

    try:
        standing_by = check_loss_and_return(
            app, caplog, take_lease, lambda: client.delete(key)
        )
        assert standing_by["leader"] == {"host": "elsewhere.example", "pid": 4242}
    finally:
        with app.app_context():
            manager.shutdown()
        client.close()
        jobs.toolkit.db.get_engine(app).dispose()
