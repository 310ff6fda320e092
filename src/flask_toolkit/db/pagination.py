"""Pagination of a ``select()``, and the get-or-404 helpers, answering in the envelope.

:meth:`Database.paginate() <flask_toolkit.db.Database.paginate>` reads ``?page=``
and ``?per_page=`` from the request unless told otherwise. A value a client can send
is never a 500: a page or page size that is not a whole number of 1 or more is a 400 in
the JSON envelope, naming the parameter; a page size above the limit is lowered to the
limit; a page past the end is an empty page whose ``total`` still tells how many items
there are.
"""

from __future__ import annotations

import dataclasses
import math
import typing as t

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from flask import current_app
from flask import has_request_context
from flask import request

from .. import config
from ..errors import APIError
from .keys import key_fits
from .serialize import to_dict

config.register_defaults({"TOOLKIT_PER_PAGE": 20, "TOOLKIT_MAX_PER_PAGE": 100})

_T = t.TypeVar("_T")
#: Largest page number or page size accepted (keeps OFFSET in every backend's range).
_LARGEST = 2**31 - 1


@dataclasses.dataclass
class Pagination(t.Generic[_T]):
    """One page of results, from :meth:`~flask_toolkit.db.Database.paginate`."""

    #: The rows of this page.
    items: list[_T]
    #: The page number, from 1.
    page: int
    #: The most items on a page.
    per_page: int
    #: How many rows the whole query has; ``None`` when counting was turned off.
    total: int | None
    # What made the page, for prev() / next(): (session, select, max_per_page, count).
    _source: tuple[t.Any, ...] | None = dataclasses.field(
        default=None, repr=False, compare=False
    )

    def __iter__(self) -> t.Iterator[_T]:
        """The items, as Flask-SQLAlchemy's ``for item in page``."""
        return iter(self.items)

    @property
    def first(self) -> int:
        """The number of the first item on the page, from 1 (0 when it is empty)."""
        return (self.page - 1) * self.per_page + 1 if self.items else 0

    @property
    def last(self) -> int:
        """The number of the last item on the page (0 when it is empty)."""
        return self.first + len(self.items) - 1 if self.items else 0

    def prev(self) -> Pagination[_T]:
        """The previous page (runs the query again), as Flask-SQLAlchemy's."""
        return self._other(max(self.page - 1, 1))

    def next(self) -> Pagination[_T]:
        """The next page (runs the query again), as Flask-SQLAlchemy's."""
        return self._other(self.page + 1)

    def _other(self, page: int) -> Pagination[_T]:
        if self._source is None:
            raise RuntimeError("This page was not made by db.paginate().")
        session, select, max_per_page, count = self._source
        return paginate(
            session,
            select,
            page=page,
            per_page=self.per_page,
            max_per_page=max_per_page,
            count=count,
        )

    def iter_pages(
        self,
        *,
        left_edge: int = 2,
        left_current: int = 2,
        right_current: int = 4,
        right_edge: int = 2,
    ) -> t.Iterator[int | None]:
        """Page numbers for a page bar, ``None`` where numbers are skipped — the same
        numbers as Flask-SQLAlchemy's ``iter_pages``. Needs the ``total``.
        """
        pages = self.pages
        if pages is None:
            raise RuntimeError(
                "iter_pages() needs the total: call db.paginate() with count=True."
            )
        if pages == 0:
            return
        left_end = min(1 + left_edge, pages + 1)
        yield from range(1, left_end)
        if left_end == pages + 1:
            return
        mid_start = max(left_end, self.page - left_current)
        mid_end = min(self.page + right_current + 1, pages + 1)
        if mid_start - left_end > 0:
            yield None
        yield from range(mid_start, mid_end)
        if mid_end == pages + 1:
            return
        right_start = max(mid_end, pages - right_edge + 1)
        if right_start - mid_end > 0:
            yield None
        yield from range(right_start, pages + 1)

    @property
    def pages(self) -> int | None:
        """How many pages there are (0 when there are no rows)."""
        if self.total is None:
            return None
        return math.ceil(self.total / self.per_page)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        if self.total is None:
            return len(self.items) == self.per_page
        return self.page * self.per_page < self.total

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    def to_dict(self, **options: t.Any) -> dict[str, t.Any]:
        """The page as JSON: ``items`` through :func:`~flask_toolkit.to_dict` (with
        ``options``), and ``page``, ``per_page``, ``total``, ``pages``.
        """
        return {
            "items": to_dict(self.items, **options),
            "page": self.page,
            "per_page": self.per_page,
            "total": self.total,
            "pages": self.pages,
        }


