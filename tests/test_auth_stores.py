"""Credential stores: the database store on every backend, memory and custom stores."""

from __future__ import annotations

import time
import typing as t
from pathlib import Path

import pytest
from flask import Flask

from flask_toolkit import Identity
from flask_toolkit import login_required
from flask_toolkit import Toolkit
from flask_toolkit.auth import ApiKeyRecord
from flask_toolkit.auth import CredentialStore
from flask_toolkit.auth import DatabaseStore
from flask_toolkit.auth import MemoryStore


@pytest.fixture
def db_app(database_url: str, tmp_path: Path) -> t.Iterator[tuple[Flask, Toolkit]]:
    toolkit = Toolkit()
    app = Flask("stores", instance_path=str(tmp_path / "instance"))
    app.config.update(
        TESTING=True, SECRET_KEY="s", SQLALCHEMY_DATABASE_URI=database_url
    )
    toolkit.init_app(app)
    versions = {"u-1": 1}

    @toolkit.auth.identity_loader
    def load(user_id: t.Any) -> Identity | None:
        if user_id not in versions:
            return None
        return Identity(user_id, ["x:read"], version=versions[user_id])

    @app.get("/me")
    @login_required
    def me() -> dict[str, t.Any]:
        return {"ok": True}

    yield app, toolkit
    toolkit.db.get_engine(app).dispose()


def test_database_store_revocation_and_api_keys(db_app: tuple[Flask, Toolkit]) -> None:
    app, toolkit = db_app
    client = app.test_client()
    with app.app_context():
        token = toolkit.auth.issue_token(Identity("u-1", version=1))
        key, key_id = toolkit.auth.create_api_key(Identity("u-1", version=1), name="ci")
        store = toolkit.auth.get_store()
        assert isinstance(store, DatabaseStore)
        record = store.get_api_key(key_id)
        assert record is not None
        assert record.user_id == "u-1" and record.version == 1 and record.name == "ci"
        assert key not in record.key_hash and len(record.key_hash) == 64
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/me", headers=auth).status_code == 200
    assert client.get("/me", headers={"X-API-Key": key}).status_code == 200
    with app.app_context():
        toolkit.auth.revoke_token(token)
        toolkit.auth.revoke_token(token)  # twice is fine
        assert toolkit.auth.revoke_api_key(key_id)
    assert client.get("/me", headers=auth).status_code == 401
    assert client.get("/me", headers={"X-API-Key": key}).status_code == 401


def test_database_store_prunes_expired_entries(db_app: tuple[Flask, Toolkit]) -> None:
    app, toolkit = db_app
    with app.app_context():
        store = toolkit.auth.get_store()
        assert isinstance(store, DatabaseStore)
        store.refresh = 0  # ask the database every time
        store.revoke("old", time.time() - 10)
        assert store.is_revoked("old")
        store.revoke("new", time.time() + 60)
        assert not store.is_revoked("old")
        assert store.is_revoked("new")


def test_memory_store() -> None:
    store = MemoryStore()
    assert isinstance(store, CredentialStore)
    store.revoke("a", time.time() + 5)
    assert store.is_revoked("a") and not store.is_revoked("b")
    store.add_api_key(ApiKeyRecord("k", 1, "h", "", None))
    assert store.get_api_key("k") == ApiKeyRecord("k", 1, "h", "", None)
    assert store.delete_api_key("k") and not store.delete_api_key("k")


def test_custom_store_object(app: Flask, toolkit: Toolkit) -> None:
    custom = MemoryStore()
    app.config["AUTH_CREDENTIAL_STORE"] = custom
    assert toolkit.auth.get_store() is custom


def test_unknown_store_setting(app: Flask, toolkit: Toolkit) -> None:
    app.config["AUTH_CREDENTIAL_STORE"] = "redis"
    with pytest.raises(ValueError, match="AUTH_CREDENTIAL_STORE"):
        toolkit.auth.get_store()


def test_database_store_other_process_sees_revocation(
    db_app: tuple[Flask, Toolkit],
) -> None:
    app, toolkit = db_app
    engine = toolkit.db.get_engine(app)
    here = DatabaseStore(engine, refresh=60)
    other = DatabaseStore(engine, refresh=60)  # as in another worker process
    assert not other.is_revoked("t-1")  # loads the (empty) list
    here.revoke("t-1", time.time() + 60)
    assert here.is_revoked("t-1")  # at once in the revoking process
    assert not other.is_revoked("t-1")  # the other still has its copy ...
    other._loaded_at -= 61  # ... until it is ``refresh`` seconds old
    assert other.is_revoked("t-1")
    strict = DatabaseStore(engine, refresh=0)
    assert strict.is_revoked("t-1") and not strict.is_revoked("t-2")
