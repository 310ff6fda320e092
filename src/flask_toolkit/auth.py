"""Authentication and permissions, ``toolkit.auth``."""

from __future__ import annotations

from flask import Flask


class Auth:
    """Establish who is calling and check what they may do.

    The identity loaders, token handling and decorators arrive with the Auth feature;
    until then this object only registers itself.
    """

    def init_app(self, app: Flask) -> None:
        """Register the auth hooks on ``app``."""
