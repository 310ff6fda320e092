"""The JSON fast path of :func:`~flask_toolkit.validate_data`: build, fill and check
a form in one pass.

The general path builds the form from its template
(:mod:`flask_toolkit.forms.templates`), fills it
(:func:`~flask_toolkit.forms.loading.load`) and runs every validator of every field
(:func:`~flask_toolkit.forms.checking.validate_form`): three walks over the fields,
and a Python call per validator. For a JSON body sent to a form of plain fields, the
fast path does it in one walk: each field is copied from its prototype, given its
body value by the same converter, and checked *inline* against the validators whose
passing case is a plain comparison:

- ``InputRequired``, ``DataRequired`` and ``Optional`` (their JSON-aware versions),
- ``Length`` on a string field, ``NumberRange`` on a number field (fixed bounds),
  ``Regexp`` on a string field,
- ``Nullable``, ``NotNull``, ``AllowBigIntegers``, ``AllowNonFinite`` (no checks).

A field whose value passes all of them is valid: those validators have nothing else
to do when they pass. Every other field — a type error, a value that does not pass
inline, ``null``, a required field left out, any other validator, a field class with
its own ``validate`` or ``pre_validate`` (``SelectField``'s choices) — is validated by
:func:`~flask_toolkit.forms.checking.validate_form` itself, after every field has its
value, so messages (and their translations) and error shapes are WTForms' and the
toolkit's own. The result — ``form.errors``, ``form.data``, ``valid_data``, each
field's ``data``, ``raw_data`` and ``errors`` — is the general path's, which
``tests/test_fastpath.py`` checks on generated inputs.

Only forms whose template shares every field are taken (no ``FormField`` or
``FieldList``, no callable or mutable defaults, no per-request choices, no
``filter_<name>`` method), and only when the form reads no query string; anything else
takes the general path. Fields with ``filters`` or a ``validate_<name>`` method are
filled and checked the general way within the fast path.
"""

from __future__ import annotations

import decimal
import re
import typing as t
import weakref

from flask import request
from wtforms.fields import BooleanField
from wtforms.fields import FloatField
from wtforms.fields import IntegerField
from wtforms.validators import Length
from wtforms.validators import Regexp

from . import jsonfields
from . import templates
from .body import read_body
from .body import request_locale
from .checking import validate_form
from .form import locale_of
from .form import MetaForm
from .form import refuse_wrong_source
from .form import sources_for
from .form import split_sources
from .jsonfields import INT64_MAX
from .jsonfields import INT64_MIN
from .loading import collect_unknown
from .loading import NO_UNKNOWN
from .loading import put
from .loading import SIMPLE
from .nulls import NotNull
from .nulls import Nullable
from .required import JSONDataRequired
from .required import JSONInputRequired
from .required import JSONOptional
from .required import QuickNumberRange
from .required import SENT

#: Inline checks: what a validator needs of a value to pass.
_PASS, _DATA, _RANGE, _LENGTH, _REGEXP = 0, 1, 2, 3, 4
_NOOP = (jsonfields.AllowBigIntegers, jsonfields.AllowNonFinite, Nullable, NotNull)
_MATCHERS = (re.match, re.fullmatch, re.search)
_BOUND = (int, float, decimal.Decimal, type(None))
#: Converters that return a body value of exactly this type unchanged when it is a
#: string without NUL, an integer in the signed 64-bit range, a boolean, or a finite
#: float; the fast path takes such a value without the call.
_AS_IS: dict[t.Any, type] = {
    jsonfields.to_str: str,
    jsonfields.converter_for_class(IntegerField): int,
    jsonfields.converter_for_class(BooleanField): bool,
    jsonfields.converter_for_class(FloatField): float,
}

Check = tuple[int, t.Any, t.Any]


class FastField(t.NamedTuple):
    attr: str
    key: str
    field_class: type
    proto_state: dict[str, t.Any]
    converter: jsonfields.Converter
    #: the body value only needs converting (no filters)
    direct: bool
    #: a required validator: left out, the field is checked by the general path
    required: bool
    #: the inline checks, or ``None`` when the general path always checks the field
    checks: tuple[Check, ...] | None
    #: the JSON type the converter returns as it is (see :data:`_AS_IS`), if any
    as_is: type | None


class Plan(t.NamedTuple):
    template: templates.Template
    fields: tuple[FastField, ...]


_plans: dict[tuple[type, str | None], Plan | None] = {}
_UNPLANNED: t.Any = object()
_MAX_PLANS = 1024


def _check(validator: t.Any, converter: t.Any) -> Check | None:
    """The inline check of one (JSON-aware) validator, ``None`` when it has none."""
    kind = type(validator)
    if kind in (JSONInputRequired, JSONOptional) or kind in _NOOP:
        # Reached only for a value sent in the body: both pass it.
        return (_PASS, None, None)
    if kind is JSONDataRequired:
        return (_DATA, None, None)
    if kind is QuickNumberRange and converter in jsonfields.NUMBER_CONVERTERS:
        low, high = validator.min, validator.max
        if isinstance(low, _BOUND) and isinstance(high, _BOUND):
            return (_RANGE, low, high)
    if kind is Length and converter is jsonfields.to_str:
        low, high = validator.min, validator.max
        if type(low) is int and type(high) is int:
            return (_LENGTH, low, high)
    if kind is Regexp and converter is jsonfields.to_str:
        # WTForms 3.2 takes a matcher (re.match by default); 3.1 uses match.
        matcher = getattr(validator, "matcher", re.match)
        regex = validator.regex
        if matcher in _MATCHERS and isinstance(regex, re.Pattern):
            return (_REGEXP, getattr(regex, matcher.__name__), None)
    return None


