"""A job store that goes away or freezes: 503 in the envelope, then recovery.

Outages come from servers and proxies the tests own (a private ``redis-server``, a
:class:`~tests._proxy.TcpProxy` in front of the shared database servers), never from
stopping the shared servers.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import typing as t
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests import _scheduler_api as h
from tests._proxy import TcpProxy
from tests.test_scheduler_manager import wait_for

JOB = {"id": "job1", "func": "tests._scheduler_api:job1", "trigger": "interval"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    """A ``redis-server`` of this test's own, on a port of its own."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", ""],
            stdout=subprocess.DEVNULL,
        )
        wait_for(self._answers)

    def _answers(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def redis_server() -> t.Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer(free_port())
    server.start()
    yield server
    server.stop()


def is_outage(response: t.Any) -> bool:
    return bool(
        response.status_code == 503
        and response.is_json
        and response.json["code"] == -1
        and "try again" in response.json["msg"]
    )


def test_a_redis_outage_answers_503_and_recovers(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    url = f"redis://127.0.0.1:{redis_server.port}/0"
    app = h.make_app(tmp_path, SCHEDULER_JOBSTORES={"default": url})
    try:
        admin = h.caller(app, "admin")
        assert admin.post("/scheduler/jobs", {**JOB, "hours": 1}).status_code == 200
        redis_server.stop()
        for path in ("/scheduler/jobs", "/scheduler/jobs/job1"):
            response = admin.get(path)
            assert is_outage(response), (response.status_code, response.data)
        response = admin.post("/scheduler/jobs", {**JOB, "id": "job2", "hours": 1})
        assert is_outage(response), (response.status_code, response.data)
        redis_server.start()  # empty: --save ''
        wait_for(lambda: admin.get("/scheduler/jobs").status_code == 200)
        assert admin.post("/scheduler/jobs", {**JOB, "hours": 1}).status_code == 200
        assert [j["id"] for j in admin.get("/scheduler/jobs").json] == ["job1"]
    finally:
        if redis_server.proc is None:
            redis_server.start()
        h.close(app)


@pytest.mark.parametrize("backend", ["postgresql", "mariadb"])
def test_a_frozen_database_answers_503_and_recovers(
    tmp_path: Path, database_url: str
) -> None:
    url = sa.make_url(database_url)
    with TcpProxy(url.host or "127.0.0.1", url.port or 0) as proxy:
        proxied = url.set(host="127.0.0.1", port=proxy.port)
        app = h.make_app(
            tmp_path,
            SQLALCHEMY_DATABASE_URI=proxied.render_as_string(hide_password=False),
            TOOLKIT_DB_CONNECT_TIMEOUT=2,
            TOOLKIT_DB_STATEMENT_TIMEOUT=1,
        )
        try:
            admin = h.caller(app, "admin")
            assert admin.post("/scheduler/jobs", {**JOB, "hours": 1}).status_code == 200
            proxy.pause()  # the server stops answering; connections stay open
            for path in ("/scheduler/jobs", "/scheduler/jobs/job1"):
                response = admin.get(path)
                assert is_outage(response), (response.status_code, response.data)
            proxy.resume()
            wait_for(lambda: admin.get("/scheduler/jobs").status_code == 200)
            assert admin.get("/scheduler/jobs/job1").status_code == 200
        finally:
            proxy.resume()
            h.close(app)
