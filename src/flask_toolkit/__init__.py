"""flask-toolkit: the practices every serious Flask API ends up writing, in one extension."""

from __future__ import annotations

from .errors import APIError
from .errors import api_blueprint
from .extension import Toolkit

__all__ = ["APIError", "Toolkit", "api_blueprint"]
