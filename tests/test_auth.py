"""toolkit.auth: identity, tokens, API keys, decorators, permissions."""

from __future__ import annotations

import typing as t

import pytest
from flask import Flask
from flask.testing import FlaskClient

from flask_toolkit import current_identity
from flask_toolkit import require_permission
from flask_toolkit import Toolkit
from flask_toolkit.auth import ANONYMOUS
from flask_toolkit.auth import CredentialError
from flask_toolkit.auth import Identity
from flask_toolkit.auth import is_granted
from flask_toolkit.auth.permissions import has_permissions
from flask_toolkit.auth.permissions import missing_permissions
from tests import _auth_app

from ._auth_app import FakeUser


@pytest.fixture
def users(app: Flask, toolkit: Toolkit) -> dict[int, FakeUser]:
    return _auth_app.build(app, toolkit)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def token_for(toolkit: Toolkit, users: dict[int, FakeUser]) -> t.Callable[[int], str]:
    def make(user_id: int) -> str:
        return toolkit.auth.issue_token(_auth_app.identity_of(users[user_id]))

    return make


def test_anonymous_outside_requests(app: Flask) -> None:
    assert current_identity.is_anonymous
    assert current_identity.id is None
    assert not current_identity.has_permission("x:y")


def test_bearer_token_authenticates(
    client: FlaskClient, token_for: t.Callable[[int], str]
) -> None:
    response = client.get("/api/me", headers=bearer(token_for(2)))
    assert response.status_code == 200
    assert response.json == {
        "id": 2,
        "method": "token",
        "permissions": ["reports:read", "tasks:*"],
    }
    assert client.get("/api/me-called", headers=bearer(token_for(1))).json == {"id": 1}


