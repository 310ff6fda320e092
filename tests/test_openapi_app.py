"""The app's OpenAPI document: what each decorator contributes; how it is served."""

from __future__ import annotations

import typing as t
import uuid
from pathlib import Path

import pytest
from flask import Blueprint
from flask import Flask
from flask.views import MethodView
from openapi_spec_validator import validate
from wtforms import IntegerField
from wtforms import StringField
from wtforms.validators import InputRequired
from wtforms.validators import NumberRange

from flask_toolkit import APIError
from flask_toolkit import Identity
from flask_toolkit import login_required
from flask_toolkit import MetaForm
from flask_toolkit import public
from flask_toolkit import require_permission
from flask_toolkit import Toolkit
from flask_toolkit import validate_data
from flask_toolkit.openapi import app_document
from flask_toolkit.openapi import operation
from flask_toolkit.openapi import to_openapi_30

Doc = dict[str, t.Any]


class ItemForm(MetaForm):
    name = StringField(validators=[InputRequired()])
    size = IntegerField(validators=[NumberRange(min=1, max=9)])


class SearchForm(MetaForm):
    q = StringField()
    limit = IntegerField(validators=[NumberRange(min=1, max=50)])


def make_app(tmp_path: Path, **config: t.Any) -> tuple[Flask, Toolkit]:
    app = Flask("docs_app", instance_path=str(tmp_path / "instance"))
    app.config.update(TESTING=True, SECRET_KEY="test secret", **config)
    toolkit = Toolkit()
    toolkit.init_app(app)

    @toolkit.auth.identity_loader
    def load(user_id: t.Any) -> Identity | None:
        return Identity(user_id, ["items:read"] if user_id == 1 else ["*"])

    bp = Blueprint("items", __name__, url_prefix="/api/items")

    @bp.get("/")
    @require_permission("items:read")
    @validate_data(SearchForm)
    def search(form: SearchForm) -> dict[str, t.Any]:
        """Search items.

        Matches names containing ``q``.
        """
        return {"items": []}

    @bp.post("/")
    @require_permission("items:write", "admin:*", any_of=True)
    @validate_data(ItemForm)
    def create(form: ItemForm) -> tuple[dict[str, t.Any], int]:
        if form.name.data == "taken":
            raise APIError(409, "Taken.")
        return {"name": form.name.data}, 201

    @bp.get("/<uuid:item_id>/<any(small, large):size>/<float:weight>")
    @login_required
    def detail(item_id: uuid.UUID, size: str, weight: float) -> dict[str, t.Any]:
        return {}

    @bp.get("/code/<string(length=3):code>/<path:rest>")
    @public
    @operation(summary="By code", responses={200: "Found.", 418: "Teapot."})
    def by_code(code: str, rest: str) -> dict[str, t.Any]:
        return {}

    class Things(MethodView):
        decorators = [login_required]

        def get(self) -> dict[str, t.Any]:
            """List things."""
            return {}

        def delete(self) -> tuple[str, int]:
            return "", 204

    bp.add_url_rule("/things", view_func=Things.as_view("things"))
    app.register_blueprint(bp)

    @app.get("/open")
    def unannotated() -> dict[str, t.Any]:
        return {}

    return app, toolkit


def test_nothing_is_served_unless_switched_on(tmp_path: Path) -> None:
    app, _ = make_app(tmp_path)
    assert app.config["TOOLKIT_API_DOCS"] is False
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert not any(e.startswith("toolkit_api_docs") for e in endpoints)
    assert app.test_client().get("/openapi.json").status_code == 404
    assert app.test_client().get("/docs").status_code == 404


def test_urls_move_and_a_permission_protects_both(tmp_path: Path) -> None:
    app, toolkit = make_app(
        tmp_path,
        TOOLKIT_API_DOCS=True,
        TOOLKIT_OPENAPI_URL="/meta/spec.json",
        TOOLKIT_DOCS_URL="/meta/docs",
        TOOLKIT_API_DOCS_PERMISSION="docs:read",
    )
    client = app.test_client()
    assert client.get("/openapi.json").status_code == 404
    assert client.get("/meta/spec.json").status_code == 401
    assert client.get("/meta/docs").status_code == 401
    with app.app_context():
        reader = toolkit.auth.issue_token(Identity(1, ["items:read"]))
        admin = toolkit.auth.issue_token(Identity(2, ["*"]))
    auth = {"Authorization": f"Bearer {reader}"}
    assert client.get("/meta/spec.json", headers=auth).status_code == 403
    auth = {"Authorization": f"Bearer {admin}"}
    spec = client.get("/meta/spec.json", headers=auth)
    assert spec.status_code == 200
    page = client.get("/meta/docs", headers=auth)
    assert 'data-spec-url="/meta/spec.json"' in page.get_data(as_text=True)
    # The document leaves its own routes out.
    assert not any(path.startswith("/meta") for path in spec.json["paths"])


