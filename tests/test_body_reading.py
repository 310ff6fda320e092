"""Reading the JSON body of a validated request (``forms/body.py``), over HTTP.

``test_validation.py`` and ``test_hostile.py`` pin which bodies are refused and with
which status. Here: the exact sentences a client reads; the size limit at its edge (a
body of exactly the limit is read, with a length or chunked); a ``Content-Length`` over
the limit refused before the body is read; Flask's ``MAX_CONTENT_LENGTH`` when it is
the smaller limit; chunked bodies that a ``before_request`` hook read first, or that
arrive in pieces; the JSON media types; a form built inside the view (``TaskForm()``,
as the docs allow); and what an app never registered with ``Toolkit`` gets.
"""

from __future__ import annotations

import io
import json
import typing as t
from pathlib import Path

import pytest
from flask import Flask
from flask import Request
from flask import request
from werkzeug.test import EnvironBuilder
from werkzeug.test import run_wsgi_app
from wtforms import DecimalField
from wtforms import StringField
from wtforms.validators import InputRequired

from flask_toolkit import MetaForm
from flask_toolkit import validate_data
from flask_toolkit.forms import numbers
from flask_toolkit.forms.body import request_locale
from tests import _scheduler_api as scheduler_api

NOT_JSON_TYPE = "Send the request body as JSON, with 'Content-Type: application/json'."
NOT_OBJECT = "The request body must be a JSON object."
NOT_UTF8 = "The request body is not valid UTF-8 text."
BODY_OUT_OF_RANGE = (
    "A number in the request body is out of range (too many digits, or too large or"
    " small an exponent); the body is too large to say which."
)


def too_large(limit: int) -> dict[str, t.Any]:
    return {"code": -1, "msg": f"The request body is larger than {limit} bytes."}


class Note(MetaForm):
    text = StringField()


class Priced(MetaForm):
    text = StringField()
    amount = DecimalField()


@pytest.fixture
def notes_app(app: Flask) -> Flask:
    @app.post("/notes")
    @validate_data(Note)
    def notes(form: Note) -> dict[str, t.Any]:
        # What the view reads itself after validation must be the same body.
        return {"text": form.text.data, "again": request.get_json()}

    @app.route("/api/priced", methods=["GET", "POST"])
    def priced() -> t.Any:
        form = Priced()  # built in the view: it reads the current request itself
        if not form.validate():
            return {"errors": form.errors}, 400
        return {key: str(value) for key, value in form.valid_data.items()}

    return app


class Arriving(io.RawIOBase):
    """A request body as the server hands it to the app, ``piece`` bytes a read;
    counts the bytes the app read."""

    def __init__(self, data: bytes, piece: int = 1 << 20) -> None:
        self.data = data
        self.piece = piece
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: t.Any) -> int:
        n = min(len(buffer), self.piece, len(self.data) - self.read_bytes)
        buffer[:n] = self.data[self.read_bytes : self.read_bytes + n]
        self.read_bytes += n
        return n


def send(
    app: Flask,
    stream: Arriving,
    *,
    chunked: bool,
) -> tuple[int, t.Any]:
    """POST ``stream`` as JSON to ``/notes``: chunked, or with a ``Content-Length``."""
    environ = EnvironBuilder(
        path="/notes", method="POST", content_type="application/json"
    ).get_environ()
    environ["wsgi.input"] = stream
    if chunked:
        environ.pop("CONTENT_LENGTH", None)
        environ["wsgi.input_terminated"] = True
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    else:
        environ["CONTENT_LENGTH"] = str(len(stream.data))
    body, status, _ = run_wsgi_app(app, environ)
    return int(status.split()[0]), json.loads(b"".join(body))


def note(text: str) -> bytes:
    return json.dumps({"text": text}).encode()


@pytest.mark.parametrize("chunked", [False, True], ids=["length", "chunked"])
def test_body_of_exactly_the_limit_is_read(notes_app: Flask, chunked: bool) -> None:
    body = note("exactly at the limit")
    notes_app.config["TOOLKIT_VALIDATION_MAX_BODY"] = len(body)
    status, answer = send(notes_app, Arriving(body), chunked=chunked)
    assert status == 200
    expected = {"text": "exactly at the limit"}
    assert answer == {**expected, "again": expected}
    status, answer = send(notes_app, Arriving(body + b" "), chunked=chunked)
    assert status == 413
    assert answer == too_large(len(body))