def _number(name: str, given: int | None, default: int, error_out: bool = True) -> int:
    """The page or page size: ``given``, else the query string, else ``default``.

    A value that is not a whole number >= 1 is a 400, or ``default`` when not
    ``error_out``.
    """
    value: t.Any = given
    if value is None and has_request_context():
        value = request.args.get(name)
    if value is None:
        return default
    if isinstance(value, bool):
        number = 0
    elif isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        # At most 10 digits: _LARGEST has 10, and int() of thousands is slow or fails.
        ok = text.isascii() and text.isdigit() and len(text.lstrip("0")) <= 10
        number = int(text) if ok else 0
    if not 1 <= number <= _LARGEST:
        if not error_out:
            return default
        raise APIError(400, {name: [f"Must be a whole number from 1 to {_LARGEST}."]})
    return number


def paginate(
    session: sa_orm.Session,
    select: sa.Select[t.Any],
    *,
    page: int | None = None,
    per_page: int | None = None,
    max_per_page: int | None = None,
    count: bool = True,
    error_out: bool = True,
) -> Pagination[t.Any]:
    """Run one page of ``select`` (see :meth:`~flask_toolkit.db.Database.paginate`)."""
    if not isinstance(select, sa.Select):
        raise TypeError(
            f"paginate() takes a select(), not {type(select).__name__}: write"
            " db.paginate(sa.select(Model).order_by(...)) (there is no Model.query)."
        )
    if len(select.selected_columns) != 1 and not _one_entity(select):
        raise TypeError(
            "paginate() pages a select() of one entity or column, and"
            f" {select.selected_columns.keys()} would lose all but the first. Select"
            " one model and load the others with it, e.g."
            " sa.select(Task).options(sa.orm.joinedload(Task.project)), or paginate"
            " the rows yourself with session.execute(select.limit(n).offset(m))."
        )
    if max_per_page is None:
        max_per_page = int(current_app.config.get("TOOLKIT_MAX_PER_PAGE", 100))
    default_per_page = int(current_app.config.get("TOOLKIT_PER_PAGE", 20))
    page = _number("page", page, 1, error_out)
    per_page = min(
        _number("per_page", per_page, default_per_page, error_out), max_per_page
    )
    # No .unique(): it would also merge equal values of a column select. Load
    # collections with selectinload, which keeps one row per item.
    items = list(session.scalars(select.limit(per_page).offset((page - 1) * per_page)))
    total: int | None = None
    if count:
        counted = sa.select(sa.func.count()).select_from(
            select.order_by(None).subquery()
        )
        total = int(session.execute(counted).scalar_one())
    return Pagination(
        items=items,
        page=page,
        per_page=per_page,
        total=total,
        _source=(session, select, max_per_page, count),
    )


def _one_entity(select: sa.Select[t.Any]) -> bool:
    """Whether ``select`` returns one ORM entity (whose columns are many)."""
    descriptions = select.column_descriptions
    return len(descriptions) == 1 and descriptions[0].get("entity") is not None


def get_or_404(
    session: sa_orm.Session,
    model: type[_T],
    ident: t.Any,
    *,
    description: str | None = None,
) -> _T:
    """The row of ``model`` with primary key ``ident``, or a 404 in the envelope.

    An id its key column cannot hold (too large for the integer type, text with a
    NUL character) is a 404 too, whatever session class is used
    (see :mod:`flask_toolkit.db.keys`).
    """
    obj = session.get(model, ident) if key_fits(session, model, ident) else None
    if obj is None:
        raise APIError(404, description or f"{model.__name__} {ident!r} was not found.")
    return obj


def first_or_404(
    session: sa_orm.Session,
    select: sa.Select[t.Any],
    *,
    description: str | None = None,
) -> t.Any:
    """The first result of ``select``, or a 404 in the envelope when there is none."""
    obj = session.scalars(select).first()
    if obj is None:
        raise APIError(404, description or "The requested item was not found.")
    return obj


def one_or_404(
    session: sa_orm.Session,
    select: sa.Select[t.Any],
    *,
    description: str | None = None,
) -> t.Any:
    """The single result of ``select``, or a 404 in the envelope when there is none.

    More than one result is a bug in the query, not a client error: it raises
    :class:`sqlalchemy.exc.MultipleResultsFound`.
    """
    obj = session.scalars(select).one_or_none()
    if obj is None:
        raise APIError(404, description or "The requested item was not found.")
    return obj
