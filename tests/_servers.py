"""Pytest plugin: clean databases on SQLite, PostgreSQL and MariaDB, and a clean Redis.

Load it from ``conftest.py`` with ``pytest_plugins = ["tests._servers"]``.

Where the servers are is read from the environment:

``TOOLKIT_TEST_POSTGRES_URL``
    An SQLAlchemy URL of a PostgreSQL login allowed to create databases, and an existing
    database to connect to while doing so.
    Default ``postgresql+psycopg://toolkit:toolkit@127.0.0.1:5432/postgres``.
``TOOLKIT_TEST_MYSQL_URL``
    The same for MariaDB (or MySQL).
    Default ``mysql+pymysql://toolkit:toolkit@127.0.0.1:3306/mysql``.
``TOOLKIT_TEST_REDIS_URL``
    A Redis server. Default ``redis://127.0.0.1:6379/0``. Only claim keys are written to
    the database number in this URL; tests get another database number of that server,
    claimed for the test session so parallel runs never flush each other's data.
``TOOLKIT_REQUIRE_SERVERS``
    When ``1`` (CI sets it), a server that is missing or unreachable fails the test
    instead of skipping it.

``bash .ci/servers.sh`` installs and starts all three servers on 127.0.0.1 with these
defaults.

Each server database is created once per test session, named after the process
(``toolkit_test_<pid>``) so that pytest-xdist workers and parallel tox envs do not
collide. Every table, view, sequence and enum type in it is dropped after each test, and
the database itself is dropped at the end of the session.
"""

from __future__ import annotations

import importlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from typing import NoReturn
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.engine import URL

if TYPE_CHECKING:
    import redis

POSTGRES_ENV = "TOOLKIT_TEST_POSTGRES_URL"
MYSQL_ENV = "TOOLKIT_TEST_MYSQL_URL"
REDIS_ENV = "TOOLKIT_TEST_REDIS_URL"
REQUIRE_ENV = "TOOLKIT_REQUIRE_SERVERS"

#: The ``backend`` fixture's parameters, which are also its test ids.
BACKENDS = ("sqlite", "postgresql", "mariadb")
#: Servers by name: (environment variable, default URL, label used in messages).
SERVERS: dict[str, tuple[str, str, str]] = {
    "postgresql": (
        POSTGRES_ENV,
        "postgresql+psycopg://toolkit:toolkit@127.0.0.1:5432/postgres",
        "PostgreSQL",
    ),
    "mariadb": (
        MYSQL_ENV,
        "mysql+pymysql://toolkit:toolkit@127.0.0.1:3306/mysql",
        "MariaDB",
    ),
    "redis": (REDIS_ENV, "redis://127.0.0.1:6379/0", "Redis"),
}
#: Seconds to wait for a server to accept a connection before calling it missing.
CONNECT_TIMEOUT = 2
#: Seconds a teardown waits for a lock held by a leaked connection before killing it.
LOCK_TIMEOUT = 5
#: Seconds a Redis database claim lives without being refreshed by a test.
REDIS_CLAIM_TTL = 3600
_REDIS_CLAIM_PREFIX = "toolkit-test:db-claim:"


def servers_required() -> bool:
    """Whether ``TOOLKIT_REQUIRE_SERVERS`` turns a missing server into a failure."""
    return os.environ.get(REQUIRE_ENV, "").strip().lower() not in (
        "",
        "0",
        "false",
        "no",
    )


def server_url(name: str) -> str:
    """The configured URL of a server: ``"postgresql"``, ``"mariadb"`` or ``"redis"``.

    This is the admin URL from the environment (or its default), not a test database.
    """
    env, default, _ = SERVERS[name]
    return os.environ.get(env) or default


def server_missing(name: str, detail: str) -> NoReturn:
    """Skip the current test because a server is missing, or fail it when servers are
    required.
    """
    env, _, label = SERVERS[name]
    reason = (
        f"{label} is not available: {detail}. Start it with 'bash .ci/servers.sh'"
        f" or point {env} at one."
    )
    if servers_required():
        pytest.fail(
            f"{reason} ({REQUIRE_ENV} is set, so this is a failure.)", pytrace=False
        )
    pytest.skip(f"{reason} (Set {REQUIRE_ENV}=1 to fail instead of skipping.)")