def _plan_field(attr: str, field: t.Any) -> FastField | None:
    info = field.__dict__.get("_toolkit_info")
    if info is None or info.kind != SIMPLE or info.inline_filter is not None:
        return None
    checks: tuple[Check, ...] | None = None
    if info.plain and info.inline_validator is None:
        found = [_check(v, info.converter) for v in field.validators]
        if None not in found:
            # Checks that always pass (for a value sent in the body) are left out.
            checks = tuple(c for c in found if c is not None and c[0] != _PASS)
    return FastField(
        attr=attr,
        key=field.name,
        field_class=type(field),
        proto_state=field.__dict__,
        converter=info.converter,
        direct=info.direct,
        required=info.required,
        checks=checks,
        as_is=_AS_IS.get(info.converter),
    )


def plan_for(cls: type, locale: str | None) -> Plan | None:
    """The fast path's plan for a form class and language (``None``: not taken)."""
    template = templates.get_template(cls, "", locale)
    key = (cls, locale)
    plan = _plans.get(key, _UNPLANNED)
    if plan is not _UNPLANNED and (plan is None or plan.template is template):
        return t.cast("Plan | None", plan)
    new: Plan | None = None
    if template.shared is not None:
        fields = [_plan_field(attr, proto) for attr, proto, _, _ in template.fields]
        if None not in fields:
            new = Plan(template, t.cast(tuple[FastField, ...], tuple(fields)))
    if len(_plans) >= _MAX_PLANS:
        _plans.clear()
    _plans[key] = new
    return new


def _passes(checks: tuple[Check, ...], data: t.Any) -> bool:
    for kind, a, b in checks:
        if kind == _RANGE:
            if (
                data is None
                or data != data  # NaN
                or (a is not None and not data >= a)
                or (b is not None and not data <= b)
            ):
                return False
        elif kind == _LENGTH:
            size = len(data)
            if size < a or (b != -1 and size > b):
                return False
        elif kind == _DATA:
            if isinstance(data, str):
                if not data.strip():
                    return False
            elif isinstance(data, (list, tuple, dict)) and not data:
                return False
        elif not a(data):  # _REGEXP
            return False
    return True


def validated_from_request(
    cls: type[MetaForm], sources: str | None, partial: bool
) -> tuple[MetaForm, bool] | None:
    """Build, fill and validate ``cls`` from the current request in one pass.

    :returns: ``(form, valid)``, exactly what ``cls.from_request(sources)`` and
        validating it give; ``None`` when the form or the request is not one the
        fast path takes (a body it read is cached on the request, so the general
        path reads the same bytes).
    :raises flask_toolkit.forms.body.BadBody: when the body is not a JSON object.
    """
    meta_class = cls._wtforms_meta
    if (
        cls.__init__ is not MetaForm.__init__
        or cls._unbound_fields is None
        or meta_class is None
        or meta_class.csrf
    ):
        return None
    req = request._get_current_object()  # type: ignore[attr-defined]
    meta = meta_class()
    locale = request_locale(req) if meta_class.locales is False else locale_of(meta)
    plan = plan_for(cls, locale)
    if plan is None:
        return None
    body = read_body(req, templates.wants_decimal(cls))
    args = req.args if req.environ.get("QUERY_STRING") else None
    json, query, wrong = split_sources(
        sources or sources_for(cls, req.method), body, args
    )
    if query is not None:
        return None  # cannot happen for a body-only source; "both" with a query
    form: t.Any = object.__new__(cls)
    meta._toolkit_locale = locale
    form_ref = weakref.proxy(form)
    fields: dict[str, t.Any] = {}
    form.__dict__.update(
        meta=meta,
        _parent_form=None,
        _form_error_key="",
        _prefix="",
        form_errors=[],
        _fields=fields,
        _toolkit_top=True,
    )
    if partial:
        form.__dict__["_toolkit_partial"] = True
    new = object.__new__
    pending: list[tuple[str, t.Any]] = []
    for (
        attr,
        key,
        field_class,
        proto_state,
        convert,
        direct,
        required,
        checks,
        as_is,
    ) in plan.fields:
        field: t.Any = new(field_class)
        state = proto_state.copy()
        state["_form"] = form_ref
        state["meta"] = meta
        field.__dict__ = state
        fields[attr] = field
        if key not in json:
            # Not sent: valid when not required. Partial forms go the general
            # way, which reads Meta.model (its NOT NULL columns) for them.
            if required or partial:
                pending.append((attr, field))
            else:
                state["errors"] = []
            continue
        value = json[key]
        if value is None or not direct:
            put(form, field, value, False, attr)
            pending.append((attr, field))
            continue
        state["_toolkit_state"] = SENT
        state["raw_data"] = [value]
        kind = type(value)
        if kind is as_is and (
            (kind is str and "\x00" not in value)
            or (kind is int and INT64_MIN <= value <= INT64_MAX)
            or kind is bool
            or (kind is float and value - value == 0.0)  # finite
        ):
            data = field.data = value  # what the converter returns for it
        else:
            try:
                data = field.data = convert(field, value, False)
            except jsonfields.InvalidValue as e:
                state["process_errors"] = [e.message]
                field.data = None
                pending.append((attr, field))
                continue
        if checks is not None and (not checks or _passes(checks, data)):
            state["errors"] = []
        else:
            pending.append((attr, field))
    form.__dict__.update(fields)
    if plan.template.keys.issuperset(json):
        form._toolkit_unknown = NO_UNKNOWN
    else:
        unknown: dict[str, list[str]] = {}
        if getattr(meta, "unknown_fields", "error") == "error":
            collect_unknown(meta, json, plan.template.keys, unknown)
        form._toolkit_unknown = unknown
    if wrong:
        refuse_wrong_source(form, wrong)
    if pending or form._toolkit_unknown:
        return form, validate_form(form, None, pending)
    return form, True
