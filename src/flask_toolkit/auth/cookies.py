"""Flask's signed-cookie session, without its per-request cost when nothing is in it.

Flask's :class:`~flask.sessions.SecureCookieSessionInterface` builds a signing
serializer on every request of an app with a ``SECRET_KEY`` (about 10 µs), before it
looks for the cookie, and works out every cookie attribute after the request, before it
sees the session is empty. API clients that authenticate with a bearer token or an API
key send no session cookie, and most requests never touch the session: for them
:class:`CookieSessionInterface` returns the empty session and writes nothing at once.
Everything else — a cookie to read, a session to write or to delete — goes to Flask's
own code, so cookies, signatures and headers are the same.

:meth:`.Auth.init_app` installs it only on an app that still has Flask's default
interface; an app that sets its own keeps it.
"""

from __future__ import annotations

import typing as t

from flask import Flask
from flask.sessions import SecureCookieSession
from flask.sessions import SecureCookieSessionInterface
from flask.sessions import SessionMixin

if t.TYPE_CHECKING:
    from flask import Request
    from flask import Response


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's session interface, skipping its work for a request without a session."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """As Flask's, without building the serializer when no cookie was sent."""
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(
        self, app: Flask, session: SessionMixin, response: Response
    ) -> None:
        """As Flask's, returning at once for a session nobody touched that is empty."""
        if session.accessed or session.modified or session:
            super().save_session(app, session, response)


def install(app: Flask) -> None:
    """Use :class:`CookieSessionInterface` on ``app`` if it has Flask's default."""
    if type(app.session_interface) is SecureCookieSessionInterface:
        app.session_interface = CookieSessionInterface()
