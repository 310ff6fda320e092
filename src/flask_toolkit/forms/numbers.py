"""Bounds on the numbers of a JSON body, checked before they are converted.

Python turns any JSON number into an ``int``, ``float`` or
:class:`~decimal.Decimal`, but some conversions cost unbounded CPU or memory:
``int(Decimal("1e1000000"))`` builds a million-digit integer (seconds of CPU),
``Decimal("1e9999999999999999999")`` raises :class:`~decimal.InvalidOperation`, and
``int()`` of a literal longer than 4,300 digits raises :class:`ValueError`.

So the body reader (:func:`loads`) parses numbers with these bounds:

- a number with a fraction or an exponent is *out of range* when it is written with
  more than :data:`MAX_DIGITS` characters, or when its magnitude is beyond
  ``10**±MAX_EXPONENT`` (``1e1000`` is in range, ``1e1001`` and ``1e-1001`` are not);
- an integer is out of range when it has more digits than Python converts
  (``sys.get_int_max_str_digits()``, 4,300 by default; :data:`MAX_INT_DIGITS` when
  the app lifted that limit).

An out-of-range number becomes an :class:`OutOfRange` marker instead of a number.
Every field converter refuses the marker with the field error ``"Number out of
range."``; a key no field has is an unknown field as usual. The body is still valid
JSON: the error is about the value.
"""

from __future__ import annotations

import decimal
import json
import sys
import typing as t

#: Most characters a body number with a fraction or exponent may be written with.
MAX_DIGITS = 1000
#: Largest power of ten (either sign) of such a number's magnitude.
MAX_EXPONENT = 1000
#: Most digits of a body integer when Python's own limit is lifted (or absent).
MAX_INT_DIGITS = 4300

_INFINITIES = (float("inf"), float("-inf"))

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


def _int_limit() -> int | None:
    """Python's own integer digit limit, when it is in force and not above ours."""
    getter = getattr(sys, "get_int_max_str_digits", None)
    limit = getter() if getter is not None else 0
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
    if len(literal) > MAX_DIGITS:
        return OutOfRange(literal)
    try:
        value = decimal.Decimal(literal)
    except (decimal.DecimalException, ValueError):  # an exponent beyond Decimal's
        return OutOfRange(literal)
    if -MAX_EXPONENT <= value.adjusted() <= MAX_EXPONENT or not value:
        return value
    return OutOfRange(literal)


def parse_float(literal: str) -> float | OutOfRange:
    """``parse_float`` hook: the ``float``, or :class:`OutOfRange` (the same bounds,
    and the float range).
    """
    if len(literal) < 6:
        number = float(literal)
    else:
        value = parse_decimal(literal)
        if isinstance(value, OutOfRange):
            return value
        number = float(value)
    if number in _INFINITIES:  # beyond the float range, as 1e400 is
        return OutOfRange(literal)
    return number


def loads(text: str, *, decimals: bool, parse_constant: t.Any) -> t.Any:
    """``json.loads(text)`` with numbers bounded as the module doc says.

    Integers are left to the C parser while Python's digit limit is in force (the
    common case, and the fast one); a body it refuses for that limit is parsed again
    with :func:`parse_int`, so the long integer becomes :class:`OutOfRange`.

    :param decimals: numbers with a fraction or exponent as :class:`~decimal.Decimal`.
    :raises ValueError: when ``text`` is not JSON.
    :raises RecursionError: when it is nested too deeply.
    """
    parse_float_hook = parse_decimal if decimals else parse_float
    if _int_limit() is not None:
        try:
            return json.loads(
                text, parse_float=parse_float_hook, parse_constant=parse_constant
            )
        except ValueError as e:
            if "integer string conversion" not in str(e):
                raise
    return json.loads(
        text,
        parse_float=parse_float_hook,
        parse_int=parse_int,
        parse_constant=parse_constant,
    )


def contains_out_of_range(value: t.Any) -> bool:
    """Whether ``value`` (any decoded JSON value) holds an :class:`OutOfRange` number.

    Walks lists and objects without recursion, so any nesting depth is fine.
    """
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, OutOfRange):
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
