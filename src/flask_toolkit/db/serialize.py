"""``to_dict``: models, dataclasses and lists of them as JSON-ready dicts.

Serialising a model with :func:`dataclasses.asdict` deep-copies every
value, follows every relationship (loading each one with a query, and never stopping on
a cycle), and leaves dates, decimals and enums for the JSON encoder to choke on.
:func:`to_dict` reads what is already loaded and nothing else:

* Columns come from the SQLAlchemy mapper, the same keys for an object whatever
  loaded it. A column an INSERT left out (a ``None`` default) is not loaded after the
  flush, but its value is known from the mapper — ``NULL`` — and written without a
  query. A column that is really not loaded (deferred, or expired) is left out — it
  is never fetched. Whether an attribute is loaded is read
  from the instance's ``__dict__``, the same thing ``sqlalchemy.inspect(obj).unloaded``
  reports, without building a set per row.
* Relationships appear only when named in ``include=``; dotted names go deeper
  (``"project.owner"``) and ``"*"`` takes every *loaded* relationship at that level and
  below, down to ``max_depth`` levels. A relationship named explicitly must have been
  loaded with the query (``selectinload``, ``joinedload`` ...) — otherwise
  :class:`~flask_toolkit.db.NotLoadedError` says how to load it. An object met again
  on its own path (a cycle) is written as its primary key. An object with no column
  loaded at all (every attribute expired) raises
  :class:`~flask_toolkit.db.NotLoadedError` rather than give an empty dict.
* Plain dataclasses are written field by field, nested dataclasses, lists and dicts
  included (``max_depth`` only bounds relationships); a dataclass met again on its own
  path is written as ``null``.
* Values become JSON types: datetimes with ``TOOLKIT_DATETIME_FORMAT`` (default
  ``"rfc3339"``: an aware datetime keeps its offset, a naive one is taken as UTC;
  ``"iso"`` for :meth:`~datetime.datetime.isoformat` as it is; or a ``strftime``
  format such as ``"%Y-%m-%d %H:%M:%S"``; see
  :mod:`flask_toolkit.timefmt`), dates and times in ISO 8601,
  :class:`~decimal.Decimal` and :class:`~uuid.UUID` as strings, enums as their
  value, bytes as base64, timedeltas as seconds.

The per-class work — which columns, which converter for each — is done once per model
class and date format and cached, so a list of rows costs one dict per row.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import decimal
import enum
import typing as t
import uuid
import weakref

import sqlalchemy as sa
from flask.globals import _cv_app

from .. import config
from .. import timefmt
from .plans import compile_row
from .plans import Converter
from .plans import DataclassPlan
from .plans import known_default
from .plans import LEAF
from .plans import ModelPlan
from .plans import Node
from .plans import parse
from .plans import UNKNOWN

#: The default ``TOOLKIT_DATETIME_FORMAT``: RFC 3339 (:mod:`flask_toolkit.timefmt`).
DEFAULT_DATETIME_FORMAT = timefmt.RFC3339

config.register_defaults({"TOOLKIT_DATETIME_FORMAT": DEFAULT_DATETIME_FORMAT})

Unloaded = t.Literal["omit", "null", "raise"]
#: ``wanted`` of a call without include/exclude (read, never written).
_NOTHING_WANTED: dict[int, bool] = {}


class NotLoadedError(LookupError):
    """An attribute ``to_dict`` was asked for is not loaded, and it never loads one."""


_Plan = ModelPlan | DataclassPlan | None
_plans: weakref.WeakKeyDictionary[type[t.Any], dict[str, _Plan]] = (
    weakref.WeakKeyDictionary()
)


def _plan_for(cls: type[t.Any], fmt: str) -> _Plan:
    by_format = _plans.get(cls)
    if by_format is None:
        by_format = _plans[cls] = {}
    try:
        return by_format[fmt]
    except KeyError:
        pass
    mapper = sa.inspect(cls, raiseerr=False)
    plan: _Plan
    if isinstance(mapper, sa.orm.Mapper):
        plan = ModelPlan(cls, mapper, lambda column: _converter_for_column(column, fmt))
        datetimes = frozenset(
            prop.key
            for prop in mapper.column_attrs
            if _python_type(prop.columns[0]) is dt.datetime
        )
        plan.row, plan.rows = compile_row(plan, fmt, _format_datetime(fmt), datetimes)
    elif dataclasses.is_dataclass(cls):
        plan = DataclassPlan(cls)
    else:
        plan = None
    by_format[fmt] = plan
    return plan


def _format_datetime(fmt: str) -> t.Callable[[dt.datetime], str]:
    return timefmt.datetime_formatter(fmt)


def _python_type(column: t.Any) -> t.Any:
    try:
        return column.type.python_type
    except (NotImplementedError, AttributeError):
        return None


def _converter_for_column(column: t.Any, fmt: str) -> Converter | None:
    """A converter for a column's values; ``None`` when they are JSON types already."""
    python_type = _python_type(column)
    if python_type in (int, str, bool, float):
        # Cheap check kept in case a value of another type was assigned in Python.
        return None
    if python_type is dt.datetime:
        format_datetime = _format_datetime(fmt)

        def datetime_column(value: t.Any) -> t.Any:
            if type(value) is dt.datetime:
                return format_datetime(value)
            return _convert(value, fmt)

        return datetime_column
    return lambda value: _convert(value, fmt)


