"""Authentication and permissions, ``toolkit.auth``.

See :doc:`/auth` for the guide. The pieces, one module each:

- :mod:`.identity`: :class:`Identity` and ``current_identity``;
- :mod:`.authenticate`: the ``before_request`` hook that reads credentials;
- :mod:`.tokens`: signed bearer tokens and API keys;
- :mod:`.stores`: where revocations and API key hashes are kept;
- :mod:`.sessions`: ``login_user`` / ``logout_user`` and CSRF;
- :mod:`.cookies`: Flask's session cookie, without its cost for requests without one;
- :mod:`.decorators` and :mod:`.permissions`: access rules;
- :mod:`.challenges`: 401 / 403 / login redirects and ``next`` validation;
- :mod:`.cli`: ``flask toolkit routes``.
"""

from __future__ import annotations

from .challenges import safe_next_url
from .challenges import validated_next
from .core import Auth
from .decorators import login_required
from .decorators import public
from .decorators import require_permission
from .identity import ANONYMOUS
from .identity import current_identity
from .identity import Identity
from .permissions import is_granted
from .sessions import login_user
from .sessions import logout_user
from .stores import ApiKeyRecord
from .stores import CredentialStore
from .stores import DatabaseStore
from .stores import MemoryStore
from .tokens import CredentialError
from .tokens import TokenClaims

__all__ = [
    "ANONYMOUS",
    "ApiKeyRecord",
    "Auth",
    "CredentialError",
    "CredentialStore",
    "DatabaseStore",
    "Identity",
    "MemoryStore",
    "TokenClaims",
    "current_identity",
    "is_granted",
    "login_required",
    "login_user",
    "logout_user",
    "public",
    "require_permission",
    "safe_next_url",
    "validated_next",
]
