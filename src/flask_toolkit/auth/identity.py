"""Who is calling: the :class:`Identity` object and the ``current_identity`` proxy.

Every request starts anonymous: the toolkit's ``before_request`` hook stores
:data:`ANONYMOUS` on :data:`flask.g` before it looks at any credential, together with
the request it belongs to; an identity read in any other request (or outside of one)
is anonymous. So nothing is left over from an earlier request, even when several
requests share one app context and its ``g`` (as they do in a test that keeps an app
context pushed).
"""

from __future__ import annotations

import typing as t

from flask.globals import _cv_app
from flask.globals import _cv_request
from werkzeug.local import LocalProxy

from .permissions import has_permissions
from .permissions import normalize_grants

#: Where the identity of the current request lives on :data:`flask.g`.
G_KEY = "_toolkit_identity"
#: The request that identity belongs to: ``g`` is shared by the requests of one app
#: context, and an identity is only ever valid for the request that established it.
G_REQUEST_KEY = "_toolkit_identity_request"
#: ``(request, rules, identity)``: the view-level rules the ``before_request`` hook
#: already enforced for that request and identity (the view decorators then skip them).
G_ENFORCED_KEY = "_toolkit_rules_enforced"

#: How a request was authenticated (:attr:`Identity.method`).
AuthMethod = t.Literal["token", "api_key", "session", "test"]


class Identity:
    """The caller of the current request, as the app's identity loader describes it.

    The loader registered with :meth:`~flask_toolkit.auth.Auth.identity_loader`
    returns one of these::

        @toolkit.auth.identity_loader
        def load_identity(user_id):
            user = db.session.get(User, user_id)
            if user is None or not user.active:
                return None
            return Identity(user.id, user.permissions, user=user,
                            version=user.credential_version)

    :param id: the user id that credentials carry; ``None`` means anonymous. It must be
        JSON-serialisable (an ``int`` or a ``str``) because tokens embed it.
    :param permissions: the permissions granted, such as ``["tasks:read", "admin:*"]``.
    :param user: anything the app wants to reach as ``current_identity.user``.
    :param version: the user's *credential version*. Tokens and sessions remember the
        version they were issued under; when the loader returns a different one, they
        are refused. Change it (for example increment a column) on a password change to
        invalidate every credential of that user at once.
    """

    __slots__ = (
        "id",
        "permissions",
        "user",
        "version",
        "method",
        "credential_id",
        "expires_at",
    )

    def __init__(
        self,
        id: t.Any = None,
        permissions: t.Iterable[str] | None = None,
        *,
        user: t.Any = None,
        version: t.Any = None,
        method: AuthMethod | None = None,
        credential_id: str | None = None,
        expires_at: float | None = None,
    ) -> None:
        #: The user id; ``None`` for the anonymous identity.
        self.id = id
        #: The granted permissions, wildcards included.
        self.permissions: frozenset[str] = normalize_grants(permissions)
        #: Whatever the loader attached, usually the user model.
        self.user = user
        #: The credential version the loader reported.
        self.version = version
        #: How this request was authenticated: ``"token"``, ``"api_key"``,
        #: ``"session"``, ``"test"``; ``None`` when anonymous.
        self.method: AuthMethod | None = method
        #: The id of the credential used (token id, session id, API key id), which
        #: :meth:`~flask_toolkit.auth.Auth.revoke` accepts.
        self.credential_id = credential_id
        #: When the credential used expires (Unix time), if it does.
        self.expires_at = expires_at

    @property
    def is_authenticated(self) -> bool:
        """``True`` unless this is the anonymous identity."""
        return self.id is not None

    @property
    def is_anonymous(self) -> bool:
        """``True`` when nobody is authenticated."""
        return self.id is None

    def has_permission(self, *permissions: str, any_of: bool = False) -> bool:
        """Tell whether this identity holds the permissions (all of them by default).

        :param permissions: permission strings such as ``"tasks:write"``.
        :param any_of: accept any one of them instead of requiring all.
        """
        return has_permissions(self.permissions, permissions, any_of=any_of)

    def with_credential(
        self,
        method: AuthMethod,
        credential_id: str | None,
        expires_at: float | None = None,
    ) -> Identity:
        """Return a copy that records how the request was authenticated."""
        # Built field by field: this runs on every authenticated request, and the
        # permissions are already normalised.
        copy = object.__new__(Identity)
        copy.id = self.id
        copy.permissions = self.permissions
        copy.user = self.user
        copy.version = self.version
        copy.method = method
        copy.credential_id = credential_id
        copy.expires_at = expires_at
        return copy

    def __repr__(self) -> str:
        if self.id is None:
            return "<Identity anonymous>"
        perms = ", ".join(sorted(self.permissions))
        return f"<Identity {self.id!r} via {self.method} [{perms}]>"


#: The identity of every request before (and unless) a credential is accepted.
ANONYMOUS = Identity()


def get_identity() -> Identity:
    """Return the current request's identity; anonymous outside of a request."""
    ctx = _cv_request.get(None)
    if ctx is None:
        return ANONYMOUS
    values = _cv_app.get().g.__dict__
    if values.get(G_REQUEST_KEY) is not ctx.request:
        return ANONYMOUS
    identity: Identity = values.get(G_KEY, ANONYMOUS)
    return identity


def set_identity(identity: Identity) -> None:
    """Make ``identity`` the caller of the current request."""
    values = _cv_app.get().g.__dict__
    values[G_KEY] = identity
    values[G_REQUEST_KEY] = _cv_request.get().request


#: The caller of the current request: an :class:`Identity`, anonymous when nobody is
#: authenticated (also outside of requests). Read ``current_identity.id``,
#: ``.permissions``, ``.user``, ``.is_authenticated``, ``.has_permission(...)``.
current_identity: Identity = t.cast(Identity, LocalProxy(get_identity))
