"""Helpers for testing apps that use ``toolkit.auth``.

:class:`IdentityClient` is a Flask test client that makes its requests as a given
identity, with the permissions the test chooses, without creating users or tokens::

    from flask_toolkit.testing import IdentityClient

    app.test_client_class = IdentityClient

    def test_editors_can_write(app):
        client = app.test_client().as_identity(7, ["tasks:write"])
        assert client.post("/api/tasks", json={"title": "x"}).status_code == 201

    def test_anonymous_is_refused(app):
        assert app.test_client().get("/api/tasks").status_code == 401

The identity reaches the app through the WSGI environ (which no HTTP client can
set) and only while ``app.testing`` is true. It replaces the credential step only:
default-deny, decorators, permission checks and object-level hooks run as usual. The
identity loader is not called, and CSRF is not checked for it.

For end-to-end tests of the credentials themselves, issue a real token with
``toolkit.auth.issue_token(...)`` and send it in the ``Authorization`` header, or
use :func:`bearer_headers`. :class:`SessionClient` logs a user in on the session
cookie, as your login view would, and sends the CSRF token with every unsafe request.
:func:`assert_error` checks an error answer in the toolkit's JSON envelope.

The pytest plugin (:mod:`flask_toolkit.pytest_plugin`) turns these into fixtures.
"""

from __future__ import annotations

import typing as t

from flask.testing import FlaskClient

from .auth.authenticate import restore_hook
from .auth.authenticate import TEST_IDENTITY_ENVIRON_KEY
from .auth.identity import Identity

__all__ = [
    "IdentityClient",
    "SessionClient",
    "assert_error",
    "bearer_headers",
    "identity_client",
]

#: Methods a browser form or script can send that need the CSRF token.
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class IdentityClient(FlaskClient):
    """A test client whose requests are made as ``identity`` (anonymous by default).

    Set ``app.test_client_class = IdentityClient`` to get it from
    ``app.test_client()``, or use :func:`identity_client`.
    """

    identity: Identity | None = None

    def as_identity(
        self,
        id: t.Any,
        permissions: t.Iterable[str] = (),
        *,
        user: t.Any = None,
        version: t.Any = None,
    ) -> IdentityClient:
        """Make the following requests as this identity; returns the client itself.

        :param id: the user id (``current_identity.id``).
        :param permissions: what the identity is granted, wildcards allowed.
        :param user: what ``current_identity.user`` should be.
        :param version: what ``current_identity.version`` should be.
        """
        self.identity = Identity(
            id, permissions, user=user, version=version
        ).with_credential("test", None)
        environ: dict[str, t.Any] = self.environ_base
        environ[TEST_IDENTITY_ENVIRON_KEY] = self.identity
        if "toolkit" in self.application.extensions:
            # An app that had TESTING off at its first request runs without the auth
            # hook, which reads this identity: put it back.
            restore_hook(self.application)
        return self

    def anonymous(self) -> IdentityClient:
        """Make the following requests anonymously again; returns the client itself."""
        self.identity = None
        self.environ_base.pop(TEST_IDENTITY_ENVIRON_KEY, None)
        return self


def identity_client(
    app: t.Any,
    id: t.Any,
    permissions: t.Iterable[str] = (),
    *,
    user: t.Any = None,
    version: t.Any = None,
) -> IdentityClient:
    """Return a new :class:`IdentityClient` for ``app`` acting as the given identity.

    :param app: the Flask app (``app.testing`` must be true).
    :param id: the user id.
    :param permissions: the permissions granted.
    :raises RuntimeError: if ``app.testing`` is false, where the identity would be
        ignored.
    """
    if not app.testing:
        raise RuntimeError(
            "identity_client() only works when app.testing is true;"
            " set app.config['TESTING'] = True in your test app."
        )
    client = IdentityClient(app, app.response_class, use_cookies=True)
    return client.as_identity(id, permissions, user=user, version=version)


