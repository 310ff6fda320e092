"""The auth security checklist, each on the real HTTP path.

Every refusal is 401, 403 or 400 in the JSON envelope: never a 200, never a 500.
"""

from __future__ import annotations

import base64
import io
import json
import time
import typing as t
from urllib.parse import parse_qs
from urllib.parse import unquote
from urllib.parse import urlsplit

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer

from flask_toolkit import Toolkit
from flask_toolkit.auth.tokens import MAX_TOKEN_LENGTH
from tests import _auth_app

from ._auth_app import FakeUser


@pytest.fixture
def users(app: Flask, toolkit: Toolkit) -> dict[int, FakeUser]:
    return _auth_app.build(app, toolkit)


@pytest.fixture
def token(toolkit: Toolkit, users: dict[int, FakeUser]) -> str:
    return toolkit.auth.issue_token(_auth_app.identity_of(users[2]))


def refused(response: t.Any, status: int = 401) -> dict[str, t.Any]:
    assert response.status_code == status, response.data
    body: dict[str, t.Any] = response.json
    assert body["code"] == -1
    assert isinstance(body["msg"], str) and body["msg"]
    if status == 401:
        challenge = response.headers["WWW-Authenticate"]
        assert challenge.startswith("Bearer ")
        assert "Basic" not in challenge
    return body


def get_me(client: FlaskClient, token: str) -> t.Any:
    return client.get("/api/me", headers={"Authorization": f"Bearer {token}"})


def test_valid_token_is_accepted(client: FlaskClient, token: str) -> None:
    assert get_me(client, token).status_code == 200


@pytest.mark.parametrize("position", [5, 40, -3])
def test_tampered_token(client: FlaskClient, token: str, position: int) -> None:
    chars = list(token)
    chars[position] = "A" if chars[position] != "A" else "B"
    body = refused(get_me(client, "".join(chars)))
    assert "not valid" in body["msg"] or "malformed" in body["msg"]


def test_tampered_payload_keeps_signature(client: FlaskClient, token: str) -> None:
    payload, rest = token.split(".", 1)
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["sub"] = 3
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    refused(get_me(client, f"{forged}.{rest}"))


def test_token_signed_with_another_key(
    client: FlaskClient, app: Flask, users: dict[int, FakeUser]
) -> None:
    other = URLSafeTimedSerializer("another secret", salt=app.config["AUTH_TOKEN_SALT"])
    forged = other.dumps({"sub": 3, "jti": "x" * 22, "exp": time.time() + 60, "ver": 1})
    refused(get_me(client, forged))


def test_other_signature_of_same_app_is_not_a_token(
    client: FlaskClient, app: Flask, users: dict[int, FakeUser]
) -> None:
    # Same key, other salt: e.g. what Flask signs for the session cookie.
    other = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="cookie-session")
    forged = other.dumps({"sub": 3, "jti": "x" * 22, "exp": time.time() + 60, "ver": 1})
    refused(get_me(client, forged))


@pytest.mark.parametrize(
    "claims",
    [
        {"jti": "x" * 22, "exp": 2_000_000_000, "ver": 1},  # no subject
        {"sub": 3, "jti": 5, "exp": 2_000_000_000, "ver": 1},  # jti not a string
        {"sub": 3, "jti": "x" * 22, "ver": 1},  # no expiry
        {"sub": 3, "jti": "x" * 22, "exp": "never", "ver": 1},
        [3, "x" * 22, 2_000_000_000],  # not an object
    ],
)
def test_signed_by_us_but_claims_missing(
    client: FlaskClient, app: Flask, users: dict[int, FakeUser], claims: t.Any
) -> None:
    ours = URLSafeTimedSerializer(
        app.config["SECRET_KEY"], salt=app.config["AUTH_TOKEN_SALT"]
    )
    body = refused(get_me(client, ours.dumps(claims)))
    assert body["msg"] == "The bearer token is not valid: claims are missing."


def test_same_key_without_our_salt_is_not_a_token(
    client: FlaskClient, app: Flask, users: dict[int, FakeUser]
) -> None:
    # itsdangerous' default salt: what other code signing with SECRET_KEY may produce.
    other = URLSafeTimedSerializer(app.config["SECRET_KEY"])
    forged = other.dumps({"sub": 3, "jti": "x" * 22, "exp": 2_000_000_000, "ver": 1})
    refused(get_me(client, forged))


