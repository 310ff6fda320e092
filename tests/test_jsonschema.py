"""form_schema / query_parameters: forms describe themselves as JSON Schema."""

from __future__ import annotations

import decimal
import typing as t

from wtforms import BooleanField
from wtforms import DecimalField
from wtforms import EmailField
from wtforms import FieldList
from wtforms import FloatField
from wtforms import FormField
from wtforms import IntegerField
from wtforms import SelectField
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms.fields import DateField
from wtforms.validators import AnyOf
from wtforms.validators import DataRequired
from wtforms.validators import Email
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import NoneOf
from wtforms.validators import NumberRange
from wtforms.validators import Regexp

from flask_toolkit import MetaForm
from flask_toolkit.forms.jsonschema import form_schema
from flask_toolkit.forms.jsonschema import query_parameters


class Address(MetaForm):
    street = StringField(validators=[InputRequired()])
    zip_code = StringField(name="zipCode", validators=[Regexp(r"^\d{5}$")])


class Signup(MetaForm):
    name = StringField(validators=[DataRequired(), Length(min=2, max=40)])
    email = StringField(validators=[InputRequired(), Email()])
    contact = EmailField(description="Where we write to.")
    age = IntegerField(validators=[NumberRange(min=18, max=130)])
    ratio = FloatField()
    price = DecimalField(validators=[NumberRange(min=decimal.Decimal("0.5"))])
    newsletter = BooleanField(default=False)
    plan = StringField(validators=[AnyOf(["free", "pro"])])
    username = StringField(validators=[NoneOf(["root", "admin"])])
    size = SelectField(coerce=int, choices=["1", "2"])
    colours = SelectMultipleField(choices=["r", "g"])
    born = DateField()
    address = FormField(Address)
    tags = FieldList(StringField(validators=[Length(max=10)]), max_entries=5)
    others = FieldList(FormField(Address), validators=[Length(min=1)])


def test_types_required_and_constraints() -> None:
    schema = form_schema(Signup)
    props = schema["properties"]
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["name", "email", "address"]
    assert props["name"] == {"type": "string", "minLength": 2, "maxLength": 40}
    assert props["email"] == {"type": "string", "format": "email"}
    assert props["contact"] == {
        "type": ["string", "null"],
        "format": "email",
        "description": "Where we write to.",
    }
    assert props["age"] == {"type": ["integer", "null"], "minimum": 18, "maximum": 130}
    assert props["ratio"] == {"type": ["number", "null"]}
    assert props["price"] == {"type": ["number", "null"], "minimum": 0.5}
    assert props["newsletter"] == {"type": ["boolean", "null"], "default": False}
    assert props["plan"] == {"type": ["string", "null"], "enum": ["free", "pro", None]}
    assert props["username"]["not"] == {"enum": ["root", "admin"]}
    assert props["size"] == {"type": ["integer", "null"], "enum": [1, 2, None]}
    assert props["colours"] == {
        "type": ["array", "null"],
        "items": {"type": "string", "enum": ["r", "g"]},
    }
    assert props["born"] == {"type": ["string", "null"], "format": "date"}


def test_nested_forms_and_lists() -> None:
    props = form_schema(Signup)["properties"]
    address = props["address"]
    assert address["required"] == ["street"]
    assert address["properties"]["zipCode"] == {
        "type": ["string", "null"],
        "pattern": r"^\d{5}$",
    }
    assert props["tags"] == {
        "type": ["array", "null"],
        "items": {"type": ["string", "null"], "maxLength": 10},
        "maxItems": 5,
    }
    others = props["others"]
    assert others["minItems"] == 1
    assert others["items"]["properties"]["street"] == {"type": "string"}


def test_schema_is_a_copy() -> None:
    form_schema(Signup)["properties"].clear()
    assert form_schema(Signup)["properties"]


def test_schema_agrees_with_validation() -> None:
    """A body with the schema's required keys passes; without any one it fails."""

    class Order(MetaForm):
        item = StringField(validators=[DataRequired()])
        count = IntegerField(validators=[InputRequired()])
        note = StringField()
        address = FormField(Address)
        others = FieldList(FormField(Address), validators=[Length(min=1)])

    minimal: dict[str, t.Any] = {
        "item": "tea",
        "count": 0,
        "address": {"street": "Main"},
        "others": [{"street": "Old"}],
    }
    assert Order(json=minimal).validate()
    required = form_schema(Order)["required"]
    assert required == ["item", "count", "address"]
    for key in required:
        form = Order(json={k: v for k, v in minimal.items() if k != key})
        assert not form.validate()
        assert key in form.errors


def test_query_parameters() -> None:
    class Filters(MetaForm):
        state = SelectField(choices=["paused", "running"])
        page = IntegerField(validators=[InputRequired(), NumberRange(min=1)])
        tag = FieldList(StringField())
        nested = FormField(Address)

    params = {p["name"]: p for p in query_parameters(Filters)}
    assert set(params) == {"state", "page", "tag"}
    assert params["page"] == {
        "name": "page",
        "in": "query",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }
    assert params["state"]["schema"]["type"] == "string"
    assert params["tag"]["explode"] is True
