"""What each auth decorator protects when it is put on a View class, on one method of a
MethodView, on nested blueprints and next to static files, under default-deny."""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest
from flask import Blueprint
from flask import Flask
from flask.testing import FlaskClient
from flask.views import MethodView

from flask_toolkit import Identity
from flask_toolkit import login_required
from flask_toolkit import public
from flask_toolkit import require_permission
from flask_toolkit import Toolkit
from flask_toolkit.auth.decorators import AccessRule

#: user id -> permissions.
USERS = {"reader": ["docs:read"], "writer": ["docs:read", "docs:write"], "none": []}


@require_permission("docs:read")
class ClassGuarded(MethodView):
    """The whole class needs docs:read."""

    def get(self) -> dict[str, t.Any]:
        return {"view": "class"}


@public
class ClassPublic(MethodView):
    def get(self) -> dict[str, t.Any]:
        return {"view": "public class"}


class MethodGuarded(MethodView):
    """GET (and so HEAD) needs docs:read, POST docs:write; no ``head`` method."""

    @require_permission("docs:read")
    def get(self) -> dict[str, t.Any]:
        return {"view": "method"}

    @require_permission("docs:write")
    def post(self) -> dict[str, t.Any]:
        return {"view": "written"}


class PublicMethodInGuardedBlueprint(MethodView):
    @public
    def get(self) -> dict[str, t.Any]:
        return {"view": "public method"}


@pytest.fixture
def guarded(tmp_path: Path) -> t.Iterator[tuple[Flask, Toolkit]]:
    toolkit = Toolkit()
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "site.css").write_text("body {}")
    (tmp_path / "bp_static").mkdir()
    (tmp_path / "bp_static" / "bp.css").write_text("p {}")
    app = Flask(
        "targets",
        instance_path=str(tmp_path / "instance"),
        static_folder=str(tmp_path / "static"),
    )
    app.config.update(
        TESTING=True,
        SECRET_KEY="s",
        AUTH_DEFAULT_DENY=True,
        AUTH_CREDENTIAL_STORE="memory",
    )
    toolkit.init_app(app)
    toolkit.auth.identity_loader(lambda user_id: Identity(user_id, USERS[user_id]))

    app.add_url_rule("/api/class", view_func=ClassGuarded.as_view("class_guarded"))
    app.add_url_rule("/api/open-class", view_func=ClassPublic.as_view("class_public"))
    app.add_url_rule("/api/method", view_func=MethodGuarded.as_view("method_guarded"))

    @app.get("/api/bare")
    def bare() -> dict[str, t.Any]:
        return {"view": "bare"}

    # Nested blueprints: the rule is on the inner one only; the outer has none.
    outer = Blueprint("outer", __name__, url_prefix="/api/outer")
    inner = login_required(Blueprint("inner", __name__, url_prefix="/inner"))

    @outer.get("/own")
    def outer_own() -> dict[str, t.Any]:
        return {"view": "outer"}

    @inner.get("/own")
    def inner_own() -> dict[str, t.Any]:
        return {"view": "inner"}

    inner.add_url_rule(
        "/public-method",
        view_func=PublicMethodInGuardedBlueprint.as_view("public_method"),
    )
    outer.register_blueprint(inner)
    # A public blueprint: its views are open unless they say otherwise.
    open_bp = public(Blueprint("open", __name__, url_prefix="/api/open"))

    @open_bp.get("/plain")
    def open_plain() -> dict[str, t.Any]:
        return {"view": "open"}

    @open_bp.get("/writers")
    @require_permission("docs:write")
    def open_writers() -> dict[str, t.Any]:
        return {"view": "writers"}

    # A blueprint serving static files, and views merely *named* static.
    files = Blueprint(
        "files",
        __name__,
        url_prefix="/files",
        static_folder=str(tmp_path / "bp_static"),
        static_url_path="/static",
    )

    @files.get("/not-static", endpoint="static_lookalike")
    def lookalike() -> str:
        return "not a file"

    app.register_blueprint(outer)
    app.register_blueprint(open_bp)
    app.register_blueprint(files)
    yield app, toolkit


def call(
    client: FlaskClient, toolkit: Toolkit, method: str, path: str, user: str | None
) -> int:
    headers = {}
    if user is not None:
        token = toolkit.auth.issue_token(user)
        headers["Authorization"] = f"Bearer {token}"
    with client.open(path, method=method, headers=headers) as response:
        return response.status_code


