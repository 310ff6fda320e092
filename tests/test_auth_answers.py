"""The exact answer to each refused credential: status, message and Bearer challenge.

A client (or the person reading its logs) acts on these: ``invalid_request`` means
"fix how you send it", ``invalid_token`` means "get a new one", and the message says
which credential was refused and why.
"""

from __future__ import annotations

import time
import typing as t

import pytest
from flask import Flask
from flask.testing import FlaskClient

from flask_toolkit import Toolkit
from flask_toolkit.auth.tokens import MAX_TOKEN_LENGTH
from tests import _auth_app

from ._auth_app import FakeUser
from .test_auth_security import _csrf_of

REALM = 'Bearer realm="api"'


@pytest.fixture
def users(app: Flask, toolkit: Toolkit) -> dict[int, FakeUser]:
    return _auth_app.build(app, toolkit)


def answer(response: t.Any) -> tuple[int, str, str | None]:
    """(status, message, WWW-Authenticate) of a refusal in the envelope."""
    assert response.json["code"] == -1, response.data
    return (
        response.status_code,
        response.json["msg"],
        response.headers.get("WWW-Authenticate"),
    )


def challenge(error: str, description: str) -> str:
    return f'{REALM}, error="{error}", error_description="{description}"'


def refused_key(client: FlaskClient, key: str, message: str, error: str) -> None:
    response = client.get("/api/me", headers={"X-API-Key": key})
    assert answer(response) == (401, message, challenge(error, message))


def test_api_key_length_limit(client: FlaskClient, users: dict[int, FakeUser]) -> None:
    too_long = "The X-API-Key header is too long."
    malformed = "The API key is malformed."
    refused_key(client, "tk_" + "x" * MAX_TOKEN_LENGTH, too_long, "invalid_request")
    # At the limit the key is read (and has not the shape of ours).
    refused_key(client, "x" * MAX_TOKEN_LENGTH, malformed, "invalid_token")
    refused_key(client, "tk_0123456789abcdef", malformed, "invalid_token")
    message = "The API key is not valid or has been revoked."
    refused_key(client, "tk_0123456789abcdef." + "A" * 43, message, "invalid_token")


def test_api_key_header_name_in_the_length_message(
    app: Flask, client: FlaskClient, users: dict[int, FakeUser]
) -> None:
    app.config["AUTH_API_KEY_HEADER"] = "X-Service-Key"
    response = client.get(
        "/api/me", headers={"X-Service-Key": "k" * (MAX_TOKEN_LENGTH + 1)}
    )
    message = "The X-Service-Key header is too long."
    assert answer(response) == (401, message, challenge("invalid_request", message))


def test_api_key_of_a_disabled_user(
    client: FlaskClient, toolkit: Toolkit, users: dict[int, FakeUser]
) -> None:
    key, _ = toolkit.auth.create_api_key(_auth_app.identity_of(users[1]))
    users[1].active = False
    message = "The account of this API key no longer exists or is disabled."
    refused_key(client, key, message, "invalid_token")


def test_api_key_of_an_older_credential_version(
    client: FlaskClient, toolkit: Toolkit, users: dict[int, FakeUser]
) -> None:
    key, _ = toolkit.auth.create_api_key(_auth_app.identity_of(users[1]))
    users[1].version = 2
    message = (
        "The API key's credential version is no longer the user's: the identity"
        " loader reports another one (it changes, for example, on a password"
        " change); log in again."
    )
    refused_key(client, key, message, "invalid_token")


def test_revoked_api_key(
    client: FlaskClient, toolkit: Toolkit, users: dict[int, FakeUser]
) -> None:
    key, key_id = toolkit.auth.create_api_key(_auth_app.identity_of(users[1]))
    assert client.get("/api/me", headers={"X-API-Key": key}).json["id"] == 1
    toolkit.auth.revoke_api_key(key_id)
    message = "The API key is not valid or has been revoked."
    refused_key(client, key, message, "invalid_token")


def test_token_of_a_disabled_user(
    client: FlaskClient, toolkit: Toolkit, users: dict[int, FakeUser]
) -> None:
    token = toolkit.auth.issue_token(_auth_app.identity_of(users[2]))
    users[2].active = False
    response = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    message = "The account of this token no longer exists or is disabled."
    assert answer(response) == (401, message, challenge("invalid_token", message))


def test_token_without_a_version_for_a_versioned_user(
    client: FlaskClient, toolkit: Toolkit, users: dict[int, FakeUser]
) -> None:
    token = toolkit.auth.issue_token(2, version=None)
    response = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    message = (
        "The token carries no credential version, but the identity loader reports"
        " one for this user: it was issued with version=None. Issue it without"
        " version= (it then carries the user's current version)."
    )
    assert answer(response) == (401, message, challenge("invalid_token", message))


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (
            "Bearer " + "A" * (MAX_TOKEN_LENGTH + 1),
            "The Authorization header is too long.",
        ),
        ("Basic dXNlcjpzZWNyZXQ=", "Only 'Authorization: Bearer <token>' is accepted."),
        ("Bearer", "Only 'Authorization: Bearer <token>' is accepted."),
    ],
)
def test_authorization_header_refused(
    client: FlaskClient, users: dict[int, FakeUser], header: str, message: str
) -> None:
    response = client.get("/api/me", headers={"Authorization": header})
    assert answer(response) == (401, message, challenge("invalid_request", message))


