"""Create the database if it is missing, create and drop tables — as explicit steps.

:meth:`Database.init_app` never creates the database or the models' tables: these
steps run when you call them, from code (``db.create_database()``, ``db.create_all()``)
or from the CLI::

    flask toolkit create-db          # CREATE DATABASE when it does not exist yet
    flask toolkit create-tables      # CREATE TABLE for every model not created yet
    flask toolkit drop-tables --yes  # DROP every model's table

The commands live in the ``flask toolkit`` group so they never collide with
Flask-Migrate's ``flask db``. With migrations, use ``create-db`` and let the migration
tool create the tables.
"""

from __future__ import annotations

import contextlib
import os
import typing as t

import click
import sqlalchemy as sa
from flask import current_app

from ..cli import toolkit_cli

if t.TYPE_CHECKING:
    from .database import Database


def create_database(url: sa.URL) -> bool:
    """Create the database named in ``url`` unless it exists; return if it was made.

    * PostgreSQL: connects to the server's ``postgres`` database (``template1`` when
      that is refused) and runs ``CREATE DATABASE``.
    * MySQL / MariaDB: connects without a database and runs ``CREATE DATABASE`` with
      ``utf8mb4`` / ``utf8mb4_unicode_ci``.
    * SQLite: creates the file and its folder; an in-memory database needs nothing.

    The login in ``url`` needs the right to create databases.

    :raises NotImplementedError: for another backend.
    """
    backend = url.get_backend_name()
    name = url.database
    if backend == "sqlite":
        return _create_sqlite(url)
    if not name:
        raise ValueError(
            f"The database URL {url.render_as_string()} names no database to create."
        )
    if backend == "postgresql":
        return _create_postgresql(url, name)
    if backend in {"mysql", "mariadb"}:
        return _create_mysql(url, name)
    raise NotImplementedError(
        f"Creating a {backend!r} database is not supported; create it with the"
        " server's own tools, then run 'flask toolkit create-tables'."
    )


def _create_sqlite(url: sa.URL) -> bool:
    path = url.database
    if not path or path == ":memory:" or path.startswith("file:"):
        return False
    if os.path.exists(path):
        return False
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.connect() as connection:
            # sqlite3 creates the file on connect, empty; a statement makes it valid.
            connection.exec_driver_sql("PRAGMA user_version")
    finally:
        engine.dispose()
    return True


def _admin_engine(url: sa.URL, database: str | None) -> sa.Engine:
    # URL.set() treats None as "unchanged"; _replace (a NamedTuple method) clears it.
    return sa.create_engine(
        url._replace(database=database),
        isolation_level="AUTOCOMMIT",
        poolclass=sa.NullPool,
    )


def _create_postgresql(url: sa.URL, name: str) -> bool:
    last_error: sa.exc.OperationalError | None = None
    for admin_database in ("postgres", "template1"):
        engine = _admin_engine(url, admin_database)
        try:
            with engine.connect() as connection:
                exists = connection.execute(
                    sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                    {"name": name},
                ).first()
                if exists:
                    return False
                quoted = connection.dialect.identifier_preparer.quote(name)
                connection.exec_driver_sql(f"CREATE DATABASE {quoted}")
                return True
        except sa.exc.OperationalError as error:
            if error.statement is not None:
                raise
            last_error = error  # could not connect to this one; try the next
        finally:
            engine.dispose()
    assert last_error is not None
    raise last_error


def _create_mysql(url: sa.URL, name: str) -> bool:
    engine = _admin_engine(url, None)
    try:
        with engine.connect() as connection:
            exists = connection.execute(
                sa.text(
                    "SELECT 1 FROM information_schema.schemata"
                    " WHERE schema_name = :name"
                ),
                {"name": name},
            ).first()
            if exists:
                return False
            quoted = connection.dialect.identifier_preparer.quote(name)
            connection.exec_driver_sql(
                f"CREATE DATABASE IF NOT EXISTS {quoted}"
                " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
            )
            return True
    finally:
        engine.dispose()


