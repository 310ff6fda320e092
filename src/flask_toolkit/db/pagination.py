"""Pagination of a ``select()``, and the get-or-404 helpers, answering in the envelope.

:meth:`Database.paginate` reads ``?page=`` and ``?per_page=`` from the request unless
told otherwise. A value a client can send is never a 500: a page or page size that is
not a whole number of 1 or more is a 400 in the JSON envelope, naming the parameter; a
page size above the limit is lowered to the limit; a page past the end is an empty page
whose ``total`` still tells how many items there are.
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
    """One page of results, as returned by :meth:`Database.paginate`."""

    #: The rows of this page.
    items: list[_T]
    #: The page number, from 1.
    page: int
    #: The most items on a page.
    per_page: int
    #: How many rows the whole query has; ``None`` when counting was turned off.
    total: int | None

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


def _number(name: str, given: int | None, default: int) -> int:
    """The page or page size: ``given``, else the query string, else ``default``."""
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
) -> Pagination[t.Any]:
    """Run one page of ``select`` (see :meth:`Database.paginate`)."""
    if max_per_page is None:
        max_per_page = int(current_app.config.get("TOOLKIT_MAX_PER_PAGE", 100))
    page = _number("page", page, 1)
    per_page = min(
        _number(
            "per_page", per_page, int(current_app.config.get("TOOLKIT_PER_PAGE", 20))
        ),
        max_per_page,
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
    return Pagination(items=items, page=page, per_page=per_page, total=total)


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
