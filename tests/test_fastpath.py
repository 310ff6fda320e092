"""The JSON fast path of @validate_data answers exactly as the general path does.

Each form is served twice on one app: by ``@validate_data(Form)``, which takes the
fast path, and by ``@validate_data(General)``, a subclass whose own ``from_request``
keeps it on the general path (build from the template, load, validate). The same
request to both must give the same status and body: the error envelope on failure,
and on success what the view saw (data, sent data, and each field's data, raw data
and errors).
"""

from __future__ import annotations

import datetime as dt
import json
import typing as t

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st
from wtforms import BooleanField
from wtforms import DecimalField
from wtforms import FloatField
from wtforms import IntegerField
from wtforms import SelectField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms.fields import DateField
from wtforms.fields import DateTimeLocalField
from wtforms.validators import AnyOf
from wtforms.validators import DataRequired
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional
from wtforms.validators import Regexp
from wtforms.validators import ValidationError

from flask_toolkit import MetaForm
from flask_toolkit import Toolkit
from flask_toolkit import validate_data
from flask_toolkit.forms import fastpath
from flask_toolkit.forms import NotNull
from flask_toolkit.forms import Nullable
from flask_toolkit.forms.jsonfields import AllowBigIntegers
from flask_toolkit.forms.jsonfields import AllowNonFinite


def not_thirteen(form: t.Any, field: t.Any) -> None:
    if field.data == 13:
        raise ValidationError("Not thirteen.")


class Task(MetaForm):
    title = StringField(validators=[InputRequired(), Length(min=1, max=10)])
    note = TextAreaField(validators=[Optional(), Length(max=5)])
    code = StringField(validators=[DataRequired(), Regexp(r"[a-z]+\Z")])
    priority = IntegerField(validators=[NumberRange(min=0, max=5)])
    done = BooleanField()
    estimate = FloatField(validators=[NumberRange(min=0), AllowNonFinite()])
    price = DecimalField(validators=[NumberRange(min=1, max=100)])
    serial = IntegerField(validators=[AllowBigIntegers(), NotNull()])
    size = SelectField(coerce=int, choices=["1", "2", "3"])
    day = DateField(validators=[InputRequired()])
    at = DateTimeLocalField()
    luck = IntegerField(validators=[not_thirteen])
    colour = StringField(validators=[AnyOf(["red", "blue"])])
    maybe = StringField(validators=[InputRequired(), Nullable()])
    ratio = FloatField()


class Small(MetaForm):
    name = StringField(validators=[DataRequired(), Length(max=3)])
    count = IntegerField(validators=[Optional(), NumberRange(max=9)])

    class Meta:
        unknown_fields = "ignore"


def general(form_class: type[MetaForm]) -> type[MetaForm]:
    """The same form, kept off the fast path by its own ``from_request``."""

    class General(form_class):  # type: ignore[valid-type,misc]
        @classmethod
        def from_request(cls, sources: str | None = None) -> t.Any:
            return super().from_request(sources)

    return General


def seen(form: t.Any) -> dict[str, t.Any]:
    """What a view can see of a validated form, as JSON."""
    return {
        "data": repr(form.data),
        "sent": repr(form.sent_data),
        "valid": repr(form.valid_data),
        "fields": {
            name: repr((field.data, field.raw_data, field.errors, field.process_errors))
            for name, field in form._fields.items()
        },
    }


def make_app() -> Flask:
    app = Flask(__name__)
    app.config.update(TESTING=True, SQLALCHEMY_DATABASE_URI="sqlite://")
    Toolkit(app)
    for form_class in (Task, Small):
        name = form_class.__name__.lower()
        for label, cls in (("fast", form_class), ("general", general(form_class))):
            for partial in (False, True):

                def view(form: t.Any) -> dict[str, t.Any]:
                    return seen(form)

                endpoint = f"{name}_{label}_{partial}"
                decorated = validate_data(cls, partial=partial)(view)
                app.add_url_rule(
                    f"/{name}/{label}/{int(partial)}",
                    endpoint,
                    decorated,
                    methods=["POST"],
                )
    return app


APP = make_app()

NAMES = [*Task()._fields, *Small()._fields, "other"]
TEXT = st.text(max_size=12) | st.sampled_from(
    [
        "",
        " ",
        "abc",
        "ABC",
        "red",
        "a\x00b",
        "2024-01-01",
        "2024-02-30",
        "2024-01-01T10:00",
    ]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**25), max_value=10**25)
    | st.sampled_from([0, 1, 5, 6, 13, -1, 2**63, 1.0, 0.5, 1e300, 99.99])
    | st.floats(allow_nan=True, allow_infinity=True)
    | TEXT
)
VALUES = (
    SCALARS | st.lists(SCALARS, max_size=2) | st.dictionaries(TEXT, SCALARS, max_size=2)
)
PLAUSIBLE = {
    "title": TEXT,
    "note": TEXT,
    "code": st.sampled_from(["abc", "", "x1", "z"]),
    "priority": st.integers(min_value=-1, max_value=6),
    "done": st.booleans(),
    "estimate": st.floats(min_value=-1, max_value=10) | st.integers(0, 3),
    "price": st.decimals(min_value=0, max_value=101, places=2).map(float),
    "serial": st.integers(),
    "size": st.sampled_from([1, 2, 3, 4]),
    "day": st.sampled_from(["2024-01-01", "2024-13-01"]),
    "at": st.sampled_from(["2024-01-01T10:00", "noon"]),
    "luck": st.sampled_from([12, 13, 2**63, -(2**63) - 1, 2**63 - 1]),
    "colour": st.sampled_from(["red", "green"]),
    "maybe": st.none() | TEXT,
    "ratio": st.floats() | st.integers(),
    "name": st.sampled_from(["ab", "abcd", " ", ""]),
    "count": st.integers(min_value=0, max_value=10),
}
BODIES = st.fixed_dictionaries(
    {}, optional={key: value | VALUES for key, value in PLAUSIBLE.items()}
) | st.dictionaries(st.sampled_from(NAMES), VALUES, max_size=8)
VALID_TASK = {
    "title": "Plants",
    "code": "abc",
    "day": "2024-01-01",
    "maybe": None,
    "priority": 3,
    "estimate": 1.5,
    "price": 9.99,
}


