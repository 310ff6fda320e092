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
use :func:`bearer_headers`.
"""

from __future__ import annotations

import typing as t

from flask.testing import FlaskClient

from .auth.authenticate import TEST_IDENTITY_ENVIRON_KEY
from .auth.identity import Identity

__all__ = ["IdentityClient", "bearer_headers", "identity_client"]


class IdentityClient(FlaskClient):
    """A test client whose requests are made as :attr:`identity` (anonymous by default).

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
