"""``login_required``, ``require_permission`` and ``public``.

Each works bare or called (``@login_required`` and ``@login_required()``), on a view
function (sync or async), on a :class:`~flask.views.View` / ``MethodView`` class or one
of its methods, and on a :class:`~flask.Blueprint` (apply it before registering the
blueprint; a view marked :func:`public` inside a protected blueprint stays public).
``OPTIONS`` requests always pass, so CORS pre-flights work.

Every decorator also leaves a mark on the view, which default-deny mode
(``AUTH_DEFAULT_DENY``) and ``flask toolkit routes`` read: a route without any mark is
*unprotected*.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing as t

from flask import Blueprint
from flask import current_app
from flask import Flask
from flask import request
from flask.globals import _cv_app
from flask.globals import _cv_request
from flask.views import View

from .challenges import forbidden
from .challenges import unauthorized
from .identity import G_ENFORCED_KEY
from .identity import G_KEY
from .identity import get_identity
from .identity import Identity
from .permissions import has_permissions
from .permissions import is_granted
from .permissions import missing_permissions
from .permissions import validate_permission

F = t.TypeVar("F", bound=t.Callable[..., t.Any])
Target = t.TypeVar("Target")

#: The attribute holding a view's (or blueprint's) access rules.
RULES_ATTR = "_toolkit_auth_rules"

#: An object-level check: ``check(identity, **view_args) -> bool`` (may be async).
ObjectCheck = t.Callable[..., t.Any]


@dataclasses.dataclass(frozen=True)
class AccessRule:
    """One decorator's requirement, as recorded on the view."""

    kind: t.Literal["public", "login", "permission"]
    permissions: tuple[str, ...] = ()
    any_of: bool = False
    check: ObjectCheck | None = None

    def describe(self) -> str:
        """A short text for ``flask toolkit routes``."""
        if self.kind != "permission":
            return self.kind
        joiner = " | " if self.any_of else " & "
        text = joiner.join(self.permissions)
        if self.check is not None:
            text += f" + {getattr(self.check, '__name__', 'check')}()"
        return text

    def enforce(self, identity: Identity | None = None) -> Identity:
        """Raise 401/403 unless the identity satisfies the rule.

        :param identity: default the current request's.
        """
        if identity is None:
            identity = get_identity()
        if identity.id is None:
            unauthorized()
        perms = self.permissions
        if not perms:
            return identity
        if len(perms) == 1:
            allowed = is_granted(identity.permissions, perms[0])
        else:
            allowed = has_permissions(identity.permissions, perms, any_of=self.any_of)
        if not allowed:
            forbidden(
                self._forbidden_message(
                    missing_permissions(identity.permissions, perms)
                )
            )
        return identity

    def _forbidden_message(self, missing: list[str]) -> str:
        if self.any_of:
            listed = ", ".join(repr(p) for p in self.permissions)
            return f"You need one of the permissions {listed} for this."
        listed = ", ".join(repr(p) for p in missing)
        return f"You lack the permission {listed} needed for this."


def _check_failed() -> t.NoReturn:
    forbidden("You are not allowed to act on this object.")


def _url_args(kwargs: dict[str, t.Any]) -> dict[str, t.Any]:
    """The view's URL arguments, without what other decorators added (``form=``)."""
    view_args = _cv_request.get().request.view_args
    if view_args is None:
        return kwargs
    return {key: value for key, value in kwargs.items() if key in view_args}