def test_revoked_token(
    client: FlaskClient, toolkit: Toolkit, users: dict[int, FakeUser]
) -> None:
    token = toolkit.auth.issue_token(_auth_app.identity_of(users[2]))
    toolkit.auth.revoke_token(token)
    response = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    message = "The bearer token has been revoked; log in again."
    assert answer(response) == (401, message, challenge("invalid_token", message))


def test_ended_login_session(
    client: FlaskClient, toolkit: Toolkit, users: dict[int, FakeUser]
) -> None:
    client.post("/api/login", json={"id": 2, "password": "secret"})
    assert client.get("/api/me").json["method"] == "session"
    with client.session_transaction() as sess:
        sid = sess["_toolkit_auth"]["sid"]
    toolkit.auth.revoke(sid, time.time() + 3600)
    response = client.get("/api/me")
    message = "This login session has ended; log in again."
    assert answer(response) == (401, message, challenge("invalid_token", message))
    # The ended login is dropped from the cookie: the next request is anonymous.
    status, _, header = answer(client.get("/api/me"))
    assert (status, header) == (401, REALM)


def test_login_session_of_a_disabled_user(
    client: FlaskClient, users: dict[int, FakeUser]
) -> None:
    client.post("/api/login", json={"id": 2, "password": "secret"})
    users[2].active = False
    response = client.get("/api/me")
    message = "The account of this login session no longer exists or is disabled."
    assert answer(response) == (401, message, challenge("invalid_token", message))


@pytest.mark.parametrize(
    "name", ["x_service_key", "X-Service-Key", "x-service-key", "X_SERVICE_KEY"]
)
def test_configured_api_key_header_refused_in_the_query(
    app: Flask, client: FlaskClient, users: dict[int, FakeUser], name: str
) -> None:
    app.config["AUTH_API_KEY_HEADER"] = "X-Service-Key"
    response = client.get(f"/api/me?{name}=abc")
    assert answer(response) == (
        400,
        f"Credentials are not accepted in the URL (query parameter {name!r}): URLs"
        " end up in logs and browser history. Send 'Authorization: Bearer <token>'"
        " instead.",
        None,
    )


