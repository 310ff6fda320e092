"""Heartbeats: the cluster page shows who leads, the standbys and when the lease was
renewed, read from the job store by any process (also one that never starts).

In-process tests run one started app (the leader) and one app that never starts its
scheduler and serves the pages; ``test_two_processes_share_a_store`` runs the
schedulers in real processes.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
import signal
import subprocess
import sys
import time
import typing as t
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from flask_toolkit.scheduler.roster import DROP_AFTER
from flask_toolkit.scheduler.roster import roster_for_store
from flask_toolkit.state import get_state
from tests import _scheduler_api as h
from tests._proxy import TcpProxy

DASH = "/scheduler/dashboard"
#: Short, so that a test sees a few beats; the default is 30 s.
INTERVAL = 0.3
ROOT = Path(__file__).resolve().parent.parent

STORES = pytest.mark.parametrize(
    ("backend", "store"),
    [
        ("sqlite", None),
        ("postgresql", None),
        ("mariadb", None),
        ("sqlite", "redis"),
    ],
    indirect=["backend"],
    ids=["sqlite", "postgresql", "mariadb", "redis"],
)


def wait_for(check: t.Callable[[], t.Any], seconds: float = 20) -> t.Any:
    deadline = time.monotonic() + seconds
    while not (result := check()):
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.05)
    return result


def make_app(
    tmp_path: Path, name: str, db_url: str, store: str | None, **more: t.Any
) -> Flask:
    config: dict[str, t.Any] = {
        **more,
        "SQLALCHEMY_DATABASE_URI": db_url,
        "SCHEDULER_DASHBOARD_ENABLED": True,
        "SCHEDULER_HEARTBEAT_INTERVAL": INTERVAL,
    }
    if store:
        config["SCHEDULER_JOBSTORES"] = {"default": store}
    return h.make_app(tmp_path / name, **config)


def rows(page: str) -> list[dict[str, str]]:
    """The process table's rows: host, pid, role, state (or "gone"), as text."""
    found = re.findall(r'<tr class="process[^"]*".*?</tr>', page, re.S)
    table = []
    for row in found:
        cells = [
            html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<td>(.*?)</td>", row, re.S)
        ]
        names = ("host", "pid", "role", "state", "started", "seen", "renewed")
        table.append(dict(zip(names, cells, strict=True)))
    return table


def cluster_page(app: Flask) -> str:
    response = h.caller(app, "admin").get(f"{DASH}/cluster")
    assert response.status_code == 200, response.data
    return t.cast(str, response.get_data(as_text=True))


def store_url(request: pytest.FixtureRequest, store: str | None) -> str | None:
    return t.cast(str, request.getfixturevalue("redis_url")) if store else None


