"""``MetaForm``: a WTForms form that reads a JSON body and the query string right.

Created with no arguments inside a request, a :class:`MetaForm` reads the JSON body
and the query string of that request (the notes' contract); ``MetaForm(json=...,
query=...)`` fills it from given data, and any other arguments give plain WTForms
behaviour (``formdata=``, ``obj=``, ``data=``).

How JSON input reaches the fields:

- A key that is missing, or ``null``, is *missing*; ``0``, ``false``, ``0.0`` and
  ``""`` are values. :class:`~wtforms.validators.InputRequired` means present and not
  null; :class:`~wtforms.validators.DataRequired` also refuses a blank string and an
  empty list; :class:`~wtforms.validators.Optional` skips the other validators of a
  missing or null field (and of an empty query-string value).
- Body values must have the field's JSON type; query-string values are strings and
  are coerced (see :mod:`flask_toolkit.jsonfields`). A key in both the body and the
  query string is taken from the body.
- Keys are matched against field *names* (the ``name=`` option, with the form's
  prefix at the top level). A key no field has is an error in the same error body;
  ``csrf_token`` is ignored when the form has no CSRF protection.
- JSON objects fill :class:`~wtforms.fields.FormField`, arrays fill
  :class:`~wtforms.fields.FieldList` (and a repeated query key fills a list field).

:attr:`MetaForm.errors` is keyed by the names the client sent, nested like the input;
:attr:`MetaForm.data` and :attr:`MetaForm.valid_data` by the form's attribute names.
"""

from __future__ import annotations

import typing as t

from flask import has_request_context
from wtforms import Form
from wtforms.fields import FieldList
from wtforms.fields import FormField
from wtforms.meta import DefaultMeta

from . import jsonfields
from . import required
from .messages import own_message
from .messages import translations_for

if t.TYPE_CHECKING:
    from werkzeug.datastructures import MultiDict

_UNSET: t.Any = object()

#: ``field._toolkit_state``: what the client sent for a field.
MISSING, NULL, SENT = 0, 1, 2


class MetaForm(Form):  # type: ignore[misc]
    """A WTForms form for JSON APIs: strict JSON types, unknown fields refused.

    Declare fields as with any WTForms form::

        class TaskForm(MetaForm):
            title = StringField(validators=[InputRequired(), Length(max=200)])
            done = BooleanField()

    :param json: the decoded body (a mapping); read from the request when neither
        ``json`` nor ``query`` nor any WTForms argument is given.
    :param query: the query-string arguments (a ``MultiDict``).
    :param prefix: WTForms' prefix; body and query keys must carry it.
    :param meta: WTForms meta overrides.
    :raises flask_toolkit.validation.BadBody: when read from a request whose body is
        not a JSON object.
    """

    class Meta(DefaultMeta):  # type: ignore[misc]
        csrf = False
        #: ``False``: negotiate the language from ``Accept-Language``; or a list of
        #: WTForms locale names to use instead.
        locales: t.Any = False
        #: ``"error"``: a key no field has is a validation error; ``"ignore"``: skipped.
        unknown_fields = "error"
        _toolkit_locale: str | None = None

        def get_translations(self, form: t.Any) -> t.Any:
            locales = self.locales
            locale = None
            if locales is False or locales is None:
                if has_request_context():
                    from .validation import request_locale

                    locale = request_locale()
            else:
                from .messages import resolve_locale

                for tag in [locales] if isinstance(locales, str) else locales:
                    locale = resolve_locale(tag)
                    if locale is not None:
                        break
            self._toolkit_locale = locale
            return translations_for(locale)

    def __init__(
        self,
        formdata: t.Any = _UNSET,
        obj: t.Any = _UNSET,
        prefix: str = "",
        data: t.Any = _UNSET,
        meta: t.Any = None,
        *,
        json: t.Mapping[str, t.Any] | None = _UNSET,
        query: MultiDict[str, str] | None = _UNSET,
        **kwargs: t.Any,
    ) -> None:
        plain = (
            formdata is not _UNSET or obj is not _UNSET or data is not _UNSET or kwargs
        )
        if json is _UNSET and query is _UNSET:
            if plain or not has_request_context():
                super().__init__(
                    formdata=None if formdata is _UNSET else formdata,
                    obj=None if obj is _UNSET else obj,
                    prefix=prefix,
                    data=None if data is _UNSET else data,
                    meta=meta,
                    **kwargs,
                )
                return
            from .validation import read_json_request

            json, query = read_json_request()
        elif plain:
            raise TypeError("Pass either 'json='/'query=' or WTForms' data arguments.")
        else:
            json = None if json is _UNSET else json
            query = None if query is _UNSET else query
        super().__init__(prefix=prefix, meta=meta)
        load(self, json or {}, query or None, top=True)

    def validate(
        self, extra_validators: t.Mapping[str, t.Sequence[t.Any]] | None = None
    ) -> bool:
        """Run every field's validators; ``True`` when there is no error at all.

        :param extra_validators: attribute name -> extra validators, as in WTForms.
        """
        return validate_form(self, extra_validators)

    @property
    def errors(self) -> dict[str, t.Any]:
        """Field name (as the client sent it) -> messages, nested like the input."""
        return form_errors(self, top=getattr(self, "_toolkit_top", True))

    @property
    def valid_data(self) -> dict[str, t.Any]:
        """The fields that were sent and are not null, by attribute name.

        Safe for PATCH: a missing boolean is absent, not ``False``; a missing list is
        absent, not ``[]``. Nested forms give nested dicts.
        """
        return sent_data(self, keep_null=False)

    @property
    def sent_data(self) -> dict[str, t.Any]:
        """Like :attr:`valid_data`, but explicit ``null`` values are kept as ``None``.

        Use it for PATCH to tell "clear this field" (``None``) from "leave it" (absent).
        """
        return sent_data(self, keep_null=True)