def test_content_length_over_the_limit_is_refused_before_reading(
    notes_app: Flask,
) -> None:
    notes_app.config["TOOLKIT_VALIDATION_MAX_BODY"] = 50
    stream = Arriving(b" " * 1000)
    status, answer = send(notes_app, stream, chunked=False)
    assert status == 413
    assert answer == too_large(50)
    assert stream.read_bytes == 0  # the client's upload was not taken in at all


def test_chunked_wins_over_a_content_length_sent_with_it(notes_app: Flask) -> None:
    # HTTP: with Transfer-Encoding: chunked the Content-Length means nothing. Trusting
    # it read a whole large upload into memory before the 413 (a small one declared),
    # or refused a small body for a large number.
    notes_app.config["TOOLKIT_VALIDATION_MAX_BODY"] = 50
    for declared, body, expected in [
        ("10", note("x" * 1000), 413),
        ("100000", note("small"), 200),
    ]:
        stream = Arriving(body)
        environ = EnvironBuilder(
            path="/notes", method="POST", content_type="application/json"
        ).get_environ()
        environ.update(
            {
                "wsgi.input": stream,
                "wsgi.input_terminated": True,
                "HTTP_TRANSFER_ENCODING": "chunked",
                "CONTENT_LENGTH": declared,
            }
        )
        answer, status, _ = run_wsgi_app(notes_app, environ)
        assert int(status.split()[0]) == expected, declared
        if expected == 413:
            assert json.loads(b"".join(answer)) == too_large(50)
            assert stream.read_bytes <= 51  # not the whole upload


def test_a_content_length_that_is_not_a_number_is_no_500(notes_app: Flask) -> None:
    # "²" is a digit to str.isdigit() and not to int(): it used to raise ValueError.
    environ = EnvironBuilder(
        path="/api/priced", method="POST", content_type="application/json"
    ).get_environ()
    environ.update({"wsgi.input": Arriving(note("x")), "CONTENT_LENGTH": "\u00b2"})
    answer, status, _ = run_wsgi_app(notes_app, environ)
    # Werkzeug reads no body for a length it cannot parse: the form gets none.
    assert (int(status.split()[0]), json.loads(b"".join(answer))) == (200, {})


@pytest.mark.parametrize("chunked", [False, True], ids=["length", "chunked"])
def test_smaller_flask_max_content_length_is_the_limit(
    notes_app: Flask, chunked: bool
) -> None:
    # TOOLKIT_VALIDATION_MAX_BODY keeps its default (1 MiB); Flask's is smaller.
    notes_app.config["MAX_CONTENT_LENGTH"] = 10
    status, answer = send(notes_app, Arriving(note("x" * 200)), chunked=chunked)
    assert status == 413
    assert answer == too_large(10)


def test_chunked_body_a_hook_read_first_is_the_body_validated(
    notes_app: Flask,
) -> None:
    @notes_app.before_request
    def read_first() -> None:  # as a signature check or a request log does
        request.get_data()

    notes_app.config["TOOLKIT_VALIDATION_MAX_BODY"] = 50
    status, answer = send(notes_app, Arriving(note("read twice")), chunked=True)
    assert status == 200
    assert answer == {"text": "read twice", "again": {"text": "read twice"}}
    status, answer = send(notes_app, Arriving(note("x" * 100)), chunked=True)
    assert status == 413
    assert answer == too_large(50)


def test_chunked_body_arriving_in_pieces_is_read_whole(notes_app: Flask) -> None:
    text = "in pieces " * 20
    status, answer = send(notes_app, Arriving(note(text), piece=7), chunked=True)
    assert status == 200
    assert answer == {"text": text, "again": {"text": text}}


@pytest.mark.parametrize(
    "content_type",
    [
        "application/merge-patch+json",
        "application/vnd.api+json",
        "Application/JSON",
        "application/json ; charset=utf-8",
    ],
)
def test_json_media_types_are_read(notes_app: Flask, content_type: str) -> None:
    answer = notes_app.test_client().post(
        "/notes", data=note("typed"), content_type=content_type
    )
    assert answer.status_code == 200
    assert answer.json == {"text": "typed", "again": {"text": "typed"}}


