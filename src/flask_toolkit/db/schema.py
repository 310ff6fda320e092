"""JSON Schema of what ``to_dict`` writes for a model class, a dataclass, a TypedDict
or a form class used as a response declaration.

Used by :func:`flask_toolkit.db.responses.response_schema`. Every column is listed as
``required``: ``to_dict`` writes the same keys for an object whatever query loaded it
(see :mod:`.serialize`), so a client can rely on each key being there, with ``null``
where the column is nullable.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import types
import typing as t
import uuid

import sqlalchemy as sa
from wtforms import fields as wtf
from wtforms import validators as wtv
from wtforms.fields.core import UnboundField

_SCALARS: dict[type[t.Any], dict[str, t.Any]] = {
    bool: {"type": "boolean"},
    int: {"type": "integer"},
    float: {"type": "number"},
    str: {"type": "string"},
    dt.datetime: {"type": "string", "format": "date-time"},
    dt.date: {"type": "string", "format": "date"},
    dt.time: {"type": "string", "format": "time"},
    dt.timedelta: {"type": "number", "description": "seconds"},
    decimal.Decimal: {"type": "string", "format": "decimal"},
    uuid.UUID: {"type": "string", "format": "uuid"},
    bytes: {"type": "string", "contentEncoding": "base64"},
}


def nullable(schema: dict[str, t.Any]) -> dict[str, t.Any]:
    """``schema`` or ``null``."""
    kind = schema.get("type")
    if isinstance(kind, str) and "enum" not in schema:
        return {**schema, "type": [kind, "null"]}
    if not schema:
        return schema
    return {"anyOf": [schema, {"type": "null"}]}


def _python_type_schema(kind: t.Any) -> dict[str, t.Any]:
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return {"enum": [member.value for member in kind]}
    for base, schema in _SCALARS.items():
        if isinstance(kind, type) and issubclass(kind, base):
            if base is int and issubclass(kind, bool):
                continue
            return dict(schema)
    return {}


def _column_schema(column: t.Any) -> dict[str, t.Any]:
    column_type = column.type
    if isinstance(column_type, sa.Enum) and column_type.enum_class is not None:
        schema = _python_type_schema(column_type.enum_class)
    elif isinstance(column_type, sa.Enum):
        schema = {"enum": list(column_type.enums)}
    else:
        try:
            python_type = column_type.python_type
        except (NotImplementedError, AttributeError):
            python_type = None
        schema = _python_type_schema(python_type)
        length = getattr(column_type, "length", None)
        if schema.get("type") == "string" and "format" not in schema and length:
            schema["maxLength"] = length
    return nullable(schema) if column.nullable else schema


def _split(paths: t.Iterable[str]) -> tuple[set[str], dict[str, list[str]]]:
    """Top-level names, and the rest of each dotted path by its first part."""
    here: set[str] = set()
    deeper: dict[str, list[str]] = {}
    for path in paths:
        first, _, rest = path.partition(".")
        if rest:
            deeper.setdefault(first, []).append(rest)
        else:
            here.add(first)
    return here, deeper


def object_schema(
    cls: type[t.Any],
    *,
    include: t.Iterable[str] = (),
    exclude: t.Iterable[str] = (),
    rename: t.Mapping[str, str] | None = None,
) -> dict[str, t.Any]:
    """The JSON Schema of ``to_dict(obj, include=..., exclude=...)`` for ``cls``.

    :raises TypeError: when ``cls`` is neither mapped nor a dataclass, or
        ``include``/``exclude``/``rename`` name something it does not have.
    """
    include_here, include_deeper = _split(include)
    exclude_here, exclude_deeper = _split(exclude)
    rename_here, rename_deeper = _split(rename or {})
    renames = {k: v for k, v in (rename or {}).items() if "." not in k}
    properties: dict[str, t.Any] = {}
    mapper = sa.inspect(cls, raiseerr=False)
    if isinstance(mapper, sa.orm.Mapper):
        known = {prop.key for prop in mapper.column_attrs}
        relationships = {rel.key: rel for rel in mapper.relationships}
        for prop in mapper.column_attrs:
            if prop.key not in exclude_here:
                properties[prop.key] = _column_schema(prop.columns[0])
        for name in sorted(include_here | set(include_deeper)):
            if name == "*":
                continue
            rel = relationships.get(name)
            if rel is None:
                raise TypeError(
                    f"{cls.__name__} has no relationship {name!r} to include; its"
                    f" relationships are {sorted(relationships) or 'none'}."
                )
            known.add(name)
            inner = object_schema(
                rel.mapper.class_,
                include=include_deeper.get(name, ()),
                exclude=exclude_deeper.get(name, ()),
                rename={
                    rest: rename[f"{name}.{rest}"]
                    for rest in rename_deeper.get(name, ())
                    if rename is not None
                },
            )
            if rel.uselist:
                properties[name] = {"type": "array", "items": inner}
            else:
                optional = any(c.nullable for c in rel.local_columns)
                properties[name] = nullable(inner) if optional else inner
    else:
        fields = declared_fields(cls)
        if fields is None:
            raise TypeError(
                "@responds needs a mapped model class, a dataclass, a TypedDict or a"
                f" form class, not {cls!r}."
            )
        known = set(fields)
        for name, schema in fields.items():
            if name not in exclude_here:
                properties[name] = schema
    for name in (exclude_here | rename_here) - known:
        raise TypeError(
            f"{cls.__name__} has no field {name!r} (named in exclude= or rename=);"
            f" its fields are {sorted(known)}."
        )
    properties = {renames.get(key, key): value for key, value in properties.items()}
    return {
        "type": "object",
        "title": cls.__name__,
        "properties": properties,
        "required": list(properties),
    }


def declared_fields(cls: t.Any) -> dict[str, dict[str, t.Any]] | None:
    """Field name -> JSON Schema of a dataclass, a TypedDict or a WTForms form class
    used as a response declaration; ``None`` for anything else."""
    if dataclasses.is_dataclass(cls):
        hints = t.get_type_hints(cls)
        return {
            field.name: _annotation_schema(hints.get(field.name))
            for field in dataclasses.fields(cls)
        }
    if (
        isinstance(cls, type)
        and issubclass(cls, dict)
        and hasattr(cls, "__required_keys__")
    ):  # a TypedDict
        return {
            name: _annotation_schema(hint)
            for name, hint in t.get_type_hints(cls).items()
        }
    unbound = _unbound_fields(cls)
    if unbound is None:
        return None
    return {name: _form_field_schema(field) for name, field in unbound}


def _unbound_fields(cls: t.Any) -> list[tuple[str, t.Any]] | None:
    """A WTForms form class's fields in declaration order, or ``None``."""
    if not isinstance(cls, type) or not hasattr(cls, "_wtforms_meta"):
        return None
    fields = [
        (name, value)
        for name in dir(cls)
        if not name.startswith("_")
        and isinstance(value := getattr(cls, name), UnboundField)
    ]
    fields.sort(key=lambda item: item[1].creation_counter)
    return fields


