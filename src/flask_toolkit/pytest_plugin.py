"""A pytest plugin for testing apps that use the toolkit.

Installed with the package (a ``pytest11`` entry point named ``flask_toolkit``), so its
fixtures are there without a ``conftest.py`` import; ``pytest -p no:flask_toolkit``
turns it off. It builds on pytest-flask's convention: **your** ``conftest.py`` provides
an ``app`` fixture (the app with ``Toolkit`` registered), and the plugin's fixtures use
it. pytest-flask itself is optional.

Fixtures
    ``db``: the app's :class:`~flask_toolkit.db.Database`, with the test inside one
    database transaction that is rolled back at the end — also what the code under
    test committed with ``db.session.commit()`` or ``db.session_scope()``. Tables are
    created once per test session. The test body runs in an app context.

    ``client_as(id, permissions)``: an :class:`~flask_toolkit.testing.IdentityClient`
    acting as that identity; ``anonymous_client``: one acting as nobody;
    ``session_client(user)``: a :class:`~flask_toolkit.testing.SessionClient` logged in
    on the session cookie, which sends the CSRF token for you.

    ``run_job(job_id)``: run a job now, synchronously, in the app context, and get
    its :class:`JobRun` (status, error, traceback, return value). ``run_due_jobs()``:
    run every job that is due by the current clock (move the clock with time-machine's
    ``time_machine`` fixture) and advance its schedule. ``running_scheduler``: start
    the real scheduler thread for the test, and stop it after.

While tests run, ``SCHEDULER_AUTOSTART = "auto"`` never starts a scheduler: jobs run
only when a test asks (``run_job``, ``run_due_jobs``, ``running_scheduler``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import typing as t

import pytest
import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from flask import Flask

from .testing import identity_client
from .testing import IdentityClient
from .testing import SessionClient

if t.TYPE_CHECKING:
    from .db import Database
    from .extension import Toolkit

__all__ = ["JobRun", "isolated_transaction"]

#: Where the plugin remembers, per test session, the databases whose tables it made.
_TABLES_MADE = pytest.StashKey[set[tuple[str, int]]]()


_HELD_BEFORE = pytest.StashKey[bool]()


def pytest_configure(config: pytest.Config) -> None:
    from .scheduler import options

    config.stash[_HELD_BEFORE] = options.hold_autostart
    options.hold_autostart = True
    config.stash[_TABLES_MADE] = set()


def pytest_unconfigure(config: pytest.Config) -> None:
    from .scheduler import options

    options.hold_autostart = config.stash.get(_HELD_BEFORE, False)


def _toolkit(app: Flask) -> Toolkit:
    from .state import get_state

    return t.cast("Toolkit", get_state(app).toolkit)


# -- the database ---------------------------------------------------------------------


@contextlib.contextmanager
def isolated_transaction(app: Flask, database: Database) -> t.Iterator[sa.Connection]:
    """Run the block inside one transaction of ``app``'s database, then roll it back.

    Every session the app makes meanwhile (``db.session``, ``db.session_scope()``)
    is bound to that transaction's connection and joins it with a ``SAVEPOINT``
    (SQLAlchemy's ``join_transaction_mode="create_savepoint"``), so its commits and
    rollbacks stay inside and the final rollback undoes them all.

    :return: the connection, for statements of the test's own.
    """
    state = database._state(app)
    connection = state.engine.connect()
    transaction = connection.begin()
    if connection.dialect.name == "sqlite":
        # pysqlite sends BEGIN only before a write; a SAVEPOINT outside a transaction
        # would commit when released. Begin for real, as db.session_scope() does.
        raw = connection.connection.dbapi_connection
        if raw is not None and not getattr(raw, "in_transaction", True):
            connection.exec_driver_sql("BEGIN")
    saved = state.sessionmaker
    state.sessionmaker = sa_orm.sessionmaker(
        class_=saved.class_,
        **{**saved.kw, "bind": connection, "join_transaction_mode": "create_savepoint"},
    )
    try:
        yield connection
    finally:
        state.sessionmaker = saved
        try:
            if transaction.is_active:
                transaction.rollback()
        finally:
            connection.close()


def _create_tables_once(config: pytest.Config, app: Flask, database: Database) -> None:
    url = database.get_engine(app).url
    in_memory = url.get_backend_name() == "sqlite" and url.database in (
        None,
        "",
        ":memory:",
    )
    key = (url.render_as_string(hide_password=True), id(database.metadata))
    made = config.stash.setdefault(_TABLES_MADE, set())
    if in_memory or key not in made:
        database.create_all(app)
        made.add(key)


@contextlib.contextmanager
def _session_per_request(app: Flask) -> t.Iterator[None]:
    """Give each request its own ``db.session``, closed when it ends, as in production.

    A request made while the test holds an app context (the ``db`` fixture's, or
    pytest-flask's) shares that context's ``g``, and so would share one session with
    the test body and the other requests: changes a view forgot to commit would be
    committed by the next request, and a failed flush would break the next request.
    """
    from flask import g
    from flask import request_started
    from flask import request_tearing_down

    from .db.database import _SESSION_KEY

    outer: list[t.Any] = []

    def started(sender: Flask, **extra: t.Any) -> None:
        outer.append(g.pop(_SESSION_KEY, None))

    def tearing_down(sender: Flask, **extra: t.Any) -> None:
        session = g.pop(_SESSION_KEY, None)
        if session is not None:
            session.close()
        if outer:
            kept = outer.pop()
            if kept is not None:
                setattr(g, _SESSION_KEY, kept)

    request_started.connect(started, app)
    request_tearing_down.connect(tearing_down, app)
    try:
        yield
    finally:
        request_started.disconnect(started, app)
        request_tearing_down.disconnect(tearing_down, app)


@pytest.fixture
def db(request: pytest.FixtureRequest, app: Flask) -> t.Iterator[Database]:
    """The app's database, with the whole test rolled back at the end."""
    database = _toolkit(app).db
    _create_tables_once(request.config, app, database)
    scheduling = _scheduling(app)
    if scheduling is not None and scheduling.history.enabled:
        # Made when the scheduler opens; on SQLite that DDL would wait for the test's
        # transaction to end, so make it before the transaction starts.
        scheduling.history.create()
    with isolated_transaction(app, database), _session_per_request(app):
        with app.app_context():
            yield database
    _forget_scheduled_jobs(app)


def _forget_scheduled_jobs(app: Flask) -> None:
    """Empty the job stores and run history a test filled: the scheduler writes them
    through the engine, outside the test's transaction.
    """
    state = _scheduling(app)
    if state is None or state.scheduler is None:
        return
    with app.app_context():
        manager = _toolkit(app).scheduler
        for alias in manager.jobstore_aliases():
            manager.remove_all_jobs(alias)
        history = manager.history
        if history.enabled:
            with history.engine.begin() as conn:
                conn.execute(history.table.delete())
        manager.shutdown(wait=False)


# -- clients --------------------------------------------------------------------------


@pytest.fixture
def client_as(app: Flask) -> t.Callable[..., IdentityClient]:
    """``client_as(id, permissions=(), *, user=None, version=None)``: a client whose
    requests are made as that identity (``app.testing`` must be true).
    """

    def make(
        id: t.Any,
        permissions: t.Iterable[str] = (),
        *,
        user: t.Any = None,
        version: t.Any = None,
    ) -> IdentityClient:
        return identity_client(app, id, permissions, user=user, version=version)

    return make


@pytest.fixture
def anonymous_client(app: Flask) -> IdentityClient:
    """A client with no credential at all."""
    return IdentityClient(app, app.response_class, use_cookies=True)


@pytest.fixture
def session_client(app: Flask) -> t.Callable[..., SessionClient]:
    """``session_client(user, *, remember=False)``: a client logged in on the session
    cookie as ``user`` (a user id for your identity loader, or an ``Identity``).
    """

    def make(user: t.Any, *, remember: bool = False) -> SessionClient:
        client = SessionClient(app, app.response_class, use_cookies=True)
        return client.login(user, remember=remember)

    return make


# -- jobs -----------------------------------------------------------------------------


@dataclasses.dataclass
class JobRun:
    """One run made by the ``run_job`` / ``run_due_jobs`` fixtures.

    These runs are not written to the run history (which is outside the test's
    transaction); this object has the same facts.
    """

    job_id: str
    #: When the run was due (the scheduler's clock, so time-machine's).
    scheduled: dt.datetime
    #: ``"success"``, ``"error"`` or ``"missed"``, as in the run history.
    status: str
    #: What the job returned.
    return_value: t.Any = None
    #: ``"ExceptionType: message"`` when the job raised, as in the run history.
    error: str | None = None
    #: The formatted traceback when the job raised.
    traceback: str | None = None
    #: The exception object itself.
    exception: BaseException | None = None


def _scheduling(app: Flask) -> t.Any:
    from .state import get_state

    return get_state(app).components.get("scheduler")


def _run_now(app: Flask, job: t.Any, alias: str, run_time: dt.datetime) -> JobRun:
    from apscheduler.events import EVENT_JOB_ERROR
    from apscheduler.events import EVENT_JOB_EXECUTED
    from apscheduler.executors.base import run_job as apscheduler_run_job

    from .scheduler.jobs import RunRef
    from .scheduler.jobs import set_current_run

    with app.app_context():
        set_current_run(RunRef(job.id, run_time))
        (event,) = apscheduler_run_job(job, alias, [run_time], "flask_toolkit.testing")
    if event.code == EVENT_JOB_EXECUTED:
        return JobRun(job.id, run_time, "success", return_value=event.retval)
    assert event.code == EVENT_JOB_ERROR, event
    error = event.exception
    return JobRun(
        job.id,
        run_time,
        "error",
        error=f"{type(error).__name__}: {error}",
        traceback=event.traceback,
        exception=error,
    )


def _opened_scheduler(app: Flask) -> t.Any:
    """The app's scheduler, opened paused if needed (no lease thread: nothing runs by
    itself); the ``db`` fixture empties and closes it after the test. Opened on first
    use, so that a test can set the clock first.
    """
    with app.app_context():
        return _toolkit(app).scheduler._scheduler()


@pytest.fixture
def run_job(app: Flask, db: Database) -> t.Callable[..., JobRun]:
    """``run_job(job_id, jobstore=None)``: run the job now in this thread, in the app
    context, and return its :class:`JobRun`. Its schedule does not change; what it
    writes through ``db`` is rolled back with the test (it uses the ``db`` fixture).
    """

    def run(job_id: str, jobstore: str | None = None) -> JobRun:
        from apscheduler.jobstores.base import JobLookupError

        scheduler = _opened_scheduler(app)
        job = scheduler.get_job(job_id, jobstore)
        if job is None:
            raise JobLookupError(job_id)
        now = dt.datetime.now(scheduler.timezone)
        return _run_now(app, job, job._jobstore_alias, now)

    return run


@pytest.fixture
def run_due_jobs(app: Flask, db: Database) -> t.Callable[[], list[JobRun]]:
    """``run_due_jobs()``: run every job due by now, as the scheduler would, in this
    thread; each job's next run time moves on. Returns the runs, soonest first.

    Move the clock with time-machine (``time_machine.move_to(...)``) between calls.
    Runs later than the job's ``misfire_grace_time`` are reported as ``missed``, and
    ``coalesce`` makes one run of several due ones, as in APScheduler.
    """

    def run_due() -> list[JobRun]:
        scheduler = _opened_scheduler(app)
        now = dt.datetime.now(scheduler.timezone)
        runs: list[JobRun] = []
        for job in scheduler.get_jobs():
            times = job._get_run_times(now) if job.next_run_time else []
            if not times:
                continue
            if job.coalesce:
                times = times[-1:]
            for run_time in times:
                grace = job.misfire_grace_time
                if grace is not None and (now - run_time).total_seconds() > grace:
                    runs.append(JobRun(job.id, run_time, "missed"))
                else:
                    runs.append(_run_now(app, job, job._jobstore_alias, run_time))
            following = job.trigger.get_next_fire_time(times[-1], now)
            if following is None:
                scheduler.remove_job(job.id, job._jobstore_alias)
            else:
                scheduler.modify_job(
                    job.id, job._jobstore_alias, next_run_time=following
                )
        return sorted(runs, key=lambda r: (r.scheduled, r.job_id))

    return run_due


@pytest.fixture
def running_scheduler(request: pytest.FixtureRequest, app: Flask) -> t.Iterator[t.Any]:
    """Start the app's real scheduler (its lease thread, jobs on their triggers) for
    this test; it is shut down after. Yields ``toolkit.scheduler``.

    Its jobs run in other threads, each with sessions of its own, so they commit for
    real: this fixture cannot be combined with ``db``.
    """
    if "db" in request.fixturenames:
        raise pytest.UsageError(
            "running_scheduler runs jobs in other threads, outside the db fixture's"
            " transaction; use run_job / run_due_jobs with db, or running_scheduler"
            " without db (and clean up what the jobs wrote)."
        )
    manager = _toolkit(app).scheduler
    with app.app_context():
        manager.start()
    try:
        yield manager
    finally:
        with app.app_context():
            manager.shutdown()
