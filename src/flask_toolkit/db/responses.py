"""``@responds``: a view declares what it returns, and that declaration writes it.

The view returns objects — a model instance, a dataclass, a list of them, or a
:class:`~flask_toolkit.db.Pagination` — and :func:`~flask_toolkit.responds` turns them
into JSON with
:func:`~flask_toolkit.to_dict`, following the declaration: the declared class's
fields (minus ``exclude``), the relationships named in ``include``, keys renamed by
``rename``. The declared class may also be an output shape of its own — a dataclass, a
``TypedDict`` or a form class — while the view returns a model: the answer then has
the declared fields only. The same declaration is what the API docs describe:
:func:`response_schema` gives its JSON Schema, read from the mapper or the dataclass
fields, so the documented shape and the sent shape cannot drift apart.

.. code-block:: python

    @api.get("/tasks/<int:task_id>")
    @responds(Task, include=["project"], rename={"created_at": "created"})
    def get_task(task_id: int) -> Task:
        return db.one_or_404(...)
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing as t

from flask import current_app
from flask import Response

from .pagination import Pagination
from .schema import object_schema
from .serialize import to_dict

F = t.TypeVar("F", bound=t.Callable[..., t.Any])
Many = bool | t.Literal["page"]

#: The attribute of a view that holds its :class:`ResponseSpec`.
SPEC_ATTR = "_toolkit_response"


@dataclasses.dataclass(frozen=True)
class ResponseSpec:
    """What a view declared with :func:`~flask_toolkit.responds`."""

    #: The model class or dataclass the view returns.
    schema: type[t.Any]
    #: The HTTP status of a successful answer.
    status: int = 200
    #: ``False``: one object; ``True``: a list; ``"page"``: a
    #: :class:`~flask_toolkit.db.Pagination`, sent as ``{"items": [...], "page", ...}``.
    many: Many = False
    #: Relationships to add, dotted for deeper ones (as in ``to_dict``).
    include: tuple[str, ...] = ()
    #: Fields to leave out, dotted for related objects.
    exclude: tuple[str, ...] = ()
    #: Field -> the key the client sees; dotted on the left for related objects.
    rename: t.Mapping[str, str] = dataclasses.field(default_factory=dict)

    def fields(self) -> tuple[str, ...]:
        """The top-level keys sent, in order, after ``exclude`` and ``rename``."""
        return tuple(response_schema_object(self)["properties"])


def _tuple(value: str | t.Iterable[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def responds(
    schema: type[t.Any],
    *,
    status: int = 200,
    many: Many = False,
    include: str | t.Iterable[str] = (),
    exclude: str | t.Iterable[str] = (),
    rename: t.Mapping[str, str] | None = None,
) -> t.Callable[[F], F]:
    """Declare what a view returns, and write its return value that way.

    The view returns the objects; the decorator sends them as JSON with ``status``.
    A view may still return ``(objects, status)`` or ``(objects, status, headers)``,
    or a ready :class:`~flask.Response` (sent as it is, e.g. an error it built).

    :param schema: the mapped model class or dataclass the view returns.
    :param status: the status of the answer, e.g. ``201`` for a create.
    :param many: ``True`` when the view returns a list, ``"page"`` when it returns
        a :class:`~flask_toolkit.db.Pagination` (sent with ``page``, ``per_page``,
        ``total``, ``pages`` around ``items``).
    :param include: relationships to nest, as ``to_dict``'s ``include=``; they must
        be loaded by the view's query.
    :param exclude: fields to leave out, as ``to_dict``'s ``exclude=``.
    :param rename: field name -> key in the answer, e.g. ``{"created_at":
        "created"}``; ``"project.name"`` renames inside a nested object.
    :raises TypeError: at decoration time, when ``schema`` is not a model or a
        dataclass, or ``rename``/``exclude`` name a field it does not have.

    .. versionadded:: 0.2
    """
    spec = ResponseSpec(
        schema=schema,
        status=status,
        many=many,
        include=_tuple(include),
        exclude=_tuple(exclude),
        rename=dict(rename or {}),
    )
    # Fails now, at import, when the declaration names what the class does not have.
    keys = _declared_keys(spec)

    def decorator(view: F) -> F:
        if inspect.iscoroutinefunction(view):

            @functools.wraps(view)
            async def async_wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
                return _answer(spec, await view(*args, **kwargs), keys)

            async_wrapper._toolkit_response = spec  # type: ignore[attr-defined]
            return t.cast(F, async_wrapper)

        @functools.wraps(view)
        def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
            return _answer(spec, current_app.ensure_sync(view)(*args, **kwargs), keys)

        wrapper._toolkit_response = spec  # type: ignore[attr-defined]
        return t.cast(F, wrapper)

    return decorator


def _declared_keys(spec: ResponseSpec) -> tuple[str, ...]:
    """The top-level attribute names the declaration sends (before ``rename``)."""
    schema = object_schema(spec.schema, include=spec.include, exclude=spec.exclude)
    response_schema(spec)  # checks rename= too
    return tuple(schema["properties"])


def _answer(spec: ResponseSpec, result: t.Any, keys: tuple[str, ...]) -> t.Any:
    if isinstance(result, Response):
        return result
    rest: tuple[t.Any, ...] = ()
    if isinstance(result, tuple):
        result, *more = result
        rest = tuple(more)
    body = serialize(spec, result, keys)
    if not rest:
        rest = (spec.status,)
    return (body, *rest)


def serialize(
    spec: ResponseSpec, result: t.Any, keys: tuple[str, ...] | None = None
) -> t.Any:
    """``result`` as JSON following ``spec`` (what the decorator sends).

    :param keys: the declared attribute names (worked out from ``spec`` if not given).
    """
    if keys is None:
        keys = _declared_keys(spec)
    if isinstance(result, Pagination):
        if spec.many != "page":
            raise TypeError(
                f"The view returned a Pagination but declared many={spec.many!r};"
                " declare @responds(..., many='page') so its docs say so too."
            )
        page = result.to_dict(include=spec.include, exclude=spec.exclude)
        page["items"] = [
            _rename(spec, _select(spec, keys, obj, item))
            for obj, item in zip(result.items, page["items"], strict=True)
        ]
        return page
    if spec.many == "page":
        raise TypeError(
            "The view declared many='page' but did not return a Pagination; return"
            " db.paginate(...) or declare many=True for a plain list."
        )
    if spec.many:
        if isinstance(result, (dict, str, bytes)) or not isinstance(result, t.Iterable):
            raise TypeError(
                "The view declared many=True but returned one object; return a list"
                " (e.g. session.scalars(...).all()) or drop many=True."
            )
        objects = list(result)
        items = to_dict(objects, include=spec.include, exclude=spec.exclude)
        return [
            _rename(spec, _select(spec, keys, obj, item))
            for obj, item in zip(objects, items, strict=True)
        ]
    item = to_dict(result, include=spec.include, exclude=spec.exclude)
    return _rename(spec, _select(spec, keys, result, item))


def _select(
    spec: ResponseSpec, keys: tuple[str, ...], obj: t.Any, item: t.Any
) -> t.Any:
    """The declared fields of ``item``, when ``obj`` is not of the declared class."""
    if type(obj) is spec.schema or not isinstance(item, dict):
        return item
    try:
        return {key: item[key] for key in keys}
    except KeyError as e:
        raise TypeError(
            f"@responds({spec.schema.__name__}) declares {e.args[0]!r}, but the"
            f" {type(obj).__name__} the view returned has no such (loaded) field."
        ) from None


def _rename(spec: ResponseSpec, item: t.Any) -> t.Any:
    if not spec.rename or not isinstance(item, dict):
        return item
    for path, new in spec.rename.items():
        *parents, name = path.split(".")
        targets: list[t.Any] = [item]
        for part in parents:
            nested: list[t.Any] = []
            for target in targets:
                value = target.get(part) if isinstance(target, dict) else None
                nested.extend(value if isinstance(value, list) else [value])
            targets = nested
        for target in targets:
            if isinstance(target, dict) and name in target:
                target[new] = target.pop(name)
    return item


def response_schema_object(spec: ResponseSpec) -> dict[str, t.Any]:
    """The JSON Schema of one item of the answer (before ``many``)."""
    return object_schema(
        spec.schema,
        include=spec.include,
        exclude=spec.exclude,
        rename=spec.rename,
    )


def response_schema(spec: ResponseSpec) -> dict[str, t.Any]:
    """The JSON Schema (draft 2020-12, as OpenAPI 3.1 uses) of what the view sends.

    Built from the declared class: a model's columns (``format: date-time`` for
    datetimes, ``maxLength`` from ``String(n)``, ``null`` allowed where the column
    is nullable) and the relationships in ``include``, or a dataclass's fields and
    their annotations. A list is an ``array`` of them, a page an object with
    ``items`` and the page numbers.

    :param spec: a view's declaration, ``getattr(view, "_toolkit_response")``.
    """
    item = response_schema_object(spec)
    if spec.many == "page":
        count = {"type": ["integer", "null"], "minimum": 0}
        return {
            "type": "object",
            "properties": {
                "items": {"type": "array", "items": item},
                "page": {"type": "integer", "minimum": 1},
                "per_page": {"type": "integer", "minimum": 1},
                "total": count,
                "pages": count,
            },
            "required": ["items", "page", "per_page", "total", "pages"],
        }
    if spec.many:
        return {"type": "array", "items": item}
    return item
