"""The server fixtures of ``tests/_servers.py`` give working, empty databases."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests import _servers

DIALECTS = {"sqlite": "sqlite", "postgresql": "postgresql", "mariadb": "mysql"}


def _roundtrip(url: str) -> list[str]:
    """Create a table, insert and read back; return the tables that were there first."""
    engine = sa.create_engine(url)
    try:
        existing = sa.inspect(engine).get_table_names()
        metadata = sa.MetaData()
        note = sa.Table(
            "note",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("text", sa.String(50), nullable=False),
        )
        metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(note.insert(), [{"text": "one"}, {"text": "два"}])
        with engine.connect() as conn:
            rows = (
                conn.execute(sa.select(note.c.text).order_by(note.c.id)).scalars().all()
            )
        assert rows == ["one", "два"]
        return existing
    finally:
        engine.dispose()


def test_database_url_is_empty_and_works(backend: str, database_url: str) -> None:
    assert sa.make_url(database_url).get_dialect().name == DIALECTS[backend]
    assert _roundtrip(database_url) == []


def test_database_url_is_empty_after_a_test_left_tables(database_url: str) -> None:
    # The previous test left a table behind on the same database.
    assert _roundtrip(database_url) == []


def test_sqlite_url(sqlite_url: str) -> None:
    assert sa.make_url(sqlite_url).get_backend_name() == "sqlite"
    assert _roundtrip(sqlite_url) == []


def test_absent_database_url_can_be_created(
    backend: str, absent_database_url: str, server_urls: dict[str, str]
) -> None:
    url = sa.make_url(absent_database_url)
    if backend == "sqlite":
        assert url.database is not None
        assert not Path(url.database).exists()
    else:
        admin = sa.create_engine(server_urls[backend], isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                quoted = admin.dialect.identifier_preparer.quote(str(url.database))
                conn.exec_driver_sql(f"CREATE DATABASE {quoted}")
        finally:
            admin.dispose()
    assert _roundtrip(absent_database_url) == []


def test_redis_url_is_empty_and_works(redis_url: str) -> None:
    import redis

    assert redis_url != _servers.server_url("redis")
    client = redis.Redis.from_url(redis_url)
    try:
        assert client.dbsize() == 0
        client.set("toolkit:test", "value")
        assert client.get("toolkit:test") == b"value"
    finally:
        client.close()


def test_redis_url_is_empty_after_a_test_left_keys(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        assert client.dbsize() == 0
    finally:
        client.close()


INNER_TESTS = """
def test_database(database_url):
    pass

def test_redis(redis_url):
    pass
"""


@pytest.mark.parametrize("required", ["", "1"], ids=["skip", "required"])
def test_missing_server_skips_or_fails(tmp_path: Path, required: str) -> None:
    (tmp_path / "test_inner.py").write_text(textwrap.dedent(INNER_TESTS))
    env = dict(os.environ)
    env.update(
        {
            # Port 1 on loopback: nothing listens, so the connection is refused at once.
            _servers.POSTGRES_ENV: "postgresql+psycopg://nobody:x@127.0.0.1:1/postgres",
            _servers.MYSQL_ENV: "mysql+pymysql://nobody:x@127.0.0.1:1/mysql",
            _servers.REDIS_ENV: "redis://127.0.0.1:1/0",
            _servers.REQUIRE_ENV: required,
            "PYTHONPATH": os.pathsep.join(
                [str(Path(__file__).parents[1]), env.get("PYTHONPATH", "")]
            ),
        }
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tests._servers",
            "-p",
            "no:cacheprovider",
        ]
        + ["-rA", "-W", "error", "test_inner.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = result.stdout
    if required:
        assert result.returncode == 1, out
        assert "1 passed, 3 errors" in out, out
        assert "TOOLKIT_REQUIRE_SERVERS is set" in out
    else:
        assert result.returncode == 0, out
        assert "1 passed, 3 skipped" in out, out
        assert "Set TOOLKIT_REQUIRE_SERVERS=1 to fail" in out
    for env_name in (_servers.POSTGRES_ENV, _servers.MYSQL_ENV, _servers.REDIS_ENV):
        assert env_name in out


@pytest.mark.parametrize("required", ["", "1"], ids=["skip", "required"])
def test_missing_driver_skips_or_fails(
    monkeypatch: pytest.MonkeyPatch, required: str
) -> None:
    monkeypatch.setenv(_servers.REQUIRE_ENV, required)
    outcome = pytest.fail.Exception if required else pytest.skip.Exception
    with pytest.raises(outcome, match="no_such_driver_module package is not installed"):
        _servers.require_driver("no_such_driver_module", "postgresql")
    assert _servers.require_driver("sqlalchemy", "postgresql") is sa
