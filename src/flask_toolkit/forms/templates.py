"""Build a :class:`~flask_toolkit.MetaForm` per request without binding its fields.

WTForms binds every field of a form on every instantiation: it merges keyword
dicts, builds a ``Label`` and ``Flags``, checks validators and translates the label.
For a JSON API that work gives the same result on every request. So the first
request for a form class (per prefix and language) binds a *prototype* form once;
later requests copy each prototype field's attributes into a new field object, which
costs a dict copy instead of a bind.

What is shared between requests is what WTForms never changes after binding: the
label, flags, validators (already made JSON-aware), widget, translations and a
default value that is immutable. Everything a request changes — ``data``,
``raw_data``, ``errors``, ``process_errors``, the field's form and meta — is set
on the copy. Fields that hold per-request structure or values are still processed
per request: ``FormField`` and ``FieldList`` (their nested forms and entries), fields
with a callable default, and fields whose default is mutable. Select fields with
callable ``choices`` are bound per request, as WTForms would, so their choices stay
fresh. Forms with CSRF protection or per-instance ``meta`` overrides do not use
templates at all.

A copied field's ``_form`` is a weak proxy of its form, so a form and its fields make
no reference cycle and are freed as soon as the request drops them, rather than by
the cycle collector (which would otherwise run about three times as often).
"""

from __future__ import annotations

import datetime as dt
import decimal
import typing as t
import weakref

from wtforms import Form
from wtforms.fields import DecimalField
from wtforms.fields import FieldList
from wtforms.fields import FormField
from wtforms.fields import SelectFieldBase
from wtforms.fields.core import UnboundField

from .loading import info_of
from .messages import translations_for
from .required import MISSING

SHARE, PROCESS, BIND = 0, 1, 2

_IMMUTABLE = (type(None), str, int, float, bool, decimal.Decimal, dt.date, dt.time)
_MAX_TEMPLATES = 1024


class Template(t.NamedTuple):
    """The prototype fields of one form class, for one prefix and one language."""

    #: ``(attribute, prototype field, mode, unbound field)`` in form order.
    fields: tuple[tuple[str, t.Any, int, t.Any], ...]
    #: The top-level keys the form accepts (field names with the prefix).
    keys: frozenset[str]
    #: What the template was built from, to notice a changed class.
    unbound: t.Any
    meta_class: t.Any
    #: ``(attribute, field class, prototype __dict__)`` when every field is shared.
    shared: tuple[tuple[str, type, dict[str, t.Any]], ...] | None


_templates: dict[tuple[type, str, str | None], Template] = {}


def get_template(cls: type, prefix: str, locale: str | None) -> Template:
    """Return (building once) the template of ``cls`` for a prefix and language.

    :param cls: the form class.
    :param prefix: the normalised prefix (``""`` or ending in a separator).
    :param locale: the WTForms catalogue name, ``None`` for English.
    """
    template = _templates.get((cls, prefix, locale))
    unbound = cls._unbound_fields  # type: ignore[attr-defined]
    if (
        template is not None
        and template.unbound is unbound
        and template.meta_class is cls._wtforms_meta  # type: ignore[attr-defined]
    ):
        return template
    proto: t.Any = object.__new__(cls)
    Form.__init__(proto, prefix=prefix, meta={"locales": [locale or "en"]})
    unbound_by_attr = dict(cls._unbound_fields)  # type: ignore[attr-defined]
    fields = []
    for attr, field in proto._fields.items():
        info_of(field, proto, attr)  # kept in the field's __dict__, so copied too
        field.process_errors = ()
        # Copies start as "not sent"; load() only touches the fields that were.
        field._toolkit_state = MISSING
        field._toolkit_query = False
        field.raw_data = ()
        unbound = unbound_by_attr[attr]
        fields.append((attr, field, _mode(field, unbound), unbound))
    template = Template(
        fields=tuple(fields),
        keys=frozenset(field.name for field in proto._fields.values()),
        unbound=cls._unbound_fields,  # type: ignore[attr-defined]
        meta_class=cls._wtforms_meta,  # type: ignore[attr-defined]
        shared=(
            tuple((attr, type(f), f.__dict__) for attr, f, _, _ in fields)
            if all(mode == SHARE for _, _, mode, _ in fields)
            else None
        ),
    )
    if len(_templates) >= _MAX_TEMPLATES:
        _templates.clear()
    _templates[(cls, prefix, locale)] = template
    return template


