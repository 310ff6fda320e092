"""Whether a field accepts ``null``: :class:`Nullable` and :class:`NotNull`.

A JSON client can send ``null`` for any key. What it means is decided per field,
before the field's validators run (see :mod:`flask_toolkit.forms.checking`):

- a field with a required validator (``InputRequired``, ``DataRequired``) refuses
  ``null`` with "This field cannot be null." — also in a partial form, where it may
  be left out but not cleared;
- a field marked :class:`NotNull` refuses it too: use it for an optional field whose
  column is ``NOT NULL`` (a PATCH may leave it out, never clear it) — or name the model
  in the form's ``class Meta: model = Task``, and every field whose attribute name is a
  ``NOT NULL`` column of ``Task`` refuses it;
- a field marked :class:`Nullable` accepts it, even with a required validator (the
  key must be sent, and may be ``null``);
- any other field accepts it: :attr:`~flask_toolkit.MetaForm.sent_data` gives
  ``None`` (clear it), :attr:`~flask_toolkit.MetaForm.valid_data` leaves it out.

Both are validators only in name: they set a field flag and do nothing when called.
"""

from __future__ import annotations

import typing as t
import weakref

import sqlalchemy as sa


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


def null_refused(field: t.Any, required: bool, column_not_null: bool = False) -> bool:
    """Whether ``null`` is an error for ``field``.

    :param required: it has a required validator.
    :param column_not_null: its attribute is a ``NOT NULL`` column of ``Meta.model``.
    """
    flags = field.flags
    if getattr(flags, "nullable", False):
        return False
    return required or column_not_null or bool(getattr(flags, "not_null", False))


_not_null: weakref.WeakKeyDictionary[type, frozenset[str]] = weakref.WeakKeyDictionary()


def model_not_null(meta: t.Any) -> frozenset[str]:
    """The ``NOT NULL`` column attributes of a form's ``Meta.model`` (none without one).

    :raises TypeError: when ``Meta.model`` is not a mapped class.
    """
    model = getattr(meta, "model", None)
    if model is None:
        return frozenset()
    found = _not_null.get(model)
    if found is None:
        mapper = sa.inspect(model, raiseerr=False)
        if not isinstance(mapper, sa.orm.Mapper):
            raise TypeError(
                f"Meta.model must be a mapped model class (its NOT NULL columns"
                f" refuse null), not {model!r}."
            )
        found = _not_null[model] = frozenset(
            prop.key
            for prop in mapper.column_attrs
            if not any(column.nullable for column in prop.columns)
        )
    return found
