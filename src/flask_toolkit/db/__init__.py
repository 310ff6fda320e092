"""The SQLAlchemy 2.x helper: :class:`Database`, sessions, ``to_dict``, pagination.

The modules: :mod:`.database` (``db.Model``, engines and sessions per app),
:mod:`.session` (``session_scope``), :mod:`.serialize` (``to_dict``),
:mod:`.pagination`, :mod:`.responses` (``@responds``: declared answers, and
their schema from :mod:`.schema`), :mod:`.errors` (database failures as 503 / 409
answers) and
:mod:`.lifecycle` (create the database and tables; the CLI commands).
"""

from __future__ import annotations

from .database import Database
from .database import Model
from .pagination import Pagination
from .responses import responds
from .responses import response_schema
from .responses import ResponseSpec
from .serialize import NotLoadedError
from .serialize import to_dict
from .session import SessionScope

__all__ = [
    "Database",
    "Model",
    "NotLoadedError",
    "Pagination",
    "ResponseSpec",
    "response_schema",
    "responds",
    "SessionScope",
    "to_dict",
]
