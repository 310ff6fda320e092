"""Hostile input, round two: numbers, text, lists and bodies that used to be 500s, CPU
burn or silently accepted. Each rule is a table of inputs a client can send and the
answer it gets; a hypothesis test covers the space between the rows.
"""

from __future__ import annotations

import decimal
import io
import json
import typing as t

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st
from werkzeug.test import EnvironBuilder
from werkzeug.test import run_wsgi_app
from wtforms import DecimalField
from wtforms import FieldList
from wtforms import FloatField
from wtforms import FormField
from wtforms import IntegerField
from wtforms import SelectField
from wtforms import StringField
from wtforms.validators import NumberRange

from flask_toolkit import MetaForm
from flask_toolkit import Toolkit
from flask_toolkit import validate_data
from flask_toolkit.forms import numbers
from flask_toolkit.forms.jsonfields import AllowBigIntegers

OUT_OF_RANGE = ["Number out of range."]
NOT_UTF8 = "The request body is not valid UTF-8 text."
NO_NUL = ["Text must not contain NUL characters."]
REQUIRED = ["This field is required."]


class Inner(MetaForm):
    count = IntegerField()
    label = StringField()


class HostileForm(MetaForm):
    plain = IntegerField()
    ranged = IntegerField(validators=[NumberRange(min=60, max=30 * 24 * 3600)])
    big = IntegerField(validators=[AllowBigIntegers(), NumberRange(max=10)])
    amount = DecimalField()
    ratio = FloatField()
    name = StringField()
    kind = SelectField(choices=["1", "2"], coerce=int)
    tags = FieldList(StringField())
    ids = FieldList(IntegerField())
    inner = FormField(Inner)
    items = FieldList(FormField(Inner))


@pytest.fixture
def hostile_app(app: Flask) -> Flask:
    @app.route("/things", methods=["GET", "POST"])
    @validate_data(HostileForm)
    def things(form: HostileForm) -> dict[str, t.Any]:
        # Echo what the view got, through the JSON provider (as real views do).
        return {"got": {k: repr(v) for k, v in form.valid_data.items()}}

    return app


def post_raw(app: Flask, body: bytes, **headers: str) -> t.Any:
    return app.test_client().post(
        "/things", data=body, headers={"Content-Type": "application/json", **headers}
    )


ZEROS_309 = "1" + "0" * 309
DIGITS_5000 = "9" * 5000


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        # CPU burn: int(Decimal("1e400000")) used to take seconds.
        ('{"plain": 1e400000}', {"plain": OUT_OF_RANGE}),
        ('{"plain": 1e1000000}', {"plain": OUT_OF_RANGE}),
        ('{"plain": 1e10000000}', {"plain": OUT_OF_RANGE}),
        ('{"plain": -1E+400000}', {"plain": OUT_OF_RANGE}),
        # decimal.InvalidOperation used to be a 500, even on an unknown key.
        ('{"amount": 1e9999999999999999999}', {"amount": OUT_OF_RANGE}),
        ('{"amount": 1e-9999999999999999999}', {"amount": OUT_OF_RANGE}),
        ('{"nosuch": 1e9999999999999999999}', {"nosuch": ["Unknown field."]}),
        ('{"ratio": 1e-9999999999999999999}', {"ratio": OUT_OF_RANGE}),
        # NumberRange's math.isnan used to overflow: a 500.
        (f'{{"ranged": {ZEROS_309}}}', {"ranged": OUT_OF_RANGE}),
        (f'{{"big": {ZEROS_309}}}', {"big": ["Number must be at most 10."]}),
        # 5,000 digits: valid JSON, but too long for int(); one clear field error.
        (f'{{"plain": {DIGITS_5000}}}', {"plain": OUT_OF_RANGE}),
        (f'{{"plain": -{DIGITS_5000}}}', {"plain": OUT_OF_RANGE}),
        (f'{{"amount": 0.{DIGITS_5000}}}', {"amount": OUT_OF_RANGE}),
        (f'{{"big": {DIGITS_5000}}}', {"big": OUT_OF_RANGE}),
        # Integer fields keep to the 64-bit range every backend can store.
        ('{"plain": 9223372036854775808}', {"plain": OUT_OF_RANGE}),
        ('{"plain": -9223372036854775809}', {"plain": OUT_OF_RANGE}),
        ('{"plain": 1e19}', {"plain": OUT_OF_RANGE}),
        ('{"ratio": 1e400}', {"ratio": OUT_OF_RANGE}),
        (f'{{"ratio": {ZEROS_309}}}', {"ratio": OUT_OF_RANGE}),
        ('{"kind": 1e400000}', {"kind": ["Invalid Choice: could not coerce."]}),
        ('{"name": 1e400000}', {"name": ["Not a valid string."]}),
        ('{"inner": {"count": 1e400000}}', {"inner": {"count": OUT_OF_RANGE}}),
        ('{"ids": [1, 1e400000]}', {"ids": [[], OUT_OF_RANGE]}),
    ],
)
def test_huge_numbers_are_field_errors(
    hostile_app: Flask, body: str, errors: dict[str, t.Any]
) -> None:
    answer = post_raw(hostile_app, body.encode())
    assert answer.status_code == 400
    assert answer.json == {"code": -1, "msg": errors}


