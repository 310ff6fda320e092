"""Write an OpenAPI 3.1 document as OpenAPI 3.0.3, for tools that read only 3.0.

3.1 schemas are JSON Schema 2020-12; 3.0 schemas are an older subset. The rewrite:

- ``"type": ["string", "null"]`` -> ``"type": "string", "nullable": true``; several
  non-null types -> ``anyOf`` of one type each; ``{"type": "null"}`` -> a nullable
  ``enum: [null]``;
- an ``enum`` holding ``null`` -> ``nullable: true`` as well;
- ``const: x`` -> ``enum: [x]``; ``examples: [x, ...]`` -> ``example: x``;
- numeric ``exclusiveMinimum`` / ``exclusiveMaximum`` -> ``minimum`` / ``maximum``
  with the boolean form;
- an array schema without ``items`` gets ``items: {}``;
- keywords 3.0 does not know (``$schema``, ``$id``, ``contentMediaType``, ...) and
  the document-level ``webhooks``, ``jsonSchemaDialect``, ``info.summary`` are
  dropped.
"""

from __future__ import annotations

import copy
import typing as t

#: OpenAPI version written by :func:`to_openapi_30`.
OPENAPI_30_VERSION = "3.0.3"

_DROPPED = frozenset(
    {
        "$schema",
        "$id",
        "$anchor",
        "$comment",
        "$defs",
        "contentMediaType",
        "contentEncoding",
        "unevaluatedProperties",
        "unevaluatedItems",
        "dependentRequired",
        "dependentSchemas",
        "prefixItems",
        "if",
        "then",
        "else",
    }
)
_EXCLUSIVE = (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum"))
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
_SUBSCHEMA_KEYS = ("items", "not", "additionalProperties")


def to_openapi_30(doc: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """Return a 3.0.3 copy of the 3.1 document ``doc`` (``doc`` is not changed)."""
    out = copy.deepcopy(dict(doc))
    out["openapi"] = OPENAPI_30_VERSION
    out.pop("webhooks", None)
    out.pop("jsonSchemaDialect", None)
    info = out.get("info", {})
    info.pop("summary", None)
    info.get("license", {}).pop("identifier", None)
    components = out.get("components", {})
    for name, schema in list(components.get("schemas", {}).items()):
        components["schemas"][name] = schema_30(schema)
    for item in out.get("paths", {}).values():
        for key, op in item.items():
            if key == "parameters":
                _parameters(op)
            elif isinstance(op, dict):
                _operation(op)
    return out


def _operation(op: dict[str, t.Any]) -> None:
    _parameters(op.get("parameters", []))
    body = op.get("requestBody")
    if body:
        _content(body.get("content", {}))
    for response in op.get("responses", {}).values():
        _content(response.get("content", {}))
        for header in response.get("headers", {}).values():
            if "schema" in header:
                header["schema"] = schema_30(header["schema"])


def _parameters(params: list[dict[str, t.Any]]) -> None:
    for param in params:
        if "schema" in param:
            param["schema"] = schema_30(param["schema"])


def _content(content: dict[str, t.Any]) -> None:
    for media in content.values():
        if "schema" in media:
            media["schema"] = schema_30(media["schema"])


def schema_30(schema: t.Any) -> t.Any:
    """One JSON Schema 2020-12 schema as an OpenAPI 3.0 schema object."""
    if not isinstance(schema, dict):
        return schema
    out = {k: v for k, v in schema.items() if k not in _DROPPED}
    if "properties" in out:
        out["properties"] = {k: schema_30(v) for k, v in out["properties"].items()}
    for key in _SUBSCHEMA_KEYS:
        if isinstance(out.get(key), dict):
            out[key] = schema_30(out[key])
    for key in _SUBSCHEMA_LISTS:
        if key in out:
            out[key] = [schema_30(s) for s in out[key]]
    if "const" in out:
        out["enum"] = [out.pop("const")]
    if "examples" in out:
        examples = out.pop("examples")
        if isinstance(examples, list) and examples:
            out["example"] = examples[0]
    for bound, plain in _EXCLUSIVE:
        value = out.get(bound)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out[plain] = value
            out[bound] = True
    if "enum" in out and None in out["enum"]:
        out["nullable"] = True
        if "type" not in out:
            out = _typed_enum(out)
    kind = out.get("type")
    if isinstance(kind, list):
        out = _split_types(out, kind)
    elif kind == "null":
        out.pop("type")
        out["enum"] = [None]
        out["nullable"] = True
    if out.get("type") == "array" and "items" not in out:
        out["items"] = {}
    return out


def _typed_enum(schema: dict[str, t.Any]) -> dict[str, t.Any]:
    kinds = {_json_type(v) for v in schema["enum"] if v is not None}
    if len(kinds) == 1:
        schema["type"] = kinds.pop()
    return schema


def _json_type(value: t.Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "string"


def _split_types(schema: dict[str, t.Any], kinds: list[str]) -> dict[str, t.Any]:
    rest = [k for k in kinds if k != "null"]
    nullable = len(rest) != len(kinds)
    if not rest:
        del schema["type"]
        return {**schema, "enum": [None], "nullable": True}
    if len(rest) == 1:
        schema["type"] = rest[0]
        if nullable:
            schema["nullable"] = True
        return schema
    del schema["type"]
    variants = [{"type": kind} for kind in rest]
    out: dict[str, t.Any] = {"anyOf": variants}
    if nullable:
        out["nullable"] = True
    if schema:
        out = {"allOf": [schema, out]} if _constrains(schema) else {**schema, **out}
    return out


def _constrains(schema: dict[str, t.Any]) -> bool:
    return any(key not in {"description", "title", "default"} for key in schema)
