"""What auth keeps per app, and the way to the current app's :class:`~.core.Auth`.

Below :mod:`.core`, :mod:`.authenticate` and :mod:`.sessions`, so those never import
each other in a circle.
"""

from __future__ import annotations

import dataclasses
import typing as t

from ..state import get_state
from .decorators import Protection
from .stores import CredentialStore
from .tokens import TokenSigner

if t.TYPE_CHECKING:
    from .core import Auth


@dataclasses.dataclass
class AuthState:
    """What ``toolkit.auth`` keeps per app, in ``get_state(app).components["auth"]``."""

    signer: TokenSigner | None = None
    #: (SECRET_KEY, SECRET_KEY_FALLBACKS, AUTH_TOKEN_SALT) the signer was built from.
    signer_source: tuple[t.Any, ...] = ()
    store: CredentialStore | None = None
    #: (endpoint, method) -> Protection, filled on first use.
    protection: dict[tuple[str, str], Protection] = dataclasses.field(
        default_factory=dict
    )
    #: Where the first request took the auth hook out of ``before_request_funcs``
    #: (the app needed none of it); ``None`` while it is installed.
    hook_index: int | None = None


def get_auth() -> Auth:
    """The :class:`~.core.Auth` of the current app's toolkit."""
    return t.cast("Auth", get_state().toolkit.auth)