@pytest.mark.parametrize(
    ("token", "msg"),
    [
        ("a b", "The bearer token is malformed."),
        ("abc$def", "The bearer token is malformed."),
        ("x" * (MAX_TOKEN_LENGTH - 1) + "$", "The bearer token is malformed."),
        (
            "x" * MAX_TOKEN_LENGTH,
            "The bearer token is not valid: it was not issued by this server or has"
            " been altered.",
        ),
        ("x" * (MAX_TOKEN_LENGTH + 1), "The Authorization header is too long."),
    ],
)
def test_malformed_token(
    client: FlaskClient, users: dict[int, FakeUser], token: str, msg: str
) -> None:
    assert refused(get_me(client, token))["msg"] == msg


def test_expired_token(
    client: FlaskClient, toolkit: Toolkit, users: dict[int, FakeUser]
) -> None:
    expired = toolkit.auth.issue_token(_auth_app.identity_of(users[2]), expires_in=-1)
    body = refused(get_me(client, expired))
    assert "expired" in body["msg"]
    assert (
        'error="invalid_token"' in get_me(client, expired).headers["WWW-Authenticate"]
    )


@pytest.mark.parametrize(
    "jwt",
    [
        # alg "none" JWTs: a JWT library that trusts the header would accept them.
        "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOjMsImV4cCI6OTk5OTk5OTk5OX0.",
        "eyJhbGciOiJub25lIn0.eyJzdWIiOjN9",
        # HS256 JWT signed with the app's secret key.
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOjN9.signaturesignaturesignaturesignature",
    ],
)
def test_jwt_format_confusion(
    client: FlaskClient, users: dict[int, FakeUser], jwt: str
) -> None:
    refused(get_me(client, jwt))


def test_revoked_token(client: FlaskClient, toolkit: Toolkit, token: str) -> None:
    assert get_me(client, token).status_code == 200
    toolkit.auth.revoke_token(token)
    body = refused(get_me(client, token))
    assert "revoked" in body["msg"]


def test_token_revokes_itself(client: FlaskClient, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/revoke", headers=headers).status_code == 200
    refused(get_me(client, token))


def test_revoked_by_user_version(
    client: FlaskClient, token: str, users: dict[int, FakeUser]
) -> None:
    users[2].version += 1  # e.g. a password change
    body = refused(get_me(client, token))
    assert "credential version is no longer the user's" in body["msg"]


def test_disabled_user(
    client: FlaskClient, token: str, users: dict[int, FakeUser]
) -> None:
    users[2].active = False
    body = refused(get_me(client, token))
    assert "disabled" in body["msg"]


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpzZWNyZXQ=",
        "Token abc",
        "bearer",
        "Bearer  {token}",
        "Bearer {token} ",
        "Bearer {token} extra",
        "Bearer\t{token}",
        " Bearer {token}",
        "Bearer " + "A" * 10000,
        "Bearer {token}" + "A" * 10000,
        "Bearer \u00e9\u00e9\u00e9",
    ],
)
def test_malformed_authorization_header(
    client: FlaskClient, token: str, header: str
) -> None:
    response = client.get(
        "/api/me", headers={"Authorization": header.format(token=token)}
    )
    refused(response)


def test_bad_bearer_never_falls_back_to_session(
    client: FlaskClient, token: str
) -> None:
    client.post("/api/login", json={"id": 2, "password": "secret"})
    assert client.get("/api/me").json["method"] == "session"
    refused(get_me(client, "invalid"))
    refused(client.get("/api/me", headers={"X-API-Key": "tk_wrong"}))
    # The session itself is still fine.
    assert client.get("/api/me").status_code == 200


@pytest.mark.parametrize(
    "key",
    [
        "",
        "wrong",
        "tk_0123456789abcdef." + "A" * 43,
        "tk_0123456789abcdef",
        "tk_" + "x" * 5000,
    ],
)
def test_api_key_wrong(
    client: FlaskClient, users: dict[int, FakeUser], key: str
) -> None:
    refused(client.get("/api/me", headers={"X-API-Key": key}))


def test_api_key_right_id_wrong_secret(
    client: FlaskClient, toolkit: Toolkit, users: dict[int, FakeUser]
) -> None:
    key, _ = toolkit.auth.create_api_key(_auth_app.identity_of(users[1]))
    wrong = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    refused(client.get("/api/me", headers={"X-API-Key": wrong}))


