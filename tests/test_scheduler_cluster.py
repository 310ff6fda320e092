"""Real processes sharing one job store: exactly one runs the jobs, exactly once.

gunicorn with three workers runs ``tests._scheduler_jobs:create_app()``, whose
``tick`` job (every second, ``coalesce=False``, ``max_instances=1``) writes one row per
scheduled time. Everything is asserted from what the runs left behind (the job's rows
and the run history), with generous deadlines for progress and no timings.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import typing as t
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests import _scheduler_jobs as jobs
from tests.test_scheduler_manager import wait_for

ROOT = Path(__file__).resolve().parent.parent
#: The processes import this checkout's package (not an installed one) and the tests.
PYTHONPATH = os.pathsep.join([str(ROOT / "src"), str(ROOT)])

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    def __init__(
        self, tmp_path: Path, db_url: str, store: str | None, preload: bool
    ) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            "TEST_SCHEDULER_DB": db_url,
            "TEST_SCHEDULER_DIR": str(tmp_path),
            "PYTHONPATH": PYTHONPATH,
        }
        if store:
            env["TEST_SCHEDULER_STORE"] = store
        args = [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            "3",
            "-b",
            f"127.0.0.1:{self.port}",
        ]
        if preload:
            args.append("--preload")
        self.log = open(tmp_path / "gunicorn.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [*args, "tests._scheduler_jobs:create_app()"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def request(self, method: str, path: str) -> dict[str, t.Any]:
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", method=method
        )
        with urllib.request.urlopen(req, timeout=5) as response:
            return t.cast(dict[str, t.Any], json.load(response))

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def tick_rows(engine: sa.Engine, job_id: str = "tick") -> list[t.Any]:
    with engine.connect() as conn:
        return conn.execute(
            sa.select(jobs.Tick.scheduled, jobs.Tick.pid)
            .where(jobs.Tick.job_id == job_id)
            .order_by(jobs.Tick.id)
        ).all()


def run_cluster(
    tmp_path: Path, db_url: str, store: str | None, preload: bool = False
) -> None:
    engine = sa.create_engine(db_url)
    try:
        check_cluster(engine, tmp_path, db_url, store, preload)
    except AssertionError as e:
        log = (tmp_path / "gunicorn.log").read_text()[-4000:]
        raise AssertionError(f"{e}\n--- gunicorn log (end) ---\n{log}") from e
    finally:
        engine.dispose()


def check_cluster(
    engine: sa.Engine, tmp_path: Path, db_url: str, store: str | None, preload: bool
) -> None:
    jobs.db.metadata.create_all(engine)
    cluster = Cluster(tmp_path, db_url, store, preload)
    try:
        wait_for(lambda: len(tick_rows(engine)) >= 8, timeout=60)
        leader_pid = tick_rows(engine)[-1].pid
        os.kill(leader_pid, signal.SIGKILL)
        wait_for(
            lambda: any(r.pid != leader_pid for r in tick_rows(engine)), timeout=30
        )

        # Jobs added through whichever process answers, until standbys added two.
        added: list[dict[str, t.Any]] = []
        while sum(not a["is_leader"] for a in added) < 2:
            assert len(added) < 60, "no standby answered"
            added.append(cluster.request("POST", f"/jobs/added{len(added)}/2.0"))
        wait_for(lambda: len(tick_rows(engine)) >= 24, timeout=60)
        for a in added:
            rows = wait_for(lambda a=a: tick_rows(engine, a["id"]), timeout=30)
            assert len(rows) == 1
        with engine.connect() as conn:
            history = sa.Table("toolkit_job_runs", sa.MetaData(), autoload_with=conn)
            runs = conn.execute(
                sa.select(history.c.status).where(history.c.job_id.like("added%"))
            ).scalars()
            assert sorted(runs) == ["success"] * len(added)
    finally:
        cluster.stop()
    # The kill may land in a run: that one is "interrupted" and is not run again.
    last = max(when for when, status, _ in history_rows(engine) if status == "success")
    check_history(engine, {leader_pid}, last)
    assert len({r.pid for r in tick_rows(engine)}) >= 2


@pytest.mark.parametrize("backend", ["postgresql"])
def test_exactly_once_on_postgresql(tmp_path: Path, database_url: str) -> None:
    run_cluster(tmp_path, database_url, None)


@pytest.mark.parametrize("backend", ["postgresql"])
def test_exactly_once_on_redis(
    tmp_path: Path, database_url: str, redis_url: str
) -> None:
    run_cluster(tmp_path, database_url, redis_url)


@pytest.mark.parametrize("backend", ["postgresql"])
def test_exactly_once_with_preload(tmp_path: Path, database_url: str) -> None:
    run_cluster(tmp_path, database_url, None, preload=True)


def history_rows(engine: sa.Engine, job_id: str = "tick") -> list[t.Any]:
    """The job's runs as (scheduled time in UTC, status, pid), oldest first."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("toolkit_job_runs"):
            return []  # no process has opened the scheduler yet
        history = sa.Table("toolkit_job_runs", sa.MetaData(), autoload_with=conn)
        rows = conn.execute(
            sa.select(history.c.scheduled_run_time, history.c.status, history.c.pid)
            .where(history.c.job_id == job_id)
            .order_by(history.c.scheduled_run_time)
        ).all()
    return [
        (r.scheduled_run_time.replace(tzinfo=dt.timezone.utc), r.status, r.pid)
        for r in rows
    ]


