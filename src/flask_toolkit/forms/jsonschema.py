"""Describe a form as JSON Schema, for OpenAPI documents and for clients.

:func:`form_schema` turns a :class:`~flask_toolkit.MetaForm` (or any WTForms form)
into a JSON Schema object (draft 2020-12, which OpenAPI 3.1 uses as is) that says
what the form accepts *in a JSON body*:

- field types from the field classes (``IntegerField`` -> ``integer``, ``FormField``
  -> a nested object, ``FieldList`` -> an array, ``SelectField`` -> an ``enum``);
- ``required`` from ``InputRequired``/``DataRequired``; ``null`` is accepted where
  the form accepts it (see :mod:`flask_toolkit.forms.nulls`);
- constraints from validators: ``Length`` -> ``minLength``/``maxLength`` (or
  ``minItems``/``maxItems`` on lists), ``NumberRange`` -> ``minimum``/``maximum``,
  ``AnyOf`` -> ``enum``, ``NoneOf`` -> ``not: {enum}``, ``Regexp`` -> ``pattern``,
  ``Email``/``URL``/``UUID``/``IPAddress`` -> ``format``;
- ``additionalProperties: false`` unless the form's ``Meta.unknown_fields`` is
  ``"ignore"``.

:func:`query_parameters` gives the same fields as OpenAPI query parameters, for
endpoints that read the query string.
"""

from __future__ import annotations

import copy
import decimal
import typing as t

from wtforms import fields as f
from wtforms import validators as v

from .nulls import model_not_null
from .nulls import null_refused

_cache: dict[type, dict[str, t.Any]] = {}

_SCALARS: tuple[tuple[type, dict[str, t.Any]], ...] = (
    (f.BooleanField, {"type": "boolean"}),
    (f.IntegerField, {"type": "integer"}),
    (f.DecimalField, {"type": "number"}),
    (f.FloatField, {"type": "number"}),
    (f.DateTimeField, {"type": "string"}),
    (f.StringField, {"type": "string"}),
)

_COERCE_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean"}


def form_schema(form_class: type, *, partial: bool = False) -> dict[str, t.Any]:
    """Return the JSON Schema of the JSON body ``form_class`` accepts.

    The result is computed once per class and copied on each call, so callers may
    change it freely::

        schema = form_schema(TaskForm)
        openapi["components"]["schemas"]["Task"] = schema

    :param form_class: a :class:`~flask_toolkit.MetaForm` or WTForms form class.
    :param partial: describe the form as ``@validate_data(form_class,
        partial=True)`` reads it: no top-level key is required.
    """
    try:
        cached = _cache[form_class]
    except KeyError:
        cached = _cache[form_class] = _object_schema(_instance(form_class))
    schema = copy.deepcopy(cached)
    if partial:
        schema.pop("required", None)
    return schema


def query_parameters(form_class: type) -> list[dict[str, t.Any]]:
    """Return OpenAPI parameter objects (``in: query``) for the form's fields.

    A list field becomes an array parameter (repeat the key for each value);
    nested forms are left out, as they can only be sent in the body.

    :param form_class: a :class:`~flask_toolkit.MetaForm` or WTForms form class.
    """
    schema = form_schema(form_class)
    required = set(schema.get("required", ()))
    params = []
    for name, prop in schema["properties"].items():
        if _types(prop) & {"object"}:
            continue
        prop = _without_null(prop)
        param: dict[str, t.Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": prop,
        }
        if "array" in _types(prop):
            param["style"] = "form"
            param["explode"] = True
        params.append(param)
    return params


def _instance(form_class: type) -> t.Any:
    from .form import MetaForm

    if issubclass(form_class, MetaForm):
        return form_class(json={})
    return form_class()


def _object_schema(form: t.Any) -> dict[str, t.Any]:
    properties: dict[str, t.Any] = {}
    required: list[str] = []
    csrf_name = form.meta.csrf_field_name if form.meta.csrf else None
    not_null = model_not_null(form.meta)
    for attr, field in form._fields.items():
        if field.short_name == csrf_name:
            continue
        schema, is_required = _field_schema(field, attr in not_null)
        properties[field.short_name] = schema
        if is_required:
            required.append(field.short_name)
    out: dict[str, t.Any] = {"type": "object", "properties": properties}
    if required:
        out["required"] = required
    if getattr(form.meta, "unknown_fields", "error") != "ignore":
        out["additionalProperties"] = False
    return out


