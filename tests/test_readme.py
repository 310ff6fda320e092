"""The README's example is code users copy: run it and check what it promises."""

from __future__ import annotations

import re
import types
from pathlib import Path

from flask_toolkit.testing import identity_client

README = Path(__file__).parent.parent / "README.md"


def load_readme_example() -> types.ModuleType:
    text = README.read_text(encoding="utf-8")
    source = re.search(r"```python\n(.*?)```", text, re.S)
    assert source is not None, "README.md lost its Python example"
    module = types.ModuleType("readme_example")
    exec(compile(source.group(1), str(README), "exec"), module.__dict__)
    return module


def test_readme_example_validates_and_protects() -> None:
    example = load_readme_example()
    app = example.app
    app.testing = True
    anonymous = app.test_client().post("/api/tasks", json={"title": "Ship it"})
    assert anonymous.status_code == 401
    assert anonymous.json["code"] == -1

    client = identity_client(app, 1, ["tasks:write"])
    created = client.post("/api/tasks", json={"title": "Ship it", "priority": 0})
    assert created.status_code == 201
    assert created.json == {"title": "Ship it", "priority": 0}

    bad = client.post("/api/tasks", json={"title": "x", "priority": True, "due": 1})
    assert bad.status_code == 400
    assert set(bad.json["msg"]) == {"priority", "due"}
    example.toolkit.db.get_engine(app).dispose()
