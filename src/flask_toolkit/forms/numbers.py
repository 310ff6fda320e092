"""Bounds on the numbers of a JSON body, checked before they are converted.

Python turns any JSON number into an ``int``, ``float`` or
:class:`~decimal.Decimal`, but some conversions cost unbounded CPU or memory:
``int(Decimal("1e1000000"))`` builds a million-digit integer (seconds of CPU),
``Decimal("1e9999999999999999999")`` raises :class:`~decimal.InvalidOperation`, and
``int()`` of a literal longer than 4,300 digits raises :class:`ValueError`.

So the body reader (``loads``) parses numbers with these bounds:

- a number with a fraction or an exponent is *out of range* when it has more than
  :data:`MAX_DIGITS` significant digits, or when its magnitude is beyond
  ``10**±MAX_EXPONENT`` (``1e1000`` is in range, ``1e1001`` and ``1e-1001`` are not);
- an integer is out of range when it has more digits than Python converts
  (``sys.get_int_max_str_digits()``, 4,300 by default; :data:`MAX_INT_DIGITS` when
  the app lifted that limit).

An out-of-range number becomes an :class:`OutOfRange` marker instead of a number.
Every field converter refuses the marker with the field error ``"Number out of
range."``; a key no field has is an unknown field as usual. The body is still valid
JSON: the error is about the value.

The cost stays that of the C JSON decoder whatever the body holds. Every body is
first decoded with C callables only, and a :class:`decimal.Context` whose precision
and exponent limits are the bounds above records, without raising, whether any
number broke them. Only a body that has an out-of-range number is decoded again
number by number in Python, to put each marker in its place; a body with more than
:data:`MAX_EXACT_VALUES` values is refused whole instead
(:class:`NumbersOutOfRange`), so that no body costs more than a few milliseconds of
Python per number.
"""

from __future__ import annotations

import decimal
import json
import re
import sys
import typing as t

#: Most significant digits of a body number with a fraction or exponent.
MAX_DIGITS = 1000
#: Largest power of ten (either sign) of such a number's magnitude.
MAX_EXPONENT = 1000
#: Most digits of a body integer when Python's own limit is lifted (or absent).
MAX_INT_DIGITS = 4300
#: Most values (a bound: commas and colons, plus one) of a body whose out-of-range
#: numbers are marked one by one; a larger one is refused with
#: :class:`NumbersOutOfRange`.
MAX_EXACT_VALUES = 20_000

_INFINITIES = (float("inf"), float("-inf"))

#: The bounds as a context: a literal beyond them raises one of ``_BEYOND``
#: (trapped: :func:`parse_decimal`) or sets its flag (untrapped copies: :func:`loads`).
#: ``Clamped`` is a zero written with a huge exponent: in range, but sent the exact way.
_BEYOND = (
    decimal.Overflow,
    decimal.Underflow,
    decimal.Subnormal,
    decimal.Rounded,
    decimal.Clamped,
    decimal.InvalidOperation,
)
_BOUNDS = decimal.Context(
    prec=MAX_DIGITS, Emax=MAX_EXPONENT, Emin=-MAX_EXPONENT, traps=list(_BEYOND)
)
_CHECKING = decimal.Context(
    prec=MAX_DIGITS, Emax=MAX_EXPONENT, Emin=-MAX_EXPONENT, traps=[]
)
#: The same for floats: a float is out of range from ``1e309`` on.
_FLOAT_EMAX = 308
_CHECKING_FLOATS = decimal.Context(
    prec=MAX_DIGITS, Emax=_FLOAT_EMAX, Emin=-MAX_EXPONENT, traps=[]
)
#: Bodies up to this length are searched for a risky float (an exponent of three
#: digits or more, or a run of 309 digits or more) before the checking pass is paid;
#: larger ones always get the checking pass (cheaper than the search there).
_SEARCHED_BODY = 2048
#: Where a float can be out of range (``(?<!\d)`` starts a run at its first digit).
_RISKY_FLOAT = re.compile(r"[eE][-+]?\d{3}|(?<!\d)\d{309}")


class NumbersOutOfRange(ValueError):
    """A body with an out-of-range number and too many values to mark them one by one
    (:data:`MAX_EXACT_VALUES`); the reader answers 400 for the whole body.
    """


#: The field error for an :class:`OutOfRange` number (translated like the others).
MESSAGE = "Number out of range."


class OutOfRange:
    """A body number too long or too large to convert; fields refuse it.

    Only the first few characters of the literal are kept, for ``repr``.
    """

    __slots__ = ("head",)

    def __init__(self, literal: str) -> None:
        self.head = literal[:16]

    def __repr__(self) -> str:
        return f"<number out of range: {self.head}...>"


_get_int_limit = getattr(sys, "get_int_max_str_digits", None)  # Python >= 3.10.7


def _int_limit() -> int | None:
    """Python's own integer digit limit, when it is in force and not above ours."""
    limit = _get_int_limit() if _get_int_limit is not None else 0
    return limit if 0 < limit <= MAX_INT_DIGITS else None


def parse_int(literal: str) -> int | OutOfRange:
    """``json.loads``' ``parse_int`` hook: the integer, or :class:`OutOfRange`."""
    limit = _int_limit() or MAX_INT_DIGITS
    if len(literal) - literal.startswith("-") > limit:
        return OutOfRange(literal)
    return int(literal)