def require_driver(module: str, server: str) -> Any:
    """Import a database driver, as :func:`pytest.importorskip` would, except that a
    missing driver is a failure when ``TOOLKIT_REQUIRE_SERVERS`` is set.

    :param module: the driver's module, ``"psycopg"`` or ``"pymysql"``.
    :param server: the server it talks to, ``"postgresql"`` or ``"mariadb"``.
    """
    try:
        return importlib.import_module(module)
    except ImportError as e:
        server_missing(server, f"the {module} package is not installed ({e})")


def _safe(url: URL | str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _error_text(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def _process_tag() -> str:
    return str(os.getpid())


def _create_engine(url: URL, **options: Any) -> sa.Engine:
    connect_args: dict[str, Any] = {}
    if url.get_backend_name() in ("postgresql", "mysql", "mariadb"):
        connect_args["connect_timeout"] = CONNECT_TIMEOUT
    return sa.create_engine(url, connect_args=connect_args, **options)


class ServerDatabase:
    """One test database on one server, alive for the test session."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.admin_url = make_url(server_url(backend))
        self.name = f"toolkit_test_{_process_tag()}"
        self.url = self.admin_url.set(database=self.name)
        self._admin = _create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        self._engine: sa.Engine | None = None
        self._extra: list[str] = []

    @property
    def url_string(self) -> str:
        """The test database's URL, with its password, for SQLAlchemy."""
        return self.url.render_as_string(hide_password=False)

    def create(self) -> None:
        """Connect to the server and create a fresh, empty test database.

        :raise sqlalchemy.exc.SQLAlchemyError: when the server does not answer.
        """
        self._drop_database(self.name)
        self._create_database(self.name)
        self._engine = _create_engine(self.url, poolclass=sa.NullPool)

    def new_database_name(self) -> str:
        """A name for a database that does not exist yet.

        It is dropped by :meth:`drop_extra`.
        """
        name = f"{self.name}_{len(self._extra) + 1}"
        self._extra.append(name)
        self._drop_database(name)
        return name

    def drop_extra(self) -> None:
        """Drop the databases named by :meth:`new_database_name` that were created."""
        while self._extra:
            self._drop_database(self._extra.pop())

    def clean(self) -> None:
        """Drop every view, table, sequence and enum type in the test database.

        A connection that a test leaked with a transaction still open would make the
        drop wait forever; after :data:`LOCK_TIMEOUT` seconds such connections are
        killed.
        """
        try:
            self._drop_objects()
        except sa.exc.OperationalError:
            self._kill_other_connections(self.name)
            self._drop_objects()

    def close(self) -> None:
        """Drop the test database and close every connection to the server."""
        try:
            if self._engine is not None:
                self._engine.dispose()
                self.drop_extra()
                self._drop_database(self.name)
        finally:
            self._admin.dispose()

    def _create_database(self, name: str) -> None:
        quoted = self._admin.dialect.identifier_preparer.quote(name)
        with self._admin.connect() as conn:
            if self.backend == "mariadb":
                conn.exec_driver_sql(f"CREATE DATABASE {quoted} CHARACTER SET utf8mb4")
            else:
                conn.exec_driver_sql(f"CREATE DATABASE {quoted}")

    def _drop_database(self, name: str) -> None:
        quoted = self._admin.dialect.identifier_preparer.quote(name)
        self._kill_other_connections(name)
        with self._admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quoted}")

    def _kill_other_connections(self, name: str) -> None:
        with self._admin.connect() as conn:
            if self.backend == "postgresql":
                conn.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                )
            else:
                ids = conn.execute(
                    sa.text(
                        "SELECT id FROM information_schema.processlist"
                        " WHERE db = :name AND id <> CONNECTION_ID()"
                    ),
                    {"name": name},
                ).scalars()
                for connection_id in ids.all():
                    try:
                        conn.exec_driver_sql(f"KILL {int(connection_id)}")
                    except sa.exc.DBAPIError:
                        pass  # it ended by itself in the meantime

    def _drop_objects(self) -> None:
        assert self._engine is not None, "create() was not called"
        with self._engine.connect() as conn:
            inspector = sa.inspect(conn)
            quote = conn.dialect.identifier_preparer.quote
            views = ", ".join(quote(n) for n in inspector.get_view_names())
            tables = ", ".join(quote(n) for n in inspector.get_table_names())
            if self.backend == "postgresql":
                conn.exec_driver_sql(f"SET lock_timeout = '{LOCK_TIMEOUT}s'")
                sequences = ", ".join(quote(n) for n in inspector.get_sequence_names())
                enums = ", ".join(
                    quote(e["name"])
                    for e in inspector.get_enums()  # type: ignore[attr-defined]
                )
                for kind, names in (
                    ("VIEW", views),
                    ("TABLE", tables),
                    ("SEQUENCE", sequences),
                    ("TYPE", enums),
                ):
                    if names:
                        conn.exec_driver_sql(f"DROP {kind} IF EXISTS {names} CASCADE")
            else:
                conn.exec_driver_sql(f"SET SESSION lock_wait_timeout = {LOCK_TIMEOUT}")
                conn.exec_driver_sql("SET SESSION foreign_key_checks = 0")
                if views:
                    conn.exec_driver_sql(f"DROP VIEW IF EXISTS {views}")
                if tables:
                    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {tables}")
            conn.commit()


