"""@validate_data: bad bodies, envelope, status, languages, async, MethodView."""

from __future__ import annotations

import typing as t

import pytest
from flask import Blueprint
from flask import Flask
from flask.testing import FlaskClient
from flask.views import MethodView
from wtforms import IntegerField
from wtforms import StringField
from wtforms.validators import InputRequired
from wtforms.validators import Length

from flask_toolkit import MetaForm
from flask_toolkit import validate_data


class TaskForm(MetaForm):
    title = StringField(validators=[InputRequired(), Length(max=20)])
    size = IntegerField()


def echo(form: TaskForm) -> dict[str, t.Any]:
    return {"valid": form.valid_data}


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    # Deliberately not under /api: a validated endpoint answers JSON anyway.
    app.add_url_rule(
        "/tasks", view_func=validate_data(TaskForm)(echo), methods=["GET", "POST"]
    )
    return app.test_client()


def test_valid_request_calls_the_view_with_the_form(client: FlaskClient) -> None:
    response = client.post("/tasks", json={"title": "Write docs", "size": 3})
    assert response.status_code == 200
    assert response.json == {"valid": {"title": "Write docs", "size": 3}}


def test_invalid_request_gets_the_envelope(client: FlaskClient) -> None:
    response = client.post("/tasks", json={"size": "3"})
    assert response.status_code == 400
    assert response.json == {
        "code": -1,
        "msg": {
            "title": ["This field is required."],
            "size": ["Not a valid integer value."],
        },
    }


@pytest.mark.parametrize(
    ("raw", "size"), [("1.0", 1), ("-3.00", -3), ("2e0", 2), ("1E+1", 10)]
)
def test_integral_json_number_is_an_integer(
    client: FlaskClient, raw: str, size: int
) -> None:
    # Decided: as in JSON Schema (which our OpenAPI document declares), a number with
    # no fractional part is an integer; the view gets a Python int.
    body = '{"title": "x", "size": ' + raw + "}"
    response = client.post("/tasks", data=body, content_type="application/json")
    assert response.status_code == 200
    assert response.json == {"valid": {"title": "x", "size": size}}
    assert type(response.json["valid"]["size"]) is int


@pytest.mark.parametrize("raw", ["1.5", "-0.5", "1e-1", "true"])
def test_fractional_json_number_is_refused_with_a_type_message(
    client: FlaskClient, raw: str
) -> None:
    body = '{"title": "x", "size": ' + raw + "}"
    response = client.post("/tasks", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json == {
        "code": -1,
        "msg": {"size": ["Not a valid integer value."]},
    }


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"data": "{not json", "content_type": "application/json"}, 400),
        ({"data": b"\xff\xfe{", "content_type": "application/json"}, 400),
        (
            {"data": "[" * 100_000 + "]" * 100_000, "content_type": "application/json"},
            400,
        ),
        ({"json": [1, 2]}, 400),
        ({"json": "text"}, 400),
        ({"json": 3}, 400),
        ({"data": "null", "content_type": "application/json"}, 400),
        ({"data": "title=x", "content_type": "application/x-www-form-urlencoded"}, 415),
        ({"data": '{"title": "x"}', "content_type": "text/plain"}, 415),
        ({"data": '{"title": "x"}', "content_type": ""}, 415),
    ],
)
def test_bad_bodies_get_the_envelope(
    client: FlaskClient, kwargs: dict[str, t.Any], status: int
) -> None:
    response = client.post("/tasks", **kwargs)
    assert response.status_code == status
    assert response.is_json
    assert response.json["code"] == -1
    assert isinstance(response.json["msg"], str)


def test_oversized_body_is_413(app: Flask, client: FlaskClient) -> None:
    app.config["TOOLKIT_VALIDATION_MAX_BODY"] = 100
    response = client.post("/tasks", json={"title": "x" * 200})
    assert response.status_code == 413
    assert response.json == {
        "code": -1,
        "msg": "The request body is larger than 100 bytes.",
    }


def test_flask_max_content_length_is_an_envelope_too(
    app: Flask, client: FlaskClient
) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 10
    app.config["TOOLKIT_VALIDATION_MAX_BODY"] = None
    response = client.post("/tasks", json={"title": "x" * 200})
    assert response.status_code == 413
    assert response.json["code"] == -1


def test_post_reads_the_body_and_get_the_query_string(client: FlaskClient) -> None:
    response = client.post("/tasks?title=From+query")
    assert response.status_code == 400
    assert response.json["msg"] == {
        "title": ["Unknown field in the query string: send it in the JSON body."]
    }
    response = client.get("/tasks?title=x&size=2")
    assert response.json == {"valid": {"title": "x", "size": 2}}


def test_status_and_envelope_follow_config(app: Flask, client: FlaskClient) -> None:
    app.config["TOOLKIT_VALIDATION_STATUS"] = 422
    app.config["TOOLKIT_ERROR_FORMATTER"] = lambda status, msg: {
        "error": msg,
        "status": status,
    }
    response = client.post("/tasks", json={})
    assert response.status_code == 422
    assert response.json == {
        "error": {"title": ["This field is required."]},
        "status": 422,
    }
    assert client.post("/tasks", json=[1]).status_code == 422


