"""The demo boots under ``gunicorn -w 2`` on a fresh instance folder: both workers
create the tables and seed the demo accounts at once, and neither fails to boot.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from .test_boot_outage import get
from .test_boot_outage import worker_pids
from .test_dropin import wait_for
from .test_scheduler_cluster import free_port

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("attempt", range(3))
def test_demo_boots_with_two_workers_on_a_fresh_instance(
    tmp_path: Path, attempt: int
) -> None:
    from examples.taskboard.auth import DEMO_USERS

    instance = tmp_path / "instance"
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
    }
    log_path = tmp_path / "gunicorn.log"
    log = open(log_path, "w")  # noqa: SIM115
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}",
         f"examples.taskboard:create_app(instance_path={str(instance)!r})"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for(lambda: get(port, "/api/auth/me")[0] in (200, 401), timeout=60)
        wait_for(lambda: len(worker_pids(server.pid)) == 2, timeout=30)
        assert server.poll() is None
        text = log_path.read_text()
        assert "Worker failed to boot" not in text and "Traceback" not in text, text
        engine = sa.create_engine(f"sqlite:///{instance / 'toolkit.sqlite'}")
        try:
            with engine.connect() as conn:
                emails = conn.execute(sa.text("SELECT email FROM user_account")).all()
        finally:
            engine.dispose()
        assert sorted(e for (e,) in emails) == sorted(u[0] for u in DEMO_USERS)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