class ServerDatabases:
    """The session's test databases, created on first use and each checked once."""

    def __init__(self) -> None:
        self._databases: dict[str, ServerDatabase] = {}
        self._missing: dict[str, str] = {}

    def get(self, backend: str) -> ServerDatabase:
        """The test database on ``backend``; skips or fails the test if the server is
        missing.
        """
        if backend in self._missing:
            server_missing(backend, self._missing[backend])
        if backend not in self._databases:
            try:
                database = ServerDatabase(backend)
            except ImportError as e:
                self._missing[backend] = f"its driver is not installed ({e})"
                server_missing(backend, self._missing[backend])
            try:
                database.create()
            except sa.exc.SQLAlchemyError as e:
                database.close()
                self._missing[backend] = (
                    "could not create a test database through"
                    f" {_safe(server_url(backend))} ({_error_text(e)})"
                )
                server_missing(backend, self._missing[backend])
            self._databases[backend] = database
        return self._databases[backend]

    def close(self) -> None:
        """Drop every test database created in this session."""
        while self._databases:
            self._databases.popitem()[1].close()


class RedisDatabase:
    """A database number on the Redis server, claimed for this test session.

    Claims are keys in the database of ``TOOLKIT_TEST_REDIS_URL``, which is never
    flushed; a claim left by a crashed run expires after :data:`REDIS_CLAIM_TTL`
    seconds.
    """

    def __init__(self) -> None:
        import redis

        self.base_url = make_url(server_url("redis"))
        self._control: redis.Redis = redis.Redis.from_url(
            server_url("redis"),
            socket_connect_timeout=CONNECT_TIMEOUT,
            socket_timeout=10,
        )
        self._owner = f"{socket.gethostname()}:{_process_tag()}"
        self.number = self._claim()
        self.url = self.base_url.set(database=str(self.number))
        self.client: redis.Redis = redis.Redis.from_url(
            self.url_string, socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=10
        )

    @property
    def url_string(self) -> str:
        """The claimed database's URL, for ``redis.Redis.from_url``."""
        return self.url.render_as_string(hide_password=False)

    def _claim(self) -> int:
        import redis

        control_number = int(self.base_url.database or 0)
        try:
            count = int(str(self._control.config_get("databases")["databases"]))
        except (redis.ResponseError, KeyError, ValueError):
            count = 16  # CONFIG is disabled on this server; Redis' default
        for number in range(count):
            if number == control_number:
                continue
            key = f"{_REDIS_CLAIM_PREFIX}{number}"
            if self._control.set(key, self._owner, nx=True, ex=REDIS_CLAIM_TTL):
                return number
        raise RuntimeError(
            f"every database of the Redis server at {_safe(self.base_url)} is claimed"
            f" by another test run (keys {_REDIS_CLAIM_PREFIX}* in database"
            f" {control_number})."
        )

    def flush(self) -> None:
        """Empty the claimed database and renew the claim."""
        key = f"{_REDIS_CLAIM_PREFIX}{self.number}"
        self._control.set(key, self._owner, ex=REDIS_CLAIM_TTL)
        self.client.flushdb()

    def close(self) -> None:
        """Empty the claimed database and give it back."""
        try:
            self.client.flushdb()
            key = f"{_REDIS_CLAIM_PREFIX}{self.number}"
            if self._control.get(key) == self._owner.encode():
                self._control.delete(key)
        finally:
            self.client.close()
            self._control.close()


