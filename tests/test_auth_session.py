"""Session login and logout, default-deny, ``flask toolkit routes``, the test client."""

from __future__ import annotations

import typing as t

import pytest
from flask import Blueprint
from flask import Flask
from flask.testing import FlaskClient
from flask.views import MethodView

from flask_toolkit import current_identity
from flask_toolkit import login_required
from flask_toolkit import public
from flask_toolkit import require_permission
from flask_toolkit import Toolkit
from flask_toolkit.auth import Identity
from flask_toolkit.errors import api_blueprint
from flask_toolkit.testing import identity_client
from flask_toolkit.testing import IdentityClient
from tests import _auth_app

from ._auth_app import FakeUser


@pytest.fixture
def users(app: Flask, toolkit: Toolkit) -> dict[int, FakeUser]:
    return _auth_app.build(app, toolkit)


def login(client: FlaskClient, user_id: int, csrf: str | None = None) -> t.Any:
    headers = {"X-CSRFToken": csrf} if csrf else {}
    response = client.post(
        "/api/login", json={"id": user_id, "password": "secret"}, headers=headers
    )
    assert response.status_code == 200
    return response


def test_session_login_and_logout(
    client: FlaskClient, users: dict[int, FakeUser]
) -> None:
    login(client, 1)
    assert client.get("/api/me").json["method"] == "session"
    with client.session_transaction() as sess:
        old_cookie_state = dict(sess)
    csrf = _csrf(client)
    assert client.post("/api/logout", headers={"X-CSRFToken": csrf}).status_code == 200
    assert client.get("/api/me").status_code == 401
    # Replaying the cookie from before logout is refused: its session id was revoked.
    with client.session_transaction() as sess:
        sess.update(old_cookie_state)
    replay = client.get("/api/me")
    assert replay.status_code == 401
    assert "ended" in replay.json["msg"]


def test_login_starts_a_new_session(
    client: FlaskClient, users: dict[int, FakeUser]
) -> None:
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    login(client, 1)
    with client.session_transaction() as sess:
        assert "planted" not in sess
        first_sid = sess["_toolkit_auth"]["sid"]
    # Logged in by the cookie now, so this POST needs the CSRF token.
    assert (
        client.post("/api/login", json={"id": 2, "password": "secret"}).status_code
        == 400
    )
    login(client, 2, _csrf(client))
    with client.session_transaction() as sess:
        assert sess["_toolkit_auth"]["sid"] != first_sid
        assert sess["_toolkit_auth"]["sub"] == 2


def test_session_invalidated_by_user_version(
    client: FlaskClient, users: dict[int, FakeUser]
) -> None:
    login(client, 1)
    users[1].version += 1
    assert client.get("/api/me").status_code == 401
    # The stale login is dropped from the cookie, so the public pages work.
    assert client.get("/api/public").json == {"who": None}


def test_stale_session_does_not_block_public_views(
    client: FlaskClient, users: dict[int, FakeUser]
) -> None:
    login(client, 1)
    users[1].active = False
    assert client.get("/api/public").json == {"who": None}
    with client.session_transaction() as sess:
        assert "_toolkit_auth" not in sess


def test_revoke_current_session(
    client: FlaskClient, users: dict[int, FakeUser]
) -> None:
    login(client, 1)
    assert client.post("/api/revoke", headers={"X-CSRFToken": _csrf(client)}).json == {
        "revoked": True
    }
    assert client.get("/api/me").status_code == 401


def test_csrf_can_be_disabled(
    app: Flask, client: FlaskClient, users: dict[int, FakeUser]
) -> None:
    login(client, 2)
    assert client.post("/api/tasks/write").status_code == 400
    app.config["AUTH_CSRF"] = False
    assert client.post("/api/tasks/write").status_code == 200


def test_csrf_form_field(client: FlaskClient, users: dict[int, FakeUser]) -> None:
    login(client, 2)
    response = client.post("/api/tasks/write", data={"csrf_token": _csrf(client)})
    assert response.status_code == 200


def _csrf(client: FlaskClient) -> str:
    """Get a CSRF token bound to the client's session, as a page would embed it."""
    app = t.cast(Flask, client.application)
    from flask import session
    from flask_wtf.csrf import generate_csrf

    with client.session_transaction() as sess, app.test_request_context():
        session.update(sess)
        token = generate_csrf()
        sess.update(session)
    return t.cast(str, token)


# -- default deny ---------------------------------------------------------------------


@pytest.fixture
def deny_app(app: Flask, toolkit: Toolkit) -> Flask:
    toolkit.auth.identity_loader(lambda user_id: Identity(user_id, ["a:read"]))
    app.config.update(AUTH_DEFAULT_DENY=True, AUTH_CREDENTIAL_STORE="memory")
    app.test_client_class = IdentityClient

    open_bp = public(api_blueprint(Blueprint("open", __name__, url_prefix="/api/open")))

    @open_bp.get("/")
    def open_index() -> str:
        return "open"

    @open_bp.get("/private")
    @login_required
    def open_private() -> str:
        return "private"

    closed = require_permission("a:read")(
        api_blueprint(Blueprint("closed", __name__, url_prefix="/api/closed"))
    )

    @closed.get("/")
    def closed_index() -> str:
        return "closed"

    @closed.get("/welcome")
    @public
    def closed_welcome() -> str:
        return "welcome"

    class Things(MethodView):
        @public
        def get(self) -> str:
            return "things"

        def post(self) -> str:
            return "made"

    app.add_url_rule("/api/things", view_func=Things.as_view("things"))

    @app.get("/api/bare")
    def bare() -> str:
        return "bare"

    app.register_blueprint(open_bp)
    app.register_blueprint(closed)
    return app


