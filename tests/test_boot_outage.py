"""gunicorn boots, and keeps its workers, while the database is down.

Two workers of ``tests._boot_app:create_app()`` on a private PostgreSQL server that
is stopped at boot and while a worker restarts; once the server is started the same
master (never restarted) answers 200 and the scheduler runs its job.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import typing as t
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

from .test_dropin import wait_for
from .test_orm_restart import private_postgres  # noqa: F401  (fixture)
from .test_orm_restart import PrivatePostgres
from .test_scheduler_cluster import free_port

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def get(port: int, path: str) -> tuple[int, dict[str, t.Any]]:
    try:
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}{path}", timeout=10
        ) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)
    except (urllib.error.URLError, ConnectionError):
        return 0, {}


def worker_pids(master: int) -> set[int]:
    out = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(master)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return {int(p) for p in out.split()}


def history_successes(url: str) -> int:
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("toolkit_job_runs"):
                return 0
            return int(
                conn.execute(
                    sa.text(
                        "SELECT count(*) FROM toolkit_job_runs"
                        " WHERE job_id = 'beat' AND status = 'success'"
                    )
                ).scalar_one()
            )
    finally:
        engine.dispose()


def test_gunicorn_boots_and_recovers_with_the_database_down(
    private_postgres: PrivatePostgres,  # noqa: F811
    tmp_path: Path,
) -> None:
    private_postgres.stop()
    port = free_port()
    env = {
        **os.environ,
        "TEST_BOOT_DB": private_postgres.url,
        "TEST_BOOT_DIR": str(tmp_path),
        # This checkout's package, not an installed one.
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
    }
    log = open(tmp_path / "gunicorn.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}",
         "--graceful-timeout", "5", "tests._boot_app:create_app()"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        # Boots with the database down: requests that need it are 503, others 200.
        wait_for(lambda: get(port, "/api/pid")[0] == 200, timeout=60)
        assert get(port, "/api/db")[0] == 503
        wait_for(lambda: len(worker_pids(server.pid)) == 2)
        workers = worker_pids(server.pid)

        # A worker restarts during the outage: it boots, and nobody else goes down.
        victim = min(workers)
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: len(worker_pids(server.pid) - {victim}) == 2, timeout=60)
        assert server.poll() is None
        wait_for(lambda: get(port, "/api/pid")[0] == 200, timeout=30)
        assert get(port, "/api/db")[0] == 503

        # The database comes back: the same master answers, the scheduler runs.
        private_postgres.start()
        wait_for(lambda: get(port, "/api/db") == (200, {"one": 1}), timeout=60)
        wait_for(lambda: history_successes(private_postgres.url) >= 2, timeout=60)
        assert server.poll() is None
    except AssertionError as error:
        log.flush()
        tail = (tmp_path / "gunicorn.log").read_text()[-4000:]
        raise AssertionError(f"{error}\n--- gunicorn log (end) ---\n{tail}") from error
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
