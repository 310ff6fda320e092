"""What an idle scheduler leader costs its job store, and how fast a change made by
another process reaches it.

Run from the repository root (the servers of the test suite on loopback)::

    python benchmarks/bench_scheduler_idle.py [--seconds 60] [--probes 10]
        [--backends sqlite,postgresql,mariadb,redis]

For each job store, an app that holds one hourly job becomes the leader and is left
alone for ``--seconds``; everything it sends to its servers in that time is counted:

- SQL: every statement of every engine of the app (the app's engine, which holds the
  history and the default job store, and the lease's engine), counted with
  SQLAlchemy's ``before_cursor_execute`` event, plus the pool's pre-pings;
- Redis: every command the server receives, counted with ``MONITOR`` on a private
  ``redis-server`` that only this app uses (its history is in SQLite and is counted
  as above).

Then a second app on the same store (a standby: it cannot take the lease) adds
``--probes`` jobs due at once, one after the other; printed is the time from its
``add_job`` returning to the job starting in the leader (median and worst).

Last, takeovers with the default settings: a leader in a child process is killed with
``SIGKILL`` (``--kills`` times) and the time until this process's standby leads is
printed (median and worst).
PostgreSQL and MariaDB runs use a database of their own, dropped afterwards.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import typing as t
import uuid

import sqlalchemy as sa
from flask import Flask

from flask_toolkit import Toolkit
from flask_toolkit.scheduler import current_run

toolkit = Toolkit()
manager = toolkit.scheduler
started: dict[str, float] = {}
SERVERS = {
    "postgresql": "postgresql+psycopg://toolkit:toolkit@127.0.0.1:5432/postgres",
    "mariadb": "mysql+pymysql://toolkit:toolkit@127.0.0.1:3306/mysql",
}


@manager.register
def probe() -> None:
    run = current_run()
    assert run is not None
    started.setdefault(run.job_id, time.perf_counter())


@manager.register
def hourly() -> None:
    """Never due while measured."""


class SQLCounter:
    """Counts statements and pre-pings of the engines it is attached to."""

    def __init__(self) -> None:
        self.count = 0

    def attach(self, engine: sa.Engine) -> None:
        def count(*args: t.Any) -> None:
            self.count += 1

        sa.event.listen(engine, "before_cursor_execute", count)
        ping = engine.dialect.do_ping

        def do_ping(dbapi_connection: t.Any) -> bool:
            self.count += 1
            return bool(ping(dbapi_connection))

        engine.dialect.do_ping = do_ping  # type: ignore[method-assign]


class RedisMonitor:
    """Counts the commands a Redis server receives while :attr:`counting`.

    ``redis-cli monitor`` prints one line per command; the commands a Lua script runs
    are printed too (as from ``lua``) but are not round trips, so they are not counted.
    """

    def __init__(self, url: str) -> None:
        self.count = 0
        self.counting = False
        port = str(sa.make_url(url).port)
        self._proc = subprocess.Popen(
            ["redis-cli", "-p", port, "monitor"], stdout=subprocess.PIPE, text=True
        )
        threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            if self.counting and " lua]" not in line and line.strip() != "OK":
                self.count += 1

    def close(self) -> None:
        self._proc.terminate()
        self._proc.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_app(name: str, db_url: str, store_url: str | None, folder: str) -> Flask:
    app = Flask(name, instance_path=folder)
    app.config.update(SQLALCHEMY_DATABASE_URI=db_url, SCHEDULER_AUTOSTART=False)
    if store_url:
        app.config["SCHEDULER_JOBSTORES"] = {"default": store_url}
    toolkit.init_app(app)
    return app


def wait_for(predicate: t.Callable[[], t.Any], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out")
        time.sleep(0.01)


def is_leader(app: Flask) -> bool:
    with app.app_context():
        return bool(manager.leader_info()["is_leader"])


def measure(
    backend: str,
    db_url: str,
    store_url: str | None,
    seconds: float,
    probes: int,
    kills: int,
) -> dict[str, t.Any]:
    folder = tempfile.mkdtemp()
    leader = make_app("leader", db_url, store_url, os.path.join(folder, "a"))
    sql = SQLCounter()
    monitor = RedisMonitor(store_url) if store_url else None
    with leader.app_context():
        toolkit.db.create_all()
        manager.add_job("hourly", hourly, "interval", hours=1)
        manager.start()
        state = manager._state()
    wait_for(lambda: is_leader(leader))
    sql.attach(toolkit.db.get_engine(leader))
    lease_engine = getattr(state.lease, "_engine", None)
    if lease_engine is not None:
        sql.attach(lease_engine)
    time.sleep(3)  # let the start settle
    sql.count = 0
    if monitor is not None:
        monitor.counting = True
    time.sleep(seconds)
    idle_sql = sql.count
    idle_redis = monitor.count if monitor is not None else 0
    if monitor is not None:
        monitor.counting = False
        monitor.close()

    standby = make_app("standby", db_url, store_url, os.path.join(folder, "b"))
    latencies = []
    with standby.app_context():
        manager.start()
        for i in range(probes):
            job_id = f"probe-{uuid.uuid4().hex[:8]}-{i}"
            now = dt.datetime.now(dt.timezone.utc)
            manager.add_job(job_id, probe, "date", run_date=now)
            added = time.perf_counter()
            wait_for(lambda job_id=job_id: job_id in started)
            latencies.append(started[job_id] - added)
            time.sleep(0.2)
        assert not manager.leader_info()["is_leader"]
        manager.shutdown()
    with leader.app_context():
        manager.shutdown()
    for app in (leader, standby):
        toolkit.db.get_engine(app).dispose()
    shutil.rmtree(folder, ignore_errors=True)
    taken = takeovers(db_url, store_url, kills) if kills else [0.0]
    return {
        "takeover_median": statistics.median(taken),
        "takeover_max": max(taken),
        "backend": backend,
        "per_minute": (idle_sql + idle_redis) * 60 / seconds,
        "sql": idle_sql * 60 / seconds,
        "redis": idle_redis * 60 / seconds,
        "median_ms": statistics.median(latencies) * 1000,
        "max_ms": max(latencies) * 1000,
    }


LEADER_SCRIPT = """
import sys, time
sys.path[:0] = sys.argv[4:]
from bench_scheduler_idle import make_app, manager, hourly
app = make_app("child", sys.argv[1], sys.argv[2] or None, sys.argv[3])
with app.app_context():
    manager.start()
    while not manager.leader_info()["is_leader"]:
        time.sleep(0.01)
    print("leader", flush=True)
    time.sleep(600)
