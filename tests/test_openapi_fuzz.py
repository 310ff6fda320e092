"""Schemathesis over the whole demo API, from the document the toolkit generates for it.

Every operation of ``/openapi.json`` (the demo's own API, its auth API and the
scheduler API) gets cases generated from its documented parameters and body, sent
through the WSGI transport as an admin with a fresh bearer token; each answer must not
be a 5xx and must match the document: a documented status, content type and schema.
"""

from __future__ import annotations

import functools
import importlib.metadata
import os
import typing as t
from pathlib import Path

import pytest
import schemathesis
import sqlalchemy as sa
from examples.taskboard import auth as demo_auth
from examples.taskboard import create_app
from examples.taskboard.models import toolkit
from flask import Flask
from hypothesis import given
from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st
from schemathesis.checks import content_type_conformance
from schemathesis.checks import not_a_server_error
from schemathesis.checks import response_headers_conformance
from schemathesis.checks import response_schema_conformance
from schemathesis.checks import status_code_conformance
from werkzeug.security import generate_password_hash

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]

#: Examples per operation; the demo has 34 operations, so over 1,000 cases in all.
#: ``TOOLKIT_FUZZ_EXAMPLES=300`` digs deeper.
EXAMPLES = int(os.environ.get("TOOLKIT_FUZZ_EXAMPLES", "40"))
#: Ids that exist, aimed at half of the cases with a ``task_id``.
TASKS = (1, 2)
#: Schemathesis' WSGI transport sets cookies with Werkzeug 2.3's ``set_cookie(key,
#: value)``; Werkzeug 2.2's takes the server name first. There the cases go without
#: the generated session cookie (the bearer token authenticates them anyway).
OLD_WERKZEUG = (
    int(importlib.metadata.version("werkzeug").split(".")[0]) < 3
    and int(importlib.metadata.version("werkzeug").split(".")[1]) < 3
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[Flask]:
    # Password hashing is slow on purpose; the fuzzer logs in and changes passwords
    # hundreds of times, so this test hashes with few rounds (same code path).
    cheap = functools.partial(generate_password_hash, method="pbkdf2:sha256:1000")
    patch = pytest.MonkeyPatch()
    patch.setattr(demo_auth, "generate_password_hash", cheap)
    patch.setattr(demo_auth, "_demo_hashes", {})
    folder = Path(tmp_path_factory.mktemp("openapi-fuzz"))
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/demo.db"},
        instance_path=str(folder),
    )
    yield app
    with app.app_context():
        toolkit.scheduler.shutdown(wait=False)
    toolkit.db.get_engine(app).dispose()
    patch.undo()


def admin_headers(app: Flask) -> dict[str, str]:
    """A fresh token for the admin: the fuzzer revokes tokens and changes passwords."""
    with app.app_context():
        user = toolkit.db.session.scalars(
            sa.select(demo_auth.User).where(demo_auth.User.email == "admin@example.com")
        ).one()
        token = toolkit.auth.issue_token(user.identity())
    return {"Authorization": f"Bearer {token}"}


def ensure_tasks(app: Flask) -> None:
    client = app.test_client()
    headers = admin_headers(app)
    while len(client.get("/api/tasks", headers=headers).json["items"]) < len(TASKS):
        client.post("/api/tasks", json={"title": "fuzz target"}, headers=headers)


def fuzz(demo: Flask, url: str, examples: int) -> int:
    """Run ``examples`` cases per operation of the document at ``url``; count them."""
    schema = schemathesis.openapi.from_wsgi(url, demo)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 34
    ensure_tasks(demo)
    calls = 0
    for operation in operations:

        @given(case=operation.as_strategy(), task=st.sampled_from([None, *TASKS]))
        @settings(
            max_examples=examples,
            deadline=None,
            # Same examples on every run, so a failure in CI reproduces locally
            # (and no example database to keep between runs).
            derandomize=True,
            database=None,
            # Each case is a real request (and a fresh token), far slower than the
            # data generation Hypothesis times.
            suppress_health_check=[HealthCheck.too_slow],
        )
        def run(case: t.Any, task: int | None) -> None:
            nonlocal calls
            calls += 1
            if task is not None and "task_id" in (case.path_parameters or {}):
                case.path_parameters["task_id"] = task
            if OLD_WERKZEUG:
                case.cookies = None
            case.call_and_validate(headers=admin_headers(demo), checks=CHECKS)

        run()
    return calls


def test_demo_api_against_its_generated_document(demo: Flask) -> None:
    assert fuzz(demo, "/openapi.json", EXAMPLES) >= 1000


def test_demo_api_against_the_30_document(demo: Flask) -> None:
    # Fewer cases: this checks that the 3.0 rewrite of the schemas still describes
    # the same answers (nullable, enums), not the API again.
    assert fuzz(demo, "/openapi.json?version=3.0", max(EXAMPLES // 5, 5)) >= 170