def _mode(field: t.Any, unbound: t.Any) -> int:
    if isinstance(field, SelectFieldBase) and (
        callable(unbound.kwargs.get("choices")) or len(unbound.args) >= 4
    ):
        return BIND
    if isinstance(field, (FormField, FieldList)) or callable(field.default):
        return PROCESS
    if not isinstance(field.data, _IMMUTABLE) or not isinstance(
        field.object_data, _IMMUTABLE
    ):
        return PROCESS
    return SHARE


def fill(form: t.Any, template: Template, meta: t.Any, locale: str | None) -> None:
    """Give ``form`` fresh fields copied from ``template`` (see the module doc).

    :param form: a new form instance whose ``__init__`` is running.
    :param template: from :func:`get_template`.
    :param meta: the form's own meta instance.
    :param locale: the language, for fields bound per request.
    """
    fields: dict[str, t.Any] = {}
    new = object.__new__
    # Fields point back at their form weakly: without a form <-> field cycle, a
    # request's form is freed by reference counting instead of waiting for the
    # cycle collector, which otherwise runs three times as often.
    form_ref = weakref.proxy(form)
    if template.shared is not None:
        # Every field is a plain copy: the loop below without its branches.
        for attr, field_class, proto_state in template.shared:
            field: t.Any = new(field_class)
            state = proto_state.copy()
            state["_form"] = form_ref
            state["meta"] = meta
            field.__dict__ = state
            fields[attr] = field
        form._fields = fields
        form.__dict__.update(fields)
        return
    for attr, proto, mode, unbound in template.fields:
        if mode == BIND:
            options = {
                "name": unbound.name or attr,
                "prefix": form._prefix,
                "translations": translations_for(locale),
            }
            field = meta.bind_field(form, unbound, options)
            info_of(field, form, attr)
            field.process(None)
        else:
            field = new(type(proto))
            state = proto.__dict__.copy()
            state["_form"] = form_ref
            state["meta"] = meta
            field.__dict__ = state
            if mode == PROCESS:
                field.process(None)
        fields[attr] = field
    form._fields = fields
    form.__dict__.update(fields)


_decimal_forms: dict[type, bool] = {}


def wants_decimal(cls: type) -> bool:
    """Whether a form (or a form nested in it) has a ``DecimalField``.

    Only then is the body parsed with :class:`~decimal.Decimal` numbers, which is
    exact but slower than floats.
    """
    try:
        return _decimal_forms[cls]
    except KeyError:
        pass
    _decimal_forms[cls] = False  # a form nested in itself stops here
    found = any(_unbound_wants_decimal(value) for value in _unbound_fields(cls))
    _decimal_forms[cls] = found
    return found


def _unbound_fields(cls: type) -> list[t.Any]:
    return [
        getattr(cls, name)
        for name in dir(cls)
        if not name.startswith("_") and isinstance(getattr(cls, name), UnboundField)
    ]


def _unbound_wants_decimal(unbound: t.Any) -> bool:
    field_class = unbound.field_class
    if issubclass(field_class, DecimalField):
        return True
    if issubclass(field_class, FormField):
        nested = unbound.args[0] if unbound.args else unbound.kwargs.get("form_class")
        return isinstance(nested, type) and wants_decimal(nested)
    if issubclass(field_class, FieldList):
        entry = unbound.args[0] if unbound.args else unbound.kwargs.get("unbound_field")
        return isinstance(entry, UnboundField) and _unbound_wants_decimal(entry)
    return False