def load(
    form: t.Any,
    body: t.Mapping[str, t.Any],
    query: MultiDict[str, str] | None,
    *,
    top: bool,
) -> None:
    """Fill an already constructed form's fields from a JSON object and query args.

    :param form: any WTForms form, processed with defaults already.
    :param body: the JSON object for this form.
    :param query: query-string arguments, only for the top-level form.
    :param top: whether keys carry the form's prefix (top level) or are short names.
    """
    form._toolkit_top = top
    known = set()
    for attr, field in form._fields.items():
        key = field.name if top else field.short_name
        known.add(key)
        if key in body:
            put(form, field, body[key], False, attr)
        elif query is not None and key in query:
            values = query.getlist(key)
            if isinstance(field, FieldList) or jsonfields.multi_valued(field):
                put(form, field, values, True, attr)
            elif isinstance(field, FormField):
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
    unknown: dict[str, list[str]] = {}
    if form.meta.unknown_fields == "error":
        csrf_name = None if form.meta.csrf else form.meta.csrf_field_name
        sources = (body,) if query is None else (body, query)
        for source in sources:
            for key in source:
                if key not in known and key != csrf_name and key not in unknown:
                    text = own_message(form.meta._toolkit_locale, "Unknown field.")
                    unknown[key] = [text]
    form._toolkit_unknown = unknown


def _refuse(field: t.Any, text: str) -> None:
    field._toolkit_state = SENT
    field.raw_data = []
    field.process_errors = [jsonfields.message(field, text)]


def put(
    form: t.Any, field: t.Any, value: t.Any, from_query: bool, attr: str | None
) -> None:
    """Give one field one value from the body (``from_query=False``) or query string."""
    field.process_errors = []
    if value is None:
        field._toolkit_state = NULL
        field.raw_data = []
        if isinstance(field, FormField):
            load(field.form, {}, None, top=False)
        elif not isinstance(field, FieldList):
            field.data = None
        return
    field._toolkit_state = SENT
    field._toolkit_query = from_query
    field.raw_data = value if from_query and isinstance(value, list) else [value]
    if isinstance(field, FormField):
        if not isinstance(value, dict):
            _refuse(field, "Expected a JSON object.")
            return
        load(field.form, value, None, top=False)
        return
    if isinstance(field, FieldList):
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
            put(form, field._add_entry(), item, from_query, None)
        return
    converter = jsonfields.converter_for(field)
    if from_query and converter is not jsonfields.to_str and _blank(value):
        # "?page=" from an HTML form means "not given" for anything but a string.
        field._toolkit_state = MISSING
        field.raw_data = []
        return
    try:
        field.data = converter(field, value, from_query)
    except jsonfields.InvalidValue as e:
        field.process_errors = [e.message]
        field.data = None
        return
    filters = field.filters
    inline = getattr(form, f"filter_{attr}", None) if attr is not None else None
    if filters or inline is not None:
        try:
            for flt in filters:
                field.data = flt(field.data)
            if inline is not None:
                field.data = inline(field.data)
        except ValueError as e:
            field.process_errors = [e.args[0]]