"""


def takeovers(db_url: str, store_url: str | None, kills: int) -> list[float]:
    """Seconds from killing a leader (a child process) to this process leading."""
    folder = tempfile.mkdtemp()
    here = os.path.dirname(os.path.abspath(__file__))
    paths = [here, *sys.path]
    standby = make_app("standby", db_url, store_url, os.path.join(folder, "s"))
    with standby.app_context():
        manager.add_job("hourly", hourly, "interval", hours=1, replace_existing=True)
    result = []
    try:
        for _ in range(kills):
            args = [db_url, store_url or "", os.path.join(folder, "c"), *paths]
            child = subprocess.Popen(
                [sys.executable, "-c", LEADER_SCRIPT, *args],
                stdout=subprocess.PIPE,
                text=True,
            )
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "leader"
            with standby.app_context():
                manager.start()
            time.sleep(1.5)  # the standby has tried, and failed, to take the lease
            assert not is_leader(standby)
            os.kill(child.pid, signal.SIGKILL)
            killed = time.perf_counter()
            wait_for(lambda: is_leader(standby))
            result.append(time.perf_counter() - killed)
            child.wait()
            with standby.app_context():
                manager.shutdown()  # the next child leads
    finally:
        with standby.app_context():
            manager.shutdown()
        toolkit.db.get_engine(standby).dispose()
        shutil.rmtree(folder, ignore_errors=True)
    return result


def server_database(backend: str) -> tuple[str, t.Callable[[], None]]:
    """A new database on the shared server, and a function that drops it."""
    admin = sa.create_engine(SERVERS[backend], isolation_level="AUTOCOMMIT")
    name = f"bench_idle_{os.getpid()}"
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    url = sa.make_url(SERVERS[backend]).set(database=name)

    def drop() -> None:
        with admin.connect() as conn:
            if backend == "postgresql":
                conn.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                )
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        admin.dispose()

    return url.render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--probes", type=int, default=10)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--backends", default="sqlite,postgresql,mariadb,redis")
    args = parser.parse_args()
    results = []
    counts = (args.seconds, args.probes, args.kills)
    for backend in args.backends.split(","):
        folder = tempfile.mkdtemp()
        sqlite = f"sqlite:///{folder}/app.sqlite"
        if backend == "sqlite":
            results.append(measure(backend, sqlite, None, *counts))
        elif backend == "redis":
            port = free_port()
            server = subprocess.Popen(
                ["redis-server", "--port", str(port), "--save", ""],
                stdout=subprocess.DEVNULL,
            )
            try:
                time.sleep(0.5)
                url = f"redis://127.0.0.1:{port}/0"
                results.append(measure(backend, sqlite, url, *counts))
            finally:
                server.terminate()
                server.wait()
        else:
            url, drop = server_database(backend)
            try:
                results.append(measure(backend, url, None, *counts))
            finally:
                drop()
        shutil.rmtree(folder, ignore_errors=True)
    print(
        f"{'store':<11} {'idle leader /min':>16} {'(SQL':>6} {'Redis)':>7}"
        f" {'change -> leader median':>24} {'worst':>8}"
        f" {'takeover median':>16} {'worst':>7}"
    )
    for r in results:
        print(
            f"{r['backend']:<11} {r['per_minute']:>16.1f} {r['sql']:>6.1f}"
            f" {r['redis']:>7.1f} {r['median_ms']:>21.1f} ms {r['max_ms']:>5.1f} ms"
            f" {r['takeover_median']:>14.2f} s {r['takeover_max']:>5.2f} s"
        )


if __name__ == "__main__":
    main()
