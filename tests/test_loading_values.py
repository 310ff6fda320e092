"""How field values are loaded (``forms/loading.py``): inline ``filter_<name>`` and
``validate_<name>`` methods, field classes with their own validation, query-string
lists and empty values, partial forms with a query string, prefixes, and what a
field holds (``data``, ``raw_data``, entry names) after loading.

Every form class is defined inside its test: what loading needs to know about a
field is worked out once per form class and kept, so a module-level class would
carry what an earlier run in the same process worked out (as mutation testing's
forked workers do) and hide a change to how it is worked out.
"""

from __future__ import annotations

import typing as t

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict
from wtforms import FieldList
from wtforms import FormField
from wtforms import IntegerField
from wtforms import SelectMultipleField
from wtforms import StringField
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import Optional
from wtforms.validators import ValidationError

from flask_toolkit import MetaForm
from flask_toolkit import validate_data


def envelope(errors: dict[str, t.Any]) -> dict[str, t.Any]:
    return {"code": -1, "msg": errors}


def serve_valid_data(
    app: Flask,
    path: str,
    form_class: type[MetaForm],
    methods: tuple[str, ...] = ("GET",),
) -> FlaskClient:
    """Route ``path`` to a view validated with ``form_class`` that answers
    ``{"valid": form.valid_data}``; return a client of ``app``."""

    @validate_data(form_class)
    def view(form: MetaForm) -> dict[str, t.Any]:
        return {"valid": form.valid_data}

    app.add_url_rule(path, path, view, methods=list(methods))
    return app.test_client()


# -- inline filter_<name> / validate_<name> methods ----------------------------------


def test_inline_filter_methods_clean_body_and_query_values(app: Flask) -> None:
    class Profile(MetaForm):
        name = StringField(validators=[InputRequired()])
        colours = SelectMultipleField(choices=["g", "r"])

        def filter_name(self, value: t.Any) -> t.Any:
            if not isinstance(value, str):
                return value  # the default, None
            value = value.strip().lower()
            if not value.isalpha():
                raise ValueError("Use letters only.")
            return value

        def filter_colours(self, value: t.Any) -> t.Any:
            return sorted(set(value)) if value else value

    client = serve_valid_data(app, "/profile", Profile, methods=("GET", "POST"))
    answer = client.post("/profile", json={"name": "  Ada "})
    assert answer.status_code == 200
    assert answer.json == {"valid": {"name": "ada"}}
    answer = client.get("/profile?name=%20Ada&colours=r&colours=g&colours=r")
    assert answer.status_code == 200
    assert answer.json == {"valid": {"name": "ada", "colours": ["g", "r"]}}
    # A filter refuses a value with ValueError: its message is the field's error.
    answer = client.post("/profile", json={"name": "R2D2"})
    assert answer.status_code == 400
    assert answer.json == envelope({"name": ["Use letters only."]})


def test_inline_methods_of_a_nested_form_run(app: Flask) -> None:
    class Address(MetaForm):
        street = StringField(validators=[InputRequired()])

        def filter_street(self, value: t.Any) -> t.Any:
            return value.strip() if isinstance(value, str) else value

        def validate_street(self, field: t.Any) -> None:
            if field.data == "Nowhere":
                raise ValidationError("No such street.")

    class Person(MetaForm):
        address = FormField(Address)

    client = serve_valid_data(app, "/people", Person, methods=("POST",))
    answer = client.post("/people", json={"address": {"street": " Main "}})
    assert answer.status_code == 200
    assert answer.json == {"valid": {"address": {"street": "Main"}}}
    answer = client.post("/people", json={"address": {"street": " Nowhere"}})
    assert answer.status_code == 400
    assert answer.json == envelope({"address": {"street": ["No such street."]}})


def test_inline_methods_run_for_a_form_built_with_meta_overrides() -> None:
    # meta= makes WTForms bind the fields (no per-class template): same behaviour.
    class Search(MetaForm):
        q = StringField()

        def filter_q(self, value: t.Any) -> t.Any:
            return value.strip().lower() if isinstance(value, str) else value

        def validate_q(self, field: t.Any) -> None:
            if field.data == "root":
                raise ValidationError("Reserved.")

    form = Search(query=MultiDict({"q": " Ada "}), meta={"locales": ["en"]})
    assert form.validate(), form.errors
    assert form.valid_data == {"q": "ada"}
    form = Search(query=MultiDict({"q": "Root"}), meta={"locales": ["en"]})
    assert not form.validate()
    assert form.errors == {"q": ["Reserved."]}


# -- field classes with their own validation ------------------------------------------