@pytest.mark.parametrize(
    ("body", "got"),
    [
        ('{"plain": 9223372036854775807}', {"plain": "9223372036854775807"}),
        ('{"plain": -9223372036854775808}', {"plain": "-9223372036854775808"}),
        ('{"plain": 12e2}', {"plain": "1200"}),
        ('{"big": -' + "9" * 1000 + "}", {"big": "-" + "9" * 1000}),
        ('{"amount": 1.5e1000}', {"amount": "Decimal('1.5E+1000')"}),
        ('{"ratio": 1e-400}', {"ratio": "0.0"}),
        ('{"name": "\\ud83d\\ude00 ok"}', {"name": "'\U0001f600 ok'"}),
        ('{"name": "a\\\\ud800"}', {"name": "'a\\\\ud800'"}),
    ],
)
def test_numbers_and_text_in_range_are_values(
    hostile_app: Flask, body: str, got: dict[str, str]
) -> None:
    answer = post_raw(hostile_app, body.encode())
    assert answer.status_code == 200, answer.json
    assert answer.json == {"got": got}


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        (f"plain={DIGITS_5000}", {"plain": OUT_OF_RANGE}),
        (f"ranged={ZEROS_309}", {"ranged": OUT_OF_RANGE}),
        ("plain=9223372036854775808", {"plain": OUT_OF_RANGE}),
        ("name=a%00b", {"name": NO_NUL}),
        ("ids=", {"ids": [REQUIRED]}),
        ("ids=1&ids=", {"ids": [[], REQUIRED]}),
    ],
)
def test_hostile_query_values(
    hostile_app: Flask, query: str, errors: dict[str, t.Any]
) -> None:
    answer = hostile_app.test_client().get(f"/things?{query}")
    assert answer.status_code == 400
    assert answer.json == {"code": -1, "msg": errors}


@pytest.mark.parametrize(
    ("body", "status", "msg"),
    [
        # Lone surrogates, escaped or as raw (CESU-style) bytes, are not text.
        (b'{"name": "\\ud800"}', 400, NOT_UTF8),
        (b'{"name": "x\\uDFFFy"}', 400, NOT_UTF8),
        (b'{"name": "\\ude00\\ud83d"}', 400, NOT_UTF8),
        (b'{"\\ud800": 1}', 400, NOT_UTF8),
        (b'{"tags": ["ok", "\\udbff"]}', 400, NOT_UTF8),
        (b'{"inner": {"label": "\\ud800"}}', 400, NOT_UTF8),
        (b'{"name": "\xed\xa0\x80"}', 400, NOT_UTF8),
        (b'{"name": "\xff"}', 400, NOT_UTF8),
        # NUL: a field error on text fields (PostgreSQL cannot store it).
        (b'{"name": "a\\u0000@b.c"}', 400, {"name": NO_NUL}),
        (b'{"inner": {"label": "\\u0000"}}', 400, {"inner": {"label": NO_NUL}}),
        (b'{"tags": ["\\u0000"]}', 400, {"tags": [NO_NUL]}),
        # A list item is a value: null does not skip the item's checks.
        (b'{"tags": [null]}', 400, {"tags": [REQUIRED]}),
        (b'{"ids": [1, null]}', 400, {"ids": [[], REQUIRED]}),
        (b'{"items": [null]}', 400, {"items": [REQUIRED]}),
    ],
)
def test_hostile_text_and_list_items(
    hostile_app: Flask, body: bytes, status: int, msg: t.Any
) -> None:
    answer = post_raw(hostile_app, body)
    assert answer.status_code == status
    assert answer.json == {"code": -1, "msg": msg}


