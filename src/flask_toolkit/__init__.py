"""flask-toolkit: what every serious Flask API ends up writing, in one extension."""

from __future__ import annotations

from .auth import current_identity
from .auth import Identity
from .auth import login_required
from .auth import login_user
from .auth import logout_user
from .auth import public
from .auth import require_permission
from .db import responds
from .db import to_dict
from .errors import api_blueprint
from .errors import APIError
from .extension import Toolkit
from .forms import MetaForm
from .forms import validate_data

__all__ = [
    "APIError",
    "Identity",
    "current_identity",
    "login_required",
    "login_user",
    "logout_user",
    "public",
    "require_permission",
    "MetaForm",
    "Toolkit",
    "api_blueprint",
    "responds",
    "to_dict",
    "validate_data",
]