def test_field_classes_keep_their_own_validate_and_post_validate(app: Flask) -> None:
    class EvenField(IntegerField):  # type: ignore[misc]
        def validate(self, form: t.Any, extra_validators: t.Any = ()) -> bool:
            if not super().validate(form, extra_validators):
                return False
            if self.data is not None and self.data % 2:
                self.errors.append("Send an even number.")
                return False
            return True

    class TensField(IntegerField):  # type: ignore[misc]
        def post_validate(self, form: t.Any, validation_stopped: bool) -> None:
            if not validation_stopped and self.data is not None and self.data % 10:
                raise ValidationError("Send a multiple of 10.")

    class Order(MetaForm):
        pairs = EvenField()
        tens = TensField()

    client = serve_valid_data(app, "/orders", Order, methods=("POST",))
    answer = client.post("/orders", json={"pairs": 4, "tens": 20})
    assert answer.status_code == 200
    assert answer.json == {"valid": {"pairs": 4, "tens": 20}}
    answer = client.post("/orders", json={"pairs": 3, "tens": 25})
    assert answer.status_code == 400
    assert answer.json == envelope(
        {"pairs": ["Send an even number."], "tens": ["Send a multiple of 10."]}
    )


# -- the query string ------------------------------------------------------------------


def test_query_string_fills_lists_and_single_fields(app: Flask) -> None:
    class Filters(MetaForm):
        ids = FieldList(IntegerField())
        sizes = SelectMultipleField(choices=["S", "M", "L"])
        page = IntegerField()

    client = serve_valid_data(app, "/items", Filters)
    answer = client.get("/items?ids=1&ids=2&sizes=S&sizes=L&page=2")
    assert answer.status_code == 200
    assert answer.json == {"valid": {"ids": [1, 2], "sizes": ["S", "L"], "page": 2}}
    # One value of a list key is a one-item list.
    answer = client.get("/items?ids=5&sizes=M")
    assert answer.status_code == 200
    assert answer.json == {"valid": {"ids": [5], "sizes": ["M"]}}


def test_empty_query_values(app: Flask) -> None:
    class Search(MetaForm):
        q = StringField()
        name = StringField(validators=[Optional(), Length(min=2)])
        page = IntegerField()

    @app.get("/search")
    @validate_data(Search)
    def search(form: Search) -> dict[str, t.Any]:
        return {"sent": form.sent_data}

    client = app.test_client()
    # "?q=" is the empty string for a string field; "?page=" is not given.
    answer = client.get("/search?q=&page=")
    assert answer.status_code == 200
    assert answer.json == {"sent": {"q": ""}}
    # Optional() skips the other validators for an empty query value...
    answer = client.get("/search?name=")
    assert answer.status_code == 200
    assert answer.json == {"sent": {"name": ""}}
    # ... but not for a value.
    answer = client.get("/search?name=a")
    assert answer.status_code == 400
    assert answer.json == envelope(
        {"name": ["Field must be at least 2 characters long."]}
    )


def test_optional_does_not_clear_the_item_errors_of_a_query_list(app: Flask) -> None:
    # A blank first value used to make Optional() skip the whole list, clearing the
    # errors of every item: "?tags=&tags=toolong" passed Length(max=3).
    class Filter(MetaForm):
        ids = FieldList(IntegerField(), validators=[Optional()])
        tags = FieldList(
            StringField(validators=[Length(max=3)]), validators=[Optional()]
        )

    client = serve_valid_data(app, "/filter", Filter)
    required = ["This field is required."]
    too_long = ["Field cannot be longer than 3 characters."]
    for query, errors in [
        ("tags=&tags=toolong", {"tags": [[], too_long]}),
        ("ids=&ids=1", {"ids": [required, []]}),
        ("ids=1&ids=", {"ids": [[], required]}),
        ("ids=", {"ids": [required]}),
    ]:
        answer = client.get(f"/filter?{query}")
        assert (answer.status_code, answer.json) == (400, envelope(errors)), query
    # A blank item of a text list is a value; a list not sent is not validated.
    assert client.get("/filter?tags=&tags=ab").json == {"valid": {"tags": ["", "ab"]}}
    assert client.get("/filter").json == {"valid": {}}


def test_partial_form_with_a_query_string_leaves_out_required_fields(
    app: Flask,
) -> None:
    class Task(MetaForm):
        class Meta:
            sources = "both"

        title = StringField(validators=[InputRequired()])
        size = IntegerField(validators=[InputRequired()])
        note = StringField()

    @app.patch("/tasks/<int:task_id>")
    @validate_data(Task, partial=True)
    def update(task_id: int, form: Task) -> dict[str, t.Any]:
        return {"sent": form.sent_data}

    client = app.test_client()
    answer = client.patch("/tasks/1?note=hi", json={})
    assert answer.status_code == 200
    assert answer.json == {"sent": {"note": "hi"}}
    # "?size=" is "not given" for an integer: left out too.
    answer = client.patch("/tasks/1?size=", json={"note": "x"})
    assert answer.status_code == 200
    assert answer.json == {"sent": {"note": "x"}}


