from __future__ import annotations

import importlib.metadata
import typing as t
from pathlib import Path

import pytest
from flask import Flask

from flask_toolkit import Toolkit

pytest_plugins = ["tests._servers", "tests._browser", "pytester"]
# The toolkit's own plugin, unless its entry point is installed (it loads it then).
if not any(
    ep.value == "flask_toolkit.pytest_plugin"
    for ep in importlib.metadata.entry_points(group="pytest11")
):
    pytest_plugins.append("flask_toolkit.pytest_plugin")


@pytest.fixture
def toolkit() -> Toolkit:
    """A fresh, unregistered toolkit."""
    return Toolkit()


@pytest.fixture
def app(tmp_path: Path, toolkit: Toolkit) -> t.Iterator[Flask]:
    """An app on SQLite in a temporary instance folder, with the toolkit registered.

    pytest-flask's ``client`` fixture uses this app.
    """
    app = Flask("test_app", instance_path=str(tmp_path / "instance"))
    app.config.update(TESTING=True, SECRET_KEY="test secret")
    toolkit.init_app(app)
    with app.app_context():
        yield app
    toolkit.db.get_engine(app).dispose()


@pytest.fixture(autouse=True, scope="session")
def _autostart_as_in_production() -> t.Iterator[None]:
    """This suite tests ``SCHEDULER_AUTOSTART = "auto"`` itself: undo the toolkit's
    pytest plugin holding it (the plugin's own tests run it in a new process)."""
    from flask_toolkit.scheduler import options

    held, options.hold_autostart = options.hold_autostart, False
    yield
    options.hold_autostart = held
