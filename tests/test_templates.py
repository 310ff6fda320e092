"""Forms built from per-class templates behave like freshly bound WTForms forms."""

from __future__ import annotations

import decimal
import itertools
import typing as t

from flask import Flask
from wtforms import DecimalField
from wtforms import FieldList
from wtforms import FloatField
from wtforms import FormField
from wtforms import IntegerField
from wtforms import SelectField
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms.validators import InputRequired

from flask_toolkit import MetaForm
from flask_toolkit.forms.templates import wants_decimal


def from_request(
    app: Flask, form_class: type[MetaForm], body: str, **headers: str
) -> t.Any:
    with app.test_request_context(
        "/", method="POST", data=body, content_type="application/json", headers=headers
    ):
        form = form_class()
        form.validate()
        return form


def test_forms_do_not_share_state(app: Flask) -> None:
    class Form(MetaForm):
        name = StringField(validators=[InputRequired()])
        tags = FieldList(StringField())

    first = from_request(app, Form, '{"tags": ["a"]}')
    second = from_request(app, Form, '{"name": "b"}')
    assert first.errors == {"name": ["This field is required."]}
    assert second.errors == {}
    assert first.tags.data == ["a"] and second.tags.data == []
    assert first.name is not second.name
    assert first.name.meta is first.meta and second.name._form == second


def test_callable_defaults_and_choices_are_fresh(app: Flask) -> None:
    counter = itertools.count()

    def choices() -> list[str]:
        return [f"c{next(counter)}"]

    class Form(MetaForm):
        serial = IntegerField(default=lambda: next(counter))
        pick = SelectField(choices=choices)
        many = SelectMultipleField(choices=["a", "b"], default=["a"])

    first = from_request(app, Form, "{}")
    second = from_request(app, Form, "{}")
    assert first.serial.data != second.serial.data
    assert first.pick.choices != second.pick.choices
    first.many.data.append("b")
    assert second.many.data == ["a"]


def test_a_field_added_to_the_class_is_seen(app: Flask) -> None:
    class Form(MetaForm):
        name = StringField()

    assert from_request(app, Form, '{"extra": "x"}').errors == {
        "extra": ["Unknown field."]
    }
    Form.extra = StringField()
    assert from_request(app, Form, '{"extra": "x"}').errors == {}


def test_language_per_request(app: Flask) -> None:
    class Form(MetaForm):
        name = StringField(validators=[InputRequired()])

    zh = from_request(app, Form, "{}", **{"Accept-Language": "zh"})
    en = from_request(app, Form, "{}")
    assert zh.errors == {"name": ["该字段是必填字段。"]}
    assert en.errors == {"name": ["This field is required."]}


def test_prefix_on_the_fast_path(app: Flask) -> None:
    class Form(MetaForm):
        name = StringField()

    with app.test_request_context("/", method="POST", json={"p-name": "x"}):
        form = Form(prefix="p")
        assert form.validate() and form.valid_data == {"name": "x"}


def test_numbers_are_decimal_only_when_a_form_needs_it(app: Flask) -> None:
    class Plain(MetaForm):
        ratio = FloatField()

    class Inner(MetaForm):
        price = DecimalField()

    class Nested(MetaForm):
        items = FieldList(FormField(Inner))

    assert not wants_decimal(Plain)
    assert wants_decimal(Nested)
    assert from_request(app, Plain, '{"ratio": 0.1}').ratio.data == 0.1
    nested = from_request(app, Nested, '{"items": [{"price": 0.1}]}')
    assert nested.valid_data == {"items": [{"price": decimal.Decimal("0.1")}]}


def test_subclass_with_its_own_init_is_built_normally(app: Flask) -> None:
    class Form(MetaForm):
        name = StringField()

        def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
            super().__init__(*args, **kwargs)
            self.built_by_init = True

    with app.test_request_context("/", method="POST", json={"name": "x"}):
        form = Form.from_request()
        assert form.built_by_init and form.validate()
        assert form.valid_data == {"name": "x"}


def test_a_dropped_form_is_freed_without_the_cycle_collector(app: Flask) -> None:
    import gc
    import weakref

    class Form(MetaForm):
        name = StringField()

    gc.disable()
    try:
        with app.test_request_context("/", method="POST", json={"name": "x"}):
            form = Form()
            assert form.validate()
            ref = weakref.ref(form)
            del form
            assert ref() is None
    finally:
        gc.enable()
