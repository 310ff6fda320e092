"""What ``to_dict`` works from: the include/exclude tree and the per-class plans.

Both are built once and reused: the tree once per call, a class's plan once per class
and date format (see :mod:`.serialize`).
"""

from __future__ import annotations

import dataclasses
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

    __slots__ = ("cls", "columns", "relationships", "mapper", "defaults")

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
