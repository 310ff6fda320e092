"""What ``to_dict`` works from: the include/exclude tree and the per-class plans.

Both are built once and reused: the tree once per call, a class's plan once per class
and date format (see :mod:`.serialize`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import typing as t

import sqlalchemy as sa

#: Turns one stored value into a JSON type.
Converter = t.Callable[[t.Any], t.Any]


class Node:
    """One level of the ``include=`` / ``exclude=`` tree."""

    __slots__ = ("children", "wildcard", "exclude", "_columns")

    def __init__(self) -> None:
        self.children: dict[str, Node] = {}
        self.wildcard = False
        self.exclude: frozenset[str] = frozenset()
        #: Per model class: its column plan minus ``exclude``.
        self._columns: dict[type[t.Any], tuple[tuple[str, Converter | None], ...]] = {}

    def columns(self, plan: ModelPlan) -> tuple[tuple[str, Converter | None], ...]:
        if not self.exclude:
            return plan.columns
        columns = self._columns.get(plan.cls)
        if columns is None:
            columns = tuple(c for c in plan.columns if c[0] not in self.exclude)
            self._columns[plan.cls] = columns
        return columns


#: The node of "columns only": no include, no exclude.
LEAF = Node()


def parse(
    include: t.Iterable[str], exclude: t.Iterable[str], max_depth: int
) -> tuple[Node, dict[int, bool]]:
    """Build the tree; the dict records which nodes were asked for (not just passed)."""
    root = Node()
    wanted: dict[int, bool] = {}
    for path in [include] if isinstance(include, str) else include:
        parts = path.split(".")
        if len(parts) > max_depth and parts[-1] != "*":
            raise ValueError(
                f"include={path!r} is {len(parts)} relationships deep, more than"
                f" max_depth={max_depth}; pass a larger max_depth to allow it."
            )
        node = root
        for part in parts:
            if part == "*":
                node.wildcard = True
                break
            node = node.children.setdefault(part, Node())
            wanted[id(node)] = True
    for path in [exclude] if isinstance(exclude, str) else exclude:
        *parents, name = path.split(".")
        node = root
        for part in parents:
            node = node.children.setdefault(part, Node())
        node.exclude = node.exclude | {name}
    return root, wanted


class ModelPlan:
    """What to read from one mapped class, and how to convert each column."""

    __slots__ = (
        "cls",
        "columns",
        "relationships",
        "mapper",
        "defaults",
        "row",
        "rows",
    )

    def __init__(
        self,
        cls: type[t.Any],
        mapper: sa.orm.Mapper[t.Any],
        converter_for: t.Callable[[t.Any], Converter | None],
    ) -> None:
        self.cls = cls
        self.mapper = mapper
        self.columns = tuple(
            (prop.key, converter_for(prop.columns[0])) for prop in mapper.column_attrs
        )
        #: key -> the value an unloaded column is known to hold when the object was
        #: inserted without it and not expired since (see :func:`known_default`).
        self.defaults = {
            prop.key: _default_of(prop)
            for prop in mapper.column_attrs
            if not prop.deferred and len(prop.columns) == 1
        }
        #: key -> whether it is a collection
        self.relationships = {
            rel.key: bool(rel.uselist) for rel in mapper.relationships
        }
        #: The object's columns as a dict, or ``None`` when one is not loaded (then
        #: the general path decides); set by the serializer (:func:`compile_row`).
        self.row: RowFunction = _no_row
        #: The same for a list: ``rows(objs, fallback)`` (``fallback(obj)`` writes an
        #: object of another class, or one with a column not loaded).
        self.rows: RowsFunction = _no_rows


RowFunction = t.Callable[[t.Any], "dict[str, t.Any] | None"]
RowsFunction = t.Callable[[t.Iterable[t.Any], Converter], list[t.Any]]


def _no_row(obj: t.Any) -> None:
    return None


def _no_rows(objs: t.Iterable[t.Any], fallback: Converter) -> list[t.Any]:
    return [fallback(obj) for obj in objs]


#: Per date format, an expression that writes the datetime ``{v}`` inline (falling
#: back on ``_fmt``, the format's function, for the cases it does not cover).
INLINE_DATETIME = {
    "rfc3339": "{v}.isoformat() + '+00:00' if {v}.tzinfo is None else _fmt({v})",
    "iso": "{v}.isoformat()",
    "%Y-%m-%d %H:%M:%S": (
        "{v}.isoformat(' ', 'seconds')"
        " if {v}.tzinfo is None and {v}.year >= 1000 else _fmt({v})"
    ),
}


def compile_row(
    plan: ModelPlan,
    fmt: str,
    format_datetime: t.Callable[[t.Any], str],
    datetime_columns: frozenset[str],
) -> tuple[RowFunction, RowsFunction]:
    """Functions that write an object's columns (and a list's), compiled from the plan.

    The code reads every column from the instance's ``__dict__`` into a local,
    converts the few that need it (datetimes inline, others through their converter)
    and builds the dict in one expression: no loop over columns, no call per plain
    column, and for a list no call per row. A column not in ``__dict__`` whose value
    the mapper knows (:func:`known_default`) is written as that value; one that is
    really not loaded is left to the general path: ``row`` returns ``None``, ``rows``
    calls its ``fallback``.
    """
    namespace: dict[str, t.Any] = {
        "_fmt": format_datetime,
        "_datetime": dt.datetime,
        "_cls": plan.cls,
    }
    reads, converts, items = [], [], []
    for i, (key, convert) in enumerate(plan.columns):
        var = f"v{i}"
        reads.append(f"{var} = d[{key!r}]")
        items.append(f"{key!r}: {var}")
        if convert is None:
            continue
        namespace[f"_c{i}"] = convert
        inline = INLINE_DATETIME.get(fmt)
        if key in datetime_columns and inline is not None:
            converts += [
                f"if type({var}) is _datetime:",
                f"    {var} = {inline.format(v=var)}",
                f"elif {var} is not None:",
                f"    {var} = _c{i}({var})",
            ]
        else:
            converts += [f"if {var} is not None:", f"    {var} = _c{i}({var})"]
    result = "{" + ", ".join(items) + "}"

    def indent(lines: list[str], depth: int) -> list[str]:
        return [" " * depth + line for line in lines]

    # The slow variant, for an object with a column missing from __dict__: the
    # column's value when the mapper knows it (a new row's NULL), else None (the
    # general path decides what to do with a column that is not loaded).
    known = []
    for i, (key, _) in enumerate(plan.columns):
        known += [
            f"v{i} = d.get({key!r}, _MISSING)",
            f"if v{i} is _MISSING:",
            f"    v{i} = _known(_plan, obj, {key!r})",
            f"    if v{i} is _UNKNOWN:",
            "        return None",
        ]
    namespace.update(
        _MISSING=object(), _UNKNOWN=UNKNOWN, _known=known_default, _plan=plan
    )
    source = "\n".join(
        [
            "def slow_row(obj):",
            "    d = obj.__dict__",
            *indent(known, 4),
            *indent(converts, 4),
            f"    return {result}",
            "def row(obj):",
            "    d = obj.__dict__",
            "    try:",
            *indent(reads or ["pass"], 8),
            "    except KeyError:",
            "        return slow_row(obj)",
            *indent(converts, 4),
            f"    return {result}",
            "def rows(objs, fallback):",
            "    out = []",
            "    append = out.append",
            "    for obj in objs:",
            "        if type(obj) is not _cls:",
            "            append(fallback(obj))",
            "            continue",
            "        d = obj.__dict__",
            "        try:",
            *indent(reads or ["pass"], 12),
            "        except KeyError:",
            "            done = slow_row(obj)",
            "            append(fallback(obj) if done is None else done)",
            "            continue",
            *indent(converts, 8),
            f"        append({result})",
            "    return out",
        ]
    )
    code = compile(source, f"<to_dict of {plan.cls.__qualname__}>", "exec")
    exec(code, namespace)
    return namespace["row"], namespace["rows"]


#: Marks a column whose value cannot be known without asking the database.
UNKNOWN: t.Any = object()


def _default_of(prop: t.Any) -> tuple[t.Any, t.Any]:
    """What an INSERT that left the column out wrote: (when persistent, when pending).

    A column the database fills (``server_default``, a trigger declared as
    :class:`~sqlalchemy.schema.FetchedValue`) is unknown; so is a pending object's
    column with a callable default, not run until the flush. A column with a Python
    default is always loaded after the INSERT, so it is not asked about then.
    """
    column = prop.columns[0]
    if not isinstance(column, sa.Column) or column.server_default is not None:
        return UNKNOWN, UNKNOWN
    default = column.default
    if default is None:
        return None, None
    if default.is_scalar:
        return UNKNOWN, t.cast(t.Any, default).arg
    return UNKNOWN, UNKNOWN


def known_default(plan: ModelPlan, obj: t.Any, key: str) -> t.Any:
    """The value of a column missing from ``obj.__dict__``, or :data:`UNKNOWN`.

    Known: a column of a new object that the INSERT left to a ``NULL`` (or a
    pending object's scalar default). Unknown: an expired column, a deferred one
    (``deferred=True``, ``defer()``, ``load_only()``) — the database has its value.
    """
    defaults = plan.defaults.get(key)
    if defaults is None:
        return UNKNOWN
    # The instance state, as sa.inspect(obj) finds it, without the dispatch.
    state = obj.__dict__.get("_sa_instance_state") or sa.inspect(obj)
    if key in state.expired_attributes or key in state.callables:
        return UNKNOWN
    return defaults[0] if state.key is not None else defaults[1]


class DataclassPlan:
    __slots__ = ("cls", "fields")

    def __init__(self, cls: type[t.Any]) -> None:
        self.cls = cls
        self.fields = tuple(f.name for f in dataclasses.fields(cls))