def _db() -> Database:
    from ..state import get_state

    return t.cast("Database", get_state(current_app).toolkit.db)


def _safe_url() -> str:
    return _db().engine.url.render_as_string(hide_password=True)


@contextlib.contextmanager
def _connection_errors(step: str) -> t.Iterator[None]:
    """Turn "cannot connect" into a one-line CLI error that says what to check."""
    try:
        yield
    except ImportError as error:  # the driver is not installed
        from .diagnose import describe_connection_error

        problem = describe_connection_error(error, _db().engine.url)
        message = problem.message if problem is not None else str(error)
        raise click.ClickException(f"{step}: {message}") from error
    except sa.exc.OperationalError as error:
        if error.statement is not None:
            raise
        reason = str(error.orig or error).strip().splitlines()[0]
        hint = (
            " Is the server running and the login right?"
            if step == "create-db"
            else " Is the server running, and does the database exist? 'flask toolkit"
            " create-db' creates it."
        )
        raise click.ClickException(
            f"{step}: could not connect to {_safe_url()} ({reason}).{hint}"
        ) from error


@toolkit_cli.command("create-db")
def create_db_command() -> None:
    """Create the app's database (SQLALCHEMY_DATABASE_URI) if it does not exist."""
    with _connection_errors("create-db"):
        created = _db().create_database()
    if created:
        click.echo(f"Created the database {_safe_url()}.")
    else:
        click.echo(f"The database {_safe_url()} exists already; nothing to do.")


@toolkit_cli.command("create-tables")
@click.option(
    "--create-db/--no-create-db",
    default=False,
    help="Create the database first if it does not exist.",
)
def create_tables_command(create_db: bool) -> None:
    """Create the tables of every model that do not exist yet (existing ones are kept).

    The models must be imported by the app (as the app factory usually does).
    """
    db = _db()
    with _connection_errors("create-tables"):
        if create_db:
            db.create_database()
        before = set(sa.inspect(db.engine).get_table_names())
        db.create_all()
    created = sorted(set(db.metadata.tables) - before)
    if created:
        click.echo(f"Created {len(created)} table(s): {', '.join(created)}.")
    else:
        click.echo("Every table exists already; nothing to do.")


@toolkit_cli.command("drop-tables")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def drop_tables_command(yes: bool) -> None:
    """Drop the tables of every model, with all their rows."""
    db = _db()
    if not yes:
        click.confirm(
            f"Drop {len(db.metadata.tables)} table(s) and their data"
            f" from {_safe_url()}?",
            abort=True,
        )
    with _connection_errors("drop-tables"):
        db.drop_all()
    click.echo(f"Dropped {len(db.metadata.tables)} table(s).")


@toolkit_cli.command("check")
def check_command() -> None:
    """Check that the app's database can be used; exit 1 with the fix if not.

    For deploy scripts: it connects once with the app's settings. A server that is
    down, a wrong password, a database that does not exist, a missing driver or an
    SQLite folder that does not exist are reported with what to do. Tables that
    ``db.metadata`` lists but the database lacks are reported too (not an error: a
    feature creates its own tables on first use).
    """
    from .diagnose import check_connection

    db = _db()
    engine = db.engine
    problem = check_connection(engine)
    if problem is not None:
        kind = "misconfigured" if problem.permanent else "unreachable"
        raise click.ClickException(
            f"The database {_safe_url()} is {kind}: {problem.message}"
        )
    click.echo(f"Database {_safe_url()}: connected.")
    missing = sorted(
        set(db.metadata.tables) - set(sa.inspect(engine).get_table_names())
    )
    if missing:
        click.echo(
            f"Missing table(s): {', '.join(missing)}. Run 'flask db upgrade' (with"
            " migrations) or 'flask toolkit create-tables'."
        )
