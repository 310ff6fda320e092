"""The database helper, ``toolkit.db``: engine from config, model base, sessions.

Configuration is Flask-SQLAlchemy's, so moving an app over changes nothing:

``SQLALCHEMY_DATABASE_URI``
    Default: SQLite file ``toolkit.sqlite`` in the app's instance folder. A relative
    SQLite path is relative to the instance folder, as in Flask-SQLAlchemy.
``SQLALCHEMY_ENGINE_OPTIONS``
    Passed to :func:`sqlalchemy.create_engine` (``pool_size``, ``max_overflow``,
    ``pool_timeout``, ``pool_recycle``, ``pool_pre_ping`` ...), over the defaults:
    ``pool_pre_ping=True``, and for MySQL / MariaDB the ``utf8mb4`` charset.
``SQLALCHEMY_ECHO``
    When set, the engine's ``echo``.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import typing as t
import warnings
import weakref

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from flask import current_app
from flask import Flask
from flask import g
from werkzeug.local import LocalProxy

from .. import config
from . import diagnose
from . import errors as db_errors
from . import lifecycle
from . import pagination
from . import sqlite
from . import timeouts
from .compat import NoLegacyQuery
from .compat import NoReexports
from .keys import KeySafeSession
from .session import SessionScope

config.register_defaults(
    {
        "SQLALCHEMY_DATABASE_URI": None,
        "SQLALCHEMY_ENGINE_OPTIONS": {},
    }
)

_SESSION_KEY = "_toolkit_session"
_ADOPT_LOCK = threading.Lock()
_T = t.TypeVar("_T")


class Model(sa_orm.MappedAsDataclass, sa_orm.DeclarativeBase):
    """Default base for ``db.Model``: SQLAlchemy 2.x dataclass models.

    Subclass it for typed models; ``db.Model`` is a subclass of it bound to the
    database's :class:`~sqlalchemy.schema.MetaData`. Server-generated values
    (``server_default``, ``onupdate``) are fetched right after each flush
    (``eager_defaults``), so they can be read once the session is closed; a model that
    sets its own ``__mapper_args__`` should keep ``"eager_defaults": True`` in them.
    """

    __abstract__ = True
    __mapper_args__ = {"eager_defaults": True}
    #: Not here: raises AttributeError naming the SQLAlchemy 2.x replacement.
    query = NoLegacyQuery()


@dataclasses.dataclass
class _DBState:
    engine: sa.Engine
    sessionmaker: sa_orm.sessionmaker[sa_orm.Session]
    #: Whether the session teardown is registered (on the first session opened).
    closes_sessions: bool = False


#: Guards the one-time registration of an app's session teardown.
_TEARDOWN_LOCK = threading.Lock()


class Database(NoReexports):
    """SQLAlchemy 2.x integration for one or more Flask apps.

    :param metadata: the :class:`~sqlalchemy.schema.MetaData` for ``Model``; default a
        new one.
    :param model_class: your own declarative base, e.g.
        ``class Base(MappedAsDataclass, DeclarativeBase)``, to use as ``db.Model`` so
        models subclassing it type-check; its metadata becomes ``db.metadata``.
    :param engine_options: defaults, merged under ``SQLALCHEMY_ENGINE_OPTIONS``.
    :param session_options: extra arguments to :class:`~sqlalchemy.orm.sessionmaker`.
    """

    def __init__(
        self,
        *,
        metadata: sa.MetaData | None = None,
        model_class: type[sa_orm.DeclarativeBase] | None = None,
        engine_options: dict[str, t.Any] | None = None,
        session_options: dict[str, t.Any] | None = None,
    ) -> None:
        self._engine_options = dict(engine_options or {})
        self._session_options = {"expire_on_commit": False, **(session_options or {})}
        #: Declarative dataclass base for this database's models.
        self.Model: type[t.Any]
        if model_class is not None:
            if not (
                isinstance(model_class, type)
                and issubclass(model_class, sa_orm.DeclarativeBase)
            ):
                raise TypeError(
                    "model_class must be a subclass of sqlalchemy.orm.DeclarativeBase,"
                    " e.g. 'class Base(MappedAsDataclass, DeclarativeBase): pass'."
                )
            if metadata is not None and metadata is not model_class.metadata:
                raise ValueError(
                    "Pass either metadata or model_class, not both: the metadata of"
                    " model_class is the one used."
                )
            self.Model = model_class
            #: The :class:`~sqlalchemy.schema.MetaData` of ``db.Model``: the tables
            #: :meth:`create_all` creates and Alembic compares.
            self.metadata: sa.MetaData = model_class.metadata
        else:
            self.metadata = metadata if metadata is not None else sa.MetaData()
            # Listing DeclarativeBase again makes this a new declarative base with a
            # registry of its own, so two databases may each have a model "Task".
            self.Model = type(
                "Model",
                (Model, sa_orm.DeclarativeBase),
                {
                    "metadata": self.metadata,
                    "registry": sa_orm.registry(metadata=self.metadata),
                },
            )
        #: The session for the current app context; closed when the context ends.
        self.session: sa_orm.Session = t.cast(
            sa_orm.Session, LocalProxy(self.get_session)
        )

    def init_app(self, app: Flask) -> None:
        """Create the app's engine and register the error handlers.

        The session teardown is registered when the app opens its first session.

        Nothing is written to the database here: creating databases and tables is an
        explicit step (see :meth:`create_database`, :meth:`create_all` and the CLI).
        """
        from ..state import get_state

        _warn_unsupported_keys(app)
        options = self._engine_options_for(app)
        uri = options.pop("url")
        options = timeouts.engine_options(uri, options, app.config)
        # A missing driver is logged, and answered when the engine is used.
        engine = diagnose.create_engine(uri, options, app.logger)
        if isinstance(engine, sa.Engine):
            timeout = app.config["TOOLKIT_DB_STATEMENT_TIMEOUT"]
            timeouts.install_watchdog(engine, timeout)
            sqlite_file = uri.get_backend_name() == "sqlite"
            if sqlite_file and sqlite.in_instance_folder(uri, app):
                # Flask-SQLAlchemy's rule: the instance folder is made when needed —
                # on the first connection, not in init_app. No other folder is made.
                sa.event.listen(engine, "do_connect", sqlite.make_instance_folder(app))
            # An app that is thrown away (tests, app factories) closes its pooled
            # connections instead of leaving them to the garbage collector.
            weakref.finalize(app, engine.dispose)
        factory = sa_orm.sessionmaker(
            bind=engine, **{"class_": KeySafeSession, **self._session_options}
        )
        get_state(app).components["db"] = _DBState(engine, factory)
        db_errors.init_app(app)

    def _engine_options_for(self, app: Flask) -> dict[str, t.Any]:
        options: dict[str, t.Any] = {"pool_pre_ping": True}
        if app.config.get("SQLALCHEMY_ECHO") is not None:
            options["echo"] = app.config["SQLALCHEMY_ECHO"]
        options.update(self._engine_options)
        options.update(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        uri = app.config["SQLALCHEMY_DATABASE_URI"]
        if uri is None:
            uri = "sqlite:///" + os.path.join(app.instance_path, "toolkit.sqlite")
        url = sa.make_url(uri)
        backend = url.get_backend_name()
        if backend in {"mysql", "mariadb"} and "charset" not in url.query:
            url = url.update_query_dict({"charset": "utf8mb4"})
        if backend == "sqlite":
            url = sqlite.relative_to_instance_folder(url, app)
            if sqlite.in_memory(url):
                # As Flask-SQLAlchemy: one connection, shared by every thread, so all
                # of them see the same in-memory database for the app's lifetime.
                options.setdefault("poolclass", sa.StaticPool)
                connect_args = dict(options.get("connect_args") or {})
                connect_args.setdefault("check_same_thread", False)
                options["connect_args"] = connect_args
        options["url"] = url
        return options

    def _state(self, app: Flask | None = None) -> _DBState:
        from ..state import get_state

        return t.cast(_DBState, get_state(app).components["db"])

    @property
    def engine(self) -> sa.Engine:
        """The engine of the current app."""
        return self._state().engine

    def get_engine(self, app: Flask) -> sa.Engine:
        """The engine of ``app``, outside of an app context."""
        return self._state(app).engine

    def get_session(self) -> sa_orm.Session:
        """Return the current app context's session, creating it on first use.

        It is closed (and so rolled back if not committed) when the app context ends;
        nothing is ever committed for you.
        """
        session = g.get(_SESSION_KEY)
        if session is None:
            state = self._state()
            if not state.closes_sessions:
                self._register_teardown(state)
            session = state.sessionmaker()
            setattr(g, _SESSION_KEY, session)
        return t.cast(sa_orm.Session, session)

    def _register_teardown(self, state: _DBState) -> None:
        """Close sessions at the end of app contexts, from the first session on.

        Not registered in :meth:`init_app`: a teardown runs on every request (through
        ``ensure_sync``), and an app whose requests never open a session should not
        pay for it. Flask refuses ``teardown_appcontext`` once the app has served a
        request, so the function is added to the list it keeps them in, once.
        """
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        with _TEARDOWN_LOCK:
            if not state.closes_sessions:
                app.teardown_appcontext_funcs.append(self._teardown_session)
                state.closes_sessions = True

    def _teardown_session(self, exc: BaseException | None) -> None:
        session = g.pop(_SESSION_KEY, None)
        if session is not None:
            session.close()

    def session_scope(self, *, commit: bool = True) -> SessionScope:
        """A unit of work: commit on success, roll back and re-raise the original error.

        .. code-block:: python

            with db.session_scope() as session:
                session.add(Task(title="Write docs"))
            # committed and closed here; an exception would have been rolled back and
            # re-raised unchanged

        The outermost scope uses a session of its own; a scope inside another one joins
        it with a ``SAVEPOINT``; ``commit=False`` keeps nothing the block wrote. See
        :mod:`flask_toolkit.db.session` for the exact rules.

        :param commit: commit when the block succeeds (``False``: roll back).
        """
        return SessionScope(self._state().sessionmaker, commit=commit)

    def paginate(
        self,
        select: sa.Select[t.Any],
        *,
        page: int | None = None,
        per_page: int | None = None,
        max_per_page: int | None = None,
        count: bool = True,
        error_out: bool = True,
    ) -> pagination.Pagination[t.Any]:
        """Run one page of ``select`` on :attr:`session`.

        :param select: a ``select()`` of one entity (or column), with its ``order_by``;
            load collections with ``selectinload`` (a joined collection would repeat
            rows).
        :param page: the page number from 1; default ``?page=``, else 1.
        :param per_page: items per page; default ``?per_page=``, else
            ``TOOLKIT_PER_PAGE`` (20). Lowered to ``max_per_page`` when above it.
        :param max_per_page: the largest page; default ``TOOLKIT_MAX_PER_PAGE`` (100).
        :param count: also count the rows (one more query) for ``total`` and ``pages``.
        :param error_out: as in Flask-SQLAlchemy: ``False`` uses the defaults instead
            of answering 400 for a bad ``page`` / ``per_page``.
        :raises APIError: 400 when the page or page size is not a whole number >= 1.
        :raises TypeError: for a ``select()`` of several entities or columns (all but
            the first would be lost), or something that is not a ``select()``.
        """
        return pagination.paginate(
            self.session,
            select,
            page=page,
            per_page=per_page,
            max_per_page=max_per_page,
            count=count,
            error_out=error_out,
        )

    def get_or_404(
        self, model: type[_T], ident: t.Any, *, description: str | None = None
    ) -> _T:
        """The ``model`` row with primary key ``ident``, or a 404 in the envelope."""
        return pagination.get_or_404(
            self.session, model, ident, description=description
        )

    def first_or_404(
        self, select: sa.Select[t.Any], *, description: str | None = None
    ) -> t.Any:
        """The first result of ``select``, or a 404 in the envelope if there is none."""
        return pagination.first_or_404(self.session, select, description=description)

    def one_or_404(
        self, select: sa.Select[t.Any], *, description: str | None = None
    ) -> t.Any:
        """The only result of ``select``, or a 404 in the envelope if there is none."""
        return pagination.one_or_404(self.session, select, description=description)

    def adopt_tables(self, tables: t.Iterable[sa.Table]) -> None:
        """Add copies of a feature's own tables to :attr:`metadata`.

        The toolkit's features call this for the tables they use in the app's database
        (the scheduler's ``apscheduler_jobs`` and ``toolkit_job_runs``, the auth store's
        ``toolkit_api_key`` and ``toolkit_revoked_credential``), when the feature is in
        use. So ``db.create_all()``, ``flask toolkit create-tables`` and Alembic /
        Flask-Migrate's autogenerate see them like the app's own tables, and a
        migration never drops them. A table already in the metadata is kept as it is.
        """
        for table in tables:
            if table.key not in self.metadata.tables:
                with _ADOPT_LOCK:
                    if table.key not in self.metadata.tables:
                        table.to_metadata(self.metadata)

    def create_database(self, app: Flask | None = None) -> bool:
        """Create the database of ``SQLALCHEMY_DATABASE_URI`` if it is missing.

        Returns whether it was created. PostgreSQL and MySQL / MariaDB get a
        ``CREATE DATABASE`` (MySQL with ``utf8mb4``), SQLite the file and its
        folder; the login needs the right to create databases. The same as
        ``flask toolkit create-db``.

        :param app: the app, when called outside its app context.
        """
        return lifecycle.create_database(self._state(app).engine.url)

    def create_all(self, app: Flask | None = None) -> None:
        """Create every table of :attr:`metadata` that does not exist yet.

        That is every model's table, and the toolkit's own tables of the features in
        use (see :meth:`adopt_tables`). Safe when other processes or threads create
        the same tables at the same moment.

        :param app: the app, when called outside its app context.
        """
        engine = self._state(app).engine
        for table in self.metadata.sorted_tables:
            try:
                table.create(engine, checkfirst=True)
            except sa.exc.DBAPIError:
                # Another process or thread (a scheduler opening its store) created
                # it between our check and our CREATE: fine once the table is there.
                if not sa.inspect(engine).has_table(table.name, schema=table.schema):
                    raise

    def drop_all(self, app: Flask | None = None) -> None:
        """Drop every table of ``Model``.

        :param app: the app, when called outside its app context.
        """
        self.metadata.drop_all(self._state(app).engine)


#: Flask-SQLAlchemy keys that would change behaviour if honoured, and what to do.
_UNSUPPORTED_KEYS = {
    "SQLALCHEMY_BINDS": (
        "toolkit.db has one engine per app, from SQLALCHEMY_DATABASE_URI; create the"
        " other engines yourself with sqlalchemy.create_engine"
    ),
    "SQLALCHEMY_COMMIT_ON_TEARDOWN": (
        "db.session is never committed for you; call db.session.commit(), or use"
        " 'with db.session_scope():'"
    ),
}


def _warn_unsupported_keys(app: Flask) -> None:
    for key, advice in _UNSUPPORTED_KEYS.items():
        if app.config.get(key):
            warnings.warn(
                f"{key} is set, but flask-toolkit does not support it: {advice}.",
                UserWarning,
                stacklevel=config.user_stacklevel(),
            )
