"""MetaForm: JSON and query-string input reach WTForms fields as a user expects."""

from __future__ import annotations

import decimal
import typing as t

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField
from wtforms import DecimalField
from wtforms import FieldList
from wtforms import FloatField
from wtforms import FormField
from wtforms import IntegerField
from wtforms import SelectField
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms.fields import DateField
from wtforms.validators import DataRequired
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional

from flask_toolkit import MetaForm
from flask_toolkit.forms.jsonfields import AllowNonFinite


def check(
    form_class: type[MetaForm], body: t.Any = None, query: t.Any = None
) -> MetaForm:
    form = form_class(json=body or {}, query=MultiDict(query) if query else None)
    form.validate()
    return form


class Required(MetaForm):
    number = IntegerField(validators=[InputRequired()])
    flag = BooleanField(validators=[InputRequired()])
    ratio = FloatField(validators=[DataRequired()])
    text = StringField(validators=[InputRequired()])


# -- required means present ----------------------------------------------------------


def test_falsy_values_are_values() -> None:
    form = check(Required, {"number": 0, "flag": False, "ratio": 0.0, "text": ""})
    assert form.errors == {}
    assert form.valid_data == {"number": 0, "flag": False, "ratio": 0.0, "text": ""}


@pytest.mark.parametrize(
    "body, message",
    [
        ({}, "This field is required."),
        (
            {"number": None, "flag": None, "ratio": None, "text": None},
            "This field cannot be null.",
        ),
    ],
)
def test_missing_and_null_are_refused(body: dict[str, t.Any], message: str) -> None:
    form = check(Required, body)
    assert form.errors == {
        name: [message] for name in ("number", "flag", "ratio", "text")
    }


class Presence(MetaForm):
    data = StringField(validators=[DataRequired()])
    items = FieldList(IntegerField(), validators=[DataRequired()])
    opt = IntegerField(validators=[Optional(), NumberRange(min=5)])


def test_data_required_refuses_blank_strings_and_empty_lists() -> None:
    form = check(Presence, {"data": "  ", "items": []})
    assert form.errors == {
        "data": ["This field is required."],
        "items": ["This field is required."],
    }


def test_optional_skips_missing_and_null_but_checks_values() -> None:
    assert check(Presence, {"data": "x", "items": [0], "opt": None}).errors == {}
    assert check(Presence, {"data": "x", "items": [0]}).errors == {}
    assert "opt" in check(Presence, {"data": "x", "items": [0], "opt": 1}).errors


def test_optional_treats_an_empty_query_value_as_missing() -> None:
    form = check(Presence, {"data": "x", "items": [1]}, {"opt": ""})
    assert form.errors == {}


# -- strict JSON types in the body, coercion from the query string --------------------


class Typed(MetaForm):
    number = IntegerField()
    text = StringField()
    ratio = FloatField()
    price = DecimalField()
    flag = BooleanField()
    nonfinite = FloatField(validators=[AllowNonFinite()])
    when = DateField()


@pytest.mark.parametrize("value", [True, 1.5, "abc", "1", [1], {"a": 1}])
def test_integer_field_refuses_other_json_types(value: t.Any) -> None:
    form = check(Typed, {"number": value})
    assert form.errors == {"number": ["Not a valid integer value."]}


def test_integer_field_takes_integral_numbers() -> None:
    assert check(Typed, {"number": decimal.Decimal("2.0")}).data["number"] == 2
    assert check(Typed, {"number": -7}).data["number"] == -7


@pytest.mark.parametrize("value", [["a"], {"a": "b"}, 1, 1.5, True])
def test_string_field_refuses_non_strings(value: t.Any) -> None:
    assert check(Typed, {"text": value}).errors == {"text": ["Not a valid string."]}


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_nonfinite_numbers_refused_unless_allowed(value: float) -> None:
    form = check(Typed, {"ratio": value, "price": value, "nonfinite": value})
    assert form.errors == {
        "ratio": ["Not a valid float value."],
        "price": ["Not a valid decimal value."],
    }


def test_decimal_keeps_the_digits_sent(app: Flask) -> None:
    with app.test_request_context(
        "/", method="POST", data='{"price": 1.1}', content_type="application/json"
    ):
        form = Typed()
        assert form.validate()
        assert form.data["price"] == decimal.Decimal("1.1")
        assert str(form.data["price"]) == "1.1"


@pytest.mark.parametrize("value", [1, "true", None])
def test_boolean_field_takes_only_booleans_from_the_body(value: t.Any) -> None:
    form = check(Typed, {"flag": value})
    if value is None:
        assert form.errors == {} and "flag" not in form.valid_data
    else:
        assert form.errors == {"flag": ["Not a valid boolean value."]}


