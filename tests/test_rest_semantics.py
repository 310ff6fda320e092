"""What a client of a toolkit API can rely on: auth before validation whatever the
decorator order, input from its declared place, null and partial rules, a view
signature checked at import, tokens that carry the user's current version."""

from __future__ import annotations

import dataclasses
import typing as t

import pytest
from flask import Flask
from flask.testing import FlaskClient
from wtforms import BooleanField
from wtforms import IntegerField
from wtforms import StringField
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange

from flask_toolkit import Identity
from flask_toolkit import MetaForm
from flask_toolkit import require_permission
from flask_toolkit import Toolkit
from flask_toolkit import validate_data
from flask_toolkit.forms import form_schema
from flask_toolkit.forms import NotNull
from flask_toolkit.forms import Nullable

from . import _orm_models


class TaskForm(MetaForm):
    title = StringField(validators=[InputRequired(), Length(max=20)])
    priority = IntegerField(validators=[NotNull(), NumberRange(min=0, max=5)])
    note = StringField()
    owner = IntegerField(validators=[InputRequired(), Nullable()])


class ModelForm(MetaForm):
    class Meta:
        model = _orm_models.Task

    title = StringField()
    done = BooleanField()
    due = StringField()


class SearchForm(MetaForm):
    q = StringField()


class BothForm(MetaForm):
    class Meta:
        sources = "both"

    q = StringField()


@dataclasses.dataclass
class User:
    id: int
    permissions: list[str]
    version: int = 1


def owns(identity: Identity, task_id: int) -> bool:
    return task_id == identity.id


@pytest.fixture
def users(app: Flask, toolkit: Toolkit) -> dict[int, User]:
    users = {1: User(1, ["tasks:write"]), 2: User(2, [])}

    @toolkit.auth.identity_loader
    def load(user_id: t.Any) -> Identity | None:
        user = users.get(user_id)
        if user is None:
            return None
        return Identity(user.id, user.permissions, version=user.version)

    app.config["AUTH_CREDENTIAL_STORE"] = "memory"

    @app.post("/validated-first")
    @validate_data(TaskForm)
    @require_permission("tasks:write")
    def validated_first(form: TaskForm) -> dict[str, t.Any]:
        return {"sent": form.sent_data}

    @app.post("/guarded-first")
    @require_permission("tasks:write")
    @validate_data(TaskForm)
    def guarded_first(form: TaskForm) -> dict[str, t.Any]:
        return {"sent": form.sent_data}

    @app.patch("/tasks/<int:task_id>")
    @validate_data(TaskForm, partial=True)
    @require_permission("tasks:write", check=owns)
    def patch_task(task_id: int, form: TaskForm) -> dict[str, t.Any]:
        return {"sent": form.sent_data}

    @app.route("/search", methods=["GET", "POST", "DELETE"])
    @validate_data(SearchForm)
    def search(form: SearchForm) -> dict[str, t.Any]:
        return {"sent": form.sent_data}

    @app.post("/search-query")
    @validate_data(SearchForm, sources="query")
    def search_query(form: SearchForm) -> dict[str, t.Any]:
        return {"sent": form.sent_data}

    @app.post("/both")
    @validate_data(BothForm)
    def both(form: BothForm) -> dict[str, t.Any]:
        return {"sent": form.sent_data}

    @app.post("/named")
    @validate_data(SearchForm, param="data")
    def named(data: SearchForm) -> dict[str, t.Any]:
        return {"sent": data.sent_data}

    return users


def bearer(app: Flask, toolkit: Toolkit, user_id: int, **kwargs: t.Any) -> FlaskClient:
    client = app.test_client()
    token = toolkit.auth.issue_token(user_id, **kwargs)
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


VALID = {"title": "Dig", "owner": 1}


@pytest.mark.parametrize("path", ["/validated-first", "/guarded-first"])
@pytest.mark.parametrize("body", [{}, {"title": 5, "secret": 1}, VALID])
def test_auth_decides_before_validation_whatever_the_order(
    app: Flask,
    toolkit: Toolkit,
    users: dict[int, User],
    path: str,
    body: dict[str, t.Any],
) -> None:
    anonymous = app.test_client().post(path, json=body)
    assert anonymous.status_code == 401
    assert anonymous.json["msg"].startswith("Authentication is required")
    assert "title" not in str(anonymous.json)
    refused = bearer(app, toolkit, 2).post(path, json=body)
    assert refused.status_code == 403
    assert "title" not in str(refused.json)
    allowed = bearer(app, toolkit, 1).post(path, json=body)
    assert allowed.status_code == (200 if body is VALID else 400)


def test_object_level_check_still_runs(
    app: Flask, toolkit: Toolkit, users: dict[int, User]
) -> None:
    client = bearer(app, toolkit, 1)
    assert client.patch("/tasks/1", json={"note": "x"}).status_code == 200
    assert client.patch("/tasks/2", json={"note": "x"}).status_code == 403


