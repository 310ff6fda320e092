"""The ``before_request`` hook: who is calling, and may anyone call this endpoint.

For every request, in this order:

1. the identity is set to anonymous (nothing survives from an earlier request);
2. credentials in the query string (``?access_token=``, ``?api_key=`` ...) are refused
   with 400 — URLs end up in logs, proxies and browser history;
3. exactly one credential is tried, the first present of: ``Authorization`` header
   (``Bearer`` only), the API key header (``AUTH_API_KEY_HEADER``), the session
   cookie. One that is present but bad is a 401: the next kind is never tried. On a
   view marked :func:`public` a bad credential leaves the caller anonymous instead;
4. an unsafe request authenticated by the session cookie must pass the CSRF check;
5. with ``AUTH_DEFAULT_DENY``, an endpoint without any auth decorator answers 401
   (anonymous) or 403. Static files (the static-folder routes Flask adds for the
   app and its blueprints, not any view named ``static``) and ``OPTIONS`` requests
   are exempt;
6. the view's own ``@login_required`` / ``@require_permission`` rules are checked
   (401 / 403), before any view decorator runs: a caller who may not use the view
   never reaches ``@validate_data``, whatever the order of the decorators, and never
   learns the form's fields from its errors. Object-level ``check=`` hooks run in
   the decorator, with the view's arguments.

Nothing is checked until the app sets an identity loader, except default-deny.

An app that uses none of it pays nothing per request: :meth:`.Auth.init_app` installs
:func:`first_request_hook`, which at the app's first request puts
:func:`authenticate_request` in its own place when the app needs it (an identity
loader, ``TESTING`` for :mod:`flask_toolkit.testing`'s identities,
``AUTH_DEFAULT_DENY``, or a view with a ``@login_required`` / ``@require_permission``
rule) and otherwise removes itself. Setting an identity loader later, or an identity
test client, puts the hook back (:func:`restore_hook`). ``AUTH_DEFAULT_DENY`` and
``TESTING`` are read at that first request: set them before it.
"""

from __future__ import annotations

import typing as t

from flask import Flask
from flask import Request
from flask import session
from flask.globals import _cv_app
from flask.globals import _cv_request

from ..errors import APIError
from .challenges import forbidden
from .challenges import unauthorized
from .decorators import is_static_endpoint
from .decorators import Protection
from .decorators import protection_of
from .identity import ANONYMOUS
from .identity import G_ENFORCED_KEY
from .identity import G_KEY
from .identity import G_REQUEST_KEY
from .identity import Identity
from .sessions import check_csrf
from .sessions import forget_session_login
from .sessions import SAFE_METHODS
from .sessions import session_claims
from .sessions import SESSION_KEY
from .state import AuthState
from .tokens import check_api_key_secret
from .tokens import CredentialError
from .tokens import MAX_TOKEN_LENGTH
from .tokens import parse_api_key

if t.TYPE_CHECKING:
    from .core import Auth

#: WSGI environ key through which :mod:`flask_toolkit.testing` passes an identity
#: (read only when ``app.testing`` is true; an HTTP client cannot set it).
TEST_IDENTITY_ENVIRON_KEY = "flask_toolkit.test_identity"


def first_request_hook() -> None:
    """At the app's first request, decide whether it needs :func:`authenticate_request`.

    Puts the hook in its own place in the app's ``before_request`` list, or removes
    itself, then runs the hook if it stays: every ``before_request`` function costs a
    chain of Python calls per request (Flask's ``ensure_sync`` around it), which an
    app using none of the toolkit's auth should not pay.
    """
    app = _cv_app.get().app
    funcs = app.before_request_funcs.get(None, [])
    if first_request_hook not in funcs:  # another thread's first request decided
        authenticate_request()
        return
    toolkit_state = app.extensions["toolkit"]
    index = funcs.index(first_request_hook)
    if hook_needed(app):
        _set_hooks(app, [*funcs[:index], authenticate_request, *funcs[index + 1 :]])
        authenticate_request()
        return
    toolkit_state.components["auth"].hook_index = index
    toolkit_state.toolkit.auth._apps_without_hook.add(app)
    _set_hooks(app, [*funcs[:index], *funcs[index + 1 :]])