def _wrap_view(view: F, rule: AccessRule) -> F:
    rules = (*getattr(view, RULES_ATTR, ()), rule)
    if rule.kind == "public":
        setattr(view, RULES_ATTR, rules)
        return view
    check = rule.check
    wrapper: t.Callable[..., t.Any]
    if inspect.iscoroutinefunction(view):

        @functools.wraps(view)
        async def async_wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
            if request.method != "OPTIONS":
                identity = rule.enforce()
                if check is not None:
                    result = check(identity, **_url_args(kwargs))
                    if inspect.isawaitable(result):
                        result = await result
                    if not result:
                        _check_failed()
            return await view(*args, **kwargs)

        wrapper = async_wrapper
    else:

        @functools.wraps(view)
        def sync_wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
            req = _cv_request.get().request
            if req.method != "OPTIONS":
                # Already enforced by the before_request hook for this request and
                # this identity: not again (the check= hook still runs below).
                values = _cv_app.get().g.__dict__
                done = values.get(G_ENFORCED_KEY)
                if (
                    done is not None
                    and done[0] is req
                    and values.get(G_KEY) is done[2]
                    and rule in done[1]
                ):
                    identity = done[2]
                else:
                    identity = rule.enforce()
                if check is not None:
                    check_args = _url_args(kwargs)
                    if not current_app.ensure_sync(check)(identity, **check_args):
                        _check_failed()
            return view(*args, **kwargs)

        wrapper = sync_wrapper
    setattr(wrapper, RULES_ATTR, rules)
    return t.cast(F, wrapper)


def _guard_blueprint(blueprint: Blueprint, rule: AccessRule) -> Blueprint:
    setattr(blueprint, RULES_ATTR, (*getattr(blueprint, RULES_ATTR, ()), rule))
    if rule.kind == "public":
        return blueprint

    def toolkit_blueprint_guard() -> None:
        if request.method == "OPTIONS" or request.endpoint is None:
            return
        view_rules = view_level_rules(current_app, request.endpoint, request.method)
        if view_rules and all(r.kind == "public" for r in view_rules):
            return
        identity = rule.enforce()
        if rule.check is not None:
            kwargs = request.view_args or {}
            if not current_app.ensure_sync(rule.check)(identity, **kwargs):
                _check_failed()

    blueprint.before_request(toolkit_blueprint_guard)
    return blueprint


def _apply(target: Target, rule: AccessRule) -> Target:
    if isinstance(target, Blueprint):
        return t.cast(Target, _guard_blueprint(target, rule))
    if isinstance(target, type) and issubclass(target, View):
        decorator = functools.partial(_wrap_view, rule=rule)
        target.decorators = [*target.decorators, decorator]
        return target
    if not callable(target):
        raise TypeError(
            f"Cannot protect {target!r}: decorate a view function, a View class or a"
            " Blueprint."
        )
    return t.cast(Target, _wrap_view(target, rule))


@t.overload
def login_required(view: Target) -> Target: ...
@t.overload
def login_required(view: None = None) -> t.Callable[[Target], Target]: ...
def login_required(view: t.Any = None) -> t.Any:
    """Require an authenticated caller: 401 when anonymous.

    Use it bare (``@login_required``) or called (``@login_required()``).

    :param view: the view, View class or Blueprint to protect.
    """
    rule = AccessRule("login")
    if view is None:
        return functools.partial(_apply, rule=rule)
    return _apply(view, rule)


@t.overload
def public(view: Target) -> Target: ...
@t.overload
def public(view: None = None) -> t.Callable[[Target], Target]: ...
def public(view: t.Any = None) -> t.Any:
    """Mark a view as open to anonymous callers, also in default-deny mode.

    A credential that is present but invalid does not fail a public view: the caller
    is simply anonymous there (so a stale cookie never locks anyone out of the login
    page).

    :param view: the view, View class or Blueprint to mark.
    """
    rule = AccessRule("public")
    if view is None:
        return functools.partial(_apply, rule=rule)
    return _apply(view, rule)