def parse_decimal(literal: str) -> decimal.Decimal | OutOfRange:
    """``parse_float`` hook: the exact :class:`~decimal.Decimal`, or
    :class:`OutOfRange`.
    """
    if len(literal) < 6:  # "1e1001" is the shortest literal out of range
        return decimal.Decimal(literal)
    try:
        return _BOUNDS.create_decimal(literal)
    except decimal.DecimalException:
        pass
    try:
        value = decimal.Decimal(literal)
    except (decimal.DecimalException, ValueError):  # an exponent beyond Decimal's
        return OutOfRange(literal)
    # A zero with a huge exponent is clamped, but it is zero: in range.
    return value if not value else OutOfRange(literal)


def parse_float(literal: str) -> float | OutOfRange:
    """``parse_float`` hook: the ``float``, or :class:`OutOfRange` (the same bounds,
    and the float range: a magnitude of ``1e309`` or more).

    A literal just above the largest float and below ``1e309`` (``1.8e308``) is the
    ``float`` infinity, which every field refuses as not a valid number.
    """
    if len(literal) < 6:
        number = float(literal)
        if number in _INFINITIES and decimal.Decimal(literal).adjusted() > _FLOAT_EMAX:
            return OutOfRange(literal)
        return number
    value = parse_decimal(literal)
    if isinstance(value, OutOfRange) or (value and value.adjusted() > _FLOAT_EMAX):
        return OutOfRange(literal)
    return float(value)  # a zero with a huge exponent is zero, as with Decimals


_decoders: dict[tuple[t.Any, t.Any], t.Any] = {}


def _plain_decoder(parse_int: t.Any, parse_constant: t.Any) -> t.Any:
    """``json.loads`` without a float hook, its decoder built once per set of hooks:
    ``json.loads`` with any hook builds a new ``JSONDecoder`` (and its scanner) on
    every call, which costs more than decoding a small body. Decoders keep no state
    between calls (``json`` shares its own default one between threads the same way).
    """
    key = (parse_int, parse_constant)
    decode = _decoders.get(key)
    if decode is None:
        decode = json.JSONDecoder(
            parse_int=parse_int, parse_constant=parse_constant
        ).decode
        if len(_decoders) >= 16:  # a caller passing a new hook per call
            _decoders.clear()
        _decoders[key] = decode
    return decode


def loads(text: str, *, decimals: bool, parse_constant: t.Any) -> t.Any:
    """``json.loads(text)`` with numbers bounded as the module doc says.

    :param decimals: numbers with a fraction or exponent as :class:`~decimal.Decimal`.
    :raises NumbersOutOfRange: when the body has an out-of-range number and more
        than :data:`MAX_EXACT_VALUES` values.
    :raises ValueError: when ``text`` is not JSON.
    :raises RecursionError: when it is nested too deeply.
    """
    # While Python's digit limit is in force, the C decoder refuses longer integers
    # itself; an app that lifted it gets each integer checked by parse_int.
    ints = None if _int_limit() is not None else parse_int
    checking = (_CHECKING if decimals else _CHECKING_FLOATS).copy()  # own flags
    try:
        if decimals:
            value = json.loads(
                text,
                parse_float=checking.create_decimal,
                parse_int=ints,
                parse_constant=parse_constant,
            )
        else:
            # Floats: a checking pass, then the floats, when a literal could be out of
            # range at all.
            if len(text) > _SEARCHED_BODY or _RISKY_FLOAT.search(text):
                json.loads(
                    text,
                    parse_float=checking.create_decimal,
                    parse_int=ints,
                    parse_constant=parse_constant,
                )
            if not any(checking.flags[signal] for signal in _BEYOND):
                value = _plain_decoder(ints, parse_constant)(text)
    except ValueError as e:  # an integer longer than int() takes, or not JSON
        if "integer string conversion" not in str(e):
            raise
    else:
        if not (
            any(checking.flags[signal] for signal in _BEYOND)
            or (ints is not None and contains_out_of_range(value))
        ):
            return value
    if text.count(",") + text.count(":") >= MAX_EXACT_VALUES:
        raise NumbersOutOfRange(
            "A number in the request body is out of range, and the body is too large"
            " to say which."
        )
    return json.loads(
        text,
        parse_float=parse_decimal if decimals else parse_float,
        parse_int=parse_int,
        parse_constant=parse_constant,
    )


def contains_out_of_range(value: t.Any) -> bool:
    """Whether ``value`` (any decoded JSON value) holds an :class:`OutOfRange` number.

    Walks lists and objects without recursion, so any nesting depth is fine; the
    items of each are looked at by type all at once, so a long list costs little.
    """
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, OutOfRange):
            return True
        if isinstance(item, (dict, list)):
            items = item.values() if isinstance(item, dict) else item
            kinds = set(map(type, items))
            if OutOfRange in kinds:
                return True
            if not kinds.isdisjoint(_CONTAINERS):
                stack.extend(x for x in items if isinstance(x, (dict, list)))
            elif not kinds <= _SCALARS:  # subclasses: look at each
                stack.extend(items)
    return False


_CONTAINERS = frozenset({dict, list})
_SCALARS = frozenset({str, int, float, bool, type(None), decimal.Decimal})