def test_default_deny_blueprints_and_methodviews(deny_app: Flask) -> None:
    client = t.cast(IdentityClient, deny_app.test_client())
    assert client.get("/api/open/").status_code == 200
    assert client.get("/api/open/private").status_code == 401
    assert client.get("/api/closed/").status_code == 401
    assert client.get("/api/closed/welcome").status_code == 200
    assert client.get("/api/things").status_code == 200
    assert client.post("/api/things").status_code == 401
    assert client.get("/api/bare").status_code == 401
    assert client.options("/api/bare").status_code == 200
    missing = client.get("/api/nothing-here")
    assert missing.status_code == 404 and missing.json["code"] == -1
    client.as_identity(5, ["a:read"])
    assert client.get("/api/closed/").status_code == 200
    assert client.get("/api/open/private").status_code == 200
    assert client.post("/api/things").status_code == 403
    assert client.get("/api/bare").status_code == 403
    client.as_identity(6, ["b:read"])
    assert client.get("/api/closed/").status_code == 403
    assert client.anonymous().get("/api/open/private").status_code == 401


def test_static_files_exempt_from_default_deny(
    tmp_path: t.Any, toolkit: Toolkit
) -> None:
    static = tmp_path / "static"
    static.mkdir()
    (static / "app.css").write_text("body {}")
    app = Flask(
        "static_app", static_folder=str(static), instance_path=str(tmp_path / "i")
    )
    app.config.update(TESTING=True, SECRET_KEY="x", AUTH_DEFAULT_DENY=True)
    toolkit.init_app(app)
    response = app.test_client().get("/static/app.css")
    assert response.status_code == 200
    response.close()
    toolkit.db.get_engine(app).dispose()


def test_blueprint_decorated_after_registration_fails(app: Flask) -> None:
    bp = Blueprint("late", __name__)

    @bp.get("/late")
    def late() -> str:
        return "late"

    app.register_blueprint(bp)
    # Flask 2.3+ raises; Flask 2.2 warns (an error under this suite's filterwarnings).
    with pytest.raises((AssertionError, UserWarning)):
        login_required(bp)


def test_routes_command_flags_unprotected(deny_app: Flask) -> None:
    result = deny_app.test_cli_runner().invoke(args=["toolkit", "routes"])
    assert result.exit_code == 0, result.output
    lines = {
        line.split()[0] + " " + line.split()[1]: line
        for line in result.output.splitlines()[1:]
        if line.strip() and line.startswith("/")
    }
    assert lines["/api/bare GET"].endswith("UNPROTECTED")
    assert lines["/api/closed/ GET"].endswith("a:read")
    assert lines["/api/closed/welcome GET"].endswith("public, a:read")
    assert lines["/api/things GET"].endswith("public")
    assert lines["/api/things POST"].endswith("UNPROTECTED")
    assert "static (exempt)" in lines["/static/<path:filename> GET"]
    assert "2 route(s) UNPROTECTED: AUTH_DEFAULT_DENY is on" in result.output
    strict = deny_app.test_cli_runner().invoke(args=["toolkit", "routes", "--check"])
    assert strict.exit_code == 1


def test_routes_command_describes_rules(app: Flask, users: dict[int, FakeUser]) -> None:
    output = app.test_cli_runner().invoke(args=["toolkit", "routes"]).output
    assert "reports:read | admin:users" in output
    assert "tasks:read & reports:read" in output
    assert "tasks:read + owns_object()" in output
    assert "AUTH_DEFAULT_DENY is off, so anyone can call them" in output


# -- testing helper -------------------------------------------------------------------


def test_identity_client(app: Flask, users: dict[int, FakeUser]) -> None:
    client = identity_client(app, 42, ["tasks:read"])
    assert client.get("/api/me").json == {
        "id": 42,
        "method": "test",
        "permissions": ["tasks:read"],
    }
    assert client.post("/api/tasks/write").status_code == 403
    # Session-less, so no CSRF token is needed for unsafe methods.
    assert (
        client.as_identity(42, ["tasks:*"]).post("/api/tasks/write").status_code == 200
    )
    assert client.anonymous().get("/api/me").status_code == 401


def test_identity_client_needs_testing(app: Flask) -> None:
    app.testing = False
    with pytest.raises(RuntimeError, match="app.testing"):
        identity_client(app, 1)


def test_test_identity_ignored_outside_testing(
    app: Flask, users: dict[int, FakeUser]
) -> None:
    client = identity_client(app, 42, ["*"])
    app.testing = False
    assert client.get("/api/me").status_code == 401


def test_current_identity_in_view(app: Flask) -> None:
    @app.get("/whoami")
    @login_required
    def whoami() -> dict[str, t.Any]:
        return {
            "id": current_identity.id,
            "admin": current_identity.has_permission("admin:x"),
        }

    client = identity_client(app, "ada", ["admin:*"])
    assert client.get("/whoami").json == {"id": "ada", "admin": True}


def test_login_view_never_redirects_to_itself(app: Flask, toolkit: Toolkit) -> None:
    toolkit.auth.identity_loader(lambda user_id: None)
    app.config.update(AUTH_DEFAULT_DENY=True, AUTH_LOGIN_VIEW="signin")

    @app.get("/signin")
    def signin() -> str:  # forgot @public
        return "form"

    @app.get("/home")
    @login_required
    def home() -> str:
        return "home"

    client = app.test_client()
    assert client.get("/home", headers={"Accept": "text/html"}).status_code == 302
    assert client.get("/signin", headers={"Accept": "text/html"}).status_code == 401