def require_permission(
    *permissions: str, any_of: bool = False, check: ObjectCheck | None = None
) -> t.Callable[[Target], Target]:
    """Require permissions: 401 when anonymous, 403 when a permission is missing.

    ::

        @bp.post("/tasks")
        @require_permission("tasks:write")
        def create_task(): ...

        @bp.get("/reports")
        @require_permission("reports:read", "admin:*", any_of=True)
        def reports(): ...

        def owns_task(identity, task_id):
            return db.session.get(Task, task_id).owner_id == identity.id

        @bp.delete("/tasks/<int:task_id>")
        @require_permission("tasks:write", check=owns_task)
        def delete_task(task_id): ...

    :param permissions: ``resource:action`` strings; all of them are needed.
    :param any_of: accept any one of ``permissions`` instead.
    :param check: an object-level hook called as ``check(identity, **view_args)``
        after the permissions passed (sync or async); a false result is a 403.
    :raises TypeError: at decoration time, when no permission is given (or the
        decorator is used bare), so the mistake never reaches a request.
    """
    if not permissions or (len(permissions) == 1 and callable(permissions[0])):
        raise TypeError(
            "require_permission() needs at least one permission, such as"
            " @require_permission('tasks:read'); use @login_required to only require"
            " a logged-in caller."
        )
    if check is not None and not callable(check):
        raise TypeError(f"check must be a callable, got {check!r}.")
    perms = tuple(validate_permission(p) for p in permissions)
    rule = AccessRule("permission", perms, any_of, check)
    return functools.partial(_apply, rule=rule)


def view_level_rules(app: Flask, endpoint: str, method: str) -> tuple[AccessRule, ...]:
    """The rules on the endpoint's view function and, for a ``MethodView``, on the
    method that serves ``method``."""
    view = app.view_functions.get(endpoint)
    if view is None:
        return ()
    rules: tuple[AccessRule, ...] = getattr(view, RULES_ATTR, ())
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        meth = getattr(view_class, method.lower(), None)
        if meth is None and method == "HEAD":
            meth = getattr(view_class, "get", None)
        rules = (*rules, *getattr(meth, RULES_ATTR, ()))
    return rules


def blueprint_rules(app: Flask, endpoint: str) -> tuple[AccessRule, ...]:
    """The rules on the endpoint's blueprint and its parents."""
    rules: tuple[AccessRule, ...] = ()
    name = endpoint.rpartition(".")[0]
    while name:
        rules = (*rules, *getattr(app.blueprints.get(name), RULES_ATTR, ()))
        name = name.rpartition(".")[0]
    return rules


@dataclasses.dataclass(frozen=True)
class Protection:
    """How an endpoint is protected, for one HTTP method."""

    rules: tuple[AccessRule, ...]
    #: Anonymous callers may use it (a ``public`` mark decides).
    is_public: bool
    #: The view's own login / permission rules, checked by the ``before_request``
    #: hook before any view decorator runs (so before ``@validate_data`` reads the
    #: body, whatever the decorator order). Object-level ``check=`` hooks need the
    #: view's arguments and still run in the decorator.
    enforced: tuple[AccessRule, ...] = ()

    @property
    def annotated(self) -> bool:
        """Some decorator covers it (default-deny lets it through)."""
        return bool(self.rules)


def protection_of(app: Flask, endpoint: str, method: str) -> Protection:
    """Work out how ``endpoint`` is protected for ``method``."""
    own = view_level_rules(app, endpoint, method)
    inherited = blueprint_rules(app, endpoint)
    if own:
        is_public = all(r.kind == "public" for r in own)
    else:
        is_public = bool(inherited) and all(r.kind == "public" for r in inherited)
    enforced = () if is_public else tuple(r for r in own if r.kind != "public")
    return Protection((*own, *inherited), is_public, enforced)


def is_static_endpoint(app: Flask, endpoint: str) -> bool:
    """Whether ``endpoint`` is a static-file route Flask made: the app's ``static``
    (with a ``static_folder``) or a blueprint's ``<name>.static`` serving the
    blueprint's ``static_folder``. A view function that is merely *named*
    ``static`` is not one, and gets no exemption from default-deny.
    """
    view = app.view_functions.get(endpoint)
    if view is None:
        return False
    if endpoint == "static":
        return app.static_folder is not None and getattr(
            view, "__module__", ""
        ).startswith("flask.")
    name, _, last = endpoint.rpartition(".")
    blueprint = app.blueprints.get(name)
    return (
        last == "static"
        and blueprint is not None
        and blueprint.static_folder is not None
        and getattr(view, "__self__", None) is blueprint
        and getattr(view, "__name__", "") == "send_static_file"
    )
