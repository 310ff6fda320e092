"""The database helper, ``toolkit.db``: engine from config, model base, sessions."""

from __future__ import annotations

import dataclasses
import os
import typing as t

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from flask import Flask
from flask import g
from werkzeug.local import LocalProxy

from . import config

config.register_defaults(
    {
        "SQLALCHEMY_DATABASE_URI": None,
        "SQLALCHEMY_ENGINE_OPTIONS": {},
    }
)

_SESSION_KEY = "_toolkit_session"


class Model(sa_orm.MappedAsDataclass, sa_orm.DeclarativeBase):
    """Default base for ``db.Model``: SQLAlchemy 2.x dataclass models.

    Subclass it for typed models; ``db.Model`` is a subclass of it bound to the
    database's :class:`~sqlalchemy.MetaData`.
    """

    __abstract__ = True


@dataclasses.dataclass
class _DBState:
    engine: sa.Engine
    sessionmaker: sa_orm.sessionmaker[sa_orm.Session]


class Database:
    """SQLAlchemy 2.x integration for one or more Flask apps.

    :param metadata: the :class:`~sqlalchemy.MetaData` for ``Model``; a new one by default.
    :param engine_options: defaults merged under the app's ``SQLALCHEMY_ENGINE_OPTIONS``.
    :param session_options: extra arguments to :class:`~sqlalchemy.orm.sessionmaker`.
    """

    def __init__(
        self,
        *,
        metadata: sa.MetaData | None = None,
        engine_options: dict[str, t.Any] | None = None,
        session_options: dict[str, t.Any] | None = None,
    ) -> None:
        self.metadata = metadata if metadata is not None else sa.MetaData()
        self._engine_options = dict(engine_options or {})
        self._session_options = dict(session_options or {})
        #: Declarative dataclass base for this database's models.
        self.Model: type[Model] = type(
            "Model", (Model,), {"__abstract__": True, "metadata": self.metadata}
        )
        #: The session for the current app context; closed when the context ends.
        self.session: sa_orm.Session = t.cast(
            sa_orm.Session, LocalProxy(self.get_session)
        )

    def init_app(self, app: Flask) -> None:
        """Create the app's engine and register the session teardown.

        Nothing is written to the database here: creating databases and tables is an
        explicit step (see the CLI).
        """
        from .extension import get_state

        options = self._engine_options_for(app)
        uri = options.pop("url")
        engine = sa.create_engine(uri, **options)
        factory = sa_orm.sessionmaker(
            bind=engine, expire_on_commit=False, **self._session_options
        )
        get_state(app).components["db"] = _DBState(engine, factory)
        app.teardown_appcontext(self._teardown_session)

    def _engine_options_for(self, app: Flask) -> dict[str, t.Any]:
        options: dict[str, t.Any] = {"pool_pre_ping": True}
        options.update(self._engine_options)
        options.update(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        uri = app.config["SQLALCHEMY_DATABASE_URI"]
        if uri is None:
            os.makedirs(app.instance_path, exist_ok=True)
            uri = "sqlite:///" + os.path.join(app.instance_path, "toolkit.sqlite")
        url = sa.make_url(uri)
        if url.get_backend_name() in {"mysql", "mariadb"} and "charset" not in url.query:
            url = url.update_query_dict({"charset": "utf8mb4"})
        options["url"] = url
        return options

    def _state(self, app: Flask | None = None) -> _DBState:
        from .extension import get_state

        return t.cast(_DBState, get_state(app).components["db"])

    @property
    def engine(self) -> sa.Engine:
        """The engine of the current app."""
        return self._state().engine

    def get_engine(self, app: Flask) -> sa.Engine:
        """The engine of ``app``, outside of an app context."""
        return self._state(app).engine

    def get_session(self) -> sa_orm.Session:
        """Return the current app context's session, creating it on first use."""
        session = g.get(_SESSION_KEY)
        if session is None:
            session = self._state().sessionmaker()
            setattr(g, _SESSION_KEY, session)
        return t.cast(sa_orm.Session, session)

    def _teardown_session(self, exc: BaseException | None) -> None:
        session = g.pop(_SESSION_KEY, None)
        if session is not None:
            session.close()

    def create_all(self) -> None:
        """Create every table of ``Model`` that does not exist yet, on the current app."""
        self.metadata.create_all(self.engine)

    def drop_all(self) -> None:
        """Drop every table of ``Model``, on the current app."""
        self.metadata.drop_all(self.engine)