@pytest.mark.parametrize(
    "body, status, answer",
    [
        ({}, 200, {"sent": {}}),
        ({"note": None}, 200, {"sent": {"note": None}}),
        ({"owner": None}, 200, {"sent": {"owner": None}}),
        ({"priority": 3}, 200, {"sent": {"priority": 3}}),
        ({"priority": None}, 400, {"priority": ["This field cannot be null."]}),
        ({"title": None}, 400, {"title": ["This field cannot be null."]}),
        ({"priority": 9}, 400, {"priority": ["Number must be between 0 and 5."]}),
        (
            {"title": "x" * 21},
            400,
            {"title": ["Field cannot be longer than 20 characters."]},
        ),
    ],
)
def test_partial_form_leaves_out_but_still_validates(
    app: Flask,
    toolkit: Toolkit,
    users: dict[int, User],
    body: dict[str, t.Any],
    status: int,
    answer: dict[str, t.Any],
) -> None:
    response = bearer(app, toolkit, 1).patch("/tasks/1", json=body)
    assert response.status_code == status
    assert (response.json if status == 200 else response.json["msg"]) == answer


def test_full_form_requires_and_nullable_allows_null(
    app: Flask, toolkit: Toolkit, users: dict[int, User]
) -> None:
    client = bearer(app, toolkit, 1)
    missing = client.post("/guarded-first", json={})
    assert missing.json["msg"] == {
        "title": ["This field is required."],
        "owner": ["This field is required."],
    }
    ok = client.post("/guarded-first", json={"title": "Dig", "owner": None})
    assert ok.json == {"sent": {"title": "Dig", "owner": None}}


@pytest.mark.parametrize(
    "method, path, kwargs, status, answer",
    [
        ("GET", "/search?q=a", {}, 200, {"q": "a"}),
        ("DELETE", "/search?q=a", {}, 200, {"q": "a"}),
        ("POST", "/search", {"json": {"q": "a"}}, 200, {"q": "a"}),
        (
            "POST",
            "/search?q=a",
            {},
            400,
            {"q": ["Unknown field in the query string: send it in the JSON body."]},
        ),
        (
            "GET",
            "/search",
            {"json": {"q": "a"}},
            400,
            {"q": ["Unknown field in the body: send it in the query string."]},
        ),
        ("POST", "/search?x=1", {}, 400, {"x": ["Unknown field."]}),
        ("POST", "/search-query?q=a", {}, 200, {"q": "a"}),
        ("POST", "/both?q=a", {}, 200, {"q": "a"}),
        ("POST", "/both?q=a", {"json": {"q": "b"}}, 200, {"q": "b"}),
        ("POST", "/named", {"json": {"q": "a"}}, 200, {"q": "a"}),
    ],
)
def test_input_comes_from_its_declared_place(
    app: Flask,
    users: dict[int, User],
    method: str,
    path: str,
    kwargs: dict[str, t.Any],
    status: int,
    answer: dict[str, t.Any],
) -> None:
    response = app.test_client().open(path, method=method, **kwargs)
    assert response.status_code == status
    body = response.json
    assert (body["sent"] if status == 200 else body["msg"]) == answer


def test_a_view_without_the_form_parameter_fails_at_import() -> None:
    def create(data: TaskForm) -> None: ...

    with pytest.raises(TypeError, match=r"param='<your name>'") as caught:
        validate_data(TaskForm)(create)
    assert "create(data) has no parameter 'form'" in str(caught.value)
    validate_data(TaskForm, param="data")(create)

    def any_keywords(**kwargs: t.Any) -> None: ...

    validate_data(TaskForm)(any_keywords)
    with pytest.raises(ValueError, match="sources='json'"):
        validate_data(TaskForm, sources="json")


def test_form_schema_follows_null_and_partial() -> None:
    schema = form_schema(TaskForm)
    props = schema["properties"]
    assert props["priority"]["type"] == "integer"
    assert props["note"]["type"] == ["string", "null"]
    assert props["owner"]["type"] == ["integer", "null"]
    assert schema["required"] == ["title", "owner"]
    assert "required" not in form_schema(TaskForm, partial=True)


def test_tokens_carry_the_current_version_by_default(
    app: Flask, toolkit: Toolkit, users: dict[int, User]
) -> None:
    users[1].version = 7
    client = bearer(app, toolkit, 1)
    assert client.post("/guarded-first", json=VALID).status_code == 200
    users[1].version = 8  # a password change
    stale = client.post("/guarded-first", json=VALID)
    assert stale.status_code == 401
    assert "credential version is no longer the user's" in stale.json["msg"]
    unversioned = bearer(app, toolkit, 1, version=None)
    answer = unversioned.post("/guarded-first", json=VALID)
    assert answer.status_code == 401
    assert "carries no credential version" in answer.json["msg"]
    with pytest.raises(ValueError, match="returned None for user 99"):
        toolkit.auth.issue_token(99)


def test_meta_model_refuses_null_for_not_null_columns() -> None:
    form = ModelForm(json={"title": None, "done": None, "due": None})
    assert not form.validate()
    refused = ["This field cannot be null."]
    assert form.errors == {"title": refused, "done": refused}
    assert form_schema(ModelForm)["properties"] == {
        "title": {"type": "string"},
        "done": {"type": "boolean"},
        "due": {"type": ["string", "null"]},
    }

    class NotAModel(MetaForm):
        class Meta:
            model = dict

        title = StringField()

    with pytest.raises(TypeError, match="Meta.model must be a mapped model class"):
        NotAModel(json={"title": None}).validate()
