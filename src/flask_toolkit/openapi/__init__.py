"""OpenAPI documents built from an app's routes and the forms its views validate with.

``.document`` builds documents from described endpoints; ``.generator``
describes every route of an app from its decorators; ``.views`` serves it with a
docs page (``TOOLKIT_API_DOCS``).
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
from .downgrade import to_openapi_30
from .generator import app_document
from .generator import describe_blueprint
from .views import init_app

__all__ = [
    "OPENAPI_VERSION",
    "app_document",
    "build_document",
    "describe",
    "describe_blueprint",
    "form_schema",
    "init_app",
    "json_response",
    "nullable",
    "operation",
    "query_parameters",
    "to_openapi_30",
]
