"""What ``DataRequired``, ``InputRequired`` and ``Optional`` mean for JSON input.

WTForms decides "required" from form strings: ``InputRequired`` refuses a falsy first
raw value and ``DataRequired`` refuses falsy data, so ``0`` and ``false`` count as
missing. For a JSON field the question is whether the key was sent with a value:

``InputRequired``
    the key is present and not ``null``. ``0``, ``false``, ``""``, ``[]`` pass.
``DataRequired``
    as ``InputRequired``, and also refuses a blank string and an empty list.
    ``0`` and ``false`` pass.
``Optional``
    when the key is missing or ``null`` (or an empty query-string value), stop the
    validation chain and clear errors. ``""`` in the body is a value.

When a form is validated, the field's validator list is swapped for one where those
three are replaced by the subclasses below (same messages and flags); the swapped
list is cached per original list, so this costs one dict look-up per field. The same
swap gives ``NumberRange`` a quicker passing path (:class:`QuickNumberRange`).
"""

from __future__ import annotations

import typing as t

from wtforms.fields import FieldList
from wtforms.validators import DataRequired
from wtforms.validators import InputRequired
from wtforms.validators import NumberRange
from wtforms.validators import Optional
from wtforms.validators import StopValidation
from wtforms.validators import ValidationError

#: ``field._toolkit_state``: what the client sent for a field.
MISSING, NULL, SENT = 0, 1, 2


def _present(field: t.Any) -> bool:
    return getattr(field, "_toolkit_state", MISSING) == SENT


def _missing(field: t.Any, message: str | None) -> t.NoReturn:
    text = field.gettext("This field is required.") if message is None else message
    field.errors[:] = []
    raise StopValidation(text)


class JSONInputRequired(InputRequired):  # type: ignore[misc]
    """``InputRequired`` for JSON: the key is present and not null."""

    def __call__(self, form: t.Any, field: t.Any) -> None:
        if field.__dict__.get("_toolkit_state", MISSING) != SENT:
            _missing(field, self.message)


class JSONDataRequired(DataRequired):  # type: ignore[misc]
    """``DataRequired`` for JSON: present, not null, not blank, not an empty list."""

    def __call__(self, form: t.Any, field: t.Any) -> None:
        if _present(field):
            data = field.data
            if isinstance(data, str):
                if data.strip():
                    return
            elif isinstance(data, (list, tuple, dict)):
                if data:
                    return
            else:
                return
        _missing(field, self.message)


class JSONOptional(Optional):  # type: ignore[misc]
    """``Optional`` for JSON: skip the chain for a missing or null value.

    A blank query value counts as not sent, as in WTForms, except for a
    :class:`~wtforms.fields.FieldList`: its query values are its items, and a blank
    item is an item error (``?ids=&ids=1`` would otherwise clear the errors of every
    item after it).
    """

    def __call__(self, form: t.Any, field: t.Any) -> None:
        if _present(field):
            raw = field.raw_data
            if not (
                getattr(field, "_toolkit_query", False)
                and raw
                and isinstance(raw[0], str)
                and not self.string_check(raw[0])
                and not isinstance(field, FieldList)
            ):
                return
        field.errors[:] = []
        raise StopValidation()


class QuickNumberRange(NumberRange):  # type: ignore[misc]
    """``NumberRange`` that checks the passing case inline, and never overflows.

    Any value that does not plainly pass goes to WTForms' own ``NumberRange``, so
    messages and edge cases (``None``, ``NaN``) are exactly WTForms' — except for an
    integer too large for a float (WTForms' ``math.isnan`` raises ``OverflowError``
    on it), which gets WTForms' range message here instead.
    """

    def __call__(self, form: t.Any, field: t.Any) -> None:
        data = field.data
        low = self.min
        high = self.max
        if callable(low) or callable(high):
            low = low() if callable(low) else low
            high = high() if callable(high) else high
        if (
            data is not None
            and data == data  # NaN is not equal to itself
            and (low is None or data >= low)
            and (high is None or data <= high)
        ):
            return
        if isinstance(data, int) and not isinstance(data, bool):
            if self.message is not None:
                text = self.message
            elif high is None:
                text = field.gettext("Number must be at least %(min)s.")
            elif low is None:
                text = field.gettext("Number must be at most %(max)s.")
            else:
                text = field.gettext("Number must be between %(min)s and %(max)s.")
            raise ValidationError(text % {"min": low, "max": high})
        super().__call__(form, field)


_REPLACEMENTS: tuple[tuple[type, type], ...] = (
    (DataRequired, JSONDataRequired),
    (InputRequired, JSONInputRequired),
    (Optional, JSONOptional),
)

_chains: dict[int, tuple[t.Any, tuple[t.Any, ...]]] = {}
_MAX_CHAINS = 4096


def _convert(validator: t.Any) -> t.Any:
    if isinstance(
        validator,
        (JSONDataRequired, JSONInputRequired, JSONOptional, QuickNumberRange),
    ):
        return validator
    if type(validator) is NumberRange:
        quick: t.Any = object.__new__(QuickNumberRange)
        quick.__dict__.update(validator.__dict__)
        return quick
    for original, replacement in _REPLACEMENTS:
        if type(validator) is original:
            new: t.Any = object.__new__(replacement)
            new.__dict__.update(validator.__dict__)
            return new
    return validator


def json_chain(validators: t.Any) -> tuple[t.Any, ...]:
    """Return ``validators`` with the three presence validators made JSON-aware.

    :param validators: a field's validator sequence (cached by identity).
    """
    entry = _chains.get(id(validators))
    if entry is not None and entry[0] is validators:
        return entry[1]
    converted = tuple(_convert(v) for v in validators)
    if len(_chains) >= _MAX_CHAINS:
        _chains.clear()
    _chains[id(validators)] = (validators, converted)
    # The converted tuple maps to itself, so a field validated twice stays cheap.
    _chains[id(converted)] = (converted, converted)
    return converted
