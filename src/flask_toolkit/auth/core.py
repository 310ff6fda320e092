"""The :class:`Auth` object (``toolkit.auth``): loader, tokens, API keys, revocation."""

from __future__ import annotations

import inspect
import time
import typing as t
import weakref

from flask import current_app
from flask import Flask
from flask_wtf.csrf import generate_csrf

from .. import config
from .identity import get_identity
from .identity import Identity
from .state import AuthState
from .stores import ApiKeyRecord
from .stores import CredentialStore
from .stores import DatabaseStore
from .stores import MemoryStore
from .tokens import CredentialError
from .tokens import generate_api_key
from .tokens import TokenClaims
from .tokens import TokenSigner


class _CurrentVersion:
    """The default of ``version=``: ask the identity loader for the current one."""

    def __repr__(self) -> str:
        return "CURRENT_VERSION"


#: ``version=`` default of :meth:`Auth.issue_token` and :meth:`Auth.create_api_key`.
CURRENT_VERSION: t.Any = _CurrentVersion()

config.register_defaults(
    {
        "AUTH_DEFAULT_DENY": False,
        "AUTH_TOKEN_EXPIRES": 3600,
        "AUTH_TOKEN_SALT": "flask-toolkit.auth.token",
        "AUTH_TOKEN_CACHE_SIZE": 1024,
        "AUTH_API_KEY_HEADER": "X-API-Key",
        "AUTH_SESSION_MAX_AGE": 7 * 24 * 3600,
        "AUTH_CREDENTIAL_STORE": "database",
        "AUTH_REVOCATION_REFRESH": 2.0,
        "AUTH_CSRF": True,
        "AUTH_LOGIN_VIEW": None,
        "AUTH_REALM": "api",
        "AUTH_REFUSED_QUERY_PARAMS": (
            "access_token",
            "api_key",
            "apikey",
            "auth_token",
            "bearer_token",
            "id_token",
            "refresh_token",
            "jwt",
            "x_api_key",
            "authorization",
            "password",
        ),
    }
)

#: ``loader(user_id) -> Identity | None``, sync or async.
IdentityLoader = t.Callable[[t.Any], t.Any]


