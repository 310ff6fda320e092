"""The :class:`Toolkit` extension object and its per-app state."""

from __future__ import annotations

import dataclasses
import typing as t

from flask import current_app
from flask import Flask

from . import config
from . import errors
from .auth import Auth
from .cli import toolkit_cli
from .orm import Database
from .scheduler import SchedulerManager

_EXTENSION_KEY = "toolkit"


@dataclasses.dataclass
class _State:
    """What the toolkit keeps per app, in ``app.extensions["toolkit"]``."""

    toolkit: Toolkit
    #: Free slots for the components; each keeps its own typed state object here.
    components: dict[str, t.Any] = dataclasses.field(default_factory=dict)


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
    :param model_class: passed to :class:`~flask_toolkit.orm.Database`.
    :param metadata: passed to :class:`~flask_toolkit.orm.Database`.
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
        if _EXTENSION_KEY in app.extensions:
            raise RuntimeError(
                "A 'Toolkit' instance has already been registered on this Flask app."
                " Create the Toolkit once and call 'init_app' once per app; to reach"
                " it later, use 'app.extensions[\"toolkit\"].toolkit'."
            )
        config.apply_defaults(app)
        if app.config["TOOLKIT_WARN_UNKNOWN_CONFIG"]:
            config.check_unknown_keys(app)
        app.extensions[_EXTENSION_KEY] = _State(toolkit=self)
        errors.init_app(app)
        if "toolkit" not in app.cli.commands:
            app.cli.add_command(toolkit_cli)
        self.db.init_app(app)
        self.auth.init_app(app)
        self.scheduler.init_app(app)


def get_state(app: Flask | None = None) -> _State:
    """Return the toolkit's state for ``app`` (default: the current app).

    :raises RuntimeError: with a fix, if ``init_app`` was not called on the app.
    """
    if app is None:
        app = t.cast(Flask, current_app._get_current_object())  # type: ignore[attr-defined]
    try:
        return t.cast(_State, app.extensions[_EXTENSION_KEY])
    except KeyError:
        raise RuntimeError(
            "The current Flask app is not registered with flask-toolkit."
            " Did you forget to call 'Toolkit(app)' or 'toolkit.init_app(app)'?"
        ) from None
