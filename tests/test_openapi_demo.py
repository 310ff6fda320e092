"""The demo's generated OpenAPI document, checked against what the demo really does."""

from __future__ import annotations

import re
import typing as t

import pytest
from examples.taskboard import create_app
from examples.taskboard.models import toolkit
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

Doc = dict[str, t.Any]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[Flask]:
    folder = tmp_path_factory.mktemp("openapi-demo")
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/demo.db"},
        instance_path=str(folder),
    )
    yield app
    with app.app_context():
        toolkit.scheduler.shutdown(wait=False)
    toolkit.db.get_engine(app).dispose()


@pytest.fixture(scope="module")
def doc(demo: Flask) -> Doc:
    answer = demo.test_client().get("/openapi.json")
    assert answer.status_code == 200
    return t.cast(Doc, answer.json)


def headers(client: FlaskClient, email: str) -> dict[str, str]:
    password = email.partition("@")[0]
    answer = client.post("/api/auth/token", json={"email": email, "password": password})
    return {"Authorization": f"Bearer {answer.json['token']}"}


def operations(doc: Doc) -> t.Iterator[tuple[str, str, Doc]]:
    for path, item in doc["paths"].items():
        for method, op in item.items():
            yield path, method.upper(), op


def concrete(path: str) -> str:
    path = path.replace("{task_id}", "1").replace("{action}", "pause")
    return path.replace("{job_id}", "purge-done-tasks")


@pytest.mark.parametrize("version", ["3.1", "3.0"])
def test_both_versions_pass_the_validator(demo: Flask, version: str) -> None:
    doc = demo.test_client().get(f"/openapi.json?version={version}").json
    assert doc["openapi"] == {"3.1": "3.1.0", "3.0": "3.0.3"}[version]
    validate(doc)


def test_every_route_is_described_without_hand_written_text(
    demo: Flask, doc: Doc
) -> None:
    described = {(p, m) for p, m, _ in operations(doc)}
    expected = set()
    for rule in demo.url_map.iter_rules():
        if rule.endpoint.endswith("static") or rule.endpoint.startswith(
            "toolkit_api_docs."
        ):
            continue
        path = re.sub(r"<(?:[^<>]*:)?([^<>:]+)>", r"{\1}", rule.rule)
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            expected.add((path, method))
    assert described == expected
    assert len(described) == 34
    create = doc["paths"]["/api/tasks"]["post"]
    # The summary is the view's docstring (the demo's create_task has none: its name).
    assert create["summary"] == "Create task"
    assert create["tags"] == ["api"]
    login = doc["paths"]["/api/auth/token"]["post"]
    assert login["summary"].startswith("For scripts: e-mail and password in")


def test_security_matches_who_gets_in(demo: Flask, doc: Doc) -> None:
    client = demo.test_client()
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["bearerAuth"]["description"],
    }
    assert schemes["apiKeyAuth"]["name"] == "X-API-Key"
    assert schemes["sessionCookie"]["in"] == "cookie"
    for path, method, op in operations(doc):
        if method == "GET":
            answer = client.open(concrete(path), method=method)
            assert str(answer.status_code) in op["responses"], path
            if op["security"] == []:
                assert answer.status_code != 401, path
            elif answer.status_code == 302:  # an HTML page: to the login form
                assert "/?next=" in answer.headers["Location"], path
            else:
                assert answer.status_code == 401, path


def test_permissions_listed_are_the_ones_enforced(demo: Flask, doc: Doc) -> None:
    client = demo.test_client()
    viewer = headers(client, "viewer@example.com")  # tasks:read projects:read
    create_task = doc["paths"]["/api/tasks"]["post"]
    assert create_task["x-permissions"] == ["tasks:write"]
    assert "`tasks:write`" in create_task["description"]
    assert "403" in create_task["responses"]
    refused = client.post("/api/tasks", json={"title": "x"}, headers=viewer)
    assert refused.status_code == 403
    assert doc["paths"]["/api/tasks"]["get"]["x-permissions"] == ["tasks:read"]
    assert client.get("/api/tasks", headers=viewer).status_code == 200
    jobs = doc["paths"]["/scheduler/jobs"]["get"]
    assert jobs["x-permissions"] == ["scheduler:read"]
    assert client.get("/scheduler/jobs", headers=viewer).status_code == 403
    # Public operations carry no lock and no 401 (a bad token leaves them anonymous).
    token_login = doc["paths"]["/api/auth/token"]["post"]
    assert token_login["security"] == []
    # login_required: any credential, no permission.
    me = doc["paths"]["/api/auth/me"]["get"]
    assert me["security"] == [
        {"bearerAuth": []},
        {"apiKeyAuth": []},
        {"sessionCookie": []},
    ]
    assert "x-permissions" not in me
    assert client.get("/api/auth/me", headers=viewer).status_code == 200


