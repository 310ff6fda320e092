"""Bounds on the numbers of a JSON body, checked on the literal before converting it.

Python turns any JSON number into an ``int``, ``float`` or
:class:`~decimal.Decimal`, but some conversions cost unbounded CPU or memory:
``int(Decimal("1e1000000"))`` builds a million-digit integer (seconds of CPU),
``Decimal("1e9999999999999999999")`` raises :class:`~decimal.InvalidOperation`, and
``int()`` of a literal longer than 4,300 digits raises :class:`ValueError`.

So the body reader parses numbers through :func:`parse_int` and :func:`parse_float`,
which look at the literal first. A number written with more than :data:`MAX_DIGITS`
digits, or with an exponent beyond ±\\ :data:`MAX_EXPONENT`, becomes an
:class:`OutOfRange` marker instead of a number. Every field converter refuses the
marker with the field error ``"Number out of range."``; a key no field has is an
unknown field as usual. The body is still valid JSON: the error is about the value.
"""

from __future__ import annotations

import decimal
import typing as t

#: Most digits a body number may be written with (integer part and fraction).
MAX_DIGITS = 1000
#: Largest exponent (``e``/``E`` part) a body number may be written with, either sign.
MAX_EXPONENT = 1000

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


def _digits(mantissa: str) -> int:
    return len(mantissa) - mantissa.startswith("-") - ("." in mantissa)


def _too_big(literal: str) -> bool:
    """Whether a JSON number literal has too many digits or too large an exponent."""
    cut = literal.find("e")
    if cut < 0:
        cut = literal.find("E")
    if cut < 0:
        return len(literal) > MAX_DIGITS and _digits(literal) > MAX_DIGITS
    exponent = literal[cut + 1 :].lstrip("+-").lstrip("0")
    if len(exponent) > len(str(MAX_EXPONENT)) or int(exponent or 0) > MAX_EXPONENT:
        return True
    return cut > MAX_DIGITS and _digits(literal[:cut]) > MAX_DIGITS


def parse_int(literal: str) -> int | OutOfRange:
    """``json.loads``' ``parse_int`` hook: the integer, or :class:`OutOfRange`."""
    if len(literal) > MAX_DIGITS + 1:  # one more for a minus sign
        return OutOfRange(literal)
    return int(literal)


def parse_decimal(literal: str) -> decimal.Decimal | OutOfRange:
    """``parse_float`` hook: the exact :class:`~decimal.Decimal`, or
    :class:`OutOfRange`.
    """
    if _too_big(literal):
        return OutOfRange(literal)
    return decimal.Decimal(literal)


def parse_float(literal: str) -> float | OutOfRange:
    """``parse_float`` hook: the ``float``, or :class:`OutOfRange`."""
    if _too_big(literal):
        return OutOfRange(literal)
    return float(literal)


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