def _blank(value: t.Any) -> bool:
    return isinstance(value, str) and not value.strip()


def validate_form(
    form: t.Any, extra: t.Mapping[str, t.Sequence[t.Any]] | None = None
) -> bool:
    """Validate a form filled by :func:`load`, with JSON-aware required checks."""
    ok = True
    cls = type(form)
    for attr, field in form._fields.items():
        chain = list(extra.get(attr, ())) if extra else []
        inline = getattr(cls, f"validate_{attr}", None)
        if inline is not None:
            chain.append(inline)
        if not _validate_field(form, field, chain):
            ok = False
    if getattr(form, "_toolkit_unknown", None):
        ok = False
    return ok


def _validate_field(form: t.Any, field: t.Any, extra: t.Sequence[t.Any]) -> bool:
    if field.process_errors:
        if not isinstance(field, FormField):
            field.errors = list(field.process_errors)
        return False
    if isinstance(field, FormField):
        nested = field.form
        if isinstance(nested, MetaForm):
            return nested.validate()
        return validate_form(nested)
    if getattr(field, "_toolkit_state", MISSING) != SENT and not field.flags.required:
        # Not sent and not required: nothing to check (WTForms would check None).
        field.errors = []
        return True
    if isinstance(field, FieldList):
        errors = []
        entries_ok = True
        for entry in field.entries:
            if not _validate_field(form, entry, ()):
                entries_ok = False
            errors.append(field_errors(entry))
        field.errors = [] if entries_ok else errors
        chain = [*required.json_chain(field.validators), *extra]
        field._run_validation_chain(form, chain)
        return not field.errors
    field.validators = required.json_chain(field.validators)
    return bool(field.validate(form, extra))


def field_errors(field: t.Any) -> t.Any:
    """One field's errors: a list of messages, a dict for a nested form."""
    if field.process_errors:
        return list(field.process_errors)
    if isinstance(field, FormField):
        return form_errors(field.form, top=False)
    return field.errors


def form_errors(form: t.Any, *, top: bool) -> dict[str, t.Any]:
    """A form's errors keyed by the names the client uses (see the module doc).

    :param top: whether this is the top-level form (keys carry its prefix).
    """
    out: dict[str, t.Any] = {}
    for field in form._fields.values():
        errors = field_errors(field)
        if errors:
            out[field.name if top else field.short_name] = errors
    unknown = getattr(form, "_toolkit_unknown", None)
    if unknown:
        out.update(unknown)
    if form.form_errors:
        out[getattr(form, "_form_error_key", "") or ""] = list(form.form_errors)
    return out


def sent_data(form: t.Any, *, keep_null: bool) -> dict[str, t.Any]:
    """The fields the client sent, by attribute name (``None`` for explicit nulls)."""
    out: dict[str, t.Any] = {}
    csrf_name = form.meta.csrf_field_name if form.meta.csrf else None
    for attr, field in form._fields.items():
        state = getattr(field, "_toolkit_state", MISSING)
        if state == MISSING or attr == csrf_name:
            continue
        if state == NULL:
            if keep_null:
                out[attr] = None
            continue
        out[attr] = _sent_value(field, keep_null)
    return out


def _sent_value(field: t.Any, keep_null: bool) -> t.Any:
    if isinstance(field, FormField):
        return sent_data(field.form, keep_null=keep_null)
    if isinstance(field, FieldList):
        return [_sent_value(entry, keep_null) for entry in field.entries]
    return field.data
