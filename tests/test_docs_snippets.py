"""The code samples in the docs run.

Each ``docs/snippets/*.py`` is a script with its own asserts, shown in the docs with
``literalinclude``; here each one runs in a fresh interpreter.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import flask_toolkit

DOCS = Path(__file__).resolve().parents[1] / "docs"
SNIPPETS = sorted((DOCS / "snippets").glob("*.py"))


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[s.name for s in SNIPPETS])
def test_snippet_runs(snippet: Path, tmp_path: Path) -> None:
    # A copy in an empty directory: the snippet's app gets its root and instance
    # folder there, not in the source tree.
    script = tmp_path / snippet.name
    shutil.copyfile(snippet, script)
    # The same flask_toolkit as this test process: the source tree or the install.
    package_parent = str(Path(flask_toolkit.__file__).resolve().parents[1])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (package_parent, env.get("PYTHONPATH")) if p
    )
    result = subprocess.run(
        [sys.executable, "-W", "error", str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, (
        f"docs/snippets/{snippet.name} failed:\n{result.stdout}{result.stderr}"
    )


def test_every_snippet_is_shown_in_the_docs() -> None:
    pages = "\n".join(p.read_text(encoding="utf-8") for p in DOCS.rglob("*.rst"))
    included = set(re.findall(r"literalinclude::\s*\S*?snippets/(\S+\.py)", pages))
    assert {s.name for s in SNIPPETS} - included == set()
