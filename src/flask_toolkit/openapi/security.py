"""The document's security, read from the same access rules that guard each view.

:func:`~flask_toolkit.auth.decorators.protection_of` tells, per endpoint and method,
which decorators (``@public``, ``@login_required``, ``@require_permission``, on the
view or its blueprint) apply. From it each operation gets:

- ``@public``: ``security: []`` — no lock; a bad credential leaves the caller
  anonymous there;
- ``@login_required`` / ``@require_permission``: any of the three schemes (bearer
  token, API key header, session cookie), the permissions listed in the description
  and in ``x-permissions``, and 401 (and 403 when a permission or object check can
  refuse);
- no decorator: with ``AUTH_DEFAULT_DENY`` the operation is refused to everyone
  (``x-default-deny: true``; 401 or 403 are its only answers); without it a credential
  is optional (``security`` lists ``{}`` too).
"""

from __future__ import annotations

import dataclasses
import typing as t

from flask import Flask

from ..auth.decorators import protection_of

#: Names of the schemes in ``components.securitySchemes``.
BEARER = "bearerAuth"
API_KEY = "apiKeyAuth"
SESSION = "sessionCookie"
_ANY_CREDENTIAL: list[dict[str, list[str]]] = [
    {BEARER: []},
    {API_KEY: []},
    {SESSION: []},
]


@dataclasses.dataclass
class Access:
    """How one operation is protected, in OpenAPI terms."""

    #: ``"public"``, ``"login"``, ``"permission"``, ``"open"`` (no rule, allowed)
    #: or ``"denied"`` (no rule, and the app denies by default).
    kind: str
    #: Permissions every caller needs (all of them).
    all_of: list[str] = dataclasses.field(default_factory=list)
    #: Groups of permissions of which a caller needs one each.
    any_of: list[list[str]] = dataclasses.field(default_factory=list)
    #: Names of object-level checks that can refuse with 403.
    checks: list[str] = dataclasses.field(default_factory=list)

    @property
    def can_forbid(self) -> bool:
        """Whether an authenticated caller can get 403."""
        return self.kind in {"permission", "denied"} or bool(self.checks)

    @property
    def needs_login(self) -> bool:
        """Whether an anonymous caller gets 401."""
        return self.kind in {"login", "permission", "denied"}


def access_of(app: Flask, endpoint: str, method: str) -> Access:
    """Read the :class:`Access` of ``endpoint`` for ``method``."""
    protection = protection_of(app, endpoint, method)
    if protection.is_public:
        return Access("public")
    if not protection.annotated:
        return Access("denied" if app.config.get("AUTH_DEFAULT_DENY") else "open")
    access = Access("login")
    for rule in protection.rules:
        if rule.kind == "public":
            continue
        if rule.check is not None:
            access.checks.append(getattr(rule.check, "__name__", "check"))
        if rule.kind != "permission":
            continue
        access.kind = "permission"
        if rule.any_of and len(rule.permissions) > 1:
            access.any_of.append(list(rule.permissions))
        else:
            access.all_of.extend(p for p in rule.permissions if p not in access.all_of)
    return access


def security_schemes(app: Flask) -> dict[str, t.Any]:
    """``components.securitySchemes``: the credentials the toolkit reads, in order."""
    header = app.config.get("AUTH_API_KEY_HEADER", "X-API-Key")
    cookie = app.config.get("SESSION_COOKIE_NAME", "session")
    return {
        BEARER: {
            "type": "http",
            "scheme": "bearer",
            "description": "A signed token: `Authorization: Bearer <token>`. Tried"
            " first.",
        },
        API_KEY: {
            "type": "apiKey",
            "in": "header",
            "name": header,
            "description": f"An API key in the `{header}` header, tried when there"
            " is no `Authorization` header.",
        },
        SESSION: {
            "type": "apiKey",
            "in": "cookie",
            "name": cookie,
            "description": "The login session cookie, tried last. Unsafe methods"
            " (POST, PUT, PATCH, DELETE) must also send the CSRF token in the"
            " `X-CSRFToken` header.",
        },
    }


def apply_security(op: dict[str, t.Any], access: Access) -> None:
    """Write ``security``, ``x-permissions`` and a note on access into ``op``."""
    note = _note(access)
    if access.kind == "public":
        op["security"] = []
    elif access.kind == "open":
        op["security"] = [{}, *_ANY_CREDENTIAL]
    else:
        op["security"] = list(_ANY_CREDENTIAL)
    if access.all_of or access.any_of:
        op["x-permissions"] = list(access.all_of)
        if access.any_of:
            op["x-permissions-any-of"] = [list(group) for group in access.any_of]
    if access.kind == "denied":
        op["x-default-deny"] = True
    if note:
        description = op.get("description")
        op["description"] = f"{description}\n\n{note}" if description else note


def _note(access: Access) -> str:
    if access.kind == "denied":
        return (
            "**Refused to every caller**: the view has no access rule and the app"
            " denies by default (`AUTH_DEFAULT_DENY`); it answers 401 or 403."
        )
    if access.kind == "open":
        return "No access rule: anonymous callers are allowed."
    parts = []
    if access.all_of:
        listed = ", ".join(f"`{p}`" for p in access.all_of)
        parts.append(f"**Requires permission** {listed}.")
    for group in access.any_of:
        listed = ", ".join(f"`{p}`" for p in group)
        parts.append(f"**Requires one of the permissions** {listed}.")
    if access.kind == "login" and not parts:
        parts.append("**Requires a logged-in caller.**")
    for check in access.checks:
        parts.append(f"An object-level check (`{check}`) can refuse with 403.")
    return " ".join(parts)