@pytest.fixture
def doc(tmp_path: Path) -> Doc:
    app, _ = make_app(tmp_path, AUTH_DEFAULT_DENY=True)
    with app.app_context():
        document = app_document(app, title="Items")
    validate(document)
    validate(to_openapi_30(document))
    return document


def test_path_parameters_are_typed_from_converters(doc: Doc) -> None:
    detail = doc["paths"]["/api/items/{item_id}/{size}/{weight}"]["get"]
    schemas = {p["name"]: p["schema"] for p in detail["parameters"]}
    assert schemas == {
        "item_id": {"type": "string", "format": "uuid"},
        "size": {"type": "string", "enum": ["large", "small"]},
        "weight": {"type": "number", "minimum": 0},
    }
    code = doc["paths"]["/api/items/code/{code}/{rest}"]["get"]
    schemas = {p["name"]: p["schema"] for p in code["parameters"]}
    assert schemas["code"]["minLength"] == schemas["code"]["maxLength"] == 3


def test_forms_give_the_query_and_the_body(doc: Doc) -> None:
    search = doc["paths"]["/api/items/"]["get"]
    assert {p["name"]: p["in"] for p in search["parameters"]} == {
        "q": "query",
        "limit": "query",
    }
    assert "requestBody" not in search
    assert search["summary"] == "Search items."
    assert search["description"].startswith("Matches names containing `q`.")
    create = doc["paths"]["/api/items/"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["name"]
    assert body["properties"]["size"]["maximum"] == 9
    assert sorted(create["responses"]) == [
        "201",
        "400",
        "401",
        "403",
        "409",
        "413",
        "415",
        "503",
    ]


def test_access_rules_become_security(doc: Doc) -> None:
    create = doc["paths"]["/api/items/"]["post"]
    assert create["x-permissions-any-of"] == [["items:write", "admin:*"]]
    assert "one of the permissions" in create["description"]
    things = doc["paths"]["/api/items/things"]
    assert things["get"]["summary"] == "List things."
    assert set(things["delete"]["responses"]) >= {"204", "401"}
    assert "content" not in things["delete"]["responses"]["204"]
    assert "403" not in things["get"]["responses"]  # login only: nobody is refused
    code = doc["paths"]["/api/items/code/{code}/{rest}"]["get"]
    assert code["security"] == []
    assert code["summary"] == "By code"  # operation() overrides what it names
    assert code["responses"]["418"] == {"description": "Teapot."}
    assert "401" not in code["responses"]


def test_default_deny_is_shown_truthfully(tmp_path: Path) -> None:
    app, _ = make_app(tmp_path, AUTH_DEFAULT_DENY=True)
    with app.app_context():
        op = app_document(app)["paths"]["/open"]["get"]
    assert op["x-default-deny"] is True
    assert sorted(op["responses"]) == ["400", "401", "403", "503"]
    assert app.test_client().get("/open").status_code == 401
    app, _ = make_app(tmp_path, AUTH_DEFAULT_DENY=False)
    with app.app_context():
        op = app_document(app)["paths"]["/open"]["get"]
    assert op["security"][0] == {}  # a credential is optional
    assert "x-default-deny" not in op
    assert app.test_client().get("/open").status_code == 200


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": ["string", "null"]}, {"type": "string", "nullable": True}),
        (
            {"type": ["integer", "number", "null"]},
            {"anyOf": [{"type": "integer"}, {"type": "number"}], "nullable": True},
        ),
        ({"const": "cron"}, {"enum": ["cron"]}),
        (
            {"enum": ["date", None]},
            {"enum": ["date", None], "nullable": True, "type": "string"},
        ),
        ({"type": "null"}, {"enum": [None], "nullable": True}),
        (
            {"type": "number", "exclusiveMinimum": 0},
            {"type": "number", "minimum": 0, "exclusiveMinimum": True},
        ),
        ({"type": "array"}, {"type": "array", "items": {}}),
        ({"examples": [1, 2], "type": "integer"}, {"example": 1, "type": "integer"}),
    ],
)
def test_downgrade_to_30(schema: Doc, expected: Doc) -> None:
    from flask_toolkit.openapi.downgrade import schema_30

    assert schema_30(schema) == expected


