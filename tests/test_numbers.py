"""The bounds on body numbers (``forms/numbers.py``), pinned value by value.

``test_hostile.py`` sends these numbers over HTTP and checks that the fast reader agrees
with the exact one; here each edge literal has its expected value written out, so that
a change to a bound shows up even when both readers move together.
"""

from __future__ import annotations

import decimal
import sys
import typing as t

import pytest

from flask_toolkit.forms import numbers
from flask_toolkit.forms.numbers import OutOfRange

OUT = "out of range"
D = decimal.Decimal

#: literal -> (value read as a Decimal, value read as a float); OUT for the marker.
EDGES: dict[str, tuple[t.Any, t.Any]] = {
    "1.5": (D("1.5"), 1.5),
    "12e2": (D("1.2E+3"), 1200.0),
    "1e308": (D("1E+308"), 1e308),
    "1.7976931348623157e308": (D("1.7976931348623157E+308"), 1.7976931348623157e308),
    # Above the largest float, below 1e309: the float infinity (fields refuse it).
    "1.8e308": (D("1.8E+308"), float("inf")),
    "2e308": (D("2E+308"), float("inf")),
    "1e309": (D("1E+309"), OUT),
    "9e999": (D("9E+999"), OUT),
    "-9e999": (D("-9E+999"), OUT),
    "1e1000": (D("1E+1000"), OUT),
    "1e1001": (OUT, OUT),
    "-1e1001": (OUT, OUT),
    "1e-1000": (D("1E-1000"), 0.0),
    "1e-1001": (OUT, OUT),
    "1e-400": (D("1E-400"), 0.0),
    "4.9e-324": (D("4.9E-324"), 5e-324),
    # A zero is in range whatever its exponent.
    "0e5000": (D("0E+5000"), 0.0),
    "-0e-5000": (D("-0E-5000"), -0.0),
    "1e9999999999999999999": (OUT, OUT),
    "1e-9999999999999999999": (OUT, OUT),
    # 1,000 significant digits are kept, 1,001 are not.
    "9" * 999 + ".5": (D("9" * 999 + ".5"), OUT),
    "9" * 1000 + ".5": (OUT, OUT),
    "1." + "0" * 999: (D("1." + "0" * 999), 1.0),
    "1." + "0" * 1000: (OUT, OUT),
    # Without an exponent: 309 digits before the point is beyond a float.
    "1" + "0" * 308 + ".0": (D("1" + "0" * 308 + ".0"), 1e308),
    "1" + "0" * 309 + ".0": (D("1" + "0" * 309 + ".0"), OUT),
}


def shown(value: t.Any) -> t.Any:
    """``value`` comparable with the table: the marker as OUT, a float's sign kept."""
    if isinstance(value, OutOfRange):
        return OUT
    if isinstance(value, float):
        return ("float", repr(value))
    if isinstance(value, D):
        return ("decimal", str(value))
    return value


@pytest.mark.parametrize("literal", list(EDGES))
def test_each_edge_literal_reads_as_written_down(literal: str) -> None:
    as_decimal, as_float = EDGES[literal]
    assert shown(numbers.parse_decimal(literal)) == shown(as_decimal)
    assert shown(numbers.parse_float(literal)) == shown(as_float)
    # In a body, through the fast reader: the same values, in place.
    body = f'{{"n": [{literal}, 7]}}'
    decoded = numbers.loads(body, decimals=True, parse_constant=None)
    assert [shown(v) for v in decoded["n"]] == [shown(as_decimal), 7]
    decoded = numbers.loads(body, decimals=False, parse_constant=None)
    assert [shown(v) for v in decoded["n"]] == [shown(as_float), 7]


@pytest.fixture
def int_limit() -> t.Iterator[t.Callable[[int], None]]:
    """Set Python's integer digit limit for one test."""
    before = sys.get_int_max_str_digits()
    yield sys.set_int_max_str_digits
    sys.set_int_max_str_digits(before)


@pytest.mark.parametrize(
    ("limit", "longest"),
    [
        (4300, 4300),  # Python's default
        (1000, 1000),  # an app that lowered it: its limit
        (0, numbers.MAX_INT_DIGITS),  # lifted: ours
        (100_000, numbers.MAX_INT_DIGITS),  # raised above ours: ours
    ],
)
def test_integers_are_bounded_by_the_lower_of_pythons_limit_and_ours(
    int_limit: t.Callable[[int], None], limit: int, longest: int
) -> None:
    int_limit(limit)
    for sign in ("", "-"):
        fits, too_long = sign + "9" * longest, sign + "9" * (longest + 1)
        assert numbers.parse_int(fits) == int(fits)
        assert isinstance(numbers.parse_int(too_long), OutOfRange)
        body = f'{{"a": {{"b": [1, {too_long}]}}, "c": {fits}}}'
        decoded = numbers.loads(body, decimals=False, parse_constant=None)
        assert isinstance(decoded["a"]["b"][1], OutOfRange)
        assert decoded["a"]["b"][0] == 1 and decoded["c"] == int(fits)


