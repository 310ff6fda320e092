"""Reading a JSON request body safely, in the error envelope.

Every way a client can get the body wrong is answered in the error envelope, whatever
kind of route the view is on (a validated endpoint is a JSON API by definition):

- not JSON text (a syntax error, nested too deep): 400;
- not UTF-8 text (bad bytes, or a lone surrogate, raw or escaped as ``\\ud800``): 400;
- compressed (a ``Content-Encoding`` other than ``identity``): 415;
- JSON, but not an object (a list, a string, a number, ``null``):
  ``TOOLKIT_VALIDATION_STATUS``;
- a non-empty body without a JSON ``Content-Type``: 415;
- larger than ``TOOLKIT_VALIDATION_MAX_BODY`` bytes (or Flask's
  ``MAX_CONTENT_LENGTH``): 413; a body without a length (chunked) is read up to the
  limit and no further;
- fields that fail validation: ``TOOLKIT_VALIDATION_STATUS`` with a mapping of field
  name to messages as ``msg``; every other case has a sentence as ``msg``.

An empty body is no body (``{}``); whether a form reads the query string is its
``Meta.sources`` (see :mod:`flask_toolkit.forms.form`). Numbers in the body are parsed
as :class:`~decimal.Decimal` so a :class:`~wtforms.fields.DecimalField` gets exactly
what the client wrote, within the
bounds of :mod:`flask_toolkit.forms.numbers` (beyond them a number is an
:class:`~flask_toolkit.forms.numbers.OutOfRange` marker that fields refuse).
"""

from __future__ import annotations

import json
import re
import typing as t

from flask import current_app
from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from .. import config
from ..errors import APIError
from . import numbers
from .messages import negotiate
from .messages import own_message

if t.TYPE_CHECKING:
    from flask import Request
    from werkzeug.datastructures import MultiDict


config.register_defaults(
    {
        "TOOLKIT_VALIDATION_STATUS": 400,
        "TOOLKIT_VALIDATION_MAX_BODY": 1024 * 1024,
        "TOOLKIT_VALIDATION_TRANSLATE": True,
    }
)

#: ``\\uD800``-``\\uDFFF`` escapes (a pair is fine; a lone one is not text).
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89abcdefABCDEF]")
_SURROGATE = re.compile("[\ud800-\udfff]")

_CONSTANTS = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}


class BadBody(APIError):
    """The request body cannot be read as a JSON object; answered in the envelope."""


def _parse_constant(name: str) -> float:
    return _CONSTANTS[name]


def setting(key: str) -> t.Any:
    try:
        return current_app.config[key]
    except KeyError:
        raise RuntimeError(
            f"Config key {key!r} is missing: the app is not registered with"
            " flask-toolkit. Did you forget to call 'Toolkit(app)' or"
            " 'toolkit.init_app(app)'?"
        ) from None


def request_locale(req: Request | None = None) -> str | None:
    """The WTForms catalogue for the request's ``Accept-Language``.

    :param req: the request; the current one by default.
    """
    environ = (request if req is None else req).environ
    header = environ.get("HTTP_ACCEPT_LANGUAGE")
    if not header or not current_app.config.get("TOOLKIT_VALIDATION_TRANSLATE", True):
        return None
    return negotiate(header)


def _fail(status: int, text: str, **values: t.Any) -> t.NoReturn:
    msg = own_message(request_locale(), text)
    raise BadBody(status, msg % values if values else msg)


def _is_json(req: Request, content_type: str) -> bool:
    if content_type == "application/json" or content_type.startswith(
        "application/json;"
    ):
        return True
    return bool(req.is_json)


def read_json_request(
    decimals: bool = True,
) -> tuple[dict[str, t.Any], MultiDict[str, str] | None]:
    """Return ``(body object, query args or None)`` for the current request.

    :param decimals: parse numbers with a fraction or exponent as
        :class:`~decimal.Decimal` (exact) rather than ``float``.
    :raises BadBody: for every body that is not a JSON object (see the module doc).
    """
    req: Request = request._get_current_object()  # type: ignore[attr-defined]
    return read_body(req, decimals), (
        req.args if req.environ.get("QUERY_STRING") else None
    )


