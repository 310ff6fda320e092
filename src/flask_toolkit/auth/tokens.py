"""Signed, expiring bearer tokens and high-entropy API keys.

Tokens are :mod:`itsdangerous` URL-safe, timestamped signatures (HMAC, checked with
:func:`hmac.compare_digest` by itsdangerous) over a small JSON payload::

    {"sub": <user id>, "jti": <random token id>, "exp": <unix time>, "ver": <version>}

signed with the app's ``SECRET_KEY`` (and verified with ``SECRET_KEY_FALLBACKS`` too,
so keys can be rotated) under a dedicated salt, ``AUTH_TOKEN_SALT``: a session cookie or
another itsdangerous signature of the same app is never accepted as a token.

Checking a signature costs more than the rest of the auth path together, so the last
``AUTH_TOKEN_CACHE_SIZE`` tokens whose signature verified are remembered by their exact
text. Expiry, revocation and the user's credential version are still checked on every
request; the cache is emptied when the secret keys change.

API keys look like ``tk_<key id>.<secret>``: the key id is public and used to find the
stored record, the secret is 256 random bits of which only a SHA-256 hash is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
import typing as t

from itsdangerous import BadData
from itsdangerous import URLSafeTimedSerializer

#: The longest credential accepted before any parsing (bytes of header value).
MAX_TOKEN_LENGTH = 4096

_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_\-\.]+")
_API_KEY = re.compile(r"tk_([0-9a-f]{16})\.([A-Za-z0-9_\-]{43})")


class CredentialError(ValueError):
    """A credential was present but is not acceptable; ``str(error)`` says why.

    :param msg: the reason, shown to the client.
    :param code: the RFC 6750 error code for the ``WWW-Authenticate`` header.
    """

    def __init__(self, msg: str, code: str = "invalid_token") -> None:
        super().__init__(msg)
        self.code = code


class TokenClaims(t.NamedTuple):
    """What a verified token says."""

    #: The user id the token was issued for.
    sub: t.Any
    #: The token's random id, the key for revocation.
    jti: str
    #: Expiry, as a Unix timestamp.
    exp: float
    #: The credential version the token was issued under.
    ver: t.Any


class TokenSigner:
    """Issue and verify tokens for one set of secret keys.

    :param secret_keys: the keys to verify with, the last one also signs (the order
        itsdangerous uses).
    :param salt: the namespace of these signatures.
    :param cache_size: how many verified tokens to remember; ``0`` disables the cache.
    """

    def __init__(
        self, secret_keys: t.Sequence[str | bytes], salt: str, cache_size: int
    ) -> None:
        self.secret_keys = tuple(secret_keys)
        self.salt = salt
        self._serializer = URLSafeTimedSerializer(
            [k.encode() if isinstance(k, str) else k for k in self.secret_keys],
            salt=salt,
        )
        self._cache: dict[str, TokenClaims] = {}
        self._cache_size = cache_size

    def issue(self, sub: t.Any, *, expires_in: float, version: t.Any = None) -> str:
        """Sign a new token for ``sub`` that expires in ``expires_in`` seconds."""
        claims = {
            "sub": sub,
            "jti": secrets.token_urlsafe(16),
            "exp": int(time.time() + expires_in),
            "ver": version,
        }
        return self._serializer.dumps(claims)

    def verify(self, token: str, *, check_expiry: bool = True) -> TokenClaims:
        """Return the claims of a valid token.

        :param token: the text after ``Bearer``.
        :param check_expiry: ``False`` to accept an expired (but authentic) token, as
            revoking one does.
        :raises CredentialError: if the token is malformed, forged or expired.
        """
        claims = self._cache.get(token)
        if claims is None:
            claims = self._verify_signature(token)
        if check_expiry and claims.exp <= time.time():
            raise CredentialError("The bearer token has expired; request a new one.")
        return claims

    def _verify_signature(self, token: str) -> TokenClaims:
        if len(token) > MAX_TOKEN_LENGTH or not _TOKEN_CHARS.fullmatch(token):
            raise CredentialError("The bearer token is malformed.")
        try:
            data = self._serializer.loads(token)
        except BadData:
            raise CredentialError(
                "The bearer token is not valid: it was not issued by this server or"
                " has been altered."
            ) from None
        if (
            not isinstance(data, dict)
            or data.get("sub") is None
            or not isinstance(data.get("jti"), str)
            or not isinstance(data.get("exp"), (int, float))
        ):
            raise CredentialError("The bearer token is not valid: claims are missing.")
        claims = TokenClaims(data["sub"], data["jti"], data["exp"], data.get("ver"))
        if self._cache_size > 0:
            if len(self._cache) >= self._cache_size:
                self._cache.clear()
            self._cache[token] = claims
        return claims


def generate_api_key() -> tuple[str, str, str]:
    """Make a new API key.

    :return: ``(key, key_id, key_hash)``: give ``key`` to the user once, store
        ``key_id`` and ``key_hash``.
    """
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return f"tk_{key_id}.{secret}", key_id, hash_secret(secret)


def hash_secret(secret: str) -> str:
    """SHA-256 of an API key's secret part (enough for 256 random bits)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_api_key(key: str) -> tuple[str, str]:
    """Split an API key into ``(key_id, secret)``.

    :raises CredentialError: if the key does not have the toolkit's shape.
    """
    match = _API_KEY.fullmatch(key)
    if match is None:
        raise CredentialError("The API key is malformed.")
    return match.group(1), match.group(2)


def check_api_key_secret(secret: str, stored_hash: str) -> bool:
    """Compare an API key's secret with the stored hash in constant time."""
    return hmac.compare_digest(hash_secret(secret), stored_hash)