def test_declared_responses_give_the_2xx_schema(tmp_path: Path) -> None:
    import dataclasses

    from flask_toolkit import responds
    from flask_toolkit.db.responses import response_schema

    @dataclasses.dataclass
    class Note:
        id: int
        text: str

    app, _ = make_app(tmp_path)

    @app.post("/api/notes")
    @public
    @responds(Note, status=201)
    def add_note() -> Note:
        return Note(1, "hello")

    @app.get("/api/notes")
    @public
    @responds(Note, many=True)
    def notes() -> list[Note]:
        return [Note(1, "hello")]

    with app.app_context():
        doc = app_document(app)
    validate(doc)
    validate(to_openapi_30(doc))
    created = doc["paths"]["/api/notes"]["post"]["responses"]
    assert "200" not in created
    schema = created["201"]["content"]["application/json"]["schema"]
    assert schema == response_schema(add_note._toolkit_response)  # type: ignore[attr-defined]
    assert set(schema["properties"]) == {"id", "text"}
    listed = doc["paths"]["/api/notes"]["get"]["responses"]["200"]
    assert listed["content"]["application/json"]["schema"]["type"] == "array"
    answer = app.test_client().post("/api/notes")
    assert answer.status_code == 201 and answer.json == {"id": 1, "text": "hello"}


def test_partial_forms_and_sources(tmp_path: Path) -> None:
    import inspect

    if "partial" not in inspect.signature(validate_data).parameters:
        pytest.skip("partial forms and sources= arrive with the REST-semantics work")
    app, _ = make_app(tmp_path)
    partial_data = t.cast(t.Any, validate_data)

    @app.patch("/api/things/<int:thing_id>")
    @public
    @partial_data(ItemForm, partial=True)
    def patch_thing(thing_id: int, form: ItemForm) -> dict[str, t.Any]:
        return {}

    @app.post("/api/things/search")
    @public
    @partial_data(SearchForm, sources="query")
    def search_things(form: SearchForm) -> dict[str, t.Any]:
        return {}

    with app.app_context():
        doc = app_document(app)
    body = doc["paths"]["/api/things/{thing_id}"]["patch"]["requestBody"]
    assert body["required"] is False
    schema = body["content"]["application/json"]["schema"]
    assert "required" not in schema and "partial" in schema["description"]
    search = doc["paths"]["/api/things/search"]["post"]
    assert "requestBody" not in search
    assert {p["name"] for p in search["parameters"]} == {"q", "limit"}
    client = app.test_client()
    assert client.patch("/api/things/1", json={"size": 3}).status_code == 200
    assert client.post("/api/things/search?q=x").status_code == 200


def test_default_version_from_config(tmp_path: Path) -> None:
    app, _ = make_app(tmp_path, TOOLKIT_API_DOCS=True, TOOLKIT_OPENAPI_VERSION="3.0")
    client = app.test_client()
    assert client.get("/openapi.json").json["openapi"] == "3.0.3"
    assert client.get("/openapi.json?version=3.1").json["openapi"] == "3.1.0"
    with pytest.raises(ValueError, match="use '3.1'"):
        make_app(tmp_path, TOOLKIT_API_DOCS=True, TOOLKIT_OPENAPI_VERSION="2.0")


def test_operation_ids_are_unique(tmp_path: Path) -> None:
    app, _ = make_app(tmp_path)

    @app.route("/api/a", methods=["GET", "PUT"])
    @app.route("/api/b", methods=["GET", "PUT"])
    @public
    def shared() -> dict[str, t.Any]:
        return {}

    with app.app_context():
        doc = app_document(app)
    ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
    assert doc["paths"]["/api/a"]["put"]["operationId"] == "shared.put@/api/a"