def test_the_marker_shows_only_the_head_of_the_literal() -> None:
    marker = numbers.parse_decimal("1e" + "9" * 40)
    assert isinstance(marker, OutOfRange)
    assert marker.head == "1e" + "9" * 14
    assert repr(marker) == "<number out of range: 1e99999999999999...>"


def test_a_large_body_is_refused_whole_only_when_a_number_is_out_of_range() -> None:
    values = ["1"] * numbers.MAX_EXACT_VALUES
    in_range = "[" + ", ".join(values) + "]"
    assert len(numbers.loads(in_range, decimals=True, parse_constant=None)) == len(
        values
    )
    with pytest.raises(numbers.NumbersOutOfRange) as refused:
        numbers.loads(in_range[:-1] + ", 1e1001]", decimals=True, parse_constant=None)
    assert str(refused.value) == (
        "A number in the request body is out of range, and the body is too large"
        " to say which."
    )
    # One value fewer, and each number is marked in its place instead.
    smaller = "[" + ", ".join(values[1:] + ["1e1001"]) + "]"
    decoded = numbers.loads(smaller, decimals=True, parse_constant=None)
    assert isinstance(decoded[-1], OutOfRange) and decoded[0] == 1


def test_values_are_counted_by_commas_and_colons() -> None:
    """An object of 10,001 keys has 20,001 values by the bound (10,000 commas and
    10,001 colons): refused whole with a number out of range in it."""
    keys = [f'"k{i}": 1' for i in range(numbers.MAX_EXACT_VALUES // 2)]
    with pytest.raises(numbers.NumbersOutOfRange):
        numbers.loads(
            "{" + ", ".join([*keys, '"x": 1e1001']) + "}",
            decimals=True,
            parse_constant=None,
        )


@pytest.mark.parametrize("decimals", [True, False])
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("[2.5, NaN]", [None, "constant NaN"]),  # the plain path
        ("[1e1001, -Infinity]", [OUT, "constant -Infinity"]),  # the exact path
        ("[1e500, Infinity]", [None, "constant Infinity"]),  # the checking pass
    ],
)
def test_the_constant_hook_gives_the_value_on_every_path(
    decimals: bool, body: str, expected: list[t.Any]
) -> None:
    decoded = numbers.loads(
        body, decimals=decimals, parse_constant=lambda name: f"constant {name}"
    )
    assert decoded[1] == expected[1]
    if expected[0] is not None:
        assert shown(decoded[0]) == shown(expected[0])


@pytest.mark.parametrize("decimals", [True, False])
def test_the_constant_hook_is_called_on_every_path(decimals: bool) -> None:
    class Refused(Exception):
        pass

    def refuse(name: str) -> t.NoReturn:
        raise Refused(name)

    for body in ('{"a": NaN}', '{"a": [1e1001, Infinity]}', '{"a": [2.5, -Infinity]}'):
        with pytest.raises(Refused):
            numbers.loads(body, decimals=decimals, parse_constant=refuse)


def test_contains_out_of_range_looks_everywhere() -> None:
    marker = OutOfRange("1e1001")
    assert numbers.contains_out_of_range(marker)
    assert numbers.contains_out_of_range([1, "x", marker])
    assert numbers.contains_out_of_range({"a": [1, {"b": marker}]})
    assert numbers.contains_out_of_range([[{"a": {"b": [None, marker]}}]])
    assert not numbers.contains_out_of_range(
        {"a": [1, "x", None, True, 1.5, D("2.5")], "b": {"c": []}}
    )
    assert not numbers.contains_out_of_range("x")

    class Text(str):
        pass

    class Items(list[t.Any]):
        pass

    assert not numbers.contains_out_of_range([Text("x"), 1])
    assert numbers.contains_out_of_range([Text("x"), Items([marker])])
    # Deeper than the recursion limit: walked without recursion.
    deep: t.Any = [marker]
    for _ in range(sys.getrecursionlimit() * 2):
        deep = [deep]
    assert numbers.contains_out_of_range(deep)