@pytest.mark.parametrize(
    ("header", "required", "integer"),
    [
        ("zh", "该字段是必填字段。", "不是有效的整数。"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "该字段是必填字段。", "不是有效的整数。"),
        ("zh-TW", None, None),
        ("en-US,en;q=0.9", "This field is required.", "Not a valid integer value."),
        ("xx-YY", "This field is required.", "Not a valid integer value."),
        ("*;q=x, ;;,", "This field is required.", "Not a valid integer value."),
        ("de;q=0, fr", None, None),
    ],
)
def test_messages_follow_accept_language(
    client: FlaskClient, header: str, required: str | None, integer: str | None
) -> None:
    response = client.post(
        "/tasks", json={"size": True}, headers={"Accept-Language": header}
    )
    assert response.status_code == 400
    msg = response.json["msg"]
    if required is not None:
        assert msg["title"] == [required]
    else:  # another language (wording differs between WTForms versions)
        assert msg["title"] not in (["This field is required."], ["该字段是必填字段。"])
    if integer is not None:
        assert msg["size"] == [integer]


def test_own_messages_are_translated(client: FlaskClient) -> None:
    headers = {"Accept-Language": "zh-CN"}
    response = client.post("/tasks", json={"title": 1, "x": 1}, headers=headers)
    assert response.json["msg"] == {
        "title": ["不是有效的字符串。"],
        "x": ["未知字段。"],
    }
    response = client.post(
        "/tasks", data="{", content_type="application/json", headers=headers
    )
    assert response.json["msg"] == "请求体不是有效的 JSON。"


def test_translation_can_be_turned_off(app: Flask, client: FlaskClient) -> None:
    app.config["TOOLKIT_VALIDATION_TRANSLATE"] = False
    response = client.post("/tasks", json={}, headers={"Accept-Language": "zh"})
    assert response.json["msg"] == {"title": ["This field is required."]}


def test_async_view(app: Flask) -> None:
    @app.post("/async")
    @validate_data(TaskForm)
    async def create(form: TaskForm) -> dict[str, t.Any]:
        return {"title": form.title.data}

    client = app.test_client()
    assert client.post("/async", json={"title": "a"}).json == {"title": "a"}
    assert client.post("/async", json={}).status_code == 400


def test_blueprint_view_with_url_arguments(app: Flask) -> None:
    bp = Blueprint("tasks", __name__, url_prefix="/bp")

    @bp.patch("/tasks/<int:task_id>")
    @validate_data(TaskForm)
    def update(task_id: int, form: TaskForm) -> dict[str, t.Any]:
        return {"id": task_id, **form.valid_data}

    app.register_blueprint(bp)
    client = app.test_client()
    assert client.patch("/bp/tasks/7", json={"title": "x"}).json == {
        "id": 7,
        "title": "x",
    }
    assert (
        client.patch("/bp/tasks/7", data="x", content_type="text/plain").status_code
        == 415
    )


def test_method_view_methods_and_decorators(app: Flask) -> None:
    class Decorated(MethodView):
        def get(self) -> dict[str, t.Any]:
            return {"ok": True}

        @validate_data(TaskForm)
        def post(self, form: TaskForm) -> dict[str, t.Any]:
            return form.valid_data

    class Listed(MethodView):
        decorators = [validate_data(TaskForm)]

        def put(self, form: TaskForm) -> dict[str, t.Any]:
            return form.valid_data

    app.add_url_rule("/mv1", view_func=Decorated.as_view("mv1"))
    app.add_url_rule("/mv2", view_func=Listed.as_view("mv2"))
    client = app.test_client()
    assert client.get("/mv1").json == {"ok": True}
    assert client.post("/mv1", json={"title": "a"}).json == {"title": "a"}
    assert client.post("/mv1", json={"title": 1}).status_code == 400
    assert client.put("/mv2", json={"title": "b"}).json == {"title": "b"}
    assert client.put("/mv2", json={"bad": 1}).status_code == 400


def test_metaform_in_a_view_raises_the_envelope_on_api_routes(app: Flask) -> None:
    @app.post("/api/direct")
    def direct() -> dict[str, t.Any]:
        form = TaskForm()
        return {"valid": form.validate()}

    client = app.test_client()
    assert client.post("/api/direct", json={"title": "a"}).json == {"valid": True}
    response = client.post("/api/direct", data="{", content_type="application/json")
    assert response.status_code == 400
    assert response.json["code"] == -1


def test_missing_toolkit_says_how_to_fix() -> None:
    app = Flask(__name__)
    app.add_url_rule("/t", view_func=validate_data(TaskForm)(echo), methods=["POST"])
    app.config["PROPAGATE_EXCEPTIONS"] = True
    with pytest.raises(RuntimeError, match="init_app"):
        app.test_client().post("/t", json={})


def test_pinned_locale_and_unknown_pins_fall_back() -> None:
    class German(MetaForm):
        class Meta:
            locales = ["xx", "de"]

        title = StringField(validators=[InputRequired()])

    class Unknown(MetaForm):
        class Meta:
            locales = ["xx-YY"]

        title = StringField(validators=[InputRequired()])

    german = German(json={})
    assert not german.validate()
    assert german.errors["title"] != ["This field is required."]
    unknown = Unknown(json={})
    assert not unknown.validate()
    assert unknown.errors == {"title": ["This field is required."]}