#: Leader kills per job store.
KILLS = 20


def kill_leaders(engine: sa.Engine, killed: set[int]) -> None:
    """Kill the leader ``KILLS`` times, each time once a new leader has claimed a run.

    Most kills come as soon as the new leader's first claim is seen, 0-30 ms after it
    (a storm: the leader dies while catching up); every fourth waits until the new
    leader has run three times (a steady leader dies just after a fire).
    """
    rng = random.Random(13)
    for n in range(KILLS):
        steady = n % 4 == 3

        def next_leader(steady: bool = steady) -> int | None:
            rows = [r for r in history_rows(engine) if r[2] not in killed]
            if steady and sum(r[1] == "success" for r in rows) < 3:
                return None
            return rows[-1][2] if rows else None

        deadline = time.monotonic() + 60
        while (pid := next_leader()) is None:
            assert time.monotonic() < deadline, f"no new leader after {n} kills"
            time.sleep(0.005)
        time.sleep(rng.uniform(0, 0.03))
        os.kill(pid, signal.SIGKILL)
        killed.add(pid)


def check_history(engine: sa.Engine, killed: set[int], last: dt.datetime) -> None:
    """0 duplicates, 0 lost fires: every scheduled time up to ``last`` has one run,
    which succeeded, or was interrupted because its process was killed.
    """
    rows = [r for r in history_rows(engine) if r[0] <= last]
    times = [r[0] for r in rows]
    assert len(times) == len(set(times)), "a scheduled time has two history rows"
    ran = Counter(dt.datetime.fromisoformat(r.scheduled) for r in tick_rows(engine))
    assert not [when for when, n in ran.items() if n > 1], "a run ran twice"
    gaps = [
        (a, b)
        for a, b in zip(times, times[1:], strict=False)
        if b - a != dt.timedelta(seconds=1)
    ]
    assert not gaps, f"scheduled times never claimed: {gaps}"
    for when, status, pid in rows:
        if status == "success":
            assert ran[when] == 1, f"{when} recorded success but did not run"
        else:
            assert status == "interrupted" and pid in killed, (when, status, pid)
    assert sum(r[1] == "success" for r in rows) > len(rows) // 2


@pytest.mark.parametrize(
    ("backend", "store"),
    [
        ("sqlite", None),
        ("postgresql", None),
        ("mariadb", None),
        ("postgresql", "redis"),
    ],
    indirect=["backend"],
    ids=["sqlite", "postgresql", "mariadb", "redis"],
)
def test_exactly_once_through_leader_kills(
    tmp_path: Path,
    database_url: str,
    store: str | None,
    request: pytest.FixtureRequest,
) -> None:
    store_url = request.getfixturevalue("redis_url") if store else None
    engine = sa.create_engine(database_url, poolclass=sa.NullPool)
    jobs.db.metadata.create_all(engine)
    cluster = Cluster(tmp_path, database_url, store_url, preload=False)
    killed: set[int] = set()
    try:
        try:
            kill_leaders(engine, killed)
            # The last leader lives: it catches up and keeps the schedule.
            rows = wait_for(
                lambda: [
                    r
                    for r in history_rows(engine)
                    if r[1] == "success" and r[2] not in killed
                ][3:],
                timeout=60,
            )
            last = rows[-1][0]
        finally:
            cluster.stop()
        check_history(engine, killed, last)
    except AssertionError as e:
        log = (tmp_path / "gunicorn.log").read_text()[-4000:]
        raise AssertionError(f"{e}\n--- gunicorn log (end) ---\n{log}") from e
    finally:
        engine.dispose()


