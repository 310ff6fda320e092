"""Connect and statement timeouts, so that a database that hangs is an error in seconds.

Without them a request waits as long as the server does: a frozen server (stopped,
overloaded, cut off by a network that drops packets) keeps every worker busy until the
client gives up. The toolkit puts two limits on the engines it creates:

``TOOLKIT_DB_CONNECT_TIMEOUT`` (default ``5`` seconds)
    How long opening a connection may take.
``TOOLKIT_DB_STATEMENT_TIMEOUT`` (default ``15`` seconds)
    How long one statement may wait for the server. PostgreSQL gets it as the session's
    ``statement_timeout`` *and* a client-side watchdog (the server cannot cancel a
    statement when it is frozen itself): a statement or pool pre-ping that has not
    answered a few seconds after the limit has its socket shut down, which turns it
    into a lost connection. MySQL / MariaDB get the driver's ``read_timeout`` and
    ``write_timeout``. SQLite is local and gets neither. Only drivers known to take
    these arguments get them: psycopg, psycopg2 and psycopg2cffi; PyMySQL, mysqlclient.

Either one set to ``None`` (or ``0``) turns it off. A value the app already gives in
``SQLALCHEMY_ENGINE_OPTIONS["connect_args"]`` or in the URL wins. A statement stopped
this way raises an :class:`~sqlalchemy.exc.OperationalError` on a lost connection, which
:mod:`~flask_toolkit.db.errors` answers with 503.
"""

from __future__ import annotations

import math
import os
import socket
import threading
import time
import typing as t

import sqlalchemy as sa

from .. import config

config.register_defaults(
    {"TOOLKIT_DB_CONNECT_TIMEOUT": 5.0, "TOOLKIT_DB_STATEMENT_TIMEOUT": 15.0}
)

#: Drivers that take these arguments (others are left alone).
_PG_DRIVERS = frozenset({"psycopg", "psycopg2", "psycopg2cffi"})
_MYSQL_DRIVERS = frozenset({"pymysql", "mysqldb"})
#: The watchdog steps in this long after ``TOOLKIT_DB_STATEMENT_TIMEOUT``, giving the
#: server's own timeout the first chance.
WATCHDOG_GRACE = 2.0


def _seconds(value: t.Any) -> float | None:
    if value is None or value is False:
        return None
    value = float(value)
    return value if value > 0 else None


def connect_args(
    url: sa.URL, connect_timeout: t.Any, statement_timeout: t.Any
) -> dict[str, t.Any]:
    """The driver arguments that set the timeouts for a connection to ``url``."""
    connect, statement = _seconds(connect_timeout), _seconds(statement_timeout)
    backend, driver, query = url.get_backend_name(), url.get_driver_name(), url.query
    args: dict[str, t.Any] = {}
    if backend == "postgresql" and driver in _PG_DRIVERS:
        if connect and "connect_timeout" not in query:
            # libpq takes whole seconds and treats 1 as 2.
            args["connect_timeout"] = max(math.ceil(connect), 2)
        if statement and "options" not in query:
            args["options"] = f"-c statement_timeout={int(statement * 1000)}"
    elif backend in ("mysql", "mariadb") and driver in _MYSQL_DRIVERS:
        if connect and "connect_timeout" not in query:
            args["connect_timeout"] = max(math.ceil(connect), 1)
        if statement:
            for key in ("read_timeout", "write_timeout"):
                if key not in query:
                    args[key] = max(math.ceil(statement), 1)
    return args


def engine_options(
    url: sa.URL | str, options: dict[str, t.Any], app_config: t.Mapping[str, t.Any]
) -> dict[str, t.Any]:
    """``options`` for :func:`sqlalchemy.create_engine` with the timeouts added."""
    url = sa.make_url(url)
    defaults = connect_args(
        url,
        app_config.get("TOOLKIT_DB_CONNECT_TIMEOUT"),
        app_config.get("TOOLKIT_DB_STATEMENT_TIMEOUT"),
    )
    if not defaults:
        return options
    given = dict(options.get("connect_args") or {})
    return {**options, "connect_args": {**defaults, **given}}


def redis_options(app_config: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """``redis.Redis`` keyword arguments with the same two limits."""
    result: dict[str, t.Any] = {}
    connect = _seconds(app_config.get("TOOLKIT_DB_CONNECT_TIMEOUT"))
    statement = _seconds(app_config.get("TOOLKIT_DB_STATEMENT_TIMEOUT"))
    if connect:
        result["socket_connect_timeout"] = connect
    if statement:
        result["socket_timeout"] = statement
    return result


class _Watchdog:
    """One thread per process that breaks the connections of overdue statements."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = 0
        self._armed: dict[int, tuple[float, t.Any]] = {}
        self._thread: threading.Thread | None = None
        self._pid = 0

    def arm(self, dbapi_connection: t.Any, seconds: float) -> int:
        with self._lock:
            self._ids += 1
            self._armed[self._ids] = (time.monotonic() + seconds, dbapi_connection)
            if self._thread is None or self._pid != os.getpid():
                self._armed = {self._ids: self._armed[self._ids]}
                self._pid = os.getpid()
                self._thread = threading.Thread(
                    target=self._run, name="flask-toolkit db watchdog", daemon=True
                )
                self._thread.start()
            return self._ids

    def disarm(self, token: int) -> None:
        with self._lock:
            self._armed.pop(token, None)

    def _run(self) -> None:
        while True:
            time.sleep(0.5)
            now = time.monotonic()
            with self._lock:
                overdue = [k for k, (when, _) in self._armed.items() if when < now]
                broken = [self._armed.pop(k)[1] for k in overdue]
            for dbapi_connection in broken:
                _shut_down(dbapi_connection)


_watchdog = _Watchdog()


def _shut_down(dbapi_connection: t.Any) -> None:
    """Shut the socket of a (psycopg or psycopg2) connection down, under its feet."""
    try:
        pgconn = getattr(dbapi_connection, "pgconn", None)
        fd = pgconn.socket if pgconn is not None else dbapi_connection.fileno()
        sock = socket.socket(fileno=os.dup(fd))
    except Exception:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        sock.close()


def install_watchdog(engine: sa.Engine, statement_timeout: t.Any) -> None:
    """Break a PostgreSQL statement or pre-ping that hangs past the timeout."""
    seconds = _seconds(statement_timeout)
    url = engine.url
    if not seconds or url.get_backend_name() != "postgresql":
        return
    if url.get_driver_name() not in _PG_DRIVERS:
        return
    limit = seconds + WATCHDOG_GRACE
    key = "_toolkit_watchdog"

    @sa.event.listens_for(engine, "before_cursor_execute")
    def before(conn: t.Any, cursor: t.Any, *args: t.Any) -> None:
        conn.info[key] = _watchdog.arm(conn.connection.dbapi_connection, limit)

    @sa.event.listens_for(engine, "after_cursor_execute")
    def after(conn: t.Any, cursor: t.Any, *args: t.Any) -> None:
        _watchdog.disarm(conn.info.pop(key, 0))

    @sa.event.listens_for(engine, "handle_error")
    def error(context: t.Any) -> None:
        conn = context.connection
        if conn is not None:
            _watchdog.disarm(conn.info.pop(key, 0))

    dialect = engine.dialect
    ping = dialect.do_ping

    def do_ping(dbapi_connection: t.Any) -> bool:
        token = _watchdog.arm(dbapi_connection, limit)
        try:
            return bool(ping(dbapi_connection))
        finally:
            _watchdog.disarm(token)

    # The pool's pre-ping sends no statement event; each engine has its own dialect.
    dialect.do_ping = do_ping  # type: ignore[method-assign]