class Counting(io.RawIOBase):
    """An endless-looking request body of spaces that counts what was read."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: t.Any) -> int:
        n = min(len(buffer), self.size - self.read_bytes)
        buffer[:n] = b" " * n
        self.read_bytes += n
        return n


def send_chunked(app: Flask, stream: t.Any) -> tuple[str, dict[str, t.Any]]:
    """POST a body without Content-Length, as a chunked request reaches the app."""
    environ = EnvironBuilder(
        path="/things", method="POST", content_type="application/json"
    ).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ.update(
        {
            "wsgi.input": stream,
            "wsgi.input_terminated": True,
            "HTTP_TRANSFER_ENCODING": "chunked",
        }
    )
    body, status, _ = run_wsgi_app(app, environ)
    return status, json.loads(b"".join(body))


def test_chunked_body_over_the_limit_is_read_only_up_to_it(
    hostile_app: Flask,
) -> None:
    limit = hostile_app.config["TOOLKIT_VALIDATION_MAX_BODY"]
    stream = Counting(20 * 1024 * 1024)
    status, body = send_chunked(hostile_app, stream)
    assert status.startswith("413")
    assert body == {
        "code": -1,
        "msg": f"The request body is larger than {limit} bytes.",
    }
    assert stream.read_bytes <= limit + 1  # not the 20 MB that were offered


def test_chunked_body_within_the_limit_is_read(hostile_app: Flask) -> None:
    status, body = send_chunked(hostile_app, io.BytesIO(b'{"name": "chunked"}'))
    assert status.startswith("200")
    assert body == {"got": {"name": "'chunked'"}}


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "GZIP, identity"])
def test_compressed_body_is_unsupported_media_type(
    hostile_app: Flask, encoding: str
) -> None:
    import gzip

    answer = post_raw(
        hostile_app, gzip.compress(b'{"name": "x"}'), **{"Content-Encoding": encoding}
    )
    assert answer.status_code == 415
    assert answer.json == {
        "code": -1,
        "msg": "Send the request body uncompressed, without 'Content-Encoding'.",
    }
    plain = post_raw(hostile_app, b'{"name": "x"}', **{"Content-Encoding": "identity"})
    assert plain.status_code == 200


def test_messages_are_translated(hostile_app: Flask) -> None:
    answer = post_raw(hostile_app, b'{"plain": 1e400000}', **{"Accept-Language": "zh"})
    assert answer.json["msg"] == {"plain": ["数值超出范围。"]}


# The space between the rows: JSON documents built from hostile numbers, strings
# and nesting, sent to nested forms. Whatever arrives, the answer is 200 or a 4xx
# in the envelope, never a 500.
_NUMBER_TEXT = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.builds(
        lambda m, e: f"{m}e{e}",
        st.integers(min_value=-99, max_value=99),
        st.one_of(
            st.integers(min_value=-2000, max_value=2000),
            st.sampled_from([400000, -400000, 10**19, -(10**19), 10**30]),
        ),
    ),
    st.integers(min_value=300, max_value=6000).map(lambda n: "7" * n),
    st.integers(min_value=1, max_value=3000).map(lambda n: "0." + "3" * n),
)
_STRING_TEXT = st.one_of(
    st.text(max_size=8).map(lambda s: json.dumps(s)),
    st.sampled_from(
        ['"\\ud800"', '"\\udfff"', '"a\\u0000b"', '"\\u0000"', '"\\ud83d\\ude00"']
    ),
)
_SCALAR = st.one_of(_NUMBER_TEXT, _STRING_TEXT, st.sampled_from(["null", "true"]))
_KEYS = st.sampled_from(
    ["plain", "ranged", "big", "amount", "ratio", "name", "kind", "tags", "ids"]
)
_INNER_KEYS = st.sampled_from(["count", "label", "extra"])


def _object(keys: t.Any, values: t.Any) -> t.Any:
    return st.dictionaries(keys, values, max_size=4).map(
        lambda d: "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in d.items()) + "}"
    )


_INNER = _object(_INNER_KEYS, _SCALAR)
_VALUE = st.one_of(
    _SCALAR,
    st.lists(_SCALAR, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
    _INNER,
    st.lists(_INNER, max_size=2).map(lambda xs: "[" + ", ".join(xs) + "]"),
)
_DOCUMENT = st.one_of(
    _object(_KEYS, _VALUE),
    st.builds(
        lambda inner, items: f'{{"inner": {inner}, "items": [{items}]}}',
        _INNER,
        _INNER,
    ),
)


@settings(
    max_examples=300,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(document=_DOCUMENT)
def test_generated_hostile_bodies_never_fail(document: str) -> None:
    app = _property_app()
    answer = post_raw(app, document.encode())
    assert answer.status_code in (200, 400), (document[:200], answer.data[:300])
    assert answer.json is not None
    if answer.status_code == 400:
        assert answer.json["code"] == -1


_apps: list[Flask] = []


def _property_app() -> Flask:
    """One app for all examples (hypothesis runs the test body many times)."""
    if not _apps:
        app = Flask("hostile_property")
        app.config.update(TESTING=True, SECRET_KEY="x")
        Toolkit().init_app(app)

        @app.post("/things")
        @validate_data(HostileForm)
        def things(form: HostileForm) -> dict[str, t.Any]:
            return {"got": {k: repr(v) for k, v in form.valid_data.items()}}

        _apps.append(app)
    return _apps[0]


# A body of many values with one number out of range: the markers are put in place
# only for bodies of at most MAX_EXACT_VALUES values; a larger one is refused whole,
# so that no body costs more than the C decoder does.
BODY_OUT_OF_RANGE = (
    "A number in the request body is out of range (too many digits, or too large or"
    " small an exponent); the body is too large to say which."
)


@pytest.mark.parametrize(
    "bad",
    ["9" * 5000, "1e1001", "1e-1001", "0." + "3" * 1001, "1e9999999999999999999"],
)
def test_large_body_with_a_number_out_of_range_is_refused_whole(
    hostile_app: Flask, bad: str
) -> None:
    many = ", ".join(["1.5"] * numbers.MAX_EXACT_VALUES)
    answer = post_raw(hostile_app, f'{{"tags": [{many}], "plain": {bad}}}'.encode())
    assert answer.status_code == 400
    assert answer.json == {"code": -1, "msg": BODY_OUT_OF_RANGE}


def test_large_body_in_range_is_read(hostile_app: Flask) -> None:
    # As many values as a refused body has, but every number within the reader's
    # bounds: no refusal; the field errors are the usual ones (1e1000 is beyond the
    # 64-bit range of an IntegerField).
    many = ", ".join(["1e1000"] * numbers.MAX_EXACT_VALUES)
    answer = post_raw(hostile_app, f'{{"ids": [{many}], "plain": 7}}'.encode())
    assert answer.status_code == 400
    assert answer.json["msg"]["ids"][0] == OUT_OF_RANGE
    ok = post_raw(hostile_app, f'{{"plain": 7, "amount": {"9" * 999}.5}}'.encode())
    assert ok.status_code == 200, ok.json


# The fast reading (C decoder, a checking decimal context) must give exactly what the
# number-by-number reading gives, markers included.
_EDGE_NUMBERS = st.sampled_from(
    [
        "1e1000",
        "1e1001",
        "-1e1001",
        "1e-1000",
        "1e-1001",
        "0e5000",
        "-0e-5000",
        "0.0",
        "-0",
        "1.7976931348623157e308",
        "1.8e308",
        "-1.8e308",
        "1e308",
        "1e309",
        "4.9e-324",
        "1e-400",
        "9" * 1000 + ".5",
        "9" * 999 + ".5",
        "0." + "0" * 998 + "1",
        "0." + "0" * 999 + "1",
        "1." + "0" * 999,
        "1." + "0" * 1000,
        "9" * 4300,
        "9" * 4301,
        "-" + "9" * 4301,
        "12e2",
        "1E+2",
        "1.5",
    ]
)
_ANY_NUMBER = st.one_of(
    _EDGE_NUMBERS,
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.builds(
        lambda m, e: f"{m}e{e}",
        st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
        st.integers(min_value=-1100, max_value=1100),
    ),
)


def _marked(value: t.Any) -> t.Any:
    """``value`` with each marker as a comparable string."""
    if isinstance(value, numbers.OutOfRange):
        return "<out of range>"
    if isinstance(value, list):
        return [_marked(item) for item in value]
    if isinstance(value, dict):
        return {key: _marked(item) for key, item in value.items()}
    if isinstance(value, decimal.Decimal):
        return ("decimal", str(value))
    return (type(value).__name__, repr(value))


def _exact(text: str, decimals: bool) -> t.Any:
    return json.loads(
        text,
        parse_float=numbers.parse_decimal if decimals else numbers.parse_float,
        parse_int=numbers.parse_int,
    )


@settings(max_examples=300, derandomize=True, deadline=None)
@given(items=st.lists(_ANY_NUMBER, min_size=1, max_size=4), decimals=st.booleans())
def test_fast_reading_equals_exact_reading(items: list[str], decimals: bool) -> None:
    text = '{"x": [' + ", ".join(items) + "]}"
    fast = numbers.loads(text, decimals=decimals, parse_constant=None)
    assert _marked(fast) == _marked(_exact(text, decimals))