def answers(form: str, label: str, partial: bool, text: str, language: str) -> t.Any:
    response = APP.test_client().post(
        f"/{form}/{label}/{int(partial)}",
        data=text,
        content_type="application/json",
        headers={"Accept-Language": language} if language else {},
    )
    return response.status_code, response.get_json()


def assert_same(form: str, body: t.Any, partial: bool, language: str = "") -> t.Any:
    text = json.dumps(body, allow_nan=True)
    fast = answers(form, "fast", partial, text, language)
    assert fast == answers(form, "general", partial, text, language), text
    return fast


def test_the_fast_path_is_taken_for_plain_fields() -> None:
    # Without a plan, both routes would run the same code and the test below
    # could not fail.
    status, body = assert_same("task", VALID_TASK, False)
    assert status == 200, body
    assert fastpath.plan_for(Task, None) is not None
    assert fastpath.plan_for(Small, None) is not None


@pytest.mark.parametrize("language", ["", "zh-CN", "de"])
@pytest.mark.parametrize("partial", [False, True])
def test_known_inputs_answer_alike(partial: bool, language: str) -> None:
    bodies = [
        {},
        VALID_TASK,
        {**VALID_TASK, "title": "", "priority": 9, "estimate": float("nan")},
        {**VALID_TASK, "code": " ", "price": 0.5, "serial": 2**70, "size": 4},
        {**VALID_TASK, "luck": 13, "colour": "green", "other": 1, "at": "noon"},
        {**VALID_TASK, "title": None, "serial": None, "day": 20240101},
        {**VALID_TASK, "note": "x" * 6, "done": "yes", "priority": True},
        {**VALID_TASK, "luck": 2**63, "title": "a\x00b", "estimate": 1e308 * 10},
        {**VALID_TASK, "luck": -(2**63) - 1, "priority": 2**63, "done": 1},
        {**VALID_TASK, "ratio": float("inf")},
        {**VALID_TASK, "ratio": float("nan")},
    ]
    statuses = {assert_same("task", body, partial, language)[0] for body in bodies}
    assert statuses == {200, 400}


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    body=BODIES,
    partial=st.booleans(),
    language=st.sampled_from(["", "zh-CN"]),
    form=st.sampled_from(["task", "small"]),
)
def test_generated_inputs_answer_alike(
    body: dict[str, t.Any], partial: bool, language: str, form: str
) -> None:
    assert_same(form, body, partial, language)


def test_forms_it_does_not_take_go_the_general_way() -> None:
    class WithMethod(MetaForm):
        name = StringField()

        def validate_name(self, field: t.Any) -> None:
            raise ValidationError("Never.")

    class WithFilter(MetaForm):
        name = StringField(filters=[lambda v: v.strip() if v else v])

    class WithDefault(MetaForm):
        day = DateField(default=dt.date.today)

    app = Flask(__name__)
    app.config.update(TESTING=True, SQLALCHEMY_DATABASE_URI="sqlite://")
    Toolkit(app)
    for cls in (WithMethod, WithFilter, WithDefault):

        def view(form: t.Any) -> dict[str, t.Any]:
            return {"valid": repr(form.valid_data)}

        app.add_url_rule(
            f"/{cls.__name__}", cls.__name__, validate_data(cls)(view), methods=["POST"]
        )
    client = app.test_client()
    response = client.post("/WithMethod", json={"name": "x"})
    assert response.status_code == 400
    assert response.json["msg"] == {"name": ["Never."]}
    response = client.post("/WithFilter", json={"name": "  x "})
    assert response.json == {"valid": "{'name': 'x'}"}
    response = client.post("/WithDefault", json={"day": "2024-01-02"})
    assert response.json == {"valid": "{'day': datetime.date(2024, 1, 2)}"}
    # A validate_<name> method or a filter: the field is filled and checked the
    # general way; a callable default: no shared template, no plan.
    plan = fastpath.plan_for(WithMethod, None)
    assert plan is not None and plan.fields[0].checks is None
    plan = fastpath.plan_for(WithFilter, None)
    assert plan is not None and not plan.fields[0].direct
    assert fastpath.plan_for(WithDefault, None) is None


@pytest.mark.parametrize(
    "literal", ["1e1001", "-1e-1001", "9" * 5000, "1." + "0" * 1200, "NaN", "-Infinity"]
)
def test_numbers_out_of_range_answer_alike(literal: str) -> None:
    for key in ("priority", "estimate", "price", "serial", "title"):
        text = json.dumps({**VALID_TASK, key: 0}).replace(
            f'"{key}": 0', f'"{key}": {literal}'
        )
        assert literal in text
        fast = answers("task", "fast", False, text, "")
        assert fast == answers("task", "general", False, text, ""), text
        assert fast[0] == 400 or literal in ("NaN", "-Infinity")