def _form_field_schema(unbound: t.Any) -> dict[str, t.Any]:
    """What a form field declares about a value sent back: its type, and ``null``
    unless it has a required validator."""
    field_class = unbound.field_class
    schema: dict[str, t.Any] = {}
    for base, base_schema in _FORM_FIELDS:
        if issubclass(field_class, base):
            schema = dict(base_schema)
            break
    if issubclass(field_class, wtf.FieldList):
        inner = unbound.args[0] if unbound.args else None
        schema = {
            "type": "array",
            "items": _form_field_schema(inner) if inner is not None else {},
        }
    elif issubclass(field_class, wtf.FormField):
        form_class = unbound.args[0] if unbound.args else None
        inner_fields = declared_fields(form_class) or {}
        schema = {
            "type": "object",
            "properties": inner_fields,
            "required": list(inner_fields),
        }
    validators = unbound.kwargs.get("validators") or ()
    required = any(
        isinstance(v, (wtv.InputRequired, wtv.DataRequired)) for v in validators
    )
    return schema if required else nullable(schema)


_FORM_FIELDS: tuple[tuple[type, dict[str, t.Any]], ...] = (
    (wtf.BooleanField, {"type": "boolean"}),
    (wtf.DecimalField, {"type": "string", "format": "decimal"}),
    (wtf.IntegerField, {"type": "integer"}),
    (wtf.FloatField, {"type": "number"}),
    (wtf.DateField, {"type": "string", "format": "date"}),
    (wtf.TimeField, {"type": "string", "format": "time"}),
    (wtf.DateTimeField, {"type": "string", "format": "date-time"}),
    (wtf.StringField, {"type": "string"}),
)


def _annotation_schema(hint: t.Any) -> dict[str, t.Any]:
    """A dataclass field's annotation as JSON Schema (``{}`` when unknown)."""
    origin = t.get_origin(hint)
    if origin in (t.Union, types.UnionType):
        args = [arg for arg in t.get_args(hint) if arg is not type(None)]
        inner = _annotation_schema(args[0]) if len(args) == 1 else {}
        return nullable(inner) if len(args) < len(t.get_args(hint)) else inner
    if origin in (list, tuple, set, frozenset):
        items = t.get_args(hint)
        return {
            "type": "array",
            "items": _annotation_schema(items[0]) if items else {},
        }
    if origin is dict or hint is dict:
        return {"type": "object"}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return object_schema(hint)
    return _python_type_schema(hint)
