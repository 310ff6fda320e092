"""Property test: arbitrary JSON at a validated endpoint never gives a 500, and the
view never sees a value of the wrong type."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import typing as t

from flask import Flask
from hypothesis import given
from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st
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
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional

from flask_toolkit import MetaForm
from flask_toolkit import Toolkit
from flask_toolkit import validate_data


class Point(MetaForm):
    x = IntegerField(validators=[InputRequired()])
    label = StringField()


class Everything(MetaForm):
    name = StringField(validators=[Length(max=50)])
    count = IntegerField(validators=[Optional(), NumberRange(min=0)])
    ratio = FloatField()
    price = DecimalField()
    flag = BooleanField()
    size = SelectField(coerce=int, choices=["1", "2", "3"])
    day = DateField()
    tags = FieldList(StringField(), max_entries=5)
    numbers = FieldList(IntegerField(validators=[InputRequired()]))
    colours = SelectMultipleField(choices=["r", "g"])
    point = FormField(Point)
    points = FieldList(FormField(Point))


SCALAR_TYPES: dict[str, tuple[type, ...]] = {
    "name": (str,),
    "count": (int,),
    "ratio": (float,),
    "price": (decimal.Decimal,),
    "flag": (bool,),
    "size": (int,),
    "day": (dt.date,),
}


def check_types(data: dict[str, t.Any]) -> None:
    for key, value in data.items():
        if key in SCALAR_TYPES:
            assert isinstance(value, SCALAR_TYPES[key]), (key, value)
            if key in ("count", "size"):
                assert not isinstance(value, bool)
        elif key == "tags":
            assert isinstance(value, list)
            assert all(isinstance(item, str) or item is None for item in value)
        elif key == "numbers":
            assert isinstance(value, list)
            assert all(type(item) is int for item in value)
        elif key == "colours":
            assert isinstance(value, list)
            assert all(item in ("r", "g") for item in value)
        elif key == "point":
            check_point(value)
        elif key == "points":
            assert isinstance(value, list)
            for item in value:
                check_point(item)
        else:  # pragma: no cover - an unknown key reached the view
            raise AssertionError(key)


def check_point(value: t.Any) -> None:
    assert isinstance(value, dict)
    assert isinstance(value["x"], int) and not isinstance(value["x"], bool)
    assert isinstance(value.get("label", ""), str)


def make_app() -> Flask:
    app = Flask(__name__)
    app.config.update(TESTING=True, SQLALCHEMY_DATABASE_URI="sqlite://")
    Toolkit(app)

    @app.post("/everything")
    @validate_data(Everything)
    def everything(form: Everything) -> dict[str, t.Any]:
        check_types(form.valid_data)
        return {"ok": True}

    return app


APP = make_app()
KEYS = st.sampled_from([*Everything()._fields, "x", "label", "other", "csrf_token"])
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(["1", "2", "r", "g", "2024-02-30", "2024-01-01", "true", "", " "])
)
JSON = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(KEYS | st.text(max_size=5), children, max_size=5)
    ),
    max_leaves=20,
)
VALID_POINT = st.fixed_dictionaries(
    {"x": st.integers() | st.just(3.0)}, optional={"label": st.text(max_size=5)}
)
POINT = VALID_POINT | st.fixed_dictionaries(
    {"x": st.integers() | JSON}, optional={"label": st.text(max_size=5) | JSON}
)
#: Valid values, some at the edges of what a field accepts (``2.0`` for an integer).
PLAUSIBLE = {
    "name": st.text(max_size=50),
    "count": st.integers(min_value=0, max_value=100) | st.just(2.0),
    "ratio": st.floats(allow_nan=False, allow_infinity=False) | st.integers(),
    "price": st.floats(allow_nan=False, allow_infinity=False) | st.integers(),
    "flag": st.booleans(),
    "size": st.sampled_from([1, 2, 3, 2.0]),
    "day": st.just("2024-01-01"),
    "tags": st.lists(st.text(max_size=5), max_size=5),
    "numbers": st.lists(st.integers() | st.just(1.0), max_size=4),
    "colours": st.lists(st.sampled_from(["r", "g"]), max_size=3),
    "point": VALID_POINT,
    "points": st.lists(VALID_POINT, max_size=3),
}
NEAR_VALID = st.fixed_dictionaries(
    {"point": POINT | JSON},
    optional={key: value | JSON for key, value in PLAUSIBLE.items() if key != "point"},
)
PLAUSIBLE_ONLY = st.fixed_dictionaries(
    {"point": VALID_POINT},
    optional={k: v for k, v in PLAUSIBLE.items() if k != "point"},
)
BODIES = PLAUSIBLE_ONLY | NEAR_VALID | st.dictionaries(KEYS, JSON, max_size=10) | JSON
QUERIES = st.just([]) | st.lists(st.tuples(KEYS, st.text(max_size=8)), max_size=4)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(body=BODIES, query=QUERIES)
def test_arbitrary_json_never_errors_or_leaks_wrong_types(
    body: t.Any, query: list[tuple[str, str]]
) -> None:
    client = APP.test_client()
    response = client.post(
        "/everything",
        query_string=query,
        data=json.dumps(body, allow_nan=True),
        content_type="application/json",
    )
    assert response.status_code in (200, 400), response.get_data(as_text=True)
    assert response.is_json
    if response.status_code == 400:
        assert response.json["code"] == -1


@settings(max_examples=100, deadline=None)
@given(
    raw=st.binary(max_size=64),
    content_type=st.sampled_from(["application/json", "text/plain", ""]),
)
def test_arbitrary_bytes_never_error(raw: bytes, content_type: str) -> None:
    response = APP.test_client().post(
        "/everything", data=raw, content_type=content_type
    )
    assert response.status_code in (200, 400, 415)
    assert response.is_json
