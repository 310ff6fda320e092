"""Pages of the scheduler API's lists: query validation, limits, ``Link`` headers.

A list is answered as a plain JSON array (the shape Flask-APScheduler clients expect)
and the page is described in headers: ``X-Total-Count``, ``X-Page``, ``X-Per-Page`` and
an RFC 8288 ``Link`` header with the ``first``, ``prev``, ``next`` and ``last`` pages.
"""

from __future__ import annotations

import typing as t

from flask import current_app
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue

from ..errors import APIError


def query_form(form_class: type[t.Any]) -> t.Any:
    """Validate the query string with ``form_class``; return the form.

    The parameter ``_`` is ignored.

    :raises APIError: ``TOOLKIT_VALIDATION_STATUS`` with the field errors.
    """
    args = request.args
    if "_" in args:  # jQuery's cache buster (``?_=<time>``) is not a filter
        args = args.copy()
        args.poplist("_")
    form = form_class(json={}, query=args)
    if not form.validate():
        raise APIError(current_app.config["TOOLKIT_VALIDATION_STATUS"], form.errors)
    return form


def page_args(form: t.Any, paged: bool = True) -> tuple[int, int]:
    """``(page, per_page)`` from a validated form with ``page`` and ``per_page``.

    :param paged: whether the client asked for a page; if not, the list is bounded by
        ``SCHEDULER_API_UNPAGED_LIMIT`` instead of paged by ``SCHEDULER_API_PER_PAGE``.
    :raises APIError: 400 when ``per_page`` exceeds ``SCHEDULER_API_MAX_PER_PAGE``.
    """
    cfg = current_app.config
    page = form.page.data or 1
    per_page = form.per_page.data
    limit = int(cfg["SCHEDULER_API_MAX_PER_PAGE"])
    if per_page is None:
        per_page = int(
            cfg["SCHEDULER_API_PER_PAGE"]
            if paged
            else cfg["SCHEDULER_API_UNPAGED_LIMIT"]
        )
    elif per_page > limit:
        raise APIError(400, {"per_page": [f"Ask for at most {limit} items per page."]})
    return page, per_page


def paged_response(
    items: list[t.Any], total: int, page: int, per_page: int
) -> ResponseReturnValue:
    """A JSON array, with the page described in its headers (see the module doc).

    :param items: this page's JSON-ready items.
    :param total: the number of items in all pages.
    """
    response = current_app.json.response(items)
    response.headers["X-Total-Count"] = str(total)
    response.headers["X-Page"] = str(page)
    response.headers["X-Per-Page"] = str(per_page)
    pages = max(1, -(-total // per_page))
    args = request.args.to_dict()
    links = []
    for rel, number in (
        ("first", 1),
        ("prev", page - 1),
        ("next", page + 1),
        ("last", pages),
    ):
        if 1 <= number <= pages and (rel not in ("prev", "next") or number != page):
            query = {**args, "page": str(number), "per_page": str(per_page)}
            url = url_for(
                request.endpoint or "", **{**(request.view_args or {}), **query}
            )
            links.append(f'<{url}>; rel="{rel}"')
    if links:
        response.headers["Link"] = ", ".join(links)
    return response
