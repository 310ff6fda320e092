"""The per-app state, at the bottom of the package: it imports nothing of ours.

:meth:`Toolkit.init_app <flask_toolkit.Toolkit.init_app>` puts one
:class:`ToolkitState` in ``app.extensions["toolkit"]``; each feature keeps its own typed
state object in :attr:`ToolkitState.components` and finds it with :func:`get_state`.
Features reach each other only through this object, so none imports the extension.
"""

from __future__ import annotations

import dataclasses
import typing as t

from flask import current_app
from flask import Flask

#: The key of the toolkit's state in ``app.extensions``.
EXTENSION_KEY = "toolkit"
#: What to do when a toolkit function runs on an app without the toolkit.
NOT_REGISTERED = (
    "The current Flask app is not registered with flask-toolkit."
    " Did you forget to call 'Toolkit(app)' or 'toolkit.init_app(app)'?"
)


@dataclasses.dataclass
class ToolkitState:
    """What the toolkit keeps per app, in ``app.extensions["toolkit"]``."""

    #: The :class:`~flask_toolkit.Toolkit` registered on the app.
    toolkit: t.Any
    #: Free slots for the features; each keeps its own typed state object here.
    components: dict[str, t.Any] = dataclasses.field(default_factory=dict)


def get_state(app: Flask | None = None) -> ToolkitState:
    """Return the toolkit's state for ``app`` (default: the current app).

    :raises RuntimeError: with a fix, if ``init_app`` was not called on the app.
    """
    if app is None:
        app = t.cast(Flask, current_app._get_current_object())  # type: ignore[attr-defined]
    try:
        return t.cast(ToolkitState, app.extensions[EXTENSION_KEY])
    except KeyError:
        raise RuntimeError(NOT_REGISTERED) from None
