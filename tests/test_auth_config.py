"""Auth settings a deployment changes, and errors that tell a developer what to do."""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest
from flask import Flask

from flask_toolkit import Identity
from flask_toolkit import login_required
from flask_toolkit import Toolkit
from flask_toolkit.auth import CredentialError


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def make_app(tmp_path: Path, name: str, **config: t.Any) -> tuple[Flask, Toolkit]:
    """An app whose users all exist, with one login-protected route."""
    toolkit = Toolkit()
    app = Flask(name, instance_path=str(tmp_path / name))
    app.config.update(TESTING=True, SECRET_KEY="test secret", **config)
    toolkit.init_app(app)
    toolkit.auth.identity_loader(lambda user_id: Identity(user_id))

    @app.get("/api/me")
    @login_required
    def me() -> dict[str, t.Any]:
        return {"ok": True}

    return app, toolkit


def test_the_errors_of_a_misconfigured_app_say_what_to_do(tmp_path: Path) -> None:
    app, toolkit = make_app(tmp_path, "errors", AUTH_CREDENTIAL_STORE="memcached")
    with app.app_context():
        with pytest.raises(ValueError) as store_error:
            toolkit.auth.get_store()
        assert str(store_error.value) == (
            "AUTH_CREDENTIAL_STORE = 'memcached' is not a store: use 'database',"
            " 'memory', or an object with the methods of"
            " flask_toolkit.auth.CredentialStore."
        )

        app.config["SECRET_KEY"] = ""
        with pytest.raises(RuntimeError) as secret_error:
            toolkit.auth.issue_token("u-1")
        assert str(secret_error.value) == (
            "Tokens are signed with SECRET_KEY, which is not set. Set"
            " app.config['SECRET_KEY'] to a long random value."
        )

        toolkit.auth.identity_loader(lambda user_id: {"id": user_id})
        with pytest.raises(TypeError) as loader_error:
            toolkit.auth.load_identity("u-1")
        assert str(loader_error.value) == (
            "The identity loader must return a flask_toolkit.auth.Identity or None,"
            " got dict; wrap your user as Identity(user.id, user.permissions,"
            " user=user)."
        )

        with pytest.raises(RuntimeError) as no_loader:
            Toolkit().auth.load_identity("u-1")
        assert str(no_loader.value) == (
            "No identity loader is set, so no credential can be accepted."
            " Register one with '@toolkit.auth.identity_loader'."
        )


def test_changing_the_token_salt_invalidates_every_token(tmp_path: Path) -> None:
    app, toolkit = make_app(tmp_path, "salt", AUTH_CREDENTIAL_STORE="memory")
    client = app.test_client()
    with app.app_context():
        token = toolkit.auth.issue_token("u-1")
    assert client.get("/api/me", headers=bearer(token)).status_code == 200
    app.config["AUTH_TOKEN_SALT"] = "tokens, second edition"
    assert client.get("/api/me", headers=bearer(token)).status_code == 401
    with app.app_context():
        with pytest.raises(CredentialError):
            toolkit.auth.decode_token(token)
        new = toolkit.auth.issue_token("u-1")
    assert client.get("/api/me", headers=bearer(new)).status_code == 200


def test_a_fallback_key_appended_in_place_is_honoured(tmp_path: Path) -> None:
    """Rotating keys by editing the config's list, as an app reloading its settings
    would: the list is read again, not remembered by identity."""
    app, toolkit = make_app(
        tmp_path, "rotate", AUTH_CREDENTIAL_STORE="memory", SECRET_KEY_FALLBACKS=[]
    )
    client = app.test_client()
    with app.app_context():
        old = toolkit.auth.issue_token("u-1")
    app.config["SECRET_KEY"] = "the new secret"
    assert client.get("/api/me", headers=bearer(old)).status_code == 401
    app.config["SECRET_KEY_FALLBACKS"].append("test secret")
    assert client.get("/api/me", headers=bearer(old)).status_code == 200
    app.config["SECRET_KEY_FALLBACKS"].clear()
    assert client.get("/api/me", headers=bearer(old)).status_code == 401


def test_a_revocation_in_another_process_applies_at_once_with_refresh_zero(
    tmp_path: Path,
) -> None:
    """Two apps on one database stand for two workers: with
    ``AUTH_REVOCATION_REFRESH = 0`` the second asks the database on every request, so
    a token the first revoked is refused by the second on its very next request."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    config = {"SQLALCHEMY_DATABASE_URI": url, "AUTH_REVOCATION_REFRESH": 0}
    first, first_toolkit = make_app(tmp_path, "first", **config)
    second, second_toolkit = make_app(tmp_path, "second", **config)
    try:
        with first.app_context():
            token = first_toolkit.auth.issue_token("u-1")
        client = second.test_client()
        assert client.get("/api/me", headers=bearer(token)).status_code == 200
        with first.app_context():
            first_toolkit.auth.revoke_token(token)
        response = client.get("/api/me", headers=bearer(token))
        assert response.status_code == 401
        body = response.get_json()
        assert body is not None and "revoked" in body["msg"]
    finally:
        for app, toolkit in ((first, first_toolkit), (second, second_toolkit)):
            toolkit.db.get_engine(app).dispose()