@STORES
def test_a_page_served_elsewhere_shows_the_leader(
    tmp_path: Path, database_url: str, store: str | None, request: pytest.FixtureRequest
) -> None:
    url = store_url(request, store)
    leader = make_app(tmp_path, "leader", database_url, url)
    viewer = make_app(tmp_path, "viewer", database_url, url)  # never started
    try:
        with leader.app_context():
            h.toolkit.scheduler.start()
        me = f"{os.uname().nodename} {os.getpid()}"

        def leads() -> list[dict[str, str]]:
            found = rows(cluster_page(viewer))
            return [
                r for r in found if (r["role"], r["state"]) == ("leader", "running")
            ]

        (row,) = wait_for(leads)
        assert row["host"].startswith(os.uname().nodename)
        assert row["pid"] == str(os.getpid()) and row["renewed"] != "—"
        page = cluster_page(viewer)
        assert "Lease renewed" in page and "not reported yet" not in page
        with viewer.app_context():
            info = h.toolkit.scheduler.leader_info()
        assert info["state"] == "stopped" and info["shared"] is True
        (process,) = info["processes"]
        assert f"{process['host']} {process['pid']}" == me
        assert info["renewed_at"] == process["renewed_at"] is not None
        assert info["standbys"] == []

        # A process on another host that died long ago is gone, one that died just
        # now is shown as gone; what they wrote is what a dead process leaves behind.
        with viewer.app_context():
            scheduler = get_state(viewer).components["scheduler"].open()
        roster = roster_for_store(scheduler.lookup_jobstore("default"), INTERVAL)
        now = dt.datetime.now(dt.timezone.utc)
        for host, age in (("dead-long-ago", DROP_AFTER * 2), ("just-died", 5)):
            seen = now - dt.timedelta(seconds=age * INTERVAL)
            entry = {
                "host": host,
                "pid": 4242,
                "role": "standby",
                "state": "standby",
                "started_at": seen,
                "seen_at": seen,
                "renewed_at": None,
            }
            roster.beat(entry, None)
        found = rows(cluster_page(viewer))
        assert [r["state"] for r in found if r["host"] == "just-died"] == ["gone"]
        assert not [r for r in found if r["host"] == "dead-long-ago"]
        page = cluster_page(viewer)
        standbys = page[page.index('id="standbys"') :].split("</section>")[0]
        assert "just-died" in standbys and "gone" in standbys
        # The leader's later beats drop the long-dead entry from the store itself.
        wait_for(lambda: all(e["host"] != "dead-long-ago" for e in roster.read()))

        # A clean shutdown removes the leader's entry at once.
        with leader.app_context():
            h.toolkit.scheduler.shutdown()
        assert not [
            r for r in rows(cluster_page(viewer)) if r["pid"] == str(os.getpid())
        ]
    finally:
        h.close(leader)
        h.close(viewer)


def test_the_rest_api_shows_the_processes(tmp_path: Path, sqlite_url: str) -> None:
    app = make_app(tmp_path, "app", sqlite_url, None)
    try:
        with app.app_context():
            h.toolkit.scheduler.start()
        admin = h.caller(app, "admin")
        leader = wait_for(lambda: admin.get("/scheduler").json["leader"]["leader"])
        assert leader == {"host": os.uname().nodename, "pid": os.getpid()}
        info = admin.get("/scheduler").json["leader"]
        assert info["heartbeat_interval"] == INTERVAL
        assert [(p["pid"], p["role"]) for p in info["processes"]] == [
            (os.getpid(), "leader")
        ]
        assert dt.datetime.fromisoformat(info["renewed_at"]).tzinfo is not None
    finally:
        h.close(app)


def test_a_memory_store_shows_this_process_only(tmp_path: Path) -> None:
    app = make_app(tmp_path, "app", f"sqlite:///{tmp_path / 'db.sqlite'}", "memory")
    try:
        page = cluster_page(app)
        assert "private to this process" in page
        assert "No scheduler process has written a heartbeat" in page
        with app.app_context():
            h.toolkit.scheduler.start()
        (row,) = wait_for(lambda: rows(cluster_page(app)))
        assert row["pid"] == str(os.getpid()) and "this process" in row["host"]
        engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
        try:
            tables = sa.inspect(engine).get_table_names()
        finally:
            engine.dispose()
        assert "toolkit_scheduler_processes" not in tables
    finally:
        h.close(app)


@pytest.mark.parametrize("backend", ["postgresql"])
def test_an_outage_answers_503_and_the_heartbeat_goes_on(
    tmp_path: Path, database_url: str
) -> None:
    url = sa.make_url(database_url)
    engine = sa.create_engine(url)
    with TcpProxy(url.host or "127.0.0.1", url.port or 0) as proxy:
        proxied = url.set(host="127.0.0.1", port=proxy.port)
        app = make_app(
            tmp_path,
            "app",
            proxied.render_as_string(hide_password=False),
            None,
            TOOLKIT_DB_CONNECT_TIMEOUT=2,
            TOOLKIT_DB_STATEMENT_TIMEOUT=1,
        )

        def seen() -> dt.datetime | None:
            with engine.connect() as conn:
                if not sa.inspect(conn).has_table("toolkit_scheduler_processes"):
                    return None
                query = "SELECT max(seen_at) FROM toolkit_scheduler_processes"
                return t.cast("dt.datetime | None", conn.scalar(sa.text(query)))

        try:
            with app.app_context():
                h.toolkit.scheduler.start()
            wait_for(lambda: rows(cluster_page(app)))
            before = wait_for(seen)
            proxy.drop()
            admin = h.caller(app, "admin")
            for accept in ("text/html", "application/json"):
                response = admin.get(f"{DASH}/cluster", headers={"Accept": accept})
                assert response.status_code == 503, response.data
                assert response.mimetype == "text/html"  # the dashboard's own page
                assert "job store is unavailable" in response.get_data(as_text=True)
            time.sleep(INTERVAL * 3)  # a few beats fail
            proxy.resume()
            wait_for(lambda: (seen() or before) > before)  # it writes again
            wait_for(lambda: rows(cluster_page(app)))
        finally:
            proxy.resume()
            h.close(app)
            engine.dispose()