def bearer_headers(token: str) -> dict[str, str]:
    """``{"Authorization": "Bearer <token>"}`` for a real token."""
    return {"Authorization": f"Bearer {token}"}


class SessionClient(FlaskClient):
    """A test client logged in on the session cookie, as after your login view.

    The identity loader runs on every request as in production (so the user must
    exist for it), CSRF is checked, and this client sends the token for you with
    every ``POST``, ``PUT``, ``PATCH`` and ``DELETE``::

        client = SessionClient(app, app.response_class, use_cookies=True)
        client.login(7)
        assert client.delete("/api/tasks/3").status_code == 204
    """

    #: The CSRF token of the current session, ``None`` before :meth:`login`.
    csrf_token: str | None = None

    def login(self, user: t.Any, *, remember: bool = False) -> SessionClient:
        """Log ``user`` in with :func:`~flask_toolkit.login_user`; returns the client.

        :param user: a user id, given to the app's identity loader, or an
            :class:`~flask_toolkit.Identity` (its ``version`` must match what the
            loader returns, or the session is refused).
        :param remember: keep the cookie after the browser closes.
        :raises ValueError: if the identity loader does not know ``user``.
        """
        from flask import session
        from flask_wtf.csrf import generate_csrf

        from .auth.sessions import login_user
        from .state import get_state

        app = self.application
        with self.session_transaction() as cookie, app.test_request_context():
            identity = user
            if not isinstance(identity, Identity):
                auth = get_state(app).toolkit.auth
                identity = auth.load_identity(user)
                if identity is None:
                    raise ValueError(
                        f"The identity loader returned None for {user!r}: create the"
                        " user first, or pass an Identity."
                    )
            login_user(identity, remember=remember)
            self.csrf_token = t.cast(str, generate_csrf())
            cookie.clear()
            cookie.update(session)
            cookie.permanent = remember
        return self

    def logout(self) -> SessionClient:
        """Forget the session cookie (without revoking it); returns the client."""
        with self.session_transaction() as cookie:
            cookie.clear()
        self.csrf_token = None
        return self

    def open(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        method = str(kwargs.get("method", "GET")).upper()
        if self.csrf_token is not None and method not in _SAFE_METHODS:
            headers = dict(kwargs.get("headers") or {})
            names = self.application.config.get("WTF_CSRF_HEADERS") or ["X-CSRFToken"]
            if not any(name in headers for name in names):
                headers[names[0]] = self.csrf_token
            kwargs["headers"] = headers
        return super().open(*args, **kwargs)


def assert_error(
    response: t.Any,
    status: int,
    *,
    field: str | None = None,
    message: str | None = None,
) -> t.Any:
    """Assert that ``response`` is an error in the default JSON envelope.

    ``{"code": -1, "msg": ...}`` with the given status; returns ``msg``::

        assert_error(client.post("/api/tasks", json={}), 400, field="title")
        assert_error(client.get("/api/tasks/9"), 404, message="not found")

    :param status: the HTTP status expected.
    :param field: for a validation error, a field that must have a message.
    :param message: text that must appear in the message (the field's messages when
        ``field`` is given), case-insensitive.
    """
    got = response.status_code
    assert got == status, f"expected a {status} error, got {got}: {response.data!r}"
    assert response.is_json, f"the {status} answer is not JSON: {response.data!r}"
    body = response.get_json()
    assert isinstance(body, dict) and body.get("code") == -1 and "msg" in body, (
        f"the {status} answer is not the toolkit's envelope: {body!r}"
    )
    msg = body["msg"]
    texts: list[str]
    if field is not None:
        assert isinstance(msg, dict) and field in msg, (
            f"no message for field {field!r} in {msg!r}"
        )
        texts = [str(m) for m in msg[field]] if isinstance(msg[field], list) else []
        if not texts:
            texts = [str(msg[field])]
    else:
        assert msg, f"the {status} answer has no message"
        texts = [str(msg)]
    if message is not None:
        assert any(message.lower() in text.lower() for text in texts), (
            f"{message!r} is not in {texts!r}"
        )
    return msg
