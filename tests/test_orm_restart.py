"""A PostgreSQL server that stops and comes back while the app keeps serving.

The test runs its own, private PostgreSQL instance (``initdb`` into a temporary folder,
on a free port) so that stopping it disturbs nobody else's tests. It needs the
PostgreSQL server binaries: ``TOOLKIT_PG_BIN`` names their folder, else the newest
``/usr/lib/postgresql/*/bin`` or the folder of ``pg_ctl`` on ``PATH`` is used. Without
them the test skips — or fails under ``TOOLKIT_REQUIRE_SERVERS=1``.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import typing as t
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Blueprint
from flask import Flask

from flask_toolkit import api_blueprint

from ._orm_models import count_tasks
from ._orm_models import db
from ._orm_models import make_app
from ._orm_models import Task
from ._servers import require_driver
from ._servers import REQUIRE_ENV
from ._servers import servers_required

pytestmark = pytest.mark.slow


def _missing(reason: str) -> t.NoReturn:
    reason = f"A private PostgreSQL server cannot be started: {reason}."
    if servers_required():
        pytest.fail(f"{reason} ({REQUIRE_ENV} is set, so this is a failure.)")
    pytest.skip(f"{reason} Install the 'postgresql' package or set TOOLKIT_PG_BIN.")


def _bin_dir() -> Path | None:
    configured = os.environ.get("TOOLKIT_PG_BIN")
    if configured:
        return Path(configured)
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2])
    )
    if found:
        return Path(found[-1])
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).resolve().parent if pg_ctl else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivatePostgres:
    """One throw-away PostgreSQL cluster, with trust authentication on loopback."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="toolkit-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.prefix: list[str] = []
        if os.geteuid() == 0:
            # initdb refuses to run as root; run the cluster as the postgres user.
            if shutil.which("runuser") is None:
                _missing("running as root, and 'runuser' is not available")
            try:
                import pwd

                user = pwd.getpwnam("postgres")
            except KeyError:
                _missing("running as root, and there is no 'postgres' user")
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]
        self.url = f"postgresql+psycopg://toolkit@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        subprocess.run(
            [*self.prefix, *args], check=True, capture_output=True, timeout=60
        )

    def init(self) -> None:
        self._run(
            str(self.bin_dir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "toolkit",
            "-A",
            "trust",
            "--no-sync",
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        )
        log = str(self.root / "server.log")
        self._run(
            str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-o", options,
            "-l", log, "-w", "start",
        )  # fmt: skip

    def stop(self) -> None:
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "fast",
                  "-w", "stop")  # fmt: skip

    def remove(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass  # not running
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def private_postgres() -> t.Iterator[PrivatePostgres]:
    require_driver("psycopg", "postgresql")
    bin_dir = _bin_dir()
    if bin_dir is None or not (bin_dir / "initdb").exists():
        _missing("no initdb / pg_ctl found")
    server = PrivatePostgres(bin_dir)
    try:
        server.init()
        server.start()
    except subprocess.CalledProcessError as e:
        server.remove()
        _missing(f"{' '.join(e.cmd[-2:])} failed: {e.stderr.decode(errors='replace')}")
    yield server
    server.remove()


@pytest.fixture
def restart_app(private_postgres: PrivatePostgres, tmp_path: Path) -> t.Iterator[Flask]:
    app = make_app(
        private_postgres.url,
        tmp_path,
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 3}},
    )
    bp = api_blueprint(Blueprint("api", __name__, url_prefix="/api"))

    @bp.post("/tasks/<title>")
    def create(title: str) -> tuple[dict[str, t.Any], int]:
        db.session.add(Task(title=title))
        db.session.flush()
        if title == "server dies before commit":
            private_postgres.stop()
        db.session.commit()
        return {"title": title}, 201

    app.register_blueprint(bp)
    yield app
    db.get_engine(app).dispose()


UNAVAILABLE = {
    "code": -1,
    "msg": "The database is unavailable at the moment; try again shortly.",
}


def test_outage_is_a_503_and_the_first_request_after_restart_succeeds(
    private_postgres: PrivatePostgres, restart_app: Flask
) -> None:
    client = restart_app.test_client()
    assert client.post("/api/tasks/before").status_code == 201
    engine = db.get_engine(restart_app)
    assert engine.pool.checkedin() == 1  # type: ignore[attr-defined]

    private_postgres.stop()
    during = client.post("/api/tasks/during")
    assert during.status_code == 503
    assert during.json == UNAVAILABLE

    private_postgres.start()
    after = client.post("/api/tasks/after")
    assert after.status_code == 201  # pre-ping replaced the dead pooled connection
    with restart_app.app_context():
        titles = db.session.scalars(sa.select(Task.title).order_by(Task.id)).all()
    assert titles == ["before", "after"]
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_server_lost_mid_request_leaves_nothing_half_written(
    private_postgres: PrivatePostgres, restart_app: Flask
) -> None:
    client = restart_app.test_client()
    lost = client.post("/api/tasks/server dies before commit")
    assert lost.status_code == 503
    assert lost.json == UNAVAILABLE

    private_postgres.start()
    assert client.post("/api/tasks/after").status_code == 201
    assert count_tasks(restart_app) == 1
    assert db.get_engine(restart_app).pool.checkedout() == 0  # type: ignore[attr-defined]
