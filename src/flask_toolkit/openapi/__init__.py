"""OpenAPI documents built from an app's routes and the forms its views validate with.

See :mod:`.document`.
"""

from __future__ import annotations

from .document import build_document
from .document import describe
from .document import form_schema
from .document import json_response
from .document import nullable
from .document import OPENAPI_VERSION
from .document import operation
from .document import query_parameters

__all__ = [
    "OPENAPI_VERSION",
    "build_document",
    "describe",
    "form_schema",
    "json_response",
    "nullable",
    "operation",
    "query_parameters",
]