def test_error_statuses_are_the_ones_answered(demo: Flask, doc: Doc) -> None:
    client = demo.test_client()
    admin = headers(client, "admin@example.com")
    tasks = doc["paths"]["/api/tasks"]["post"]
    cases = [
        ("POST", "/api/tasks", {"json": {"title": ""}}, 400, tasks),
        # Found by the fuzzer: a project id no key column holds is a field error.
        (
            "POST",
            "/api/tasks",
            {"json": {"title": "x", "project_id": 2**63}},
            400,
            tasks,
        ),
        (
            "POST",
            "/api/tasks",
            {"data": "title=x", "content_type": "text/plain"},
            415,
            tasks,
        ),
        (
            "POST",
            "/api/tasks",
            {"json": {"title": "x" * (2 * 1024 * 1024)}},
            413,
            tasks,
        ),
        (
            "GET",
            "/api/tasks/999",
            {},
            404,
            doc["paths"]["/api/tasks/{task_id}"]["get"],
        ),
        (
            "GET",
            "/api/tasks?page=0",
            {},
            400,
            doc["paths"]["/api/tasks"]["get"],
        ),
    ]
    for method, url, kwargs, status, op in cases:
        answer = client.open(url, method=method, headers=admin, **kwargs)
        assert answer.status_code == status, (url, status)
        assert str(status) in op["responses"]
        assert answer.json["code"] == -1
    first = client.post("/api/projects", json={"name": "Garden"}, headers=admin)
    assert first.status_code == 201
    again = client.post("/api/projects", json={"name": "Garden"}, headers=admin)
    assert again.status_code == 409
    assert "409" in doc["paths"]["/api/projects"]["post"]["responses"]
    envelope = doc["components"]["schemas"]["Error"]
    assert envelope["required"] == ["code", "msg"]
    ref = tasks["responses"]["400"]["content"]["application/json"]["schema"]
    assert ref == {"$ref": "#/components/schemas/Error"}


def test_schemas_come_from_forms_and_converters(demo: Flask, doc: Doc) -> None:
    client = demo.test_client()
    admin = headers(client, "admin@example.com")
    body = doc["paths"]["/api/tasks"]["post"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    assert body["required"] is True
    assert schema["required"] == ["title"]
    assert schema["properties"]["title"]["maxLength"] == 200
    assert schema["additionalProperties"] is False
    too_long = client.post("/api/tasks", json={"title": "x" * 201}, headers=admin)
    assert too_long.status_code == 400 and "title" in too_long.json["msg"]
    (param,) = doc["paths"]["/api/tasks/{task_id}"]["get"]["parameters"]
    assert param == {
        "name": "task_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    }
    listing = {p["name"] for p in doc["paths"]["/api/tasks"]["get"]["parameters"]}
    assert listing == {"page", "per_page"}
    created = doc["paths"]["/api/tasks"]["post"]["responses"]
    assert "201" in created and "200" not in created
    answer = client.post("/api/tasks", json={"title": "x"}, headers=admin)
    assert answer.status_code == 201
    revoke = doc["paths"]["/api/auth/tokens/current"]["delete"]["responses"]["204"]
    assert "content" not in revoke
    index = doc["paths"]["/"]["get"]["responses"]["200"]
    assert list(index["content"]) == ["text/html"]


def test_docs_page_lists_operations_without_javascript(demo: Flask) -> None:
    page = demo.test_client().get("/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-spec-url="/openapi.json"' in html
    assert "<code>/api/tasks/{task_id}</code>" in html
    assert "tasks:write" in html
    with demo.test_client().get("/docs/assets/swagger-ui-bundle.js") as bundle:
        assert bundle.status_code == 200
        assert b"SwaggerUIBundle" in bundle.data


def test_unknown_version_is_a_400(demo: Flask) -> None:
    answer = demo.test_client().get("/openapi.json?version=2.0")
    assert answer.status_code == 400
    message = "Must be 3.1 (the default) or 3.0 (for OpenAPI 3.0 tools)."
    assert answer.json == {"code": -1, "msg": {"version": [message]}}


def test_docs_page_gives_a_logged_in_browser_its_csrf_token(demo: Flask) -> None:

    anonymous = demo.test_client().get("/docs")
    assert 'data-csrf=""' in anonymous.get_data(as_text=True)
    assert "Set-Cookie" not in anonymous.headers
    browser = demo.test_client()
    login = {"email": "demo@example.com", "password": "demo"}
    assert browser.post("/api/auth/login", json=login).status_code == 200
    page = browser.get("/docs").get_data(as_text=True)
    match = re.search(r'data-csrf="([^"]+)"', page)
    assert match is not None
    refused = browser.post("/api/tasks", json={"title": "from the docs page"})
    assert refused.status_code == 400  # no CSRF token
    created = browser.post(
        "/api/tasks",
        json={"title": "from the docs page"},
        headers={"X-CSRFToken": match.group(1)},
    )
    assert created.status_code == 201


def test_html_pages_are_described_as_html(demo: Flask, doc: Doc) -> None:
    client = demo.test_client()
    admin = headers(client, "admin@example.com")
    jobs = doc["paths"]["/scheduler/dashboard/"]["get"]["responses"]
    assert list(jobs["200"]["content"]) == ["text/html"]
    page = client.get("/scheduler/dashboard/", headers=admin)
    assert page.status_code == 200 and page.mimetype == "text/html"
    # The dashboard answers its errors as pages, and sends browsers to log in.
    assert "text/html" in jobs["403"]["content"]
    assert "Location" in jobs["302"]["headers"]
    assert client.get("/scheduler/dashboard/").status_code == 302
    act = doc["paths"]["/scheduler/dashboard/jobs/{job_id}/{action}"]["post"]
    assert "303" in act["responses"]
    (action,) = [p for p in act["parameters"] if p["name"] == "action"]
    assert action["schema"] == {
        "type": "string",
        "enum": ["delete", "pause", "resume", "run"],
    }
