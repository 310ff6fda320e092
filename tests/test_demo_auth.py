"""The taskboard demo's users, login, tokens and permissions (default-deny on)."""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest
from examples.taskboard import create_app
from flask import Flask
from flask.testing import FlaskClient


@pytest.fixture
def demo(tmp_path: Path) -> Flask:
    return create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/demo.db"},
        instance_path=str(tmp_path),
    )


def token_of(client: FlaskClient, email: str) -> str:
    password = email.partition("@")[0]
    answer = client.post("/api/auth/token", json={"email": email, "password": password})
    assert answer.status_code == 201, answer.json
    return t.cast(str, answer.json["token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_landing_page_is_public_and_lists_demo_users(demo: Flask) -> None:
    page = demo.test_client().get("/")
    assert page.status_code == 200
    assert b"demo@example.com" in page.data
    assert demo.test_client().get("/api/tasks").status_code == 401


def test_every_route_is_protected(demo: Flask) -> None:
    output = demo.test_cli_runner().invoke(args=["toolkit", "routes", "--check"])
    assert output.exit_code == 0, output.output
    assert "UNPROTECTED" not in output.output


def test_session_login_csrf_and_logout(demo: Flask) -> None:
    client = demo.test_client()
    wrong = client.post(
        "/api/auth/login", json={"email": "demo@example.com", "password": "nope"}
    )
    assert wrong.status_code == 401
    assert wrong.json["code"] == -1
    login = client.post(
        "/api/auth/login", json={"email": "demo@example.com", "password": "demo"}
    )
    assert login.status_code == 200
    assert login.json["user"]["via"] == "session"
    csrf = login.json["csrf_token"]
    assert client.get("/api/tasks").status_code == 200
    assert client.post("/api/tasks", json={"title": "No CSRF"}).status_code == 400
    created = client.post(
        "/api/tasks", json={"title": "With CSRF"}, headers={"X-CSRFToken": csrf}
    )
    assert created.status_code == 201
    assert (
        client.post("/api/auth/logout", headers={"X-CSRFToken": csrf}).status_code
        == 200
    )
    assert client.get("/api/tasks").status_code == 401


def test_permissions(demo: Flask) -> None:
    client = demo.test_client()
    viewer = bearer(token_of(client, "viewer@example.com"))
    demo_user = bearer(token_of(client, "demo@example.com"))
    assert client.get("/api/tasks", headers=viewer).status_code == 200
    refused = client.post("/api/tasks", json={"title": "x"}, headers=viewer)
    assert refused.status_code == 403
    assert refused.json["code"] == -1
    assert (
        client.post("/api/tasks", json={"title": "x"}, headers=demo_user).status_code
        == 201
    )
    assert (
        client.post("/api/projects", json={"name": "P"}, headers=demo_user).status_code
        == 403
    )
    admin = bearer(token_of(client, "admin@example.com"))
    assert (
        client.post("/api/projects", json={"name": "P"}, headers=admin).status_code
        == 201
    )


def test_tokens_issue_and_revoke(demo: Flask) -> None:
    client = demo.test_client()
    client.post(
        "/api/auth/login", json={"email": "demo@example.com", "password": "demo"}
    )
    csrf = client.get("/api/auth/me").json["csrf_token"]
    issued = client.post(
        "/api/auth/tokens", json={"expires_in": 600}, headers={"X-CSRFToken": csrf}
    )
    assert issued.status_code == 201
    token = issued.json["token"]
    other = demo.test_client()  # a script: no cookie
    assert (
        other.get("/api/auth/me", headers=bearer(token)).json["user"]["via"] == "token"
    )
    assert (
        other.delete("/api/auth/tokens/current", headers=bearer(token)).status_code
        == 204
    )
    assert other.get("/api/auth/me", headers=bearer(token)).status_code == 401


def test_password_change_invalidates_other_credentials(demo: Flask) -> None:
    client = demo.test_client()
    old_token = token_of(client, "demo@example.com")
    assert client.get("/api/tasks", headers=bearer(old_token)).status_code == 200
    changed = client.post(
        "/api/auth/password",
        json={"password": "a much better one"},
        headers=bearer(old_token),
    )
    assert changed.status_code == 200
    assert client.get("/api/tasks", headers=bearer(old_token)).status_code == 401
    new = client.post(
        "/api/auth/token",
        json={"email": "demo@example.com", "password": "a much better one"},
    )
    assert new.status_code == 201


def test_create_user_command(demo: Flask) -> None:
    result = demo.test_cli_runner().invoke(
        args=["create-user", "new@example.com", "--permissions", "tasks:read"],
        input="long password\nlong password\n",
    )
    assert result.exit_code == 0, result.output
    client = demo.test_client()
    answer = client.post(
        "/api/auth/token",
        json={"email": "new@example.com", "password": "long password"},
    )
    assert answer.status_code == 201
