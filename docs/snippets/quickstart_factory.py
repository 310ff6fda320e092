from __future__ import annotations

from typing import Any

from flask import Flask

from flask_toolkit import Toolkit

# Create the extension once, at import time, without an app ...
toolkit = Toolkit()


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(config or {})
    # ... and register it on each app the factory builds.
    toolkit.init_app(app)
    return app


# Each app keeps its own state; nothing about an app is stored on `toolkit`.
first = create_app({"TESTING": True})
second = create_app()
assert first.extensions["toolkit"] is not second.extensions["toolkit"]

# Registering the same app twice is a mistake, and the error says what to do instead.
try:
    toolkit.init_app(first)
except RuntimeError as e:
    assert "init_app" in str(e)
else:
    raise AssertionError("a second init_app on one app must fail")