def _field_schema(
    field: t.Any, column_not_null: bool = False
) -> tuple[dict[str, t.Any], bool]:
    """One field's schema, and whether the key is required."""
    if isinstance(field, f.FormField):
        nested = _object_schema(field.form)
        return nested, bool(nested.get("required"))
    if isinstance(field, f.FieldList):
        entry = field.unbound_field.bind(form=None, name="item", _meta=field.meta)
        entry.process(None)
        items, _ = _field_schema(entry)
        schema: dict[str, t.Any] = {"type": "array", "items": items}
        if field.max_entries:
            schema["maxItems"] = field.max_entries
    elif isinstance(field, f.SelectFieldBase):
        schema = _choice_schema(field)
    else:
        schema = {"type": "string"}
        for base, base_schema in _SCALARS:
            if isinstance(field, base):
                schema = dict(base_schema)
                break
        _formats(field, schema)
    required = False
    for validator in field.validators:
        required = _apply_validator(validator, schema) or required
    if field.description:
        schema["description"] = str(field.description)
    default = field.default
    if isinstance(default, (str, int, float, bool)) and not callable(default):
        schema["default"] = default
    if not null_refused(field, required, column_not_null):
        # null is accepted (and means "clear it") where the form accepts it.
        if isinstance(schema.get("type"), str):
            schema["type"] = [schema["type"], "null"]
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
    return schema, required


def _choice_schema(field: t.Any) -> dict[str, t.Any]:
    values = []
    for choice in _choice_values(field):
        try:
            value = field.coerce(choice)
        except (ValueError, TypeError):
            continue
        values.append(_jsonable(value))
    item: dict[str, t.Any] = {"enum": values}
    kind = _COERCE_TYPES.get(field.coerce)
    if kind is not None:
        item = {"type": kind, "enum": values}
    if isinstance(field, f.SelectMultipleField):
        return {"type": "array", "items": item}
    return item if "type" in item else {"type": "string", **item}


def _choice_values(field: t.Any) -> list[t.Any]:
    choices = field.choices
    if callable(choices):
        choices = choices()
    if not choices:
        return []
    if isinstance(choices, dict):
        items: list[t.Any] = []
        for key, value in choices.items():
            items.extend(value if isinstance(value, (list, tuple)) else [key])
        choices = items
    out = []
    for choice in choices:
        if isinstance(choice, tuple):
            out.append(choice[0])
        elif hasattr(choice, "value"):
            out.append(choice.value)
        else:
            out.append(choice)
    return out


def _formats(field: t.Any, schema: dict[str, t.Any]) -> None:
    if isinstance(field, f.EmailField):
        schema["format"] = "email"
    elif isinstance(field, f.URLField):
        schema["format"] = "uri"
    elif isinstance(field, f.DateTimeField):
        formats = field.format if isinstance(field.format, list) else [field.format]
        known = {"%Y-%m-%d": "date", "%H:%M": "time", "%H:%M:%S": "time"}
        if len(formats) == 1 and formats[0] in known:
            schema["format"] = known[formats[0]]
        else:
            schema["description"] = "Format: " + " or ".join(formats)


def _apply_validator(validator: t.Any, schema: dict[str, t.Any]) -> bool:
    """Add one validator's constraint to ``schema``; return whether it requires."""
    is_array = schema.get("type") == "array"
    if isinstance(validator, (v.InputRequired, v.DataRequired)):
        if isinstance(validator, v.DataRequired):
            if is_array:
                schema["minItems"] = max(schema.get("minItems", 0), 1)
            elif schema.get("type") == "string":
                schema["minLength"] = max(schema.get("minLength", 0), 1)
        return True
    if isinstance(validator, v.Length):
        low, high = ("minItems", "maxItems") if is_array else ("minLength", "maxLength")
        if validator.min is not None and validator.min >= 0:
            schema[low] = max(validator.min, schema.get(low, 0))
        if validator.max is not None and validator.max >= 0:
            schema[high] = validator.max
    elif isinstance(validator, v.NumberRange):
        if validator.min is not None:
            schema["minimum"] = _jsonable(validator.min)
        if validator.max is not None:
            schema["maximum"] = _jsonable(validator.max)
    elif isinstance(validator, v.AnyOf):
        schema["enum"] = [_jsonable(x) for x in validator.values]
    elif isinstance(validator, v.NoneOf):
        schema["not"] = {"enum": [_jsonable(x) for x in validator.values]}
    elif isinstance(validator, v.Regexp):
        schema["pattern"] = validator.regex.pattern
    elif isinstance(validator, v.Email):
        schema["format"] = "email"
    elif isinstance(validator, v.URL):
        schema["format"] = "uri"
    elif isinstance(validator, v.UUID):
        schema["format"] = "uuid"
    elif isinstance(validator, v.IPAddress):
        if validator.ipv4 and not validator.ipv6:
            schema["format"] = "ipv4"
        elif validator.ipv6 and not validator.ipv4:
            schema["format"] = "ipv6"
    return False


def _jsonable(value: t.Any) -> t.Any:
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _types(schema: dict[str, t.Any]) -> set[str]:
    kind = schema.get("type")
    if isinstance(kind, list):
        return set(kind)
    return {kind} if isinstance(kind, str) else set()


def _without_null(schema: dict[str, t.Any]) -> dict[str, t.Any]:
    kind = schema.get("type")
    if isinstance(kind, list):
        rest = [k for k in kind if k != "null"]
        schema = dict(schema, type=rest[0] if len(rest) == 1 else rest)
    return schema
