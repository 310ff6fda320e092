"""Hostile input against the scheduler's REST API: huge numbers, lone surrogates and
NULs in bodies and queries never give a 500, and the OpenAPI document lists every
status the API answers to the inputs schemathesis does not think of sending."""

from __future__ import annotations

import json
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
from schemathesis.checks import response_schema_conformance
from schemathesis.checks import status_code_conformance

from tests import _scheduler_api as h

OUT_OF_RANGE = ["Number out of range."]
NOT_UTF8 = "The request body is not valid UTF-8 text."
ZEROS_309 = "1" + "0" * 309


@pytest.fixture(scope="module")
def api_app(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[Flask]:
    app = h.make_app(
        Path(tmp_path_factory.mktemp("hostile")), SCHEDULER_SHUTDOWN_TIMEOUT=1
    )
    yield app
    h.close(app)


@pytest.fixture(scope="module")
def admin(api_app: Flask) -> h.Caller:
    return h.caller(api_app, "admin")


def post_raw(caller: h.Caller, path: str, body: bytes, method: str = "POST") -> t.Any:
    return caller.open(
        method, path, data=body, headers={"Content-Type": "application/json"}
    )


@pytest.mark.parametrize(
    ("body", "status", "msg"),
    [
        (
            b'{"id": "n1", "func": "tests._scheduler_api:job1", "trigger": "interval",'
            b' "minutes": 5, "max_instances": 1e400000}',
            400,
            {"max_instances": OUT_OF_RANGE},
        ),
        (
            b'{"id": "n2", "func": "tests._scheduler_api:job1", "trigger": "interval",'
            b' "minutes": 1e9999999999999999999}',
            400,
            {"minutes": OUT_OF_RANGE},
        ),
        (
            b'{"id": "n3", "func": "tests._scheduler_api:job1", "trigger": "interval",'
            b' "minutes": 5, "args": [1e400000]}',
            400,
            {"args": OUT_OF_RANGE},
        ),
        (
            b'{"id": "\\ud800", "func": "tests._scheduler_api:job1",'
            b' "trigger": "interval", "minutes": 5}',
            400,
            NOT_UTF8,
        ),
        (b'{"id": "\xed\xa0\x80"}', 400, NOT_UTF8),
    ],
)
def test_hostile_job_bodies(
    admin: h.Caller, body: bytes, status: int, msg: t.Any
) -> None:
    answer = post_raw(admin, "/scheduler/jobs", body)
    assert answer.status_code == status
    # The scheduler API adds Flask-APScheduler's error_message to the envelope.
    data = answer.json
    assert data.pop("error_message")
    assert data == {"code": -1, "msg": msg}


@pytest.mark.parametrize("bad", ["9" * 5000, "1e309", "1e-1001"])
def test_large_job_body_with_a_number_out_of_range_is_refused_whole(
    admin: h.Caller, bad: str
) -> None:
    args = ", ".join(["1.5"] * 20_000)
    body = (
        '{"id": "big", "func": "tests._scheduler_api:job1", "trigger": "interval",'
        f' "minutes": 5, "args": [{args}, {bad}]}}'
    )
    answer = post_raw(admin, "/scheduler/jobs", body.encode())
    assert answer.status_code == 400
    assert "out of range" in answer.json["msg"]
    assert admin.get("/scheduler/jobs/big").status_code == 404


@pytest.mark.parametrize("path", ["/scheduler/jobs", "/scheduler/jobs/nosuch/runs"])
@pytest.mark.parametrize("value", [ZEROS_309, "9" * 5000, "9223372036854775808"])
def test_huge_page_numbers(admin: h.Caller, path: str, value: str) -> None:
    answer = admin.get(f"{path}?page={value}")
    assert answer.status_code == 400
    data = answer.json
    assert data.pop("error_message") == "page: " + " ".join(OUT_OF_RANGE)
    assert data == {"code": -1, "msg": {"page": OUT_OF_RANGE}}


_HOSTILE_NUMBER = st.one_of(
    st.integers(min_value=-(10**25), max_value=10**25).map(str),
    st.sampled_from(
        [
            "1e400000",
            "-1e400000",
            "1e9999999999999999999",
            "1e-9999999999999999999",
            ZEROS_309,
            "9" * 5000,
            "1.5e1000",
            "0.000001",
        ]
    ),
)
_HOSTILE_TEXT = st.one_of(
    st.text(max_size=6).map(json.dumps),
    st.sampled_from(['"\\ud800"', '"a\\u0000"', '"\\udfff\\ud800"', '"x"']),
)
_SCALAR = st.one_of(_HOSTILE_NUMBER, _HOSTILE_TEXT, st.sampled_from(["null", "true"]))
_VALUE = st.one_of(
    _SCALAR, st.lists(_SCALAR, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]")
)
_JOB_KEYS = st.sampled_from(
    [
        "name",
        "max_instances",
        "misfire_grace_time",
        "coalesce",
        "seconds",
        "minutes",
        "hours",
        "weeks",
        "jitter",
        "args",
        "kwargs",
        "hour",
        "run_date",
    ]
)


@st.composite
def _job_documents(draw: t.Any) -> str:
    pairs = draw(st.dictionaries(_JOB_KEYS, _VALUE, max_size=4))
    trigger = draw(st.sampled_from(["interval", "cron", "date"]))
    job_id = draw(st.one_of(_HOSTILE_TEXT, st.just('"hostile"')))
    fields = {
        "id": job_id,
        "func": '"tests._scheduler_api:job1"',
        "trigger": json.dumps(trigger),
        **pairs,
    }
    return "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in fields.items()) + "}"


@settings(
    max_examples=200,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(document=_job_documents(), method=st.sampled_from(["POST", "PATCH"]))
def test_generated_hostile_job_bodies_never_fail(
    api_app: Flask, admin: h.Caller, document: str, method: str
) -> None:
    path = "/scheduler/jobs" if method == "POST" else "/scheduler/jobs/hostile"
    answer = post_raw(admin, path, document.encode(), method)
    assert answer.status_code < 500, (document[:200], answer.data[:300])
    if answer.status_code >= 400:
        assert answer.json["code"] == -1
    if answer.status_code == 200:
        with api_app.app_context():
            h.toolkit.scheduler.remove_job(answer.json["id"])


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_document_lists_the_statuses_of_hostile_inputs(
    api_app: Flask, admin: h.Caller
) -> None:
    """Schemathesis, sending what it would not: a credential in the query string on
    every operation, and a DELETE with a body that is not JSON. The answers must be
    ones the document lists."""
    headers = {"Authorization": f"Bearer {admin.token}"}
    schema = schemathesis.openapi.from_wsgi(
        "/scheduler/openapi.json", api_app, headers=headers
    )
    operations = [result.ok() for result in schema.get_all_operations()]
    seen: dict[str, set[int]] = {}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=3,
            derandomize=True,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def run(case: t.Any) -> None:
            case.query = {**(case.query or {}), "access_token": "leaked"}
            response = case.call_and_validate(headers=headers, checks=CHECKS)
            seen.setdefault(case.operation.label, set()).add(response.status_code)

        run()
    assert len(seen) == len(operations)
    assert all(codes == {400} for codes in seen.values()), seen

    delete = next(op for op in operations if op.method.upper() == "DELETE")

    @given(case=delete.as_strategy())
    @settings(
        max_examples=3,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def run_delete(case: t.Any) -> None:
        response = case.call_and_validate(
            headers={**headers, "Content-Type": "text/plain"},
            checks=CHECKS,
            data=b"remove it",
        )
        assert response.status_code == 415

    run_delete()
