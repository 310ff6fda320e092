"""OpenAPI paths and path parameters from Werkzeug URL rules.

A rule's converters say what each path segment accepts, so the parameters are typed
from them: ``<int:task_id>`` is a non-negative ``integer``, ``<uuid:id>`` a string in
``uuid`` format, ``<any(a, b):kind>`` an ``enum``, ``<float:x>`` a ``number``, and
``<string(length=3):code>`` a string of three characters other than ``/``. A custom
converter is a string matching its own ``regex``.
"""

from __future__ import annotations

import re
import typing as t

from werkzeug.routing import Rule

_CONVERTER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
#: A segment that Werkzeug would read as another path: ``/``, or exactly ``.``/``..``.
_SEGMENT = r"^(?!\.\.?$)[^/]+$"


def openapi_path(rule: str) -> tuple[str, list[str]]:
    """``/tasks/<int:task_id>`` -> (``/tasks/{task_id}``, ``["task_id"]``)."""
    names = _CONVERTER.findall(rule)
    return _CONVERTER.sub(r"{\1}", rule) or "/", names


def converter_schema(converter: t.Any) -> dict[str, t.Any]:
    """The JSON Schema of the values one Werkzeug converter accepts."""
    kind = type(converter).__name__
    if kind == "IntegerConverter" or kind == "FloatConverter":
        schema: dict[str, t.Any] = {
            "type": "integer" if kind == "IntegerConverter" else "number"
        }
        low = getattr(converter, "min", None)
        if low is None and not getattr(converter, "signed", False):
            low = 0
        if low is not None:
            schema["minimum"] = low
        if getattr(converter, "max", None) is not None:
            schema["maximum"] = converter.max
        return schema
    if kind == "UUIDConverter":
        return {"type": "string", "format": "uuid"}
    if kind == "AnyConverter":
        return {"type": "string", "enum": sorted(getattr(converter, "items", ()))}
    if kind == "PathConverter":
        return {"type": "string", "pattern": r"^[^/].*$"}
    if kind == "UnicodeConverter":
        return _unicode_schema(getattr(converter, "regex", "[^/]+"))
    regex = getattr(converter, "regex", None)
    if isinstance(regex, str) and regex != "[^/]+":
        return {"type": "string", "pattern": f"^(?:{regex})$"}
    return {"type": "string", "pattern": _SEGMENT}


def _unicode_schema(regex: str) -> dict[str, t.Any]:
    schema: dict[str, t.Any] = {"type": "string", "pattern": _SEGMENT}
    match = re.fullmatch(r"\[\^/\]\{(\d*)(,?)(\d*)\}", regex)
    if match:
        low, comma, high = match.groups()
        schema["minLength"] = int(low or 0)
        if not comma:
            schema["maxLength"] = int(low)
        elif high:
            schema["maxLength"] = int(high)
    else:
        schema["minLength"] = 1
    return schema


def path_parameters(rule: Rule) -> list[dict[str, t.Any]]:
    """OpenAPI ``in: path`` parameters of ``rule``, in the order they appear."""
    _, names = openapi_path(rule.rule)
    converters: t.Mapping[str, t.Any] = getattr(rule, "_converters", {})
    params = []
    for name in names:
        converter = converters.get(name)
        schema = (
            converter_schema(converter)
            if converter is not None
            else {"type": "string", "pattern": _SEGMENT}
        )
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return params
