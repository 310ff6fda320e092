"""Session-cookie login: :func:`login_user`, :func:`logout_user` and CSRF.

The Flask session cookie is signed by Flask; the toolkit keeps one entry in it::

    session["_toolkit_auth"] = {"sub": <user id>, "sid": <session id>,
                                "exp": <unix time>, "ver": <credential version>}

``sid`` is random and new on every login, so a session can be revoked on its own
(:func:`logout_user` does that, so a copied cookie stops working after logout), and
``exp`` bounds the session on the server side (``AUTH_SESSION_MAX_AGE``) whatever the
cookie's own lifetime.

Because browsers send cookies on cross-site requests, every unsafe request (not
``GET``/``HEAD``/``OPTIONS``/``TRACE``) authenticated by the session must carry a CSRF
token from Flask-WTF's :func:`~flask_wtf.csrf.generate_csrf` (``csrf_token()`` in
templates) in the ``X-CSRFToken`` header or the ``csrf_token`` form field. Requests
authenticated by a bearer token or an API key are not exposed to CSRF and skip it.
"""

from __future__ import annotations

import secrets
import time
import typing as t

from flask import current_app
from flask import request
from flask import session
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from .. import config
from ..errors import APIError
from .identity import ANONYMOUS
from .identity import get_identity
from .identity import Identity
from .identity import set_identity
from .state import get_auth
from .tokens import CredentialError

#: The key of the toolkit's entry in the Flask session.
SESSION_KEY = "_toolkit_auth"

#: Methods that must not change anything, so need no CSRF token.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

_DEFAULT_CSRF_HEADERS = ("X-CSRFToken", "X-CSRF-Token")


class SessionClaims(t.NamedTuple):
    sub: t.Any
    sid: str
    exp: float
    ver: t.Any


def login_user(identity: Identity, *, remember: bool = False) -> None:
    """Log ``identity`` in on the session cookie, starting a new session.

    Call it from your login view after checking the password. Everything already in
    the session is dropped first (so a session id planted before login is useless),
    and the current request continues as ``identity``.

    A login posted by an HTML form (any unsafe request whose body is not JSON) must
    carry the CSRF token the login page rendered with ``csrf_token()``, as every
    session-authenticated write does; otherwise a page on another site could log the
    visitor in to the attacker's account (*login CSRF*). A JSON login cannot be
    forged that way (browsers do not send ``Content-Type: application/json``
    cross-site without a CORS preflight), so it needs no token.

    :raises flask_toolkit.APIError: 400 when an HTML-form login has no valid CSRF
        token (with ``AUTH_CSRF`` on).

    :param identity: what your identity loader returns for the user.
    :param remember: keep the cookie after the browser closes
        (``session.permanent``); the server-side limit ``AUTH_SESSION_MAX_AGE``
        applies either way.
    :raises ValueError: if ``identity`` is anonymous.
    """
    if identity.id is None:
        raise ValueError("login_user() needs an authenticated identity, not anonymous.")
    if (
        current_app.config["AUTH_CSRF"]
        and request.method not in SAFE_METHODS
        and not request.is_json
    ):
        # Login CSRF: a cross-site form could log the victim in as the attacker.
        check_csrf()
    session.clear()
    session.permanent = remember
    sid = "s-" + secrets.token_urlsafe(16)
    expires_at = int(time.time() + config.setting("AUTH_SESSION_MAX_AGE"))
    session[SESSION_KEY] = {
        "sub": identity.id,
        "sid": sid,
        "exp": expires_at,
        "ver": identity.version,
    }
    set_identity(identity.with_credential("session", sid, expires_at))


def logout_user() -> None:
    """End the session login: revoke its session id and clear the session.

    A copy of the old cookie is refused afterwards. Does nothing harmful when nobody
    is logged in.
    """
    claims = _claims_or_none(session.get(SESSION_KEY))
    if claims is not None:
        get_auth().revoke(claims.sid, claims.exp)
    session.clear()
    if get_identity().method == "session":
        set_identity(ANONYMOUS)


def _claims_or_none(payload: t.Any) -> SessionClaims | None:
    if (
        not isinstance(payload, dict)
        or payload.get("sub") is None
        or not isinstance(payload.get("sid"), str)
        or not isinstance(payload.get("exp"), (int, float))
    ):
        return None
    return SessionClaims(
        payload["sub"], payload["sid"], payload["exp"], payload.get("ver")
    )


def session_claims(payload: t.Any) -> SessionClaims:
    """Check the shape and expiry of the session entry.

    :raises CredentialError: if it is malformed or expired.
    """
    claims = _claims_or_none(payload)
    if claims is None:
        raise CredentialError("The login session is not valid; log in again.")
    if claims.exp <= time.time():
        raise CredentialError("The login session has expired; log in again.")
    return claims


def forget_session_login() -> None:
    """Drop a refused login from the session so the browser stops sending it."""
    session.pop(SESSION_KEY, None)


def check_csrf() -> None:
    """Validate the CSRF token of an unsafe, session-authenticated request.

    :raises APIError: 400 when it is missing or invalid.
    """
    config = current_app.config
    token: str | None = None
    for header in config.get("WTF_CSRF_HEADERS", _DEFAULT_CSRF_HEADERS):
        token = request.headers.get(header)
        if token:
            break
    else:
        if request.mimetype in {
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        }:
            token = request.form.get(config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    try:
        validate_csrf(token)
    except ValidationError as error:
        raise APIError(
            400,
            f"{error.args[0] if error.args else 'The CSRF token is invalid.'} Requests"
            " authenticated by the session cookie must send the value of"
            " csrf_token() in the 'X-CSRFToken' header or the 'csrf_token' form"
            " field; API clients can use a bearer token instead.",
        ) from None
