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


def test_database_store_tables_are_the_apps_for_migrations(
    db_app: tuple[Flask, Toolkit],
) -> None:
    """``db.create_all()`` and autogenerate see the store's tables: a migration of
    the app never drops them."""
    tables = {"toolkit_api_key", "toolkit_revoked_credential"}
    app, toolkit = db_app  # identity loader registered after init_app
    with app.app_context():
        toolkit.auth.get_store()
    assert tables <= set(toolkit.db.metadata.tables)

    early = Toolkit()  # identity loader registered before init_app
    early.auth.identity_loader(lambda user_id: None)
    other = Flask("early", instance_path=app.instance_path)
    other.config.update(SQLALCHEMY_DATABASE_URI="sqlite://")
    early.init_app(other)
    try:
        assert tables <= set(early.db.metadata.tables)
    finally:
        early.db.get_engine(other).dispose()


def test_database_store_api_key_record(db_app: tuple[Flask, Toolkit]) -> None:
    app, toolkit = db_app
    with app.app_context():
        key, key_id = toolkit.auth.create_api_key("u-9", version=None, name="bot")
        record = toolkit.auth.get_store().get_api_key(key_id)
    assert record is not None
    assert (record.key_id, record.user_id, record.version, record.name) == (
        key_id,
        "u-9",
        None,
        "bot",
    )


def test_database_store_api_key_revokes_itself(
    db_app: tuple[Flask, Toolkit],
) -> None:
    app, toolkit = db_app
    from flask_toolkit import current_identity

    @app.post("/me/revoke")
    @login_required
    def revoke() -> dict[str, t.Any]:
        toolkit.auth.revoke_current()
        return {"revoked": current_identity.credential_id}

    with app.app_context():
        key, key_id = toolkit.auth.create_api_key(Identity("u-1", version=1))
    client = app.test_client()
    response = client.post("/me/revoke", headers={"X-API-Key": key})
    assert response.json == {"revoked": key_id}
    assert client.get("/me", headers={"X-API-Key": key}).status_code == 401


def test_memory_store_keeps_every_revocation(app: Flask, toolkit: Toolkit) -> None:
    """Revocations without an expiry and with one, one after the other: each token
    stays refused (the store forgets an entry only after its credential expired)."""
    app.config["AUTH_CREDENTIAL_STORE"] = "memory"
    versions = {"u-1": 1}

    @toolkit.auth.identity_loader
    def load(user_id: t.Any) -> Identity | None:
        version = versions.get(user_id)
        return None if version is None else Identity(user_id, version=version)

    @app.get("/me")
    @login_required
    def me() -> dict[str, t.Any]:
        return {"ok": True}

    with app.app_context():
        tokens = [toolkit.auth.issue_token("u-1") for _ in range(3)]
        first = toolkit.auth.decode_token(tokens[0])
        toolkit.auth.revoke(first.jti)  # no expiry given: the longest lifetime
        toolkit.auth.revoke_token(tokens[1])
        assert isinstance(toolkit.auth.get_store(), MemoryStore)
    client = app.test_client()
    statuses = [
        client.get("/me", headers={"Authorization": f"Bearer {token}"}).status_code
        for token in tokens
    ]
    assert statuses == [401, 401, 200]


def test_decode_token_checks_expiry_by_default(app: Flask, toolkit: Toolkit) -> None:
    import time_machine

    from flask_toolkit.auth.tokens import CredentialError

    with app.app_context():
        token = toolkit.auth.issue_token("u-1", version=None)
        with time_machine.travel(time.time() + 2 * 3600, tick=False):
            with pytest.raises(CredentialError):
                toolkit.auth.decode_token(token)
            claims = toolkit.auth.decode_token(token, check_expiry=False)
    assert claims.sub == "u-1"
