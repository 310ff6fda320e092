"""Whether a field accepts ``null``: :class:`Nullable` and :class:`NotNull`.

A JSON client can send ``null`` for any key. What it means is decided per field,
before the field's validators run (see :mod:`flask_toolkit.forms.checking`):

- a field with a required validator (``InputRequired``, ``DataRequired``) refuses
  ``null`` with "This field cannot be null." — also in a partial form, where it may
  be left out but not cleared;
- a field marked :class:`NotNull` refuses it too: use it for an optional field whose
  column is ``NOT NULL`` (a PATCH may leave it out, never clear it);
- a field marked :class:`Nullable` accepts it, even with a required validator (the
  key must be sent, and may be ``null``);
- any other field accepts it: :attr:`~flask_toolkit.MetaForm.sent_data` gives
  ``None`` (clear it), :attr:`~flask_toolkit.MetaForm.valid_data` leaves it out.

Both are validators only in name: they set a field flag and do nothing when called.
"""

from __future__ import annotations

import typing as t


class Nullable:
    """Let a field be ``null``, even when it is required to be sent.

    .. versionadded:: 0.2
    """

    field_flags = {"nullable": True}

    def __call__(self, form: t.Any, field: t.Any) -> None:
        """Nothing to check: ``null`` never reaches the validators."""


class NotNull:
    """Refuse ``null`` for a field that may be left out (a ``NOT NULL`` column).

    .. versionadded:: 0.2
    """

    field_flags = {"not_null": True}

    def __call__(self, form: t.Any, field: t.Any) -> None:
        """Nothing to check: ``null`` is refused before the validators run."""


def null_refused(field: t.Any, required: bool) -> bool:
    """Whether ``null`` is an error for ``field`` (``required``: it has a required
    validator)."""
    flags = field.flags
    if getattr(flags, "nullable", False):
        return False
    return required or bool(getattr(flags, "not_null", False))