@pytest.mark.parametrize(
    ("method", "path", "user", "status"),
    [
        # A decorator on the View class covers the class.
        ("GET", "/api/class", None, 401),
        ("GET", "/api/class", "none", 403),
        ("GET", "/api/class", "reader", 200),
        ("GET", "/api/open-class", None, 200),
        # A rule on `get` covers HEAD too (the class has no `head`); POST has its own.
        ("HEAD", "/api/method", None, 401),
        ("HEAD", "/api/method", "none", 403),
        ("HEAD", "/api/method", "reader", 200),
        ("GET", "/api/method", "reader", 200),
        ("POST", "/api/method", "reader", 403),
        ("POST", "/api/method", "writer", 200),
        # Default-deny: a view with no rule anywhere.
        ("GET", "/api/bare", None, 401),
        ("GET", "/api/bare", "writer", 403),
        # The inner blueprint's rule; the outer has none (default-deny applies there).
        ("GET", "/api/outer/inner/own", None, 401),
        ("GET", "/api/outer/inner/own", "none", 200),
        ("GET", "/api/outer/own", "writer", 403),
        # A public method of a MethodView inside a guarded blueprint.
        ("GET", "/api/outer/inner/public-method", None, 200),
        ("HEAD", "/api/outer/inner/public-method", None, 200),
        # A public blueprint; its view with a rule of its own keeps it.
        ("GET", "/api/open/plain", None, 200),
        ("GET", "/api/open/writers", None, 401),
        ("GET", "/api/open/writers", "reader", 403),
        ("GET", "/api/open/writers", "writer", 200),
        # Preflight requests pass every guard.
        ("OPTIONS", "/api/outer/inner/own", None, 200),
        ("OPTIONS", "/api/class", None, 200),
        # Static files are exempt; a view only named like the static one is not.
        ("GET", "/static/site.css", None, 200),
        ("GET", "/files/static/bp.css", None, 200),
        ("GET", "/files/not-static", None, 401),
    ],
)
def test_what_each_placement_protects(
    guarded: tuple[Flask, Toolkit],
    method: str,
    path: str,
    user: str | None,
    status: int,
) -> None:
    app, toolkit = guarded
    with app.app_context():
        assert call(app.test_client(), toolkit, method, path, user) == status


def test_a_view_named_static_without_a_static_folder_is_not_exempt(
    tmp_path: Path,
) -> None:
    toolkit = Toolkit()
    app = Flask("nostatic", instance_path=str(tmp_path / "i"), static_folder=None)
    app.config.update(TESTING=True, SECRET_KEY="s", AUTH_DEFAULT_DENY=True)
    toolkit.init_app(app)
    toolkit.auth.identity_loader(lambda user_id: Identity(user_id))
    app.add_url_rule("/static/<path:name>", "static", lambda name: name)
    assert app.test_client().get("/static/secret").status_code == 401


def test_decorator_misuse_says_what_to_do() -> None:
    with pytest.raises(TypeError) as not_a_view:
        require_permission("docs:read")(42)
    assert str(not_a_view.value) == (
        "Cannot protect 42: decorate a view function, a View class or a Blueprint."
    )
    with pytest.raises(TypeError) as no_permission:
        require_permission()
    assert str(no_permission.value) == (
        "require_permission() needs at least one permission, such as"
        " @require_permission('tasks:read'); use @login_required to only require"
        " a logged-in caller."
    )
    with pytest.raises(TypeError) as bad_check:
        require_permission("docs:read", check="owner")  # type: ignore[arg-type]
    assert str(bad_check.value) == "check must be a callable, got 'owner'."


class _Checker:
    def __call__(self, identity: Identity, **kwargs: t.Any) -> bool:
        return True


def is_owner(identity: Identity, **kwargs: t.Any) -> bool:
    return True


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        (AccessRule("public"), "public"),
        (AccessRule("login"), "login"),
        (AccessRule("permission", ("a:read", "b:read")), "a:read & b:read"),
        (
            AccessRule("permission", ("a:read", "b:read"), any_of=True),
            "a:read | b:read",
        ),
        (AccessRule("permission", ("a:read",), check=is_owner), "a:read + is_owner()"),
        (AccessRule("permission", ("a:read",), check=_Checker()), "a:read + check()"),
    ],
)
def test_how_flask_toolkit_routes_describes_a_rule(rule: AccessRule, text: str) -> None:
    assert rule.describe() == text