def test_query_values_are_coerced() -> None:
    form = check(
        Typed,
        None,
        {
            "number": "42",
            "ratio": "2.5",
            "price": "3.10",
            "flag": "false",
            "text": "7",
            "when": "2024-05-01",
        },
    )
    assert form.errors == {}
    assert form.valid_data == {
        "number": 42,
        "ratio": 2.5,
        "price": decimal.Decimal("3.10"),
        "flag": False,
        "text": "7",
        "when": __import__("datetime").date(2024, 5, 1),
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("number", "1.5"),
        ("number", "x"),
        ("ratio", "nan"),
        ("flag", "maybe"),
        ("price", "1e"),
    ],
)
def test_bad_query_values_are_type_errors(field: str, value: str) -> None:
    errors = check(Typed, None, {field: value}).errors
    assert list(errors) == [field]
    assert "required" not in errors[field][0]


def test_body_wins_over_query() -> None:
    form = check(Typed, {"number": 1}, {"number": "2"})
    assert form.valid_data == {"number": 1}


class Lists(MetaForm):
    tags = FieldList(StringField(validators=[Length(max=3)]), max_entries=3)
    colours = SelectMultipleField(choices=["r", "g"])
    size = SelectField(coerce=int, choices=["1", "2"])


def test_repeated_query_keys_feed_list_fields() -> None:
    form = check(
        Lists, None, [("tags", "a"), ("tags", "b"), ("colours", "r"), ("colours", "g")]
    )
    assert form.errors == {}
    assert form.valid_data == {"tags": ["a", "b"], "colours": ["r", "g"]}


def test_repeated_query_key_for_a_single_field_is_an_error() -> None:
    form = check(Lists, None, [("size", "1"), ("size", "2")])
    assert form.errors == {"size": ["Send this field only once."]}


def test_select_field_values_keep_their_json_type() -> None:
    assert check(Lists, {"size": 2}).valid_data == {"size": 2}
    assert check(Lists, {"size": "2"}).errors == {
        "size": ["Invalid Choice: could not coerce."]
    }
    assert check(Lists, {"size": 3}).errors == {"size": ["Not a valid choice."]}
    assert check(Lists, None, {"size": "1"}).valid_data == {"size": 1}
    assert "colours" in check(Lists, {"colours": ["x"]}).errors


def test_list_limits_and_item_errors() -> None:
    assert check(Lists, {"tags": ["a", "b", "c", "d"]}).errors == {
        "tags": ["Send at most 3 items."]
    }
    assert check(Lists, {"tags": ["a", 1, "long"]}).errors == {
        "tags": [
            [],
            ["Not a valid string."],
            ["Field cannot be longer than 3 characters."],
        ]
    }
    assert check(Lists, {"tags": "a"}).errors == {"tags": ["Expected a list."]}


# -- unknown fields, names, prefix, csrf ----------------------------------------------


class Address(MetaForm):
    street = StringField(validators=[InputRequired()])
    zip_code = StringField(name="zipCode")


class Person(MetaForm):
    first_name = StringField(name="firstName")
    address = FormField(Address)
    previous = FieldList(FormField(Address))


def test_unknown_fields_everywhere_are_errors() -> None:
    form = check(
        Person,
        {
            "firstName": "Ada",
            "first_name": "attribute names are not keys",
            "address": {"street": "Main", "extra": 1},
            "previous": [{"street": "Old", "zipCode": "1", "bogus": 2}],
        },
        {"debug": "1"},
    )
    assert form.errors == {
        "first_name": ["Unknown field."],
        "debug": ["Unknown field."],
        "address": {"extra": ["Unknown field."]},
        "previous": [{"bogus": ["Unknown field."]}],
    }


def test_field_name_is_matched_not_attribute() -> None:
    form = check(
        Person, {"firstName": "Ada", "address": {"street": "x", "zipCode": "1"}}
    )
    assert form.errors == {}
    assert form.valid_data == {
        "first_name": "Ada",
        "address": {"street": "x", "zip_code": "1"},
    }


def test_unknown_fields_can_be_ignored() -> None:
    class Lenient(MetaForm):
        class Meta:
            unknown_fields = "ignore"

        name = StringField()

    assert check(Lenient, {"name": "a", "other": 1}).errors == {}


def test_prefix_is_part_of_the_key() -> None:
    form = Person(json={"p-firstName": "Ada", "p-address": {"street": "x"}}, prefix="p")
    assert form.validate(), form.errors
    assert form.valid_data["first_name"] == "Ada"
    form = Person(json={"firstName": "Ada", "p-address": {"street": "x"}}, prefix="p")
    assert not form.validate()
    assert form.errors == {"firstName": ["Unknown field."]}


def test_csrf_token_is_ignored_without_csrf() -> None:
    form = check(Person, {"csrf_token": "abc", "address": {"street": "x"}})
    assert form.errors == {}
    assert "csrf_token" not in form.valid_data