def test_other_query_parameters_are_fine(
    app: Flask, client: FlaskClient, toolkit: Toolkit, users: dict[int, FakeUser]
) -> None:
    app.config["AUTH_API_KEY_HEADER"] = "X-Service-Key"
    token = toolkit.auth.issue_token(_auth_app.identity_of(users[2]))
    response = client.get(
        "/api/me?service=1&key=2&x_service=3",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    assert response.json["id"] == 2


@pytest.mark.parametrize(
    "entry",
    [
        "not a mapping",
        {"sid": "s-1", "exp": 4e9, "ver": 1},  # no user
        {"sub": None, "sid": "s-1", "exp": 4e9, "ver": 1},
        {"sub": 2, "exp": 4e9, "ver": 1},  # no session id
        {"sub": 2, "sid": 7, "exp": 4e9, "ver": 1},
        {"sub": 2, "sid": "s-1", "ver": 1},  # no expiry
        {"sub": 2, "sid": "s-1", "exp": "4e9", "ver": 1},
    ],
)
def test_malformed_session_entry(
    client: FlaskClient, users: dict[int, FakeUser], entry: t.Any
) -> None:
    with client.session_transaction() as sess:
        sess["_toolkit_auth"] = entry
    message = "The login session is not valid; log in again."
    assert answer(client.get("/api/me")) == (
        401,
        message,
        challenge("invalid_token", message),
    )


def test_expired_session_entry(client: FlaskClient, users: dict[int, FakeUser]) -> None:
    with client.session_transaction() as sess:
        sess["_toolkit_auth"] = {"sub": 2, "sid": "s-1", "exp": time.time() - 1}
    message = "The login session has expired; log in again."
    assert answer(client.get("/api/me")) == (
        401,
        message,
        challenge("invalid_token", message),
    )


def _login_routes(app: Flask, users: dict[int, FakeUser]) -> None:
    from flask import request

    from flask_toolkit import current_identity
    from flask_toolkit import login_required
    from flask_toolkit import login_user
    from flask_toolkit import logout_user
    from flask_toolkit import public

    def who() -> dict[str, t.Any]:
        return {
            "id": current_identity.id,
            "method": current_identity.method,
            "credential_id": current_identity.credential_id,
            "expires_at": current_identity.expires_at,
        }

    @app.post("/api/login-here")
    @public
    def login_here() -> dict[str, t.Any]:
        remember = request.args.get("remember") == "1"
        if remember:
            login_user(_auth_app.identity_of(users[2]), remember=True)
        else:
            login_user(_auth_app.identity_of(users[2]))
        return who()

    @app.post("/api/logout-here")
    @login_required
    def logout_here() -> dict[str, t.Any]:
        logout_user()
        return who()


def _session_cookie(response: t.Any) -> str:
    (cookie,) = [
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")
    ]
    return str(cookie)


def test_login_continues_the_request_as_the_new_session(
    app: Flask, client: FlaskClient, users: dict[int, FakeUser]
) -> None:
    _login_routes(app, users)
    before = time.time()
    response = client.post("/api/login-here", json={})
    assert response.status_code == 200
    body = response.json
    with client.session_transaction() as sess:
        entry = sess["_toolkit_auth"]
    assert (body["id"], body["method"]) == (2, "session")
    assert (body["credential_id"], body["expires_at"]) == (entry["sid"], entry["exp"])
    assert before + 7 * 24 * 3600 - 1 <= body["expires_at"] <= time.time() + 7 * 86400
    # Without remember=True the cookie ends with the browser session.
    assert "Expires=" not in _session_cookie(response)
    remembered = app.test_client().post("/api/login-here?remember=1", json={})
    assert "Expires=" in _session_cookie(remembered)


def test_logout_ends_the_session_for_the_rest_of_the_request(
    app: Flask, client: FlaskClient, toolkit: Toolkit, users: dict[int, FakeUser]
) -> None:
    _login_routes(app, users)
    client.post("/api/login-here", json={})
    csrf = {"X-CSRFToken": _csrf_of(client, app)}
    response = client.post("/api/logout-here", json={}, headers=csrf)
    assert response.json == {
        "id": None,
        "method": None,
        "credential_id": None,
        "expires_at": None,
    }
    # A bearer caller stays who they are: logout_user() ends session logins only.
    token = toolkit.auth.issue_token(_auth_app.identity_of(users[2]))
    response = client.post(
        "/api/logout-here", json={}, headers={"Authorization": f"Bearer {token}"}
    )
    assert (response.json["id"], response.json["method"]) == (2, "token")


@pytest.mark.parametrize(
    ("path", "user", "message"),
    [
        (
            "/api/either",
            1,
            "You need one of the permissions 'reports:read', 'admin:users' for this.",
        ),
        (
            "/api/both",
            4,
            "You lack the permission 'tasks:read', 'reports:read' needed for this.",
        ),
        ("/api/both", 1, "You lack the permission 'reports:read' needed for this."),
        ("/api/objects/3", 2, "You are not allowed to act on this object."),
    ],
)
def test_forbidden_messages(
    client: FlaskClient,
    toolkit: Toolkit,
    users: dict[int, FakeUser],
    path: str,
    user: int,
    message: str,
) -> None:
    token = toolkit.auth.issue_token(_auth_app.identity_of(users[user]))
    response = client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert answer(response) == (403, message, None)


def test_anonymous_caller_is_told_how_to_authenticate(
    app: Flask, client: FlaskClient, users: dict[int, FakeUser]
) -> None:
    response = client.get("/api/me")
    assert answer(response) == (
        401,
        "Authentication is required: send 'Authorization: Bearer <token>', an API"
        " key in the 'X-API-Key' header, or log in.",
        REALM,  # no error: nothing was sent that could be refused
    )


def test_realm_is_quoted_in_the_challenge(
    app: Flask, client: FlaskClient, users: dict[int, FakeUser]
) -> None:
    app.config["AUTH_REALM"] = 'team "blue" \\ ops'
    response = client.get("/api/me")
    assert response.headers["WWW-Authenticate"] == (
        'Bearer realm="team \\"blue\\" \\\\ ops"'
    )


def test_expired_token_message(
    client: FlaskClient, toolkit: Toolkit, users: dict[int, FakeUser]
) -> None:
    import time_machine

    token = toolkit.auth.issue_token(_auth_app.identity_of(users[2]))
    with time_machine.travel(time.time() + 2 * 3600, tick=False):
        response = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    message = "The bearer token has expired; request a new one."
    assert answer(response) == (401, message, challenge("invalid_token", message))


@pytest.mark.parametrize("path", ["/dashboard", "/dashboard?tab=2"])
def test_html_login_redirect_keeps_the_page(
    client: FlaskClient, users: dict[int, FakeUser], path: str
) -> None:
    from urllib.parse import parse_qs
    from urllib.parse import urlsplit

    response = client.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert (location.path, parse_qs(location.query)) == ("/login", {"next": [path]})


def test_login_without_next_goes_home(
    client: FlaskClient, users: dict[int, FakeUser]
) -> None:
    response = client.get("/login?as=2", headers={"Accept": "text/html"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