class Auth:
    """Establish who is calling and check what they may do; ``toolkit.auth``.

    The app tells it how to turn a user id into an :class:`~flask_toolkit.Identity`::

        @toolkit.auth.identity_loader
        def load_identity(user_id):
            user = db.session.get(User, user_id)
            return None if user is None else Identity(user.id, user.permissions)

    Until a loader is set, the toolkit authenticates nobody (every request is
    anonymous) and leaves credentials alone, so an app can keep another auth library.
    """

    def __init__(self) -> None:
        self._identity_loader: IdentityLoader | None = None
        self._loader_is_async = False
        #: Apps whose first request found no use for the auth hook and removed it.
        self._apps_without_hook: weakref.WeakSet[Flask] = weakref.WeakSet()

    def init_app(self, app: Flask) -> None:
        """Register the auth hooks on ``app``.

        Called by :meth:`~flask_toolkit.Toolkit.init_app`.
        """
        from ..state import get_state
        from . import cli  # noqa: F401  (adds ``flask toolkit routes``)
        from . import cookies
        from .authenticate import first_request_hook

        get_state(app).components["auth"] = AuthState()
        if self._identity_loader is not None:
            _adopt_store_tables(app)
        app.before_request(first_request_hook)
        app.context_processor(_csrf_context)
        cookies.install(app)

    # -- identity -----------------------------------------------------------------

    def identity_loader(self, loader: IdentityLoader) -> IdentityLoader:
        """Register the function that turns a user id into an identity.

        It is called on every authenticated request with the id stored in the
        credential, through ``current_app.ensure_sync`` (so it may be ``async``), and
        returns an :class:`~flask_toolkit.Identity`, or ``None`` when the user no
        longer exists or is disabled (the credential is then refused with 401).
        Use it as a decorator; it returns ``loader`` unchanged.
        """
        self._identity_loader = loader
        self._loader_is_async = inspect.iscoroutinefunction(loader)
        if self._apps_without_hook:
            from .authenticate import restore_hook

            for app in list(self._apps_without_hook):
                restore_hook(app)
            self._apps_without_hook.clear()
        return loader

    def is_configured(self, app: Flask | None = None) -> bool:
        """Tell whether ``app`` can authenticate anyone: the toolkit is registered on it
        and an identity loader is set.

        Components that must not run open (the scheduler's REST API) check this at
        start-up.

        :param app: the app; the current app by default.
        """
        from ..state import get_state

        try:
            state = get_state(app)
        except RuntimeError:
            return False
        return "auth" in state.components and self._identity_loader is not None

    def load_identity(self, user_id: t.Any) -> Identity | None:
        """Call the identity loader for ``user_id`` and check what it returned."""
        loader = self._identity_loader
        if loader is None:
            raise RuntimeError(
                "No identity loader is set, so no credential can be accepted."
                " Register one with '@toolkit.auth.identity_loader'."
            )
        if self._loader_is_async:
            identity = current_app.ensure_sync(loader)(user_id)
        else:
            identity = loader(user_id)
        if identity is not None and not isinstance(identity, Identity):
            raise TypeError(
                "The identity loader must return a flask_toolkit.auth.Identity or None,"
                f" got {type(identity).__name__}; wrap your user as"
                " Identity(user.id, user.permissions, user=user)."
            )
        return identity

    # -- state, tokens ------------------------------------------------------------

    def _state(self, app: Flask | None = None) -> AuthState:
        from ..state import get_state

        return t.cast(AuthState, get_state(app).components["auth"])

    def get_store(self, app: Flask | None = None) -> CredentialStore:
        """Return the app's credential store, creating it from ``AUTH_CREDENTIAL_STORE``
        on first use."""
        if app is None:
            app = t.cast(Flask, current_app._get_current_object())  # type: ignore[attr-defined]
        return self._store_for(app, self._state(app))

    def _store_for(self, app: Flask, state: AuthState) -> CredentialStore:
        if state.store is None:
            state.store = _make_store(app)
        return state.store

    def get_signer(self, app: Flask | None = None) -> TokenSigner:
        """Return the token signer for the app's current secret keys."""
        if app is None:
            app = t.cast(Flask, current_app._get_current_object())  # type: ignore[attr-defined]
        return self._signer_for(app, self._state(app))

    def _signer_for(self, app: Flask, state: AuthState) -> TokenSigner:
        config = app.config
        secret = config.get("SECRET_KEY")
        fallbacks = config.get("SECRET_KEY_FALLBACKS")
        salt = config["AUTH_TOKEN_SALT"]
        signer = state.signer
        # The same config objects as last time: reuse the signer and its cache.
        if signer is not None and state.signer_source == (secret, fallbacks, salt):
            return signer
        if not secret:
            raise RuntimeError(
                "Tokens are signed with SECRET_KEY, which is not set. Set"
                " app.config['SECRET_KEY'] to a long random value."
            )
        keys = (*(fallbacks or ()), secret)
        if signer is None or signer.secret_keys != keys or signer.salt != salt:
            signer = state.signer = TokenSigner(
                keys, salt, config["AUTH_TOKEN_CACHE_SIZE"]
            )
        # A copy of a mutable fallback list, so that changing it in place is seen.
        state.signer_source = (
            secret,
            list(fallbacks) if isinstance(fallbacks, list) else fallbacks,
            salt,
        )
        return signer

    def issue_token(
        self,
        identity: Identity | t.Any,
        *,
        expires_in: float | None = None,
        version: t.Any = CURRENT_VERSION,
    ) -> str:
        """Issue a signed bearer token.

        :param identity: an :class:`~flask_toolkit.Identity` (its ``id`` and
            ``version`` are used), or a user id.
        :param expires_in: lifetime in seconds; ``AUTH_TOKEN_EXPIRES`` by default.
        :param version: the credential version, when ``identity`` is a plain id;
            by default the one the identity loader returns for it now, so the token
            stays valid until that version changes.
        :return: the token, for ``Authorization: Bearer <token>``.

        .. versionchanged:: 0.2
            Without ``version=``, a plain user id gets its current version (it used
            to get ``None``, refused at once when the loader reports a version).
        """
        user_id, version = self._user_and_version(identity, version)
        if user_id is None:
            raise ValueError("Cannot issue a token for the anonymous identity.")
        if expires_in is None:
            expires_in = config.setting("AUTH_TOKEN_EXPIRES")
        return self.get_signer().issue(user_id, expires_in=expires_in, version=version)

    def _user_and_version(self, identity: t.Any, version: t.Any) -> tuple[t.Any, t.Any]:
        """The user id and the credential version a new credential should carry."""
        if isinstance(identity, Identity):
            return identity.id, identity.version
        if version is not CURRENT_VERSION:
            return identity, version
        if identity is None or self._identity_loader is None:
            return identity, None
        loaded = self.load_identity(identity)
        if loaded is None:
            raise ValueError(
                f"The identity loader returned None for user {identity!r}: no"
                " credential can be issued for a user that cannot log in."
            )
        return identity, loaded.version

    def decode_token(self, token: str, *, check_expiry: bool = True) -> TokenClaims:
        """Verify ``token``'s signature (and expiry) and return its claims.

        Revocation and the credential version are not checked here.

        :raises CredentialError: if the token is malformed, forged or expired.
        """
        return self.get_signer().verify(token, check_expiry=check_expiry)

    # -- revocation -----------------------------------------------------------------

    def revoke(self, credential_id: str, expires_at: float | None = None) -> None:
        """Revoke one token or session by its id (``current_identity.credential_id``).

        :param credential_id: a token id (``jti``) or a session id.
        :param expires_at: when the credential expires anyway (Unix time), after
            which the store may forget it; by default the longest lifetime configured.
        """
        if expires_at is None:
            cfg = current_app.config
            expires_at = time.time() + max(
                cfg["AUTH_TOKEN_EXPIRES"], cfg["AUTH_SESSION_MAX_AGE"]
            )
        self.get_store().revoke(credential_id, expires_at)

    def revoke_token(self, token: str) -> None:
        """Revoke a token given its text (an expired token is accepted, and ignored)."""
        try:
            claims = self.decode_token(token, check_expiry=False)
        except CredentialError:
            raise ValueError(
                "This is not a token issued by this app, so there is nothing to revoke."
            ) from None
        if claims.exp > time.time():
            self.revoke(claims.jti, claims.exp)

    def revoke_current(self) -> None:
        """Revoke the credential the current request was authenticated with.

        A token or session is revoked (and the session cookie cleared); an API key is
        deleted.
        """
        from .sessions import logout_user

        identity = get_identity()
        if identity.method == "session":
            logout_user()
        elif identity.method == "api_key" and identity.credential_id:
            self.revoke_api_key(identity.credential_id)
        elif identity.method == "token" and identity.credential_id:
            self.revoke(identity.credential_id, identity.expires_at)

    # -- API keys -------------------------------------------------------------------

    def create_api_key(
        self,
        identity: Identity | t.Any,
        *,
        name: str = "",
        version: t.Any = CURRENT_VERSION,
    ) -> tuple[str, str]:
        """Create an API key; only its hash is stored.

        :param identity: an :class:`~flask_toolkit.Identity` or a user id, as for
            :meth:`issue_token`.
        :param name: a label for the user's key list.
        :param version: the credential version, when ``identity`` is a plain id;
            by default its current one, as for :meth:`issue_token`.
        :return: ``(key, key_id)``: show ``key`` to the user once (it cannot be shown
            again); keep ``key_id`` to revoke it.
        """
        user_id, version = self._user_and_version(identity, version)
        if user_id is None:
            raise ValueError("Cannot create an API key for the anonymous identity.")
        key, key_id, key_hash = generate_api_key()
        self.get_store().add_api_key(
            ApiKeyRecord(key_id, user_id, key_hash, name, version)
        )
        return key, key_id

    def revoke_api_key(self, key_id: str) -> bool:
        """Delete an API key; tell whether it existed."""
        return self.get_store().delete_api_key(key_id)


def _make_store(app: Flask) -> CredentialStore:
    from ..state import get_state

    setting = app.config["AUTH_CREDENTIAL_STORE"]
    if setting == "database":
        _adopt_store_tables(app)
        return DatabaseStore(
            get_state(app).toolkit.db.get_engine(app),
            refresh=app.config["AUTH_REVOCATION_REFRESH"],
        )
    if setting == "memory":
        return MemoryStore()
    if isinstance(setting, CredentialStore):
        return setting
    raise ValueError(
        f"AUTH_CREDENTIAL_STORE = {setting!r} is not a store: use 'database',"
        " 'memory', or an object with the methods of"
        " flask_toolkit.auth.CredentialStore."
    )


def _adopt_store_tables(app: Flask) -> None:
    """Put the database store's tables in ``db.metadata`` (for migrations) when the
    app authenticates and keeps its credentials in its database.
    """
    from ..state import get_state
    from . import stores

    if app.config["AUTH_CREDENTIAL_STORE"] == "database":
        get_state(app).toolkit.db.adopt_tables(stores.metadata.tables.values())


def _csrf_context() -> dict[str, t.Any]:
    return {"csrf_token": generate_csrf}