def hook_needed(app: Flask) -> bool:
    """Whether a request to ``app`` can need :func:`authenticate_request`."""
    config = app.config
    if (
        app.extensions["toolkit"].toolkit.auth._identity_loader is not None
        or config["TESTING"]
        or config["AUTH_DEFAULT_DENY"]
    ):
        return True
    for rule in app.url_map.iter_rules():
        for method in rule.methods or ():
            if protection_of(app, rule.endpoint, method).enforced:
                return True
    return False


def restore_hook(app: Flask) -> None:
    """Put :func:`authenticate_request` back in its place on ``app`` if the first
    request removed it (an identity loader set, or an identity test client made,
    after that request)."""
    state: AuthState = app.extensions["toolkit"].components["auth"]
    index = state.hook_index
    if index is None:
        return
    state.hook_index = None
    funcs = app.before_request_funcs.get(None, [])
    _set_hooks(app, [*funcs[:index], authenticate_request, *funcs[index:]])


def _set_hooks(app: Flask, funcs: list[t.Callable[[], t.Any]]) -> None:
    # A new list rather than changing the old one in place: a request in another
    # thread may be walking it.
    if funcs:
        app.before_request_funcs[None] = funcs
    else:
        app.before_request_funcs.pop(None, None)


def authenticate_request() -> None:
    """The toolkit's ``before_request`` hook (see the module documentation)."""
    # The context objects are read once, not through the proxies: this hook runs on
    # every request, and each proxy access costs about as much as a dict lookup chain.
    g_values = _cv_app.get().g.__dict__
    g_values[G_KEY] = ANONYMOUS
    ctx = _cv_request.get()
    req = ctx.request
    g_values[G_REQUEST_KEY] = req
    endpoint = req.endpoint
    method = req.method
    if endpoint is None or method == "OPTIONS":
        return
    app = ctx.app
    if (endpoint == "static" or endpoint.endswith(".static")) and is_static_endpoint(
        app, endpoint
    ):
        return
    toolkit_state = app.extensions["toolkit"]
    state: AuthState = toolkit_state.components["auth"]
    auth: Auth = toolkit_state.toolkit.auth
    protection = state.protection.get((endpoint, method))
    if protection is None:
        protection = state.protection[(endpoint, method)] = protection_of(
            app, endpoint, method
        )
    identity = ANONYMOUS
    if auth._identity_loader is not None or app.config["TESTING"]:
        identity = _identify(app, auth, state, req, protection)
        if identity is not ANONYMOUS:
            g_values[G_KEY] = identity
            if (
                identity.method == "session"
                and method not in SAFE_METHODS
                and app.config["AUTH_CSRF"]
            ):
                check_csrf()
    if app.config["AUTH_DEFAULT_DENY"] and not protection.annotated:
        if identity.id is None:
            unauthorized()
        forbidden(
            "This endpoint has no access rule and the app denies by default; mark"
            " the view with @public, @login_required or @require_permission(...)."
        )
    enforced = protection.enforced
    if enforced:
        identity = g_values[G_KEY]
        for rule in enforced:
            rule.enforce(identity)
        g_values[G_ENFORCED_KEY] = (req, enforced, identity)