def test_csrf_token_is_a_field_with_csrf(app: Flask) -> None:
    from wtforms.csrf.session import SessionCSRF

    class Protected(MetaForm):
        class Meta:
            csrf = True
            csrf_class = SessionCSRF
            csrf_secret = b"secret"

        name = StringField()

    with app.test_request_context("/"):
        from flask import session

        form = Protected(
            json={"name": "a", "csrf_token": "forged"}, meta={"csrf_context": session}
        )
        assert not form.validate()
        assert list(form.errors) == ["csrf_token"]


# -- nested data ----------------------------------------------------------------------


def test_nested_errors_come_back_by_path() -> None:
    form = check(Person, {"address": {"zipCode": 5}, "previous": [{"street": "a"}, {}]})
    assert form.errors == {
        "address": {
            "street": ["This field is required."],
            "zipCode": ["Not a valid string."],
        },
        "previous": [{}, {"street": ["This field is required."]}],
    }


@pytest.mark.parametrize("value", [[], "x", 1])
def test_nested_form_needs_an_object(value: t.Any) -> None:
    assert check(Person, {"address": value}).errors == {
        "address": ["Expected a JSON object."]
    }


def test_nested_form_from_query_is_refused() -> None:
    errors = check(Person, {}, {"address": "x"}).errors
    assert errors["address"] == ["Send this field in the JSON body."]


# -- valid_data ----------------------------------------------------------------------


class Patch(MetaForm):
    title = StringField()
    done = BooleanField()
    tags = FieldList(StringField())
    due = IntegerField(default=3)


def test_valid_data_is_patch_safe() -> None:
    form = check(Patch, {"title": "x"})
    assert form.valid_data == {"title": "x"}
    assert form.data["done"] is False  # WTForms' own view, unchanged


def test_sent_data_shows_explicit_nulls() -> None:
    form = check(Patch, {"title": None, "done": True, "due": None})
    assert form.valid_data == {"done": True}
    assert form.sent_data == {"title": None, "done": True, "due": None}


def test_filters_and_inline_validators_run() -> None:
    class Clean(MetaForm):
        name = StringField(filters=[lambda v: v.strip() if isinstance(v, str) else v])

        def validate_name(self, field: t.Any) -> None:
            from wtforms.validators import ValidationError

            if field.data == "root":
                raise ValidationError("Reserved.")

    assert check(Clean, {"name": "  ada "}).valid_data == {"name": "ada"}
    assert check(Clean, {"name": " root "}).errors == {"name": ["Reserved."]}


def test_plain_wtforms_arguments_still_work() -> None:
    form = Patch(data={"title": "from data"})
    assert form.title.data == "from data"
    with pytest.raises(TypeError):
        Patch(json={}, data={"title": "x"})


def test_custom_parsing_and_process_json_hooks() -> None:
    class CommaList(StringField):
        def process_formdata(self, valuelist: list[t.Any]) -> None:
            self.data = valuelist[0].split(",") if valuelist else []

    class Celsius(FloatField):
        def process_json(self, value: t.Any, from_query: bool) -> float:
            if isinstance(value, str) and value.endswith("C"):
                return float(value[:-1])
            raise ValueError("Write a temperature like '21C'.")

    class Custom(MetaForm):
        words = CommaList()
        temp = Celsius()

    form = check(Custom, {"words": "a,b", "temp": "21C"})
    assert form.valid_data == {"words": ["a", "b"], "temp": 21.0}
    assert check(Custom, {"words": 1, "temp": 21}).errors == {
        "words": ["Not a valid string."],
        "temp": ["Write a temperature like '21C'."],
    }


@pytest.mark.parametrize(
    ("value", "ok"),
    [(0, True), (5, True), (-1, False), (6, False), (2.5, True), (float("nan"), False)],
)
def test_number_range_keeps_wtforms_messages(value: t.Any, ok: bool) -> None:
    class Ranged(MetaForm):
        score = FloatField(validators=[AllowNonFinite(), NumberRange(min=0, max=5)])

    errors = check(Ranged, {"score": value}).errors
    assert errors == ({} if ok else {"score": ["Number must be between 0 and 5."]})


def test_a_plain_wtforms_form_can_be_nested() -> None:
    from wtforms import Form

    class Plain(Form):  # type: ignore[misc]
        count = IntegerField(validators=[InputRequired()])

    class Outer(MetaForm):
        inner = FormField(Plain)

    assert check(Outer, {"inner": {"count": 0}}).valid_data == {"inner": {"count": 0}}
    assert check(Outer, {"inner": {"count": "0", "x": 1}}).errors == {
        "inner": {"count": ["Not a valid integer value."], "x": ["Unknown field."]}
    }