def test_api_key_absent(client: FlaskClient, users: dict[int, FakeUser]) -> None:
    refused(client.get("/api/tasks"))


def test_api_key_invalidated_by_user_version(
    client: FlaskClient, toolkit: Toolkit, users: dict[int, FakeUser]
) -> None:
    key, _ = toolkit.auth.create_api_key(_auth_app.identity_of(users[1]))
    users[1].version = 7
    refused(client.get("/api/me", headers={"X-API-Key": key}))


@pytest.mark.parametrize(
    "query", ["access_token={token}", "api_key=x", "ApiKey=x", "auth_token=x"]
)
def test_credentials_in_query_string_refused(
    client: FlaskClient, token: str, query: str
) -> None:
    response = client.get("/api/me?" + query.format(token=token))
    body = refused(response, 400)
    name = query.partition("=")[0]
    assert body["msg"] == (
        f"Credentials are not accepted in the URL (query parameter {name!r}): URLs end"
        " up in logs and browser history. Send 'Authorization: Bearer <token>'"
        " instead."
    )
    # Even with a valid header as well.
    response = client.get(
        "/api/me?" + query.format(token=token),
        headers={"Authorization": f"Bearer {token}"},
    )
    refused(response, 400)


def test_forged_session_cookie(
    client: FlaskClient, app: Flask, users: dict[int, FakeUser]
) -> None:
    other = Flask("forger")
    other.secret_key = "not the app's key"
    serializer = other.session_interface.get_signing_serializer(other)  # type: ignore[attr-defined]
    assert serializer is not None
    forged = serializer.dumps(
        {"_toolkit_auth": {"sub": 3, "sid": "s-x", "exp": time.time() + 60, "ver": 1}}
    )
    client.set_cookie("session", forged)
    refused(client.get("/api/me"))
    refused(client.get("/api/tasks"))


def test_session_cookie_with_garbage(
    client: FlaskClient, users: dict[int, FakeUser]
) -> None:
    client.set_cookie("session", "garbage.garbage.garbage")
    refused(client.get("/api/me"))


def test_session_entry_of_wrong_shape(
    client: FlaskClient, users: dict[int, FakeUser]
) -> None:
    with client.session_transaction() as sess:
        sess["_toolkit_auth"] = {"sub": 3}
    refused(client.get("/api/me"))
    with client.session_transaction() as sess:
        assert "_toolkit_auth" not in sess


def test_expired_session(client: FlaskClient, users: dict[int, FakeUser]) -> None:
    with client.session_transaction() as sess:
        sess["_toolkit_auth"] = {
            "sub": 3,
            "sid": "s-1",
            "exp": time.time() - 1,
            "ver": 1,
        }
    body = refused(client.get("/api/me"))
    assert "expired" in body["msg"]


def test_csrf_missing_on_cookie_authenticated_post(
    client: FlaskClient, users: dict[int, FakeUser]
) -> None:
    login = client.post("/api/login", json={"id": 2, "password": "secret"})
    assert login.status_code == 200
    body = refused(client.post("/api/tasks/write", json={}), 400)
    assert "CSRF" in body["msg"]
    refused(client.post("/api/tasks/write", headers={"X-CSRFToken": "bad"}), 400)
    refused(client.delete("/api/tasks/write"), 405)  # method check still comes first


