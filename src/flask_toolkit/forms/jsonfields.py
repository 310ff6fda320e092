"""How each WTForms field takes a JSON value or a query-string value.

WTForms fields only know form strings (``process_formdata``) and trusted Python
defaults (``process_data``). A JSON body is neither: ``1`` must not become ``"1"`` in a
string field, ``true`` must not become ``1`` in an integer field. This module gives
each field class a *converter* that takes one JSON value (strict types) or one
query-string value (a string, coerced) and returns the field's Python value, or raises
:class:`InvalidValue` with a message for the client.

- ``StringField`` and its subclasses: a string in the body; the query string as is.
  Text with a NUL character is refused (PostgreSQL cannot store it).
- ``IntegerField``, ``IntegerRangeField``: an integer (``2.0`` counts, as in JSON
  Schema); from the query string, ``[+-]digits``. Outside the signed 64-bit range it
  is "Number out of range." unless the field has :class:`AllowBigIntegers`.
- ``FloatField``: a number; from the query string, a decimal number.
- ``DecimalField``, ``DecimalRangeField``: a number, exactly as written (bodies are
  parsed with :class:`~decimal.Decimal`); from the query string, a decimal number.
- ``BooleanField``: ``true``/``false``; from the query string ``true/false``,
  ``1/0``, ``on/off``, ``yes/no``.
- ``SelectField``, ``RadioField``: a value of ``coerce``'s JSON type (a string for
  ``coerce=str``, an integer for ``coerce=int``); other ``coerce`` callables get the
  scalar value. From the query string, ``coerce(string)``.
- ``SelectMultipleField``: a list of such values; from the query string, every value
  of the repeated key.
- date and time fields, and any other field: a string, parsed by the field's own
  ``process_formdata`` (so its ``format`` applies).

A body number beyond the bounds of :mod:`flask_toolkit.forms.numbers` arrives as an
:class:`~flask_toolkit.forms.numbers.OutOfRange` marker: number fields answer it with
"Number out of range.", the others with their type message.

``NaN`` and ``Infinity`` are refused by number fields unless the field has the
:class:`AllowNonFinite` validator. A custom field can define
``process_json(value, from_query)`` returning its value (raise ``ValueError`` with a
message to refuse it); it is used instead of the table above.
"""

from __future__ import annotations

import decimal
import math
import re
import typing as t

from wtforms import fields as f

from . import numbers
from .messages import own_message
from .numbers import contains_out_of_range
from .numbers import OutOfRange

#: ``(field, value, from_query) -> python value``
Converter = t.Callable[[t.Any, t.Any, bool], t.Any]

_INT_RE = re.compile(r"[+-]?[0-9]+\Z")
_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
#: The default range of an integer field: a signed 64-bit integer, what every
#: supported database stores in its largest integer column.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_TRUE = frozenset({"true", "1", "on", "yes"})
_FALSE = frozenset({"false", "0", "off", "no"})


class InvalidValue(Exception):
    """A value the field cannot take; ``message`` is shown to the client."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AllowBigIntegers:
    """Let an integer field accept integers outside the signed 64-bit range.

    Integer fields refuse them by default with "Number out of range.", because no
    supported database can store or compare them in an integer column::

        serial = IntegerField(validators=[AllowBigIntegers()])

    Body numbers written with more than 1,000 digits are refused all the same
    (see :mod:`flask_toolkit.forms.numbers`).
    """

    field_flags = {"allow_big_integers": True}

    def __call__(self, form: t.Any, field: t.Any) -> None:
        return None


class AllowNonFinite:
    """Let a float or decimal field accept ``NaN``, ``Infinity`` and ``-Infinity``.

    Number fields refuse them by default, because few APIs mean to store them::

        ratio = FloatField(validators=[AllowNonFinite()])
    """

    field_flags = {"allow_nonfinite": True}

    def __call__(self, form: t.Any, field: t.Any) -> None:
        return None


def message(field: t.Any, text: str) -> str:
    """Translate ``text`` for the field's language (WTForms catalogue, then ours)."""
    translated = field.gettext(text)
    if translated == text:
        translated = own_message(getattr(field.meta, "_toolkit_locale", None), text)
    return t.cast(str, translated)


