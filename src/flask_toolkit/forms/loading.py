"""Fill a constructed WTForms form from a JSON object and the query string.

:func:`load` walks a form's fields once: a key in the body is given to the field
with :func:`put` (strict JSON types), else a key in the query string (coerced from
text), else the field is marked missing. Keys no field has are collected as errors.
A field records what the client sent in ``field._toolkit_state`` (``MISSING``,
``NULL`` or ``SENT``), which the JSON-aware required validators and
:attr:`~flask_toolkit.MetaForm.valid_data` read.

What does not change between requests about a field — its kind, converter,
whether it is required, inline ``filter_<name>``/``validate_<name>`` methods — is
worked out once into a :class:`FieldInfo` kept in the field's ``__dict__``, so
fields copied from a template (:mod:`flask_toolkit.forms.templates`) carry it for free.
"""

from __future__ import annotations

import types
import typing as t

from wtforms.fields import Field
from wtforms.fields import FieldList
from wtforms.fields import FormField

from . import jsonfields
from . import required
from .messages import own_message
from .required import MISSING
from .required import NULL
from .required import SENT

if t.TYPE_CHECKING:
    from werkzeug.datastructures import MultiDict

SIMPLE, NESTED, LIST = 0, 1, 2

#: ``form._toolkit_unknown`` when every key was known (shared, never changed).
NO_UNKNOWN: t.Mapping[str, list[str]] = types.MappingProxyType({})


class FieldInfo(t.NamedTuple):
    """What :func:`load` and validation need to know about one field."""

    kind: int
    converter: jsonfields.Converter | None
    #: takes every value of a repeated query-string key
    multi: bool
    #: a string field, for which an empty query value is a value
    text: bool
    #: has a required validator (``required`` flag)
    required: bool
    #: the field class keeps WTForms' own validate/pre_validate/post_validate
    plain: bool
    #: the form's ``filter_<attr>`` / ``validate_<attr>`` names, when defined
    inline_filter: str | None
    inline_validator: str | None
    #: a simple field without filters: a body value only needs converting
    direct: bool


def info_of(field: t.Any, form: t.Any, attr: str | None) -> FieldInfo:
    """Return the field's :class:`FieldInfo`, computing and keeping it on first use.

    :param field: a bound field.
    :param form: the form it belongs to (for inline methods).
    :param attr: its attribute name on the form, ``None`` for a list entry.
    """
    info: FieldInfo | None = field.__dict__.get("_toolkit_info")
    if info is not None:
        return info
    cls = type(field)
    if isinstance(field, FormField):
        kind, converter = NESTED, None
    elif isinstance(field, FieldList):
        kind, converter = LIST, None
    else:
        kind, converter = SIMPLE, jsonfields.converter_for(field)
    form_cls = type(form)
    filter_name = f"filter_{attr}" if attr is not None else None
    validator_name = f"validate_{attr}" if attr is not None else None
    inline_filter = filter_name if hasattr(form_cls, filter_name or "_") else None
    info = FieldInfo(
        kind=kind,
        converter=converter,
        multi=kind == LIST or jsonfields.multi_valued(field),
        text=converter is jsonfields.to_str,
        required=bool(field.flags.required),
        plain=(
            cls.validate is Field.validate
            and cls.pre_validate is Field.pre_validate
            and cls.post_validate is Field.post_validate
        ),
        inline_filter=inline_filter,
        inline_validator=(
            validator_name if hasattr(form_cls, validator_name or "_") else None
        ),
        direct=kind == SIMPLE and not field.filters and inline_filter is None,
    )
    field.validators = required.json_chain(field.validators)
    field.__dict__["_toolkit_info"] = info
    return info


