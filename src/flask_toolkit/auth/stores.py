"""Where revoked credentials and API keys are kept.

``AUTH_CREDENTIAL_STORE`` picks the store:

``"database"`` (default)
    :class:`DatabaseStore`: two small tables, ``toolkit_revoked_credential`` and
    ``toolkit_api_key``, in the app's own database (``toolkit.db``'s engine), created on
    first use. Copies are added to ``db.metadata`` when the app uses this store, so
    ``db.create_all()`` and migrations manage them with the app's own tables. Every
    process of the app sees a revocation at once.
``"memory"``
    :class:`MemoryStore`: a dict in this process. Fast, but a revocation does not reach
    other worker processes and is lost on restart: for tests and single-process apps.
an object
    anything with the methods of :class:`CredentialStore` (Redis, your own tables ...).
"""

from __future__ import annotations

import json
import math
import threading
import time
import typing as t

import sqlalchemy as sa


class ApiKeyRecord(t.NamedTuple):
    """An API key as stored: never the key itself, only its hash."""

    key_id: str
    user_id: t.Any
    key_hash: str
    name: str
    version: t.Any


@t.runtime_checkable
class CredentialStore(t.Protocol):
    """What a credential store provides. Implement it to keep revocations elsewhere."""

    def revoke(self, credential_id: str, expires_at: float) -> None:
        """Remember that ``credential_id`` is revoked until ``expires_at`` (Unix time);
        after that the credential has expired anyway and the entry may be dropped."""

    def is_revoked(self, credential_id: str) -> bool:
        """Tell whether ``credential_id`` was revoked."""

    def add_api_key(self, record: ApiKeyRecord) -> None:
        """Store a new API key record."""

    def get_api_key(self, key_id: str) -> ApiKeyRecord | None:
        """Return the record of ``key_id``, or ``None`` if there is none."""

    def delete_api_key(self, key_id: str) -> bool:
        """Remove an API key; tell whether it existed."""


class MemoryStore:
    """A per-process :class:`CredentialStore` (tests, single-process apps)."""

    def __init__(self) -> None:
        self._revoked: dict[str, float] = {}
        self._api_keys: dict[str, ApiKeyRecord] = {}
        self._lock = threading.Lock()

    def revoke(self, credential_id: str, expires_at: float) -> None:
        now = time.time()
        with self._lock:
            for key in [k for k, exp in self._revoked.items() if exp < now]:
                del self._revoked[key]
            self._revoked[credential_id] = expires_at

    def is_revoked(self, credential_id: str) -> bool:
        return credential_id in self._revoked

    def add_api_key(self, record: ApiKeyRecord) -> None:
        self._api_keys[record.key_id] = record

    def get_api_key(self, key_id: str) -> ApiKeyRecord | None:
        return self._api_keys.get(key_id)

    def delete_api_key(self, key_id: str) -> bool:
        return self._api_keys.pop(key_id, None) is not None


metadata = sa.MetaData()

revoked_table = sa.Table(
    "toolkit_revoked_credential",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    # Whole Unix seconds: MySQL's FLOAT is single precision, too coarse for a timestamp.
    sa.Column("expires_at", sa.BigInteger, nullable=False, index=True),
)

api_key_table = sa.Table(
    "toolkit_api_key",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    # JSON text, so an int user id comes back as an int.
    sa.Column("user_id", sa.String(255), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("version", sa.String(255), nullable=True),
    sa.Column("created_at", sa.BigInteger, nullable=False),
)


class DatabaseStore:
    """A :class:`CredentialStore` in the app's database, shared by all its processes.

    Each call uses its own short transaction on the engine, independent of
    ``db.session``: a revocation is committed even if the view's work rolls back.

    Checking every request against the table would cost a database round trip per
    request, so the ids of revoked, unexpired credentials are held in memory and
    reloaded at most every ``refresh`` seconds (``AUTH_REVOCATION_REFRESH``). A
    revocation takes effect at once in the process that made it, and within
    ``refresh`` seconds in the others; ``refresh=0`` asks the database every time.

    :param engine: the engine to use (the app's ``toolkit.db`` engine by default).
    :param refresh: how old the in-memory copy of the revocation list may get, in
        seconds.
    """

    def __init__(self, engine: sa.Engine, *, refresh: float = 2.0) -> None:
        self.engine = engine
        self.refresh = refresh
        self._ready = False
        self._lock = threading.Lock()
        self._revoked_lock = threading.Lock()
        self._revoked: set[str] = set()
        self._loaded_at = -float("inf")

    def create_tables(self) -> None:
        """Create the two tables if they do not exist (done on first use)."""
        with self._lock:
            if not self._ready:
                metadata.create_all(self.engine)
                self._ready = True

    def _begin(self) -> t.ContextManager[sa.Connection]:
        if not self._ready:
            self.create_tables()
        return self.engine.begin()

    def revoke(self, credential_id: str, expires_at: float) -> None:
        with self._begin() as conn:
            conn.execute(
                revoked_table.delete().where(revoked_table.c.expires_at < time.time())
            )
            exists = conn.execute(
                sa.select(revoked_table.c.id).where(revoked_table.c.id == credential_id)
            ).first()
            if exists is None:
                conn.execute(
                    revoked_table.insert().values(
                        id=credential_id, expires_at=math.ceil(expires_at)
                    )
                )
        with self._revoked_lock:
            self._revoked.add(credential_id)

    def is_revoked(self, credential_id: str) -> bool:
        if self.refresh <= 0:
            with self._begin() as conn:
                row = conn.execute(
                    sa.select(revoked_table.c.id).where(
                        revoked_table.c.id == credential_id
                    )
                ).first()
            return row is not None
        if time.monotonic() - self._loaded_at >= self.refresh:
            self._reload()
        return credential_id in self._revoked

    def _reload(self) -> None:
        with self._revoked_lock:
            with self._begin() as conn:
                ids = conn.scalars(
                    sa.select(revoked_table.c.id).where(
                        revoked_table.c.expires_at > time.time()
                    )
                ).all()
            self._revoked = set(ids)
            self._loaded_at = time.monotonic()

    def add_api_key(self, record: ApiKeyRecord) -> None:
        with self._begin() as conn:
            conn.execute(
                api_key_table.insert().values(
                    id=record.key_id,
                    user_id=json.dumps(record.user_id),
                    key_hash=record.key_hash,
                    name=record.name,
                    version=json.dumps(record.version),
                    created_at=int(time.time()),
                )
            )

    def get_api_key(self, key_id: str) -> ApiKeyRecord | None:
        table = api_key_table
        with self._begin() as conn:
            row = conn.execute(
                sa.select(
                    table.c.id,
                    table.c.user_id,
                    table.c.key_hash,
                    table.c.name,
                    table.c.version,
                ).where(table.c.id == key_id)
            ).first()
        if row is None:
            return None
        version = json.loads(row.version) if row.version is not None else None
        return ApiKeyRecord(
            row.id, json.loads(row.user_id), row.key_hash, row.name, version
        )

    def delete_api_key(self, key_id: str) -> bool:
        with self._begin() as conn:
            result = conn.execute(
                api_key_table.delete().where(api_key_table.c.id == key_id)
            )
        return bool(result.rowcount)