def to_str(field: t.Any, value: t.Any, from_query: bool) -> str:
    if isinstance(value, str):
        if "\x00" in value:
            raise InvalidValue(message(field, "Text must not contain NUL characters."))
        return value
    raise InvalidValue(message(field, "Not a valid string."))


def out_of_range(field: t.Any) -> InvalidValue:
    """The error for a number the field cannot take because of its size."""
    return InvalidValue(message(field, numbers.MESSAGE))


def _checked_int(field: t.Any, number: int) -> int:
    if INT64_MIN <= number <= INT64_MAX or field.flags.allow_big_integers:
        return number
    raise out_of_range(field)


def _to_int(field: t.Any, value: t.Any, from_query: bool) -> int:
    if from_query:
        if isinstance(value, str) and _INT_RE.match(value.strip()):
            text = value.strip().lstrip("+-").lstrip("0")
            if len(text) > 19 and not field.flags.allow_big_integers:
                raise out_of_range(field)
            try:
                return _checked_int(field, int(value))
            except ValueError:  # more digits than int() allows
                raise out_of_range(field) from None
    elif isinstance(value, int) and not isinstance(value, bool):
        return _checked_int(field, value)
    elif isinstance(value, decimal.Decimal) and value.is_finite():
        if value == value.to_integral_value():
            if value.adjusted() > 18 and not field.flags.allow_big_integers:
                raise out_of_range(field)
            return _checked_int(field, int(value))
    elif isinstance(value, float) and value.is_integer():
        return _checked_int(field, int(value))
    elif isinstance(value, OutOfRange):
        raise out_of_range(field)
    raise InvalidValue(message(field, "Not a valid integer value."))


def _finite_or_allowed(field: t.Any, value: t.Any, text: str) -> None:
    if not field.flags.allow_nonfinite:
        raise InvalidValue(message(field, text))


def _query_number(field: t.Any, value: t.Any, text: str) -> str:
    """A query-string number, stripped: a plain number, or a non-finite one (NaN,
    Infinity) where the field allows it; anything else is an :class:`InvalidValue`.
    """
    if not isinstance(value, str):
        raise InvalidValue(message(field, text))
    text_value = value.strip()
    if _NUMBER_RE.match(text_value):
        return text_value
    if text_value.lower().lstrip("+-") in {"nan", "inf", "infinity"}:
        _finite_or_allowed(field, text_value, text)
        return text_value
    raise InvalidValue(message(field, text))


def _to_float(field: t.Any, value: t.Any, from_query: bool) -> float:
    text = "Not a valid float value."
    if from_query:
        value = _query_number(field, value, text)
    elif isinstance(value, OutOfRange):
        raise out_of_range(field)
    elif isinstance(value, bool) or not isinstance(
        value, (int, float, decimal.Decimal)
    ):
        raise InvalidValue(message(field, text))
    try:
        result = float(value)
    except OverflowError:  # an integer beyond the float range
        raise out_of_range(field) from None
    except ValueError:
        raise InvalidValue(message(field, text)) from None
    if not math.isfinite(result):
        if isinstance(value, (int, decimal.Decimal)) and value == value:
            if not isinstance(value, decimal.Decimal) or value.is_finite():
                raise out_of_range(field)
        _finite_or_allowed(field, value, text)
    return result


def _to_decimal(field: t.Any, value: t.Any, from_query: bool) -> decimal.Decimal:
    text = "Not a valid decimal value."
    if from_query:
        return decimal.Decimal(_query_number(field, value, text))
    if isinstance(value, bool):
        raise InvalidValue(message(field, text))
    if isinstance(value, OutOfRange):
        raise out_of_range(field)
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            _finite_or_allowed(field, value, text)
        return value
    if isinstance(value, int):
        return decimal.Decimal(value)
    if isinstance(value, float):  # NaN/Infinity constants, or a float from Python code
        if not math.isfinite(value):
            _finite_or_allowed(field, value, text)
        return decimal.Decimal(repr(value))
    raise InvalidValue(message(field, text))


