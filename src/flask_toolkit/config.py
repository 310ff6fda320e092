"""Configuration defaults, and the check that catches misspelled keys.

Every component lists its keys and defaults here, so :meth:`Toolkit.init_app` can
``setdefault`` them and warn about a key that looks like one of ours but is not —
an easy slip is ``SCHEDULER_API_ENABLE`` for ``SCHEDULER_API_ENABLED``.
"""

from __future__ import annotations

import difflib
import os
import sys
import typing as t
import warnings

from .errors import default_error_formatter

if t.TYPE_CHECKING:
    from flask import Flask

#: Keys the toolkit reads, with their defaults. ``None`` means "no default; optional".
DEFAULTS: dict[str, t.Any] = {
    # extension and errors
    "TOOLKIT_JSON_ERRORS": "auto",
    "TOOLKIT_API_PREFIXES": ("/api",),
    "TOOLKIT_ERROR_FORMATTER": default_error_formatter,
    "TOOLKIT_WARN_UNKNOWN_CONFIG": True,
}

#: Keys of other Flask extensions that share our prefixes; never reported.
FOREIGN_KEYS: frozenset[str] = frozenset(
    {
        # Flask-SQLAlchemy
        "SQLALCHEMY_BINDS",
        "SQLALCHEMY_ECHO",
        "SQLALCHEMY_RECORD_QUERIES",
        "SQLALCHEMY_TRACK_MODIFICATIONS",
        "SQLALCHEMY_COMMIT_ON_TEARDOWN",
        # Flask-APScheduler
        "SCHEDULER_API_PREFIX",
        "SCHEDULER_ENDPOINT_PREFIX",
        "SCHEDULER_ALLOWED_HOSTS",
        "SCHEDULER_AUTH",
    }
)

#: Prefixes whose keys are checked for misspellings.
CHECKED_PREFIXES: tuple[str, ...] = ("TOOLKIT_", "SCHEDULER_", "SQLALCHEMY_", "AUTH_")


def register_defaults(defaults: t.Mapping[str, t.Any]) -> None:
    """Add a component's keys to :data:`DEFAULTS`, when the component is imported."""
    DEFAULTS.update(defaults)


def apply_defaults(app: Flask) -> None:
    """``setdefault`` every known key, so ``app.config`` shows the values in use."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)


def setting(key: str, app: Flask | None = None) -> t.Any:
    """``app.config[key]`` (default: the current app's), for a key the toolkit sets.

    :raises RuntimeError: with the fix when the toolkit was never registered on the
        app (instead of a bare ``KeyError``).
    """
    if app is None:
        from flask import current_app

        app = t.cast("Flask", current_app._get_current_object())  # type: ignore[attr-defined]
    try:
        return app.config[key]
    except KeyError:
        from .state import EXTENSION_KEY
        from .state import NOT_REGISTERED

        if EXTENSION_KEY not in app.extensions:
            raise RuntimeError(NOT_REGISTERED) from None
        raise


def known_keys() -> set[str]:
    return set(DEFAULTS) | FOREIGN_KEYS | {"JOBS"}


def check_unknown_keys(app: Flask) -> None:
    """Warn about config keys that look like toolkit keys but are not.

    Only keys with a toolkit prefix, or close to a toolkit key, are looked at; the
    warning names the likely intended key.
    """
    known = known_keys()
    flask_keys = set(app.default_config)
    for key in app.config:
        if key in known or key in flask_keys or not key.isupper():
            continue
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.85)
        if not close and not key.startswith(CHECKED_PREFIXES):
            continue
        if not close and key.startswith(("SQLALCHEMY_", "AUTH_")):
            # Other extensions use these prefixes too; only report near-misses.
            continue
        hint = f" Did you mean {close[0]!r}?" if close else ""
        warnings.warn(
            f"Config key {key!r} is not a flask-toolkit setting and is ignored.{hint}"
            " Set TOOLKIT_WARN_UNKNOWN_CONFIG = False to silence this check.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def user_stacklevel() -> int:
    """The ``stacklevel`` for :func:`warnings.warn` that points at the first frame
    outside flask-toolkit: the user's ``Toolkit(app)`` or ``init_app`` line.
    """
    frame = sys._getframe(1)  # the caller, which will call warnings.warn
    level = 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level
