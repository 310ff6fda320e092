"""The leader lease of a Redis job store: a key naming the holder's connection."""

from __future__ import annotations

import time
import typing as t
import uuid

from .lease import _parse_owner
from .lease import Lease

_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_DELETE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class RedisLease(Lease):
    """A Redis key naming the holder's connection, with a time to live (module doc)."""

    kind = "redis"
    notifies = True

    def __init__(self, client: t.Any, key: str, ttl: float) -> None:
        super().__init__()
        self.client = client
        self.key = key
        self.channel = f"{key}.changes"
        self.ttl_ms = max(int(ttl * 1000), 1000)
        self.value: str | None = None
        self._own: t.Any = None
        self._pubsub: t.Any = None

    def confirm_every(self, interval: float) -> float:
        return max(interval, self.ttl_ms / 3000)

    def _client(self) -> t.Any:
        """This lease's own connection; it never reconnects behind our back."""
        if self._own is None:
            import redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry

            pool = self.client.connection_pool
            kwargs = {**pool.connection_kwargs, "retry": Retry(NoBackoff(), 0)}
            own_pool = redis.ConnectionPool(
                connection_class=pool.connection_class, max_connections=2, **kwargs
            )
            self._own = redis.Redis(
                connection_pool=own_pool, single_connection_client=True
            )
            self.value = f"{self.owner}:{uuid.uuid4().hex}:{self._own.client_id()}"
        return self._own

    def _try_acquire(self) -> bool:
        client = self._client()
        if self.held:
            if client.eval(_RENEW, 1, self.key, self.value, self.ttl_ms):
                return True
            self._drop()  # another process holds it now: stop listening
            return False
        if not client.set(self.key, self.value, nx=True, px=self.ttl_ms):
            current = client.get(self.key)
            if current is None or self._holder_connected(client, current):
                return False
            client.eval(_DELETE, 1, self.key, current)
            if not client.set(self.key, self.value, nx=True, px=self.ttl_ms):
                return False
        self._subscribe(client)
        return True

    @staticmethod
    def _holder_connected(client: t.Any, value: bytes | str) -> bool:
        """Whether the connection named in the lease ``value`` is still open."""
        text = value.decode() if isinstance(value, bytes) else value
        client_id = text.rpartition(":")[2]
        if not client_id.isdigit():
            return True  # an older holder's value: wait for it to expire
        try:
            return bool(client.execute_command("CLIENT", "LIST", "ID", client_id))
        except Exception as e:
            import redis

            if isinstance(e, redis.exceptions.ResponseError):
                return True  # CLIENT refused: only the time to live applies
            raise

    def _subscribe(self, client: t.Any) -> None:
        pubsub = client.pubsub()
        pubsub.subscribe(self.channel)
        # Wait for the confirmation: from now on no announcement is missed.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            message = pubsub.get_message(timeout=0.5)
            if message is not None and message["type"] == "subscribe":
                break
        self._pubsub = pubsub

    def wait_for_change(self, timeout: float) -> bool:
        pubsub = self._pubsub
        if pubsub is None:
            time.sleep(timeout)
            return False
        changed = False
        message = pubsub.get_message(ignore_subscribe_messages=True, timeout=timeout)
        while message is not None:
            changed = True
            message = pubsub.get_message(ignore_subscribe_messages=True, timeout=0)
        return changed

    def _notify(self) -> None:
        self.client.publish(self.channel, b"")

    def _release(self) -> None:
        self._client().eval(_DELETE, 1, self.key, self.value)

    def _drop(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        own, self._own = self._own, None
        for thing in (pubsub, own):
            if thing is not None:
                try:
                    thing.close()
                except Exception:
                    pass
        if own is not None:
            own.connection_pool.disconnect()

    def _holder(self) -> dict[str, t.Any] | None:
        return _parse_owner(self.client.get(self.key))