def pytest_configure(config: pytest.Config) -> None:
    for backend in BACKENDS:
        config.addinivalue_line(
            "markers",
            f"{backend}: runs on the {backend} database backend (set by fixture)",
        )


@pytest.fixture(scope="session")
def server_databases() -> Iterator[ServerDatabases]:
    """The session's test databases on the PostgreSQL and MariaDB servers."""
    databases = ServerDatabases()
    yield databases
    databases.close()


@pytest.fixture(
    params=[pytest.param(b, id=b, marks=getattr(pytest.mark, b)) for b in BACKENDS]
)
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend under test: ``"sqlite"``, ``"postgresql"`` or ``"mariadb"``.

    A test that uses this fixture, or :func:`database_url`, runs once per backend;
    select some with ``-m sqlite`` or ``-k "not mariadb"``.
    """
    name: str = request.param
    return name


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """The URL of a new, empty SQLite database file in ``tmp_path``."""
    return URL.create(
        "sqlite", database=str(tmp_path / "test.sqlite")
    ).render_as_string()


@pytest.fixture
def database_url(
    backend: str, tmp_path: Path, server_databases: ServerDatabases
) -> Iterator[str]:
    """The URL of an empty database on ``backend``.

    On the servers, the database is emptied again after the test.
    """
    if backend == "sqlite":
        yield URL.create(
            "sqlite", database=str(tmp_path / "test.sqlite")
        ).render_as_string()
        return
    database = server_databases.get(backend)
    yield database.url_string
    database.clean()


@pytest.fixture
def absent_database_url(
    backend: str, tmp_path: Path, server_databases: ServerDatabases
) -> Iterator[str]:
    """The URL of a database that does not exist yet on ``backend`` (for create-database
    tests); dropped after the test if the test created it.
    """
    if backend == "sqlite":
        path = tmp_path / "absent" / "created.sqlite"
        path.parent.mkdir()
        yield URL.create("sqlite", database=str(path)).render_as_string()
        return
    database = server_databases.get(backend)
    name = database.new_database_name()
    yield database.url.set(database=name).render_as_string(hide_password=False)
    database.drop_extra()


@pytest.fixture(scope="session")
def _redis_database() -> Iterator[RedisDatabase]:
    try:
        import redis
    except ImportError as e:
        server_missing("redis", f"the redis package is not installed ({e})")
    try:
        database = RedisDatabase()
    except redis.RedisError as e:
        server_missing("redis", f"no answer from {_safe(server_url('redis'))} ({e})")
    yield database
    database.close()


@pytest.fixture
def redis_url(_redis_database: RedisDatabase) -> Iterator[str]:
    """The URL of an empty Redis database, flushed before and after the test."""
    _redis_database.flush()
    yield _redis_database.url_string
    _redis_database.flush()


@pytest.fixture(scope="session")
def server_urls() -> dict[str, str]:
    """The configured admin URLs by server name: ``postgresql``, ``mariadb``, ``redis``.

    For tests that need the server itself rather than a test database; nothing is
    checked.
    """
    return {name: server_url(name) for name in SERVERS}