def _to_bool(field: t.Any, value: t.Any, from_query: bool) -> bool:
    if from_query and isinstance(value, str):
        token = value.strip().lower()
        if token in _TRUE:
            return True
        if token in _FALSE:
            return False
    elif isinstance(value, bool):
        return value
    raise InvalidValue(message(field, "Not a valid boolean value."))


def _by_formdata(field: t.Any, value: t.Any, from_query: bool) -> t.Any:
    """A string handed to the field's own ``process_formdata`` (dates, custom)."""
    if not isinstance(value, str):
        raise InvalidValue(message(field, "Not a valid string."))
    try:
        field.process_formdata([value])
    except ValueError as e:
        raise InvalidValue(
            str(e.args[0]) if e.args else message(field, "Not a valid value.")
        ) from None
    return field.data


def _by_hook(field: t.Any, value: t.Any, from_query: bool) -> t.Any:
    if isinstance(value, (OutOfRange, list, dict)) and contains_out_of_range(value):
        raise out_of_range(field)
    try:
        return field.process_json(value, from_query)
    except ValueError as e:
        raise InvalidValue(
            str(e.args[0]) if e.args else message(field, "Not a valid value.")
        ) from None


_COERCE_CONVERTERS: dict[t.Any, Converter] = {
    str: to_str,
    int: _to_int,
    float: _to_float,
    decimal.Decimal: _to_decimal,
    bool: _to_bool,
}


def _choice(field: t.Any, value: t.Any, from_query: bool) -> t.Any:
    """One choice: a JSON value of ``coerce``'s type, or ``coerce`` applied to it."""
    converter = _COERCE_CONVERTERS.get(field.coerce)
    if converter is not None:
        try:
            return converter(field, value, from_query)
        except InvalidValue:
            raise InvalidValue(
                message(field, "Invalid Choice: could not coerce.")
            ) from None
    if value is None or isinstance(value, (dict, list, OutOfRange)):
        raise InvalidValue(message(field, "Invalid Choice: could not coerce."))
    try:
        return field.coerce(value)
    except (ValueError, TypeError, KeyError, decimal.InvalidOperation):
        raise InvalidValue(
            message(field, "Invalid Choice: could not coerce.")
        ) from None


def _choices(field: t.Any, value: t.Any, from_query: bool) -> list[t.Any]:
    if from_query:
        return [_choice(field, item, True) for item in value]
    if not isinstance(value, list):
        raise InvalidValue(message(field, "Expected a list."))
    return [_choice(field, item, False) for item in value]


#: The converters of number fields (their values compare with numbers).
NUMBER_CONVERTERS: frozenset[Converter] = frozenset({_to_int, _to_float, _to_decimal})

#: Most specific first; the first ``isinstance`` match wins.
_BY_CLASS: tuple[tuple[type, Converter], ...] = (
    (f.BooleanField, _to_bool),
    (f.IntegerField, _to_int),
    (f.DecimalField, _to_decimal),
    (f.FloatField, _to_float),
    (f.SelectMultipleField, _choices),
    (f.SelectField, _choice),
    (f.StringField, to_str),
)

_cache: dict[type, Converter] = {}


def _parse_method(cls: type) -> t.Any:
    for klass in cls.__mro__:
        if "process_formdata" in klass.__dict__:
            return klass.__dict__["process_formdata"]
    return None


def converter_for_class(cls: type) -> Converter:
    """The converter of a field class (see :func:`converter_for`)."""
    return converter_for(object.__new__(cls))


def converter_for(field: t.Any) -> Converter:
    """Return the converter for a field (cached per field class).

    A subclass that overrides ``process_formdata`` keeps its own parsing: it gets
    string values through it, as it would from an HTML form.
    """
    cls = type(field)
    try:
        return _cache[cls]
    except KeyError:
        pass
    converter: Converter = _by_formdata
    if hasattr(cls, "process_json"):
        converter = _by_hook
    else:
        for base, candidate in _BY_CLASS:
            if issubclass(cls, base):
                if _parse_method(cls) is _parse_method(base):
                    converter = candidate
                break
    _cache[cls] = converter
    return converter


def multi_valued(field: t.Any) -> bool:
    """Whether the field takes every value of a repeated query-string key."""
    return converter_for(field) is _choices