def test_csrf_token_accepted_and_bearer_exempt(
    client: FlaskClient, app: Flask, users: dict[int, FakeUser]
) -> None:
    token = client.post("/api/login", json={"id": 2, "password": "secret"}).json[
        "token"
    ]
    with app.test_request_context():
        from flask import session
        from flask_wtf.csrf import generate_csrf

        with client.session_transaction() as sess:
            session.update(sess)
            csrf = generate_csrf()
            sess.update(session)
    assert (
        client.post("/api/tasks/write", headers={"X-CSRFToken": csrf}).status_code
        == 200
    )
    other = app.test_client()
    response = other.post(
        "/api/tasks/write", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200


def _csrf_of(client: FlaskClient, app: Flask) -> str:
    """A CSRF token bound to the client's session, as a page would embed it."""
    from flask import session
    from flask_wtf.csrf import generate_csrf

    with app.test_request_context(), client.session_transaction() as sess:
        session.update(sess)
        csrf = generate_csrf()
        sess.update(session)
    return t.cast(str, csrf)


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_csrf_on_every_unsafe_method(
    client: FlaskClient, app: Flask, users: dict[int, FakeUser], method: str
) -> None:
    token = client.post("/api/login", json={"id": 2, "password": "secret"}).json[
        "token"
    ]
    body = refused(client.open("/api/tasks/7", method=method), 400)
    assert "CSRF" in body["msg"]
    refused(
        client.open("/api/tasks/7", method=method, headers={"X-CSRFToken": "x"}), 400
    )
    csrf = _csrf_of(client, app)
    sent = client.open("/api/tasks/7", method=method, headers={"X-CSRFToken": csrf})
    assert sent.json == {"id": 7, "method": method}
    # A bearer token is not sent by the browser on its own, so it needs no CSRF token.
    bearer = {"Authorization": f"Bearer {token}"}
    other = app.test_client().open("/api/tasks/7", method=method, headers=bearer)
    assert other.json == {"id": 7, "method": method}


CSRF_ADVICE = (
    " Requests authenticated by the session cookie must send the value of"
    " csrf_token() in the 'X-CSRFToken' header or the 'csrf_token' form field; API"
    " clients can use a bearer token instead."
)


def test_csrf_messages(
    client: FlaskClient, app: Flask, users: dict[int, FakeUser]
) -> None:
    client.post("/api/login", json={"id": 2, "password": "secret"})
    missing = refused(client.put("/api/tasks/7"), 400)
    assert missing["msg"] == "The CSRF token is missing." + CSRF_ADVICE
    _csrf_of(client, app)
    bad = refused(client.put("/api/tasks/7", headers={"X-CSRFToken": "x"}), 400)
    assert bad["msg"] == "The CSRF token is invalid." + CSRF_ADVICE


def test_csrf_header_and_field_settings(
    client: FlaskClient, app: Flask, users: dict[int, FakeUser]
) -> None:
    # Flask-WTF's settings for the header and the form field are honoured.
    app.config.update(WTF_CSRF_HEADERS=["X-Board-Token"], WTF_CSRF_FIELD_NAME="tok")
    client.post("/api/login", json={"id": 2, "password": "secret"})
    csrf = _csrf_of(client, app)
    refused(client.put("/api/tasks/7", headers={"X-CSRFToken": csrf}), 400)
    board = client.put("/api/tasks/7", headers={"X-Board-Token": csrf})
    assert board.status_code == 200
    for form in ({"tok": csrf}, {"tok": csrf, "f": (io.BytesIO(b"x"), "f.txt")}):
        assert client.put("/api/tasks/7", data=form).status_code == 200
    refused(client.put("/api/tasks/7", data={"csrf_token": csrf}), 400)


_START = 1_900_000_000  # a fixed instant, so the clock is the test's


def test_tokens_last_an_hour_by_default(
    client: FlaskClient, app: Flask, users: dict[int, FakeUser]
) -> None:
    assert app.config["AUTH_TOKEN_EXPIRES"] == 3600
    with time_machine.travel(_START, tick=False) as clock:
        token = client.post("/api/login", json={"id": 2, "password": "secret"}).json[
            "token"
        ]
        other = app.test_client()  # no session cookie: the token alone
        clock.shift(3599)
        assert get_me(other, token).status_code == 200
        clock.shift(1)
        assert "expired" in refused(get_me(other, token))["msg"]


def test_sessions_last_a_week_by_default(
    client: FlaskClient, app: Flask, users: dict[int, FakeUser]
) -> None:
    week = 7 * 24 * 3600
    assert app.config["AUTH_SESSION_MAX_AGE"] == week
    with time_machine.travel(_START, tick=False) as clock:
        assert client.post("/api/login", json={"id": 2, "password": "secret"}).json
        clock.shift(week - 1)
        assert client.get("/api/me").json["method"] == "session"
        clock.shift(1)
        assert "expired" in refused(client.get("/api/me"))["msg"]


@pytest.mark.parametrize("cache_size", [1024, 0])
def test_a_token_verified_before_expires_on_time(
    client: FlaskClient,
    app: Flask,
    toolkit: Toolkit,
    users: dict[int, FakeUser],
    cache_size: int,
) -> None:
    app.config["AUTH_TOKEN_CACHE_SIZE"] = cache_size
    with time_machine.travel(_START, tick=False) as clock:
        token = toolkit.auth.issue_token(_auth_app.identity_of(users[2]), expires_in=60)
        assert get_me(client, token).status_code == 200
        # With a cache, the next request is answered from it: expiry is still checked.
        cached = toolkit.auth.get_signer(app)._cache
        assert (token in cached) == (cache_size > 0)
        clock.shift(59)
        assert get_me(client, token).status_code == 200
        clock.shift(1)
        assert "expired" in refused(get_me(client, token))["msg"]


@pytest.mark.parametrize(
    "next_url",
    [
        "//evil.example",
        "\\\\evil.example",
        "/\\evil.example",
        "https://evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        "/ok\r\nLocation: https://evil.example",
        "\t//evil.example",
        "evil.example",
        "///evil.example",
        "/ok\x7f",
        "/" + "a" * 2048,  # longer than 2048 characters
    ],
)
def test_open_redirect_next_variants(
    client: FlaskClient, users: dict[int, FakeUser], next_url: str
) -> None:
    response = client.get(
        "/login",
        query_string={"as": 1, "next": next_url},
        headers={"Accept": "application/json"},
    )
    body = refused(response, 400)
    assert body["msg"] == (
        "The 'next' parameter must be a relative path on this site, such as"
        " '/tasks'; other hosts and schemes are refused."
    )


@pytest.mark.parametrize(
    "next_url", ["/dashboard?x=1", "/tasks/a b", "/" + "a" * 2047, "/caf\u00e9"]
)
def test_safe_next_is_followed(
    client: FlaskClient, users: dict[int, FakeUser], next_url: str
) -> None:
    response = client.get("/login", query_string={"as": 1, "next": next_url})
    assert response.status_code == 302
    assert unquote(response.headers["Location"]) == next_url


def test_html_caller_redirected_to_login_with_next(
    client: FlaskClient, users: dict[int, FakeUser]
) -> None:
    response = client.get("/dashboard?tab=2", headers={"Accept": "text/html"})
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    assert parse_qs(location.query) == {"next": ["/dashboard?tab=2"]}
    # JSON callers get the envelope instead, never a redirect.
    refused(client.get("/dashboard", headers={"Accept": "application/json"}))
    refused(client.get("/api/me", headers={"Accept": "text/html"}))


def test_identity_does_not_leak_between_requests(
    client: FlaskClient, token: str
) -> None:
    # The ``app`` fixture keeps one app context pushed, so both requests share ``g``.
    assert get_me(client, token).status_code == 200
    refused(client.get("/api/me"))
    assert client.get("/api/public").json == {"who": None}


def test_identity_not_taken_from_pushed_context(
    app: Flask, client: FlaskClient, users: dict[int, FakeUser]
) -> None:
    from flask import g

    from flask_toolkit.auth import Identity

    g._toolkit_identity = Identity(3, ["*"])
    refused(client.get("/api/me"))


def test_permission_decorator_on_methodview(
    client: FlaskClient, toolkit: Toolkit, users: dict[int, FakeUser]
) -> None:
    user1 = toolkit.auth.issue_token(_auth_app.identity_of(users[1]))
    refused(client.get("/api/reports"))
    refused(
        client.get("/api/reports", headers={"Authorization": f"Bearer {user1}"}), 403
    )
    refused(
        client.get("/api/settings", headers={"Authorization": f"Bearer {user1}"}), 403
    )


def test_default_deny_on_undecorated_route(
    app: Flask, client: FlaskClient, token: str
) -> None:
    assert client.get("/api/undecorated").status_code == 200
    app.config["AUTH_DEFAULT_DENY"] = True
    refused(client.get("/api/undecorated"))
    body = refused(
        client.get("/api/undecorated", headers={"Authorization": f"Bearer {token}"}),
        403,
    )
    assert "@public" in body["msg"]
    assert client.get("/api/public").status_code == 200
    assert get_me(client, token).status_code == 200


def test_identity_does_not_outlive_its_request(app: Flask, token: str) -> None:
    from flask_toolkit import current_identity

    # Not pytest-flask's ``client``: that one keeps the last request context pushed
    # (``with client:``) so a test can inspect it.
    client = app.test_client()
    assert get_me(client, token).status_code == 200
    # Same app context (and ``g``) as the request above, but another request.
    assert current_identity.is_anonymous
    with app.test_request_context("/api/me"):
        assert current_identity.is_anonymous