def test_reloader_parent_never_runs_jobs(tmp_path: Path, sqlite_url: str) -> None:
    engine = sa.create_engine(sqlite_url, poolclass=sa.NullPool)
    jobs.db.metadata.create_all(engine)
    env = {
        **os.environ,
        "TEST_SCHEDULER_DB": sqlite_url,
        "TEST_SCHEDULER_DIR": str(tmp_path),
        "PYTHONPATH": PYTHONPATH,
    }
    args = ["-m", "flask", "--app", "tests._scheduler_jobs:create_app()", "run"]
    with open(tmp_path / "flask.log", "w") as log:
        proc = subprocess.Popen(
            [sys.executable, *args, "--debug", "--port", str(free_port())],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            rows = wait_for(
                lambda: len(tick_rows(engine)) >= 3 and tick_rows(engine), timeout=60
            )
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(20)
    # Only reloaded children run jobs (another child after a source file changed).
    assert proc.pid not in {r.pid for r in rows}, (tmp_path / "flask.log").read_text()
    assert len({r.scheduled for r in rows}) == len(rows)
    engine.dispose()


RESTART_SCRIPT = """
import json, sys
from tests import _scheduler_jobs as jobs
url, folder, hours, phase = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
config = {"SCHEDULER_AUTOSTART": True, "SCHEDULER_JOBS": [
    {"id": "cfg", "func": "tests._scheduler_jobs:sleep", "args": [0],
     "trigger": "interval", "hours": hours},
]}
app = jobs.make_app(url, folder, **config)
with app.app_context():
    manager = jobs.toolkit.scheduler
    if phase == "first":
        manager.add_job("api", jobs.record_tick, "cron", hour=4)
        manager.pause_job("api")
    print(json.dumps([manager.job_to_dict(j) for j in manager.get_jobs()]))
"""


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_jobs_survive_a_process_restart(tmp_path: Path, database_url: str) -> None:
    def run(hours: int, phase: str) -> dict[str, t.Any]:
        result = subprocess.run(
            [sys.executable, "-c", RESTART_SCRIPT, database_url, str(tmp_path)]
            + [str(hours), phase],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": PYTHONPATH},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return {job["id"]: job for job in json.loads(result.stdout)}

    first = run(6, "first")
    assert sorted(first) == ["api", "cfg", "declared"] and first["api"]["paused"]
    second = run(6, "second")
    assert second == first  # nothing duplicated, nothing moved
    third = run(12, "third")
    assert sorted(third) == ["api", "cfg", "declared"]
    assert third["api"]["paused"] is True
    assert third["cfg"]["hours"] == 12 and first["cfg"]["hours"] == 6


EXIT_SCRIPT = """
import sys
from tests import _scheduler_jobs as jobs
app = jobs.make_app(sys.argv[1], sys.argv[2], SCHEDULER_AUTOSTART=True)
with app.app_context():
    jobs.toolkit.scheduler.add_job("slow", jobs.sleep, "interval", hours=1, args=[1.0])
    jobs.toolkit.scheduler.run_job("slow")
# the interpreter exits here, with the job still running
"""


def test_running_job_finishes_at_exit(tmp_path: Path, sqlite_url: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", EXIT_SCRIPT, sqlite_url, str(tmp_path)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": PYTHONPATH},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    engine = sa.create_engine(sqlite_url, poolclass=sa.NullPool)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT status, duration FROM toolkit_job_runs")
        ).all()
    assert [r.status for r in rows] == ["success"]
    assert rows[0].duration >= 1.0
