"""Why the database cannot be reached, and what to do about it.

A server that is down comes back by itself: the toolkit retries. A wrong password, a
database that does not exist, a missing driver or an SQLite file in a folder that does
not exist never succeed, however often they are retried: they are *permanent*
problems, logged at ERROR with the fix and reported by ``flask toolkit check``.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import typing as t

import sqlalchemy as sa

#: The extra of flask-toolkit that installs each backend's driver.
DRIVER_EXTRAS = {"postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql"}

# Server messages (PostgreSQL, MySQL / MariaDB) that no retry will change.
_PERMANENT_MESSAGES = (
    ("password authentication failed", "check the user name and password"),
    ("no password supplied", "put the password in the URL"),
    ("role ", "check the user name"),  # role "x" does not exist
    ("access denied for user", "check the user name, password and grants"),
    ("does not exist", "create it with 'flask toolkit create-db'"),
    ("unknown database", "create it with 'flask toolkit create-db'"),
)
#: MySQL error numbers: access denied, unknown database.
_MYSQL_PERMANENT = {1044: "check the grants", 1045: "check the user name and password"}
_MYSQL_UNKNOWN_DATABASE = 1049


@dataclasses.dataclass(frozen=True)
class Problem:
    """What is wrong with the database connection."""

    #: One sentence saying what failed and how to fix it.
    message: str
    #: Whether retrying cannot help (a misconfiguration rather than an outage).
    permanent: bool


def missing_driver(url: sa.URL, error: ImportError) -> Problem:
    """The problem for a database driver that is not installed."""
    backend = url.get_backend_name()
    extra = DRIVER_EXTRAS.get(backend)
    if extra is not None:
        fix = f"pip install 'flask-toolkit[{extra}]'"
        if url.get_driver_name() not in ("psycopg", "pymysql"):
            fix += f" (it installs the driver of {backend}+" + (
                "psycopg://)" if extra == "postgres" else "pymysql://)"
            )
    else:
        fix = f"install the Python driver for {url.drivername!r}"
    return Problem(
        f"The database driver for {url.drivername!r} is not installed ({error})."
        f" Fix: {fix}.",
        permanent=True,
    )


class DriverNotInstalled(ImportError):
    """Raised on every use of the engine of a URL whose driver is not installed."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        #: The problem, with the fix (the extra to install).
        self.problem = problem


class EngineWithoutDriver:
    """Stands in for the engine when the URL's driver is not installed.

    A missing driver must not stop the app from booting (under gunicorn a worker
    that fails to boot takes the server down), so ``init_app`` keeps this instead
    of raising. Its ``url`` is the configured one; any other use raises
    :class:`DriverNotInstalled`, which a request answers with 503 and
    ``flask toolkit check`` reports with the fix.
    """

    def __init__(self, url: sa.URL, problem: Problem) -> None:
        self.url = url
        self.problem = problem

    def __getattr__(self, name: str) -> t.Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise DriverNotInstalled(self.problem)

    def __repr__(self) -> str:
        return f"EngineWithoutDriver({self.url.render_as_string()!r})"


def create_engine(
    url: sa.URL, options: dict[str, t.Any], logger: logging.Logger
) -> sa.Engine:
    """``sqlalchemy.create_engine``, or an :class:`EngineWithoutDriver` (logged at
    ERROR with the fix) when the driver cannot be imported. No I/O.
    """
    try:
        return sa.create_engine(url, **options)
    except ImportError as error:
        problem = missing_driver(url, error)
        logger.error("%s", problem.message)
        return t.cast(sa.Engine, EngineWithoutDriver(url, problem))


def describe_connection_error(
    error: BaseException, url: sa.URL | None = None
) -> Problem | None:
    """Explain an error raised while connecting; ``None`` if it is not one.

    :param url: the database URL, for the SQLite folder check.
    """
    if isinstance(error, DriverNotInstalled):
        return error.problem
    if isinstance(error, ImportError) and url is not None:
        return missing_driver(url, error)
    if not isinstance(error, sa.exc.OperationalError) or error.statement is not None:
        return None
    orig = error.orig
    reason = (str(orig or error).strip().splitlines() or [""])[0]
    lowered = str(orig or error).lower()
    code = _mysql_code(orig)
    if code == _MYSQL_UNKNOWN_DATABASE:
        return Problem(
            f"{reason}. Fix: create it with 'flask toolkit create-db'.", True
        )
    if code in _MYSQL_PERMANENT:
        return Problem(f"{reason}. Fix: {_MYSQL_PERMANENT[code]}.", True)
    if "unable to open database file" in lowered and url is not None:
        problem = _missing_sqlite_folder(url.database or "")
        if problem is not None:
            return problem
    if code is None:
        for needle, fix in _PERMANENT_MESSAGES:
            if needle in lowered and (needle != "role " or "does not exist" in lowered):
                return Problem(f"{reason}. Fix: {fix}.", True)
    return Problem(reason or type(error).__name__, False)


def _missing_sqlite_folder(database: str) -> Problem | None:
    """The problem of an SQLite file whose folder does not exist, if it does not."""
    folder = os.path.dirname(os.path.abspath(database))
    if os.path.isdir(folder):
        return None
    return Problem(
        f"The folder {folder!r} of the SQLite database does not exist."
        " Fix: correct SQLALCHEMY_DATABASE_URI, or create it with"
        " 'flask toolkit create-db'.",
        True,
    )


def _mysql_code(orig: t.Any) -> int | None:
    if type(orig).__module__.split(".")[0] not in ("pymysql", "MySQLdb"):
        return None
    args = getattr(orig, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


def check_connection(engine: sa.Engine) -> Problem | None:
    """Connect once and run ``SELECT 1``; the problem, or ``None`` when it works."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            problem = _missing_sqlite_folder(database)
            if problem is not None:
                return problem
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except (sa.exc.DBAPIError, ImportError) as error:
        problem = describe_connection_error(error, url)
        if problem is None:
            raise
        return problem
    return None
