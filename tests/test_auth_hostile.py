"""Auth, round two of hostile input: no way past default-deny through an endpoint
*named* static, no login CSRF in the documented login pattern, and credential-looking
query parameters refused."""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest
from flask import Blueprint
from flask import Flask
from flask import render_template_string
from flask import request
from flask.testing import FlaskClient

from flask_toolkit import Identity
from flask_toolkit import login_required
from flask_toolkit import login_user
from flask_toolkit import public
from flask_toolkit import Toolkit


@pytest.fixture
def deny_app(tmp_path: Path, toolkit: Toolkit) -> t.Iterator[Flask]:
    static = tmp_path / "static"
    static.mkdir()
    (static / "app.css").write_text("body {}")
    app = Flask("deny", static_folder=str(static), instance_path=str(tmp_path / "i"))
    app.config.update(
        TESTING=True,
        SECRET_KEY="x",
        AUTH_DEFAULT_DENY=True,
        AUTH_CREDENTIAL_STORE="memory",
    )
    toolkit.init_app(app)

    @toolkit.auth.identity_loader
    def load(user_id: t.Any) -> Identity | None:
        return Identity(user_id) if user_id == "ada" else None

    # A blueprint view that happens to be called "static": not a static route.
    admin = Blueprint("admin", __name__, url_prefix="/admin")

    @admin.get("/static")
    def static() -> str:
        return "secret admin page"

    # A blueprint with a real static folder: its files are exempt.
    assets = tmp_path / "assets"
    assets.mkdir()
    (assets / "logo.txt").write_text("logo")
    themed = Blueprint(
        "themed", __name__, static_folder=str(assets), static_url_path="/files"
    )

    # The documented login pattern: a form that renders a CSRF token.
    @app.route("/login", methods=["GET", "POST"])
    @public
    def login() -> t.Any:
        if request.method == "POST":
            if request.form.get("password") == "secret":
                login_user(Identity(request.form.get("username", "")))
                return "logged in"
            return "wrong password", 401
        return render_template_string(
            '<form method="post"><input name="csrf_token" value="{{ csrf_token() }}">'
            "</form>"
        )

    @app.get("/me")
    @login_required
    def me() -> str:
        return "me"

    app.register_blueprint(admin)
    app.register_blueprint(themed, url_prefix="/themed")
    yield app
    toolkit.db.get_engine(app).dispose()


def test_view_named_static_is_not_exempt_from_default_deny(deny_app: Flask) -> None:
    answer = deny_app.test_client().get(
        "/admin/static", headers={"Accept": "application/json"}
    )
    assert answer.status_code == 401
    assert answer.json["code"] == -1
    assert b"secret" not in answer.data


def test_real_static_routes_stay_exempt(deny_app: Flask) -> None:
    client = deny_app.test_client()
    for path, text in [
        ("/static/app.css", b"body {}"),
        ("/themed/files/logo.txt", b"logo"),
    ]:
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert answer.data == text
        answer.close()


def test_routes_command_lists_only_real_static_routes_as_exempt(
    deny_app: Flask,
) -> None:
    output = deny_app.test_cli_runner().invoke(args=["toolkit", "routes"]).output
    lines = {
        line.split()[0]: line for line in output.splitlines() if line.startswith("/")
    }
    assert lines["/admin/static"].endswith("UNPROTECTED")
    assert lines["/static/<path:filename>"].endswith("static (exempt)")
    assert lines["/themed/files/<path:filename>"].endswith("static (exempt)")


def test_query_credentials_are_refused_on_view_named_static(deny_app: Flask) -> None:
    answer = deny_app.test_client().get(
        "/admin/static?access_token=x", headers={"Accept": "application/json"}
    )
    assert answer.status_code == 400
    assert "query parameter" in answer.json["msg"]


def csrf_of(client: FlaskClient) -> str:
    page = client.get("/login").text
    return page.split('value="')[1].split('"')[0]


def test_form_login_without_csrf_token_is_refused(deny_app: Flask) -> None:
    """A page on another site cannot log the visitor in to the attacker's account."""
    client = deny_app.test_client()
    form = {"username": "ada", "password": "secret"}
    answer = client.post("/login", data=form, headers={"Accept": "application/json"})
    assert answer.status_code == 400
    assert "CSRF" in answer.json["msg"]
    assert client.get("/me", headers={"Accept": "application/json"}).status_code == 401
    wrong = client.post("/login", data={**form, "csrf_token": "forged"})
    assert wrong.status_code == 400
    token = csrf_of(client)
    assert client.post("/login", data={**form, "csrf_token": token}).status_code == 200
    assert client.get("/me").text == "me"


def test_form_login_with_token_in_header(deny_app: Flask) -> None:
    client = deny_app.test_client()
    token = csrf_of(client)
    answer = client.post(
        "/login",
        data={"username": "ada", "password": "secret"},
        headers={"X-CSRFToken": token},
    )
    assert answer.status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "auth_token=abc",
        "Access-Token=abc",
        "id_token=abc",
        "refresh_token=abc",
        "jwt=abc",
        "x-api-key=abc",
        "X_API_KEY=abc",
        "password=hunter2",
        "authorization=Bearer+abc",
    ],
)
def test_credential_looking_query_parameters_are_refused(
    deny_app: Flask, query: str
) -> None:
    answer = deny_app.test_client().get(
        f"/me?{query}", headers={"Accept": "application/json"}
    )
    assert answer.status_code == 400
    assert "query parameter" in answer.json["msg"]


def test_one_time_link_tokens_are_not_refused_by_default(deny_app: Flask) -> None:
    """``?token=`` is what password-reset and confirmation links carry: not a login
    credential, so an app adding the toolkit keeps those links working."""
    answer = deny_app.test_client().get(
        "/me?token=reset-link", headers={"Accept": "application/json"}
    )
    assert answer.status_code == 401  # anonymous, not refused as a credential
    assert "query parameter" not in answer.json["msg"]


def test_refused_query_parameters_are_configurable(deny_app: Flask) -> None:
    deny_app.config["AUTH_REFUSED_QUERY_PARAMS"] = ("access_token", "token")
    answer = deny_app.test_client().get(
        "/me?token=abc", headers={"Accept": "application/json"}
    )
    assert answer.status_code == 400
    assert "'token'" in answer.json["msg"]


def test_demo_login_refuses_a_cross_site_form(tmp_path: Path) -> None:
    """The demo logs in with JSON only: a form a foreign page can post is a 415,
    so it cannot start a session (and no cookie is set)."""
    from examples.taskboard import create_app
    from examples.taskboard.models import toolkit as demo_toolkit

    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/d.db"},
        instance_path=str(tmp_path),
    )
    try:
        client = app.test_client()
        for content_type in ("application/x-www-form-urlencoded", "text/plain"):
            answer = client.post(
                "/api/auth/login",
                data='{"email": "admin@example.com", "password": "admin"}',
                headers={"Content-Type": content_type},
            )
            assert answer.status_code == 415
            assert "Set-Cookie" not in answer.headers
        assert client.get("/api/auth/me").status_code == 401
    finally:
        with app.app_context():
            demo_toolkit.scheduler.shutdown()