@pytest.mark.parametrize(
    ("content_type", "body", "status", "msg"),
    [
        (None, note("x"), 415, NOT_JSON_TYPE),  # no Content-Type header at all
        ("text/plain", note("x"), 415, NOT_JSON_TYPE),
        ("application/json", b"[1]", 400, NOT_OBJECT),
        ("application/json", b'"text"', 400, NOT_OBJECT),
    ],
    ids=["no-type", "text-plain", "list", "string"],
)
def test_refusals_say_what_to_send(
    notes_app: Flask, content_type: str | None, body: bytes, status: int, msg: str
) -> None:
    answer = notes_app.test_client().post(
        "/notes", data=body, content_type=content_type
    )
    assert answer.status_code == status
    assert answer.json == {"code": -1, "msg": msg}


@pytest.mark.parametrize(
    ("body", "msg"),
    [
        (b'{"text": "\xff"}', NOT_UTF8),
        (b'{"text": "\\ud800"}', NOT_UTF8),
        (
            (
                '{"tags": ['
                + ", ".join(["1.5"] * numbers.MAX_EXACT_VALUES)
                + '], "amount": 1e1001}'
            ).encode(),
            BODY_OUT_OF_RANGE,
        ),
    ],
    ids=["bad-bytes", "lone-surrogate", "out-of-range"],
)
def test_form_built_in_the_view_answers_a_bad_body_with_400(
    notes_app: Flask, body: bytes, msg: str
) -> None:
    answer = notes_app.test_client().post(
        "/api/priced", data=body, content_type="application/json"
    )
    assert answer.status_code == 400
    assert answer.json == {"code": -1, "msg": msg}


def test_form_built_in_the_view_reads_the_query_and_exact_decimals(
    notes_app: Flask,
) -> None:
    client = notes_app.test_client()
    answer = client.get("/api/priced?text=query&amount=1.25")
    assert answer.json == {"text": "query", "amount": "1.25"}
    exact = "0.12345678901234567890123"  # more digits than a float keeps
    answer = client.post(
        "/api/priced", data=f'{{"amount": {exact}}}', content_type="application/json"
    )
    assert answer.status_code == 200
    assert answer.json == {"amount": exact}


def test_scheduler_job_args_beyond_the_float_range_are_out_of_range(
    tmp_path: Path,
) -> None:
    # The scheduler API reads bodies with floats (decimals=False): 1e400 is a finite
    # number too large for a float, not an Infinity the client sent.
    app = scheduler_api.make_app(tmp_path)
    try:
        admin = scheduler_api.caller(app, "admin")
        job = '{"id": "big", "func": "tests._scheduler_api:job1", "args": [1e400]}'
        answer = admin.post(
            "/scheduler/jobs", data=job, content_type="application/json"
        )
        assert answer.status_code == 400
        assert answer.json["msg"] == {"args": ["Number out of range."]}
    finally:
        scheduler_api.close(app)


def test_request_locale_reads_the_request_it_is_given(app: Flask) -> None:
    # Only the app context is pushed: there is no current request to fall back on.
    environ = EnvironBuilder(headers=[("Accept-Language", "zh-CN")]).get_environ()
    assert request_locale(Request(environ)) == "zh"


class Named(MetaForm):
    name = StringField(validators=[InputRequired()])


def bare_app() -> Flask:
    """An app that was never given to ``Toolkit``."""
    app = Flask("bare")
    app.config.update(TESTING=True)

    @app.post("/named")
    @validate_data(Named)
    def named(form: Named) -> dict[str, t.Any]:
        return {"name": form.name.data}

    @app.post("/built")
    def built() -> dict[str, t.Any]:
        form = Named()
        form.validate()
        return {"errors": form.errors}

    return app


def test_validation_in_an_unregistered_app_says_how_to_fix_it() -> None:
    client = bare_app().test_client()
    assert client.post("/named", json={"name": "ok"}).json == {"name": "ok"}
    with pytest.raises(RuntimeError) as raised:
        client.post("/named", json={})
    assert str(raised.value) == (
        "Config key 'TOOLKIT_VALIDATION_STATUS' is missing: the app is not registered"
        " with flask-toolkit. Did you forget to call 'Toolkit(app)' or"
        " 'toolkit.init_app(app)'?"
    )


def test_form_in_an_unregistered_app_follows_accept_language() -> None:
    # TOOLKIT_VALIDATION_TRANSLATE is documented to default to True; without the
    # toolkit's config defaults, a form built in a view still translates.
    client = bare_app().test_client()
    answer = client.post("/built", json={}, headers={"Accept-Language": "zh"})
    assert answer.json == {"errors": {"name": ["该字段是必填字段。"]}}
