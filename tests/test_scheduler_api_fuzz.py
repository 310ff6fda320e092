"""Schemathesis against the API's own OpenAPI document, with real requests: no input
gives a 5xx, and every answer matches the document (status, content type, schema)."""

from __future__ import annotations

import os
import typing as t
from pathlib import Path

import pytest
import schemathesis
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

from tests import _scheduler_api as h

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[Flask]:
    app = h.make_app(
        Path(tmp_path_factory.mktemp("fuzz")), SCHEDULER_SHUTDOWN_TIMEOUT=1
    )
    h.release.set()  # runs of the 'blocker' task the fuzzer schedules end at once
    yield app
    h.close(app)


@pytest.fixture(scope="module")
def headers(fuzz_app: Flask) -> dict[str, str]:
    token = h.caller(fuzz_app, "admin").token
    return {"Authorization": f"Bearer {token}"}


#: Jobs that the cases on ``/jobs/{job_id}`` are pointed at half of the time.
KNOWN = ("known-interval", "known-cron")


def ensure_jobs(app: Flask) -> None:
    with app.app_context():
        manager = h.toolkit.scheduler
        if manager.get_job(KNOWN[0]) is None:
            manager.add_job(KNOWN[0], h.job1, "interval", minutes=5)
        if manager.get_job(KNOWN[1]) is None:
            manager.add_job(KNOWN[1], h.job1, "cron", hour="*/2", args=[1])


#: Examples per operation: 14 operations, so over 500 requests in all (about ten
#: seconds; not marked slow).
#: ``TOOLKIT_FUZZ_EXAMPLES=500`` digs deeper.
EXAMPLES = int(os.environ.get("TOOLKIT_FUZZ_EXAMPLES", "40"))


def test_api_against_its_openapi_document(
    fuzz_app: Flask, headers: dict[str, str]
) -> None:
    schema = schemathesis.openapi.from_wsgi(
        "/scheduler/openapi.json", fuzz_app, headers=headers
    )
    calls = 0
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 14
    for operation in operations:

        @given(case=operation.as_strategy(), known=st.sampled_from([None, *KNOWN]))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            # Same examples on every run, so a failure in CI reproduces locally.
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        )
        def run(case: t.Any, known: str | None) -> None:
            nonlocal calls
            calls += 1
            if known is not None and "job_id" in (case.path_parameters or {}):
                # Random ids only find 404s: aim some cases at jobs that exist.
                case.path_parameters["job_id"] = known
                ensure_jobs(fuzz_app)
            case.call_and_validate(headers=headers, checks=CHECKS)

        run()
    assert calls >= 500


def test_document_is_openapi_31(fuzz_app: Flask, headers: dict[str, str]) -> None:
    doc = fuzz_app.test_client().get("/scheduler/openapi.json", headers=headers).json
    assert doc["openapi"] == "3.1.0"
    assert len(doc["paths"]) == 12
    add = doc["paths"]["/scheduler/jobs"]["post"]
    variants = add["requestBody"]["content"]["application/json"]["schema"]["oneOf"]
    assert [v["properties"]["trigger"] for v in variants] == [
        {"enum": ["date", None]},
        {"const": "interval"},
        {"const": "cron"},
    ]
    assert variants[1]["properties"]["func"] == {
        "enum": sorted(h.toolkit.scheduler.registry)
    }
    assert "tests._scheduler_api:job1" in variants[1]["properties"]["func"]["enum"]
    assert variants[1]["properties"]["minutes"]["maximum"] == 52_560_000
    params = {p["name"] for p in doc["paths"]["/scheduler/jobs"]["get"]["parameters"]}
    assert params == {
        "page",
        "per_page",
        "state",
        "next_run_from",
        "next_run_to",
        "jobstore",
        "sort",
    }
