"""The :class:`Toolkit` extension object: it composes the features.

The per-app state lives in :mod:`flask_toolkit.state`, below every feature.
"""

from __future__ import annotations

import typing as t

from flask import Flask

from . import config
from . import errors
from . import openapi
from .auth import Auth
from .cli import toolkit_cli
from .db import Database
from .scheduler import SchedulerManager
from .state import EXTENSION_KEY
from .state import get_state
from .state import ToolkitState

__all__ = ["Toolkit", "get_state"]


class Toolkit:
    """Add JSON validation, the database helper, auth and the scheduler to Flask apps.

    Use it directly on one app, or create it once and call :meth:`init_app` in an app
    factory. One ``Toolkit`` can serve several apps in the same process; nothing about
    an app is stored on this object.

    .. code-block:: python

        toolkit = Toolkit()

        def create_app():
            app = Flask(__name__)
            toolkit.init_app(app)
            return app

    :param app: call :meth:`init_app` on this app right away.
    :param model_class: passed to :class:`~flask_toolkit.db.Database`.
    :param metadata: passed to :class:`~flask_toolkit.db.Database`.
    :param engine_options: default engine options, merged under
        ``SQLALCHEMY_ENGINE_OPTIONS``.
    :param session_options: extra arguments for the session factory.
    """

    def __init__(
        self,
        app: Flask | None = None,
        *,
        metadata: t.Any = None,
        model_class: t.Any = None,
        engine_options: dict[str, t.Any] | None = None,
        session_options: dict[str, t.Any] | None = None,
    ) -> None:
        #: The database helper: ``db.Model``, ``db.session``, ``db.session_scope()``.
        self.db = Database(
            metadata=metadata,
            model_class=model_class,
            engine_options=engine_options,
            session_options=session_options,
        )
        #: The auth object: identity loading, tokens, API keys.
        self.auth = Auth()
        #: The scheduler manager.
        self.scheduler = SchedulerManager(self)
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Register the toolkit on ``app``: config defaults, error handlers, components.

        :param app: the Flask application.
        :raises RuntimeError: if the toolkit was already registered on this app.
        """
        if EXTENSION_KEY in app.extensions:
            raise RuntimeError(
                "A 'Toolkit' instance has already been registered on this Flask app."
                " Create the Toolkit once and call 'init_app' once per app; to reach"
                " it later, use 'app.extensions[\"toolkit\"].toolkit'."
            )
        config.apply_defaults(app)
        if app.config["TOOLKIT_WARN_UNKNOWN_CONFIG"]:
            config.check_unknown_keys(app)
        app.extensions[EXTENSION_KEY] = ToolkitState(toolkit=self)
        errors.init_app(app)
        if "toolkit" not in app.cli.commands:
            app.cli.add_command(toolkit_cli)
        self.db.init_app(app)
        self.auth.init_app(app)
        self.scheduler.init_app(app)
        openapi.init_app(app)
