"""The answers to a refused request: 401 with a Bearer challenge, 403, or a redirect.

JSON callers (:func:`~flask_toolkit.errors.is_api_request`) always get the envelope.
Other callers are redirected to ``AUTH_LOGIN_VIEW`` when it is set, with the page they
asked for in ``next``; :func:`safe_next_url` is what the login view uses to follow
``next`` back without becoming an open redirect.
"""

from __future__ import annotations

import typing as t
from urllib.parse import urlsplit

from flask import abort
from flask import current_app
from flask import redirect
from flask import request
from flask import url_for

from .. import config
from ..errors import APIError
from ..errors import is_api_request


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def bearer_challenge(error: str | None = None, description: str | None = None) -> str:
    """Build the ``WWW-Authenticate`` value (RFC 6750), never ``Basic``.

    :param error: ``"invalid_token"`` or ``"invalid_request"`` when a credential was
        sent and refused.
    :param description: the human-readable reason.
    """
    value = f'Bearer realm="{_quote(current_app.config["AUTH_REALM"])}"'
    if error:
        value += f', error="{error}"'
        if description:
            value += f', error_description="{_quote(description)}"'
    return value


def unauthorized(msg: str | None = None, *, error: str | None = None) -> t.NoReturn:
    """Refuse the request with 401 (or a redirect to the login view for HTML callers).

    :param msg: why; by default, how to authenticate.
    :param error: the RFC 6750 error code when a bad credential was sent.
    :raises APIError: always (or the redirect's :class:`HTTPException`).
    """
    login_view = config.setting("AUTH_LOGIN_VIEW")
    # Never redirect the login view to itself (a login view left without @public).
    if (
        error is None
        and login_view
        and request.endpoint != login_view
        and not is_api_request()
    ):
        abort(redirect(url_for(login_view, next=_relative_request_url())))
    if msg is None:
        msg = (
            "Authentication is required: send 'Authorization: Bearer <token>', an"
            f" API key in the '{current_app.config['AUTH_API_KEY_HEADER']}' header,"
            " or log in."
        )
    headers = {"WWW-Authenticate": bearer_challenge(error, msg if error else None)}
    raise APIError(401, msg, headers=headers)


def forbidden(msg: str) -> t.NoReturn:
    """Refuse an authenticated caller with 403."""
    raise APIError(403, msg)


def _relative_request_url() -> str:
    path = request.full_path if request.query_string else request.path
    return path


def safe_next_url(target: str | None) -> str | None:
    """Return ``target`` if it is safe to redirect to after login, else ``None``.

    Only same-origin relative paths are safe: they start with a single ``/``, have no
    scheme or host, and contain no backslash or control character (browsers read
    ``/\\evil.example`` and ``\\\\evil.example`` as other hosts). So ``/tasks?page=2``
    passes; ``//evil``, ``\\\\evil``, ``/\\evil``, ``https://evil``,
    ``javascript:...`` do not.

    :param target: the ``next`` value a client sent.
    """
    if not target or len(target) > 2048:
        return None
    if any(ch == "\\" or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def validated_next(default: str = "/") -> str:
    """Read ``next`` from the query string or form and return a safe redirect target.

    For a login view: ``return redirect(validated_next())``.

    :param default: where to go when no ``next`` was sent.
    :raises APIError: 400 when ``next`` was sent but is not a same-origin relative path.
    """
    target = request.args.get("next") or request.form.get("next")
    if not target:
        return default
    safe = safe_next_url(target)
    if safe is None:
        raise APIError(
            400,
            "The 'next' parameter must be a relative path on this site, such as"
            " '/tasks'; other hosts and schemes are refused.",
        )
    return safe