def test_anonymous_gets_401_with_bearer_challenge(
    client: FlaskClient, users: dict[int, FakeUser]
) -> None:
    for path in ("/api/me", "/api/me-called", "/api/tasks", "/api/reports"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.json["code"] == -1
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


def test_public_view_is_open(
    client: FlaskClient, token_for: t.Callable[[int], str]
) -> None:
    assert client.get("/api/public").json == {"who": None}
    assert client.get("/api/public", headers=bearer(token_for(1))).json == {"who": 1}
    # A bad credential does not lock anyone out of a public view: they are anonymous.
    assert client.get("/api/public", headers=bearer("nope")).json == {"who": None}


@pytest.mark.parametrize(
    ("user_id", "path", "status"),
    [
        (1, "/api/tasks", 200),
        (4, "/api/tasks", 403),
        (1, "/api/both", 403),
        (2, "/api/both", 200),
        (2, "/api/either", 200),
        (1, "/api/either", 403),
        (3, "/api/either", 200),
        (2, "/api/async", 200),
        (4, "/api/async", 403),
        (2, "/api/reports", 200),
        (1, "/api/reports", 403),
        (3, "/api/settings", 200),
        (2, "/api/settings", 403),
        (2, "/api/async-reports", 200),
        (1, "/api/async-reports", 403),
    ],
)
def test_permissions(
    client: FlaskClient,
    token_for: t.Callable[[int], str],
    user_id: int,
    path: str,
    status: int,
) -> None:
    response = client.get(path, headers=bearer(token_for(user_id)))
    assert response.status_code == status
    if status == 403:
        assert response.json["code"] == -1
        assert "permission" in response.json["msg"]


def test_permission_on_methodview_method(
    client: FlaskClient, token_for: t.Callable[[int], str]
) -> None:
    assert client.post("/api/reports").status_code == 401
    assert client.post("/api/reports", headers=bearer(token_for(2))).status_code == 403
    assert client.post("/api/reports", headers=bearer(token_for(3))).status_code == 200


def test_wildcard_grant_covers_actions(
    client: FlaskClient, token_for: t.Callable[[int], str]
) -> None:
    assert (
        client.post("/api/tasks/write", headers=bearer(token_for(2))).status_code == 200
    )
    assert (
        client.post("/api/tasks/write", headers=bearer(token_for(1))).status_code == 403
    )


def test_object_level_check(
    client: FlaskClient, token_for: t.Callable[[int], str]
) -> None:
    token = token_for(2)
    assert client.get("/api/objects/2", headers=bearer(token)).status_code == 200
    denied = client.get("/api/objects/7", headers=bearer(token))
    assert denied.status_code == 403
    assert denied.json["code"] == -1
    assert client.get("/api/async-objects/2", headers=bearer(token)).status_code == 200
    assert client.get("/api/async-objects/7", headers=bearer(token)).status_code == 403


def test_object_level_check_on_a_blueprint(
    client: FlaskClient, token_for: t.Callable[[int], str]
) -> None:
    assert client.get("/api/owned/1", headers=bearer(token_for(1))).json == {"id": 1}
    denied = client.get("/api/owned/2", headers=bearer(token_for(1)))
    assert denied.status_code == 403
    assert denied.json == {
        "code": -1,
        "msg": "You are not allowed to act on this object.",
    }
    # The permission is checked before the object rule, anonymous before both.
    no_permission = client.get("/api/owned/4", headers=bearer(token_for(4)))
    assert no_permission.status_code == 403
    assert "tasks:read" in no_permission.json["msg"]
    assert client.get("/api/owned/1").status_code == 401


def test_options_passes(client: FlaskClient, users: dict[int, FakeUser]) -> None:
    assert client.options("/api/tasks").status_code == 200
    assert client.options("/api/preflight").status_code == 204
    assert client.get("/api/preflight").status_code == 401


def test_async_loader(app: Flask, toolkit: Toolkit, client: FlaskClient) -> None:
    _auth_app.build(app, toolkit)

    async def load(user_id: t.Any) -> Identity | None:
        return Identity(user_id, ["tasks:read"]) if user_id == 9 else None

    toolkit.auth.identity_loader(load)
    token = toolkit.auth.issue_token(9)
    assert client.get("/api/async", headers=bearer(token)).json == {
        "async": True,
        "who": 9,
    }


def test_loader_must_return_identity(
    app: Flask, toolkit: Toolkit, client: FlaskClient
) -> None:
    _auth_app.build(app, toolkit)
    toolkit.auth.identity_loader(lambda user_id: {"id": user_id})
    app.config["PROPAGATE_EXCEPTIONS"] = True
    with pytest.raises(TypeError, match="must return a flask_toolkit.auth.Identity"):
        client.get("/api/me", headers=bearer(toolkit.auth.issue_token(1)))


def test_api_key(
    client: FlaskClient, toolkit: Toolkit, users: dict[int, FakeUser]
) -> None:
    key, key_id = toolkit.auth.create_api_key(
        _auth_app.identity_of(users[2]), name="ci"
    )
    assert key.startswith(f"tk_{key_id}.")
    response = client.get("/api/me", headers={"X-API-Key": key})
    assert response.json["method"] == "api_key"
    assert response.json["id"] == 2
    assert toolkit.auth.revoke_api_key(key_id) is True
    assert client.get("/api/me", headers={"X-API-Key": key}).status_code == 401
    assert toolkit.auth.revoke_api_key(key_id) is False


def test_api_key_for_a_plain_user_id(
    client: FlaskClient, toolkit: Toolkit, users: dict[int, FakeUser]
) -> None:
    key, _ = toolkit.auth.create_api_key(2, version=1)
    assert client.get("/api/me", headers={"X-API-Key": key}).json["id"] == 2
    with pytest.raises(ValueError, match="^Cannot create an API key for the anonymous"):
        toolkit.auth.create_api_key(ANONYMOUS)


def test_revoke_by_id_without_an_expiry(
    client: FlaskClient, toolkit: Toolkit, token_for: t.Callable[[int], str]
) -> None:
    # The store keeps the revocation for the longest lifetime configured.
    token = token_for(2)
    assert client.get("/api/me", headers=bearer(token)).status_code == 200
    toolkit.auth.revoke(toolkit.auth.decode_token(token).jti)
    refused = client.get("/api/me", headers=bearer(token))
    assert refused.status_code == 401 and "revoked" in refused.json["msg"]


def test_revoke_token_by_its_text(
    client: FlaskClient, toolkit: Toolkit, users: dict[int, FakeUser]
) -> None:
    token = toolkit.auth.issue_token(_auth_app.identity_of(users[2]), expires_in=60)
    toolkit.auth.revoke_token(token)
    assert client.get("/api/me", headers=bearer(token)).status_code == 401
    expired = toolkit.auth.issue_token(_auth_app.identity_of(users[2]), expires_in=-1)
    toolkit.auth.revoke_token(expired)  # accepted, and nothing to do
    with pytest.raises(ValueError) as info:
        toolkit.auth.revoke_token("not-a-token")
    assert str(info.value) == (
        "This is not a token issued by this app, so there is nothing to revoke."
    )


def test_api_key_header_is_configurable(
    app: Flask, client: FlaskClient, toolkit: Toolkit, users: dict[int, FakeUser]
) -> None:
    app.config["AUTH_API_KEY_HEADER"] = "X-Service-Key"
    key, _ = toolkit.auth.create_api_key(_auth_app.identity_of(users[1]))
    assert client.get("/api/me", headers={"X-Service-Key": key}).json["id"] == 1
    assert client.get("/api/me", headers={"X-API-Key": key}).status_code == 401


def test_token_round_trip_and_claims(app: Flask, toolkit: Toolkit) -> None:
    token = toolkit.auth.issue_token(Identity(5, version=3), expires_in=60)
    claims = toolkit.auth.decode_token(token)
    assert claims.sub == 5
    assert claims.ver == 3
    with pytest.raises(CredentialError, match="altered"):
        toolkit.auth.decode_token(token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    with pytest.raises(ValueError, match="anonymous"):
        toolkit.auth.issue_token(ANONYMOUS)


def test_token_needs_secret_key(app: Flask, toolkit: Toolkit) -> None:
    app.config["SECRET_KEY"] = None
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        toolkit.auth.issue_token(1)


def test_secret_key_rotation(app: Flask, toolkit: Toolkit) -> None:
    old = toolkit.auth.issue_token(1)
    app.config.update(SECRET_KEY="a new secret", SECRET_KEY_FALLBACKS=["test secret"])
    assert toolkit.auth.decode_token(old).sub == 1
    app.config["SECRET_KEY_FALLBACKS"] = []
    with pytest.raises(CredentialError):
        toolkit.auth.decode_token(old)


def test_require_permission_needs_a_permission() -> None:
    with pytest.raises(TypeError, match="at least one permission"):
        require_permission()
    with pytest.raises(TypeError, match="at least one permission"):

        @require_permission  # type: ignore[arg-type]
        def view() -> None: ...

    # The message says what to write instead, word for word.
    fix = (
        ": write 'resource:action' with no spaces and no empty parts,"
        " such as 'tasks:read' or 'tasks:*'."
    )
    with pytest.raises(ValueError) as error:
        require_permission("tasks: read")
    assert str(error.value) == "Invalid permission 'tasks: read'" + fix
    with pytest.raises(ValueError) as error:
        require_permission("tasks::read")
    assert str(error.value) == "Invalid permission 'tasks::read'" + fix
    with pytest.raises(TypeError, match="must be a string"):
        require_permission(3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("granted", "required", "expected"),
    [
        ({"tasks:read"}, "tasks:read", True),
        ({"tasks:read"}, "tasks:write", False),
        ({"tasks:*"}, "tasks:write", True),
        ({"tasks:*"}, "tasks:a:b", True),
        ({"tasks:a:*"}, "tasks:a:b", True),
        ({"tasks:a:*"}, "tasks:b", False),
        # every prefix is tried, in order, not only the first and the last
        ({"a:b:*"}, "a:b:c:d", True),
        ({"a:b:c:*"}, "a:b:c:d", True),
        ({"a:c:*"}, "a:b:c:d", False),
        ({"*"}, "admin:users", True),
        ({"admin:read"}, "admin:*", False),
        ({"admin:*"}, "admin:*", True),
        ({"task:*"}, "tasks:read", False),
        (set(), "tasks:read", False),
    ],
)
def test_is_granted(granted: set[str], required: str, expected: bool) -> None:
    assert is_granted(frozenset(granted), required) is expected


def test_several_permissions_are_all_needed_unless_any_of() -> None:
    granted = frozenset({"tasks:read"})
    assert not has_permissions(granted, ["tasks:read", "tasks:write"])
    assert has_permissions(granted, ["tasks:read", "tasks:write"], any_of=True)
    assert missing_permissions(granted, ["tasks:read", "tasks:write"]) == [
        "tasks:write"
    ]


def test_identity_permissions_must_be_a_collection() -> None:
    with pytest.raises(TypeError) as error:
        Identity(1, "tasks:read")
    assert str(error.value) == (
        "Identity permissions must be a collection of strings, not one string;"
        " write ['tasks:read'] instead of 'tasks:read'."
    )


def test_identity_keeps_what_it_is_given() -> None:
    user = object()
    identity = Identity(
        7,
        ["tasks:read"],
        user=user,
        version=3,
        method="token",
        credential_id="abc",
        expires_at=1.5,
    )
    assert (identity.id, identity.permissions, identity.user, identity.version) == (
        7,
        frozenset({"tasks:read"}),
        user,
        3,
    )
    assert (identity.method, identity.credential_id, identity.expires_at) == (
        "token",
        "abc",
        1.5,
    )
    # The copy a credential makes keeps the loader's answer and records the rest.
    copy = identity.with_credential("session", "sid", 9.0)
    assert (copy.id, copy.permissions, copy.user, copy.version) == (
        7,
        frozenset({"tasks:read"}),
        user,
        3,
    )
    assert (copy.method, copy.credential_id, copy.expires_at) == ("session", "sid", 9.0)
    assert identity.method == "token"  # the original is unchanged


def test_is_configured(app: Flask, toolkit: Toolkit) -> None:
    assert toolkit.auth.is_configured(app) is False
    toolkit.auth.identity_loader(lambda user_id: None)
    assert toolkit.auth.is_configured(app) is True
    assert toolkit.auth.is_configured(Flask("other")) is False


def test_revoke_current_api_key_and_helpers(
    app: Flask, client: FlaskClient, toolkit: Toolkit, users: dict[int, FakeUser]
) -> None:
    from flask_toolkit.testing import bearer_headers

    key, _ = toolkit.auth.create_api_key(_auth_app.identity_of(users[1]))
    assert client.post("/api/revoke", headers={"X-API-Key": key}).status_code == 200
    assert client.get("/api/me", headers={"X-API-Key": key}).status_code == 401
    token = toolkit.auth.issue_token(_auth_app.identity_of(users[1]))
    assert client.get("/api/me", headers=bearer_headers(token)).status_code == 200
    with pytest.raises(ValueError, match="nothing to revoke"):
        toolkit.auth.revoke_token("not a token")


def test_identity_helpers() -> None:
    identity = Identity(3, ["tasks:*", "reports:read"])
    assert identity.has_permission("tasks:write", "reports:read")
    assert not identity.has_permission("tasks:write", "admin:x")
    assert identity.has_permission("tasks:write", "admin:x", any_of=True)
    assert repr(identity) == "<Identity 3 via None [reports:read, tasks:*]>"
    assert repr(ANONYMOUS) == "<Identity anonymous>"
    assert ANONYMOUS.is_anonymous and not ANONYMOUS.is_authenticated


def test_login_user_needs_an_identity(app: Flask) -> None:
    from flask_toolkit import login_user

    with app.test_request_context(), pytest.raises(ValueError, match="anonymous"):
        login_user(ANONYMOUS)


def test_remember_makes_session_permanent(app: Flask, toolkit: Toolkit) -> None:
    from flask import session

    from flask_toolkit import login_user

    with app.test_request_context():
        login_user(Identity(1), remember=True)
        assert session.permanent
        assert current_identity.id == 1
        assert current_identity.method == "session"


def test_view_rules_follow_an_identity_changed_after_the_auth_hook(
    app: Flask, toolkit: Toolkit, users: dict[int, FakeUser]
) -> None:
    """The view decorator trusts the auth hook's check only for the identity the hook
    checked: a later before_request hook that changes the caller is checked again."""
    from flask_toolkit.auth.identity import set_identity

    @app.get("/guarded")
    @require_permission("tasks:read")
    def guarded() -> dict[str, t.Any]:
        return {"who": current_identity.id}

    @app.before_request
    def downgrade() -> None:
        if current_identity.id == 2:
            set_identity(_auth_app.identity_of(users[4]))

    client = app.test_client()
    assert client.get(
        "/guarded",
        headers=bearer(toolkit.auth.issue_token(_auth_app.identity_of(users[1]))),
    ).json == {"who": 1}
    downgraded = client.get(
        "/guarded",
        headers=bearer(toolkit.auth.issue_token(_auth_app.identity_of(users[2]))),
    )
    assert downgraded.status_code == 403