def load(
    form: t.Any,
    body: t.Mapping[str, t.Any],
    query: MultiDict[str, str] | None,
    *,
    top: bool,
    known: frozenset[str] | set[str] | None = None,
) -> None:
    """Fill an already constructed form's fields from a JSON object and query args.

    :param form: any WTForms form, processed with defaults already.
    :param body: the JSON object for this form.
    :param query: query-string arguments, only for the top-level form.
    :param top: whether keys carry the form's prefix (top level) or are short names.
    :param known: the keys the form accepts, when the form was built from a
        template (its fields then start as missing already).
    """
    form._toolkit_top = top
    fresh = known is not None
    if known is None:
        known = {field.name if top else field.short_name for field in form}
    for attr, field in form._fields.items():
        key = field.name if top else field.short_name
        if key in body:
            value = body[key]
            state = field.__dict__
            info = state.get("_toolkit_info")
            if info is None or not info.direct or value is None:
                put(form, field, value, False, attr)
                continue
            # put() inlined for the common case: a plain value for a plain field.
            state["_toolkit_state"] = SENT
            if not fresh:
                state["_toolkit_query"] = False
            state["raw_data"] = [value]
            try:
                field.data = info.converter(field, value, False)
                state["process_errors"] = ()
            except jsonfields.InvalidValue as e:
                state["process_errors"] = [e.message]
                field.data = None
        elif fresh and query is None and not isinstance(field, FormField):
            continue
        elif query is not None and key in query:
            values = query.getlist(key)
            info = info_of(field, form, attr)
            if info.multi:
                put(form, field, values, True, attr)
            elif info.kind == NESTED:
                _refuse(field, "Send this field in the JSON body.")
            elif len(values) > 1:
                _refuse(field, "Send this field only once.")
            else:
                put(form, field, values[0], True, attr)
        else:
            field._toolkit_state = MISSING
            field.raw_data = []
            if isinstance(field, FormField):
                load(field.form, {}, None, top=False)
    if known.issuperset(body) and (not query or known.issuperset(query)):
        form._toolkit_unknown = NO_UNKNOWN
        return
    unknown: dict[str, list[str]] = {}
    meta = form.meta
    if getattr(meta, "unknown_fields", "error") == "error":
        collect_unknown(meta, body, known, unknown)
        if query:
            collect_unknown(meta, query, known, unknown)
    form._toolkit_unknown = unknown


def collect_unknown(
    meta: t.Any,
    source: t.Iterable[str],
    known: frozenset[str] | set[str],
    unknown: dict[str, list[str]],
) -> None:
    csrf_name = None if meta.csrf else meta.csrf_field_name
    text = own_message(getattr(meta, "_toolkit_locale", None), "Unknown field.")
    for key in source:
        if key not in known and key != csrf_name and key not in unknown:
            unknown[key] = [text]


def _refuse(field: t.Any, text: str) -> None:
    field._toolkit_state = SENT
    field.raw_data = []
    field.process_errors = [jsonfields.message(field, text)]


def put(
    form: t.Any, field: t.Any, value: t.Any, from_query: bool, attr: str | None
) -> None:
    """Give one field one value from the body (``from_query=False``) or query string."""
    state = field.__dict__
    info = state.get("_toolkit_info") or info_of(field, form, attr)
    state["process_errors"] = ()
    if value is None:
        field._toolkit_state = NULL
        field.raw_data = []
        if info.kind == NESTED:
            load(field.form, {}, None, top=False)
        elif info.kind == SIMPLE:
            field.data = None
        return
    state["_toolkit_state"] = SENT
    state["_toolkit_query"] = from_query
    if info.kind == NESTED:
        field.raw_data = [value]
        if not isinstance(value, dict):
            _refuse(field, "Expected a JSON object.")
            return
        load(field.form, value, None, top=False)
        return
    if info.kind == LIST:
        _put_list(form, field, value, from_query)
        return
    if from_query:
        if not info.text and isinstance(value, str) and not value.strip():
            # "?page=" from an HTML form means "not given" for anything but a string.
            field._toolkit_state = MISSING
            field.raw_data = []
            return
        state["raw_data"] = value if isinstance(value, list) else [value]
    else:
        state["raw_data"] = [value]
    try:
        data = info.converter(field, value, from_query)  # type: ignore[misc]
    except jsonfields.InvalidValue as e:
        field.process_errors = [e.message]
        field.data = None
        return
    if field.filters or info.inline_filter is not None:
        try:
            for flt in field.filters:
                data = flt(data)
            if info.inline_filter is not None:
                data = getattr(form, info.inline_filter)(data)
        except ValueError as e:
            field.process_errors = [e.args[0]]
    field.data = data


def _put_list(form: t.Any, field: t.Any, value: t.Any, from_query: bool) -> None:
    field.raw_data = value if from_query else [value]
    if not isinstance(value, list):
        _refuse(field, "Expected a list.")
        return
    if field.max_entries and len(value) > field.max_entries:
        text = jsonfields.message(field, "Send at most %(max)d items.")
        _refuse(field, text % {"max": field.max_entries})
        return
    field.entries = []
    field.last_index = -1
    for item in value:
        entry = field._add_entry()
        put(form, entry, item, from_query, None)
        if entry.__dict__.get("_toolkit_state") != SENT:
            # A list item is a value: null (or a blank query value for a non-text
            # item) is refused, instead of reaching the view past the item's checks.
            entry.process_errors = [entry.gettext("This field is required.")]