def _identify(
    app: Flask, auth: Auth, state: AuthState, req: Request, protection: Protection
) -> Identity:
    environ = req.environ
    if app.config["TESTING"]:  # (app.testing, without the descriptor call)
        test_identity = environ.get(TEST_IDENTITY_ENVIRON_KEY)
        if test_identity is not None:
            return t.cast(Identity, test_identity)
    if auth._identity_loader is None:
        return ANONYMOUS
    if req.query_string:
        _refuse_query_credentials(app, req)
    try:
        header = environ.get("HTTP_AUTHORIZATION")
        if header is not None:
            return _from_bearer(auth, app, state, header)
        key_header = app.config["AUTH_API_KEY_HEADER"]
        api_key = environ.get("HTTP_" + key_header.upper().replace("-", "_"))
        if api_key is not None:
            return _from_api_key(auth, app, state, api_key, key_header)
        if "HTTP_COOKIE" in environ:
            payload = session.get(SESSION_KEY)
            if payload is not None:
                try:
                    return _from_session(auth, app, state, payload)
                except CredentialError:
                    forget_session_login()
                    raise
    except CredentialError as error:
        if protection.is_public:
            return ANONYMOUS
        unauthorized(str(error), error=error.code)
    return ANONYMOUS


def _refuse_query_credentials(app: Flask, req: Request) -> None:
    refused = app.config["AUTH_REFUSED_QUERY_PARAMS"]
    key_header = app.config["AUTH_API_KEY_HEADER"].lower().replace("-", "_")
    for name in req.args:
        key = name.lower().replace("-", "_")
        if key in refused or key == key_header:
            raise APIError(
                400,
                f"Credentials are not accepted in the URL (query parameter {name!r}):"
                " URLs end up in logs and browser history. Send"
                " 'Authorization: Bearer <token>' instead.",
            )


def _check_user(auth: Auth, user_id: t.Any, version: t.Any, what: str) -> Identity:
    identity = auth.load_identity(user_id)
    if identity is None:
        raise CredentialError(
            f"The account of this {what} no longer exists or is disabled."
        )
    if identity.version != version:
        # Name what differs, not the values (a version may be derived from a secret).
        if version is None:
            raise CredentialError(
                f"The {what} carries no credential version, but the identity loader"
                " reports one for this user: it was issued with version=None. Issue"
                " it without version= (it then carries the user's current version)."
            )
        raise CredentialError(
            f"The {what}'s credential version is no longer the user's: the identity"
            " loader reports another one (it changes, for example, on a password"
            " change); log in again."
        )
    return identity


def _from_bearer(auth: Auth, app: Flask, state: AuthState, header: str) -> Identity:
    if len(header) > MAX_TOKEN_LENGTH + 7:
        raise CredentialError(
            "The Authorization header is too long.", "invalid_request"
        )
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise CredentialError(
            "Only 'Authorization: Bearer <token>' is accepted.", "invalid_request"
        )
    claims = auth._signer_for(app, state).verify(token)
    if auth._store_for(app, state).is_revoked(claims.jti):
        raise CredentialError("The bearer token has been revoked; log in again.")
    identity = _check_user(auth, claims.sub, claims.ver, "token")
    return identity.with_credential("token", claims.jti, claims.exp)


def _from_api_key(
    auth: Auth, app: Flask, state: AuthState, value: str, header: str
) -> Identity:
    if len(value) > MAX_TOKEN_LENGTH:
        raise CredentialError(f"The {header} header is too long.", "invalid_request")
    key_id, secret = parse_api_key(value)
    record = auth._store_for(app, state).get_api_key(key_id)
    if record is None or not check_api_key_secret(secret, record.key_hash):
        raise CredentialError("The API key is not valid or has been revoked.")
    identity = _check_user(auth, record.user_id, record.version, "API key")
    return identity.with_credential("api_key", key_id)


def _from_session(auth: Auth, app: Flask, state: AuthState, payload: t.Any) -> Identity:
    claims = session_claims(payload)
    if auth._store_for(app, state).is_revoked(claims.sid):
        raise CredentialError("This login session has ended; log in again.")
    identity = _check_user(auth, claims.sub, claims.ver, "login session")
    return identity.with_credential("session", claims.sid, claims.exp)