# -- the body --------------------------------------------------------------------------


def test_empty_body_string_is_a_value_for_a_form_with_its_own_init(
    app: Flask,
) -> None:
    class Note(MetaForm):
        text = StringField(validators=[Optional(), Length(min=2)])

        def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
            super().__init__(*args, **kwargs)

    @app.post("/notes")
    @validate_data(Note, sources="body")
    def note(form: Note) -> dict[str, t.Any]:
        return {"sent": form.sent_data}

    client = app.test_client()
    # Unlike "?text=", "" in the body is a value: Optional() does not skip it.
    answer = client.post("/notes", json={"text": ""})
    assert answer.status_code == 400
    assert answer.json == envelope(
        {"text": ["Field must be at least 2 characters long."]}
    )
    answer = client.post("/notes", json={"text": "ok"})
    assert answer.status_code == 200
    assert answer.json == {"sent": {"text": "ok"}}


def test_null_clears_a_default_in_form_data(app: Flask) -> None:
    class Task(MetaForm):
        size = IntegerField(default=3)
        title = StringField(default="untitled")

    @app.post("/tasks")
    @validate_data(Task)
    def create(form: Task) -> dict[str, t.Any]:
        return {"data": form.data, "sent": form.sent_data}

    answer = app.test_client().post("/tasks", json={"size": None, "title": None})
    assert answer.status_code == 200
    assert answer.json == {
        "data": {"size": None, "title": None},
        "sent": {"size": None, "title": None},
    }


def test_a_refused_value_leaves_the_field_data_none() -> None:
    class Task(MetaForm):
        size = IntegerField(default=3)
        name = StringField(filters=[lambda v: v.strip() if isinstance(v, str) else v])

    form = Task(json={"size": "3", "name": 5})
    assert not form.validate()
    assert form.errors == {
        "size": ["Not a valid integer value."],
        "name": ["Not a valid string."],
    }
    # As WTForms does for a value it cannot convert.
    assert form.data == {"size": None, "name": None}


# -- what a field holds --------------------------------------------------------------


def test_raw_data_holds_each_value_the_client_sent() -> None:
    class Address(MetaForm):
        street = StringField()

    class Everything(MetaForm):
        name = StringField(filters=[lambda v: v.strip() if isinstance(v, str) else v])
        size = IntegerField()
        tags = FieldList(StringField())
        colours = SelectMultipleField(choices=["g", "r"])
        address = FormField(Address)

    form = Everything(
        json={"name": " Ada ", "tags": ["a", "b"], "address": {"street": "Main"}}
    )
    assert form.validate(), form.errors
    assert form.name.raw_data == [" Ada "]  # before the filter
    assert form.tags.raw_data == [["a", "b"]]  # one key, one value: the list
    assert form.address.raw_data == [{"street": "Main"}]
    query = MultiDict(
        [("size", "7"), ("tags", "a"), ("tags", "b")]
        + [("colours", "r"), ("colours", "g")]
    )
    form = Everything(query=query)
    assert form.validate(), form.errors
    assert form.size.raw_data == ["7"]
    assert form.tags.raw_data == ["a", "b"]  # the key repeated: each value
    assert form.colours.raw_data == ["r", "g"]


def test_list_entries_are_named_as_wtforms_names_them() -> None:
    class Tagged(MetaForm):
        tags = FieldList(StringField())

    form = Tagged(json={"tags": ["a", "b"]})
    assert form.validate(), form.errors
    assert [entry.name for entry in form.tags.entries] == ["tags-0", "tags-1"]
    assert form.tags.append_entry().name == "tags-2"


def test_prefixed_form_keys_input_and_errors_by_full_name() -> None:
    class Named(MetaForm):
        first_name = StringField(name="firstName", validators=[InputRequired()])

    form = Named(json={"p-firstName": 5}, prefix="p")
    assert not form.validate()
    assert form.errors == {"p-firstName": ["Not a valid string."]}
    # Built with meta overrides (WTForms binds the fields): the same keys.
    form = Named(json={"p-firstName": "Ada"}, prefix="p", meta={"locales": ["en"]})
    assert form.validate(), form.errors
    assert form.valid_data == {"first_name": "Ada"}


def test_a_missing_nested_form_keys_its_own_errors_by_short_name() -> None:
    class Address(MetaForm):
        street = StringField(validators=[InputRequired()])

    class Person(MetaForm):
        address = FormField(Address)

    form = Person(json={})
    assert not form.validate()
    assert form.errors == {"address": {"street": ["This field is required."]}}
    # WTForms' FormField.errors: the nested form's own errors, as nested keys.
    assert form.address.errors == {"street": ["This field is required."]}