def read_body(req: Request, decimals: bool = True) -> dict[str, t.Any]:
    """Return the body of ``req`` as a JSON object (``{}`` when there is none).

    :param req: the request (not the proxy).
    :param decimals: see :func:`read_json_request`.
    :raises BadBody: for every body that is not a JSON object (see the module doc).
    """
    environ = req.environ
    limit = current_app.config.get("TOOLKIT_VALIDATION_MAX_BODY")
    # Werkzeug < 3.1 applies MAX_CONTENT_LENGTH to form parsing only, not to get_data.
    flask_limit = req.max_content_length
    if flask_limit is not None and (limit is None or flask_limit < limit):
        limit = flask_limit
    header = environ.get("CONTENT_LENGTH")
    if (
        header
        and header.isdigit()
        and header.isascii()  # "²" is a digit that int() refuses
        and "HTTP_TRANSFER_ENCODING" not in environ  # chunked: the length is unknown
    ):
        length: int | None = int(header)
    else:
        length = req.content_length
    if limit is not None and length is not None and length > limit:
        _too_large(limit)
    if length == 0:
        return {}
    if length is None and limit is not None:
        raw = _read_limited(req, limit)
    else:
        try:
            raw = req.get_data(cache=True)
        except RequestEntityTooLarge:
            _too_large(limit or 0)
    if not raw:
        return {}
    if limit is not None and len(raw) > limit:
        _too_large(limit)
    encoding = environ.get("HTTP_CONTENT_ENCODING", "").strip().lower()
    if encoding and encoding != "identity":
        _fail(415, "Send the request body uncompressed, without 'Content-Encoding'.")
    if not _is_json(req, environ.get("CONTENT_TYPE", "")):
        _fail(
            415, "Send the request body as JSON, with 'Content-Type: application/json'."
        )
    try:
        text = raw.decode(json.detect_encoding(raw))
    except UnicodeDecodeError:
        _fail(400, "The request body is not valid UTF-8 text.")
    try:
        body = numbers.loads(text, decimals=decimals, parse_constant=_parse_constant)
    except numbers.NumbersOutOfRange:
        _fail(
            400,
            "A number in the request body is out of range (too many digits, or too"
            " large or small an exponent); the body is too large to say which.",
        )
    except (ValueError, RecursionError):
        _fail(400, "The request body is not valid JSON.")
    if "\\u" in text and _ESCAPED_SURROGATE.search(text) and _has_surrogate(body):
        _fail(400, "The request body is not valid UTF-8 text.")
    if not isinstance(body, dict):
        _fail(
            setting("TOOLKIT_VALIDATION_STATUS"),
            "The request body must be a JSON object.",
        )
    return body


def _too_large(limit: int) -> t.NoReturn:
    _fail(413, "The request body is larger than %(max)d bytes.", max=limit)


def _read_limited(req: Request, limit: int) -> bytes:
    """Read a body without a length (chunked): at most ``limit`` bytes, then 413."""
    cached: bytes | None = getattr(req, "_cached_data", None)
    if cached is not None:  # read already, by get_data(cache=True)
        return cached
    stream = req.stream
    chunks: list[bytes] = []
    size = 0
    try:
        while size <= limit:
            chunk = stream.read(min(65536, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except RequestEntityTooLarge:
        _too_large(limit)
    if size > limit:
        _too_large(limit)
    raw = b"".join(chunks)
    # What get_data(cache=True) would keep, so later readers see the same bytes.
    req._cached_data = raw
    return raw


def _has_surrogate(value: t.Any) -> bool:
    """Whether a decoded JSON value has a lone surrogate in any string or key."""
    stack = [value]
    search = _SURROGATE.search
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if search(item):
                return True
        elif isinstance(item, dict):
            for key, entry in item.items():
                if search(key):
                    return True
                stack.append(entry)
        elif isinstance(item, list):
            stack.extend(item)
    return False