def _convert(value: t.Any, fmt: str) -> t.Any:
    """Convert one value that is not a model or dataclass to a JSON type."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value.value if isinstance(value, enum.Enum) else value
    if isinstance(value, dt.datetime):
        return _format_datetime(fmt)(value)
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, enum.Enum):
        return _convert(value.value, fmt)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, t.Mapping):
        return {str(k): _convert(v, fmt) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_convert(v, fmt) for v in value]
    if _plan_for(type(value), fmt) is not None:
        return _Serializer(fmt, 3, "omit", {}).any(value, LEAF, 0)
    return value


class _Serializer:
    """One ``to_dict`` call: its options, and the path of objects being written."""

    __slots__ = ("fmt", "max_depth", "unloaded", "wanted", "path")

    def __init__(
        self, fmt: str, max_depth: int, unloaded: Unloaded, wanted: dict[int, bool]
    ) -> None:
        self.fmt = fmt
        self.max_depth = max_depth
        self.unloaded = unloaded
        self.wanted = wanted
        self.path: set[int] = set()

    def any(self, value: t.Any, node: Node, depth: int) -> t.Any:
        plan = _plan_for(type(value), self.fmt)
        if isinstance(plan, ModelPlan):
            return self.model(value, plan, node, depth)
        if isinstance(plan, DataclassPlan):
            return self.dataclass(value, plan, node, depth)
        if isinstance(value, sa.Row):
            return _convert(value._asdict(), self.fmt)
        if isinstance(value, (str, bytes, t.Mapping)):
            return _convert(value, self.fmt)
        if isinstance(value, t.Iterable):
            return self.many(value, node, depth)
        return _convert(value, self.fmt)

    def many(self, values: t.Iterable[t.Any], node: Node, depth: int) -> list[t.Any]:
        if node is LEAF:  # columns only: the compiled loop of the first row's class
            items = values if type(values) is list else list(values)
            if items:
                first = _plan_for(type(items[0]), self.fmt)
                if isinstance(first, ModelPlan):
                    model, cls = first, first.cls

                    def fallback(obj: t.Any) -> t.Any:  # a column not loaded, or
                        if type(obj) is cls:  # another class: the general path
                            return self.model(obj, model, node, depth)
                        return self.any(obj, node, depth)

                    return first.rows(items, fallback)
            values = items
        out: list[t.Any] = []
        append = out.append
        last_cls: type[t.Any] | None = None
        plan: _Plan = None
        for value in values:
            cls = type(value)
            if cls is not last_cls:
                last_cls, plan = cls, _plan_for(cls, self.fmt)
            if isinstance(plan, ModelPlan):
                append(self.model(value, plan, node, depth))
            else:
                append(self.any(value, node, depth))
        return out

    def model(self, obj: t.Any, plan: ModelPlan, node: Node, depth: int) -> t.Any:
        state = obj.__dict__
        out: dict[str, t.Any] = {}
        for key, convert in node.columns(plan):
            try:
                value = state[key]
            except KeyError:
                value = known_default(plan, obj, key)
                if value is UNKNOWN:
                    self._unloaded_column(plan, key, state, out)
                    continue
            out[key] = value if convert is None or value is None else convert(value)
        if node.children or node.wildcard:
            self._relationships(obj, plan, node, depth, out)
        return out

    def _unloaded_column(
        self, plan: ModelPlan, key: str, state: dict[str, t.Any], out: dict[str, t.Any]
    ) -> None:
        if not any(column in state for column, _ in plan.columns):
            # Every column expired (a commit with expire_on_commit=True, or
            # session.expire()): an empty or all-null dict would hide the mistake.
            raise NotLoadedError(
                f"This {plan.cls.__name__} has no loaded column: it was expired, e.g."
                " by a commit of a session with expire_on_commit=True. Refresh it"
                " (session.refresh(obj)) before to_dict, or keep the default"
                " expire_on_commit=False."
            )
        if self.unloaded == "null":
            out[key] = None
        elif self.unloaded == "raise":
            raise NotLoadedError(
                f"{plan.cls.__name__}.{key} is not loaded, and to_dict never loads it."
                " Load it with the query (undefer it, or refresh the object), or pass"
                " unloaded='omit' to leave it out."
            )

    def _relationships(
        self,
        obj: t.Any,
        plan: ModelPlan,
        node: Node,
        depth: int,
        out: dict[str, t.Any],
    ) -> None:
        state = obj.__dict__
        for key in node.children:
            if key not in plan.relationships and self.wanted.get(
                id(node.children[key])
            ):
                raise ValueError(
                    f"include: {plan.cls.__name__} has no relationship {key!r}; its"
                    f" relationships are {sorted(plan.relationships) or 'none'}."
                )
        if depth >= self.max_depth:
            return
        self.path.add(id(obj))
        try:
            for key in plan.relationships:
                child = node.children.get(key)
                explicit = child is not None and self.wanted.get(id(child), False)
                if key in node.exclude or not (explicit or node.wildcard):
                    continue
                if key not in state:
                    if explicit:
                        name = plan.cls.__name__
                        raise NotLoadedError(
                            f"{name}.{key} is not loaded, and to_dict never loads"
                            " it (that would be one query per row). Load it with the"
                            f" query, e.g. .options(selectinload({name}.{key})), or"
                            " leave it out of include=."
                        )
                    continue
                if child is None or (node.wildcard and not child.wildcard):
                    merged = Node()
                    merged.wildcard = node.wildcard
                    if child is not None:
                        merged.children = child.children
                        merged.exclude = child.exclude
                    child = merged
                value = state[key]
                if plan.relationships[key]:
                    out[key] = [self._related(v, child, depth + 1) for v in value]
                else:
                    out[key] = (
                        None
                        if value is None
                        else self._related(value, child, depth + 1)
                    )
        finally:
            self.path.discard(id(obj))

    def _related(self, obj: t.Any, node: Node, depth: int) -> t.Any:
        if id(obj) in self.path:
            identity = sa.inspect(obj).identity
            if identity is None:
                return None
            return identity[0] if len(identity) == 1 else list(identity)
        return self.any(obj, node, depth)

    def dataclass(
        self, obj: t.Any, plan: DataclassPlan, node: Node, depth: int
    ) -> t.Any:
        if id(obj) in self.path:
            return None
        self.path.add(id(obj))
        try:
            out: dict[str, t.Any] = {}
            for name in plan.fields:
                if name in node.exclude:
                    continue
                value = getattr(obj, name)
                if value is None or type(value) in (str, int, float, bool):
                    out[name] = value
                else:
                    out[name] = self.any(
                        value, node.children.get(name, LEAF), depth + 1
                    )
            return out
        finally:
            self.path.discard(id(obj))


def to_dict(
    obj: t.Any,
    *,
    include: str | t.Iterable[str] = (),
    exclude: str | t.Iterable[str] = (),
    max_depth: int = 3,
    datetime_format: str | None = None,
    unloaded: Unloaded = "omit",
) -> t.Any:
    """Turn a model, a dataclass, or a list of them into JSON-ready dicts and lists.

    Return the result from a view as it is: Flask sends dicts and lists as JSON.

    .. code-block:: python

        tasks = db.session.scalars(
            sa.select(Task).options(selectinload(Task.project))
        ).all()
        return to_dict(tasks, include=["project"], exclude=["secret"])

    :param obj: a mapped object, a dataclass instance, or an iterable of them (a list,
        ``session.scalars(...)``); other values are converted as they are.
    :param include: relationships to add, e.g. ``"project"``, ``"project.owner"``;
        ``"*"`` adds every loaded relationship at that level and below.
    :param exclude: attributes to leave out, dotted for related objects
        (``"password_hash"``, ``"project.budget"``).
    :param max_depth: how many relationship levels deep the output may go.
    :param datetime_format: ``"rfc3339"``, ``"iso"`` or a
        :meth:`~datetime.datetime.strftime` format; default ``TOOLKIT_DATETIME_FORMAT``
        of the current app, or ``"rfc3339"`` outside an app.
    :param unloaded: what to do with a column that is not loaded: ``"omit"`` it, write
        ``null``, or ``"raise"`` :class:`~flask_toolkit.db.NotLoadedError`. Never
        loaded either way.
    :raises NotLoadedError: when a relationship named in ``include`` is not loaded.
    :raises ValueError: when ``include`` names a relationship the model does not have.

    .. versionadded:: 0.1
    """
    if datetime_format is None:
        # The app's format, read from the app context's variable (not through the
        # current_app proxy): to_dict is called once per row in list views.
        ctx = _cv_app.get(None)
        datetime_format = (
            ctx.app.config.get("TOOLKIT_DATETIME_FORMAT") or DEFAULT_DATETIME_FORMAT
            if ctx is not None
            else DEFAULT_DATETIME_FORMAT
        )
    if not include and not exclude:
        plan = _plan_for(type(obj), datetime_format)
        if type(plan) is ModelPlan:
            row = plan.row(obj)
            if row is not None:
                return row
        root, wanted = LEAF, _NOTHING_WANTED
    else:
        root, wanted = parse(include, exclude, max_depth)
    serializer = _Serializer(datetime_format, max_depth, unloaded, wanted)
    return serializer.any(obj, root, 0)