CHILD = """
import sys
from tests._scheduler_jobs import make_app, toolkit
app = make_app(sys.argv[1], sys.argv[2], SCHEDULER_HEARTBEAT_INTERVAL={interval},
               **({{"SCHEDULER_JOBSTORES": {{"default": sys.argv[3]}}}}
                  if len(sys.argv) > 3 else {{}}))
with app.app_context():
    toolkit.scheduler.start()
sys.stdin.read()  # until the test closes it
with app.app_context():
    toolkit.scheduler.shutdown()
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    ("backend", "store"),
    [("sqlite", None), ("postgresql", None), ("postgresql", "redis")],
    indirect=["backend"],
    ids=["sqlite", "postgresql", "redis"],
)
def test_two_processes_share_a_store(
    tmp_path: Path, database_url: str, store: str | None, request: pytest.FixtureRequest
) -> None:
    """Two scheduler processes: the page (served by a third that never starts) lists
    the leader and the standby with their pids; the standby takes over from a killed
    leader, which is then shown as gone."""
    url = store_url(request, store)
    viewer = make_app(tmp_path, "viewer", database_url, url)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    children = []
    for name in ("one", "two"):
        args = [database_url, str(tmp_path / name), *([url] if url else [])]
        code = CHILD.format(interval=INTERVAL)
        children.append(
            subprocess.Popen(
                [sys.executable, "-c", code, *args],
                cwd=ROOT,
                env=env,
                stdin=subprocess.PIPE,
            )
        )
    pids = {child.pid: child for child in children}
    try:

        def both() -> dict[str, int] | None:
            found = rows(cluster_page(viewer))
            live = {r["role"]: r for r in found if r["state"] != "gone"}
            if {int(r["pid"]) for r in live.values()} != set(pids):
                return None
            leader = live["leader"]  # once it has said it runs the jobs
            if leader["state"] != "running" or leader["renewed"] == "—":
                return None
            return {role: int(r["pid"]) for role, r in live.items()}

        roles = wait_for(both, 60)
        leader_pid, standby_pid = roles["leader"], roles["standby"]
        page = cluster_page(viewer)
        leader_card = page[: page.index('id="standbys"')]
        assert f"pid {leader_pid}" in leader_card and "not reported yet" not in page
        standbys = page[page.index('id="standbys"') :].split("</section>")[0]
        assert f"pid {standby_pid}" in standbys
        with viewer.app_context():
            info = h.toolkit.scheduler.leader_info()
        assert info["leader"]["pid"] == leader_pid and info["renewed_at"]
        assert [s["pid"] for s in info["standbys"]] == [standby_pid]

        pids[leader_pid].send_signal(signal.SIGKILL)
        pids[leader_pid].wait()

        def taken_over() -> bool:
            found = {int(r["pid"]): r for r in rows(cluster_page(viewer))}
            return (
                found[standby_pid]["role"] == "leader"
                and found[leader_pid]["state"] == "gone"
            )

        wait_for(taken_over, 60)
    finally:
        for child in children:
            if child.poll() is None:
                assert child.stdin is not None
                child.stdin.close()
                try:
                    child.wait(20)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
            if child.stdin is not None and not child.stdin.closed:
                child.stdin.close()
        h.close(viewer)
