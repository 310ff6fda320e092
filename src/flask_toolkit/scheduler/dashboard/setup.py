"""Mounting the job dashboard: config, blueprint, guards and its HTML error pages.

:func:`init_dashboard` registers the blueprint at ``<SCHEDULER_API_PREFIX>/dashboard/``
when ``SCHEDULER_DASHBOARD_ENABLED`` is true. Every page needs ``scheduler:read``,
every action ``scheduler:write`` and a CSRF token, whatever
``SCHEDULER_API_ALLOW_ANONYMOUS`` says: the dashboard is never public.
"""

from __future__ import annotations

import typing as t

from flask import Blueprint
from flask import current_app
from flask import Flask
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import generate_csrf
from werkzeug.exceptions import HTTPException

from ... import config
from ...auth import current_identity
from ...auth import is_granted
from ...auth import require_permission
from ...errors import APIError
from ..api import READ_PERMISSION
from ..api import WRITE_PERMISSION
from ..errors import UNAVAILABLE_MESSAGE
from . import views
from .describe import duration_text
from .describe import utc_text

#: The dashboard's config keys and their defaults (documented in ``docs/config.rst``).
DASHBOARD_DEFAULTS: dict[str, t.Any] = {
    "SCHEDULER_DASHBOARD_ENABLED": False,
    "SCHEDULER_DASHBOARD_PER_PAGE": 25,
}
config.register_defaults(DASHBOARD_DEFAULTS)

#: The blueprint's name: endpoints are ``toolkit_dashboard.jobs`` and so on.
BLUEPRINT_NAME = "toolkit_dashboard"

View = t.Callable[..., ResponseReturnValue]


def init_dashboard(app: Flask) -> None:
    """Register the dashboard on ``app`` if ``SCHEDULER_DASHBOARD_ENABLED`` is true.

    :param app: the application, with the scheduler already registered.
    :raises RuntimeError: when the app cannot authenticate anyone, so nobody could
        ever open the dashboard.
    """
    from ...state import get_state

    for key, value in DASHBOARD_DEFAULTS.items():
        app.config.setdefault(key, value)
    if not app.config["SCHEDULER_DASHBOARD_ENABLED"]:
        return
    if not get_state(app).toolkit.auth.is_configured(app):
        raise RuntimeError(
            "SCHEDULER_DASHBOARD_ENABLED is true but the app cannot authenticate"
            " anyone, and the dashboard is never public. Register an identity loader"
            " with '@toolkit.auth.identity_loader' before 'toolkit.init_app(app)' and"
            f" give your operators {READ_PERMISSION!r} (to look) and"
            f" {WRITE_PERMISSION!r} (to act)."
        )
    prefix = (app.config["SCHEDULER_API_PREFIX"] or "").rstrip("/")
    app.register_blueprint(create_blueprint(url_prefix=f"{prefix}/dashboard"))


def create_blueprint(*, url_prefix: str = "/scheduler/dashboard") -> Blueprint:
    """Build the dashboard's blueprint (:func:`init_dashboard` registers it).

    :param url_prefix: where the pages are mounted.
    """
    bp = Blueprint(
        BLUEPRINT_NAME,
        __name__,
        url_prefix=url_prefix,
        template_folder="templates",
        static_folder="static",
    )
    read = require_permission(READ_PERMISSION)
    write = require_permission(WRITE_PERMISSION)
    action_rule = "/jobs/<job_id>/<any(pause,resume,run,delete):action>"
    routes: list[tuple[str, View, str, t.Callable[[View], View]]] = [
        ("/", views.jobs, "GET", read),
        ("/cluster", views.cluster, "GET", read),
        ("/jobs/<job_id>", views.job, "GET", read),
        (action_rule, views.act, "POST", write),
    ]
    for rule, view, method, guard in routes:
        bp.add_url_rule(rule, view.__name__, guard(view), methods=[method])
    bp.context_processor(_context)
    bp.register_error_handler(HTTPException, _error_page)
    for error_class in _outage_errors():
        bp.register_error_handler(error_class, _outage_page)
    return bp


def _outage_errors() -> list[type[Exception]]:
    """The errors of a database or Redis job store that cannot be reached."""
    import sqlalchemy as sa

    found: list[type[Exception]] = [sa.exc.OperationalError, sa.exc.TimeoutError]
    try:
        from redis import exceptions
    except ImportError:
        return found
    return [*found, exceptions.ConnectionError, exceptions.TimeoutError]


def _outage_page(error: Exception) -> ResponseReturnValue:
    """A store that cannot be reached: 503 on the dashboard's own error page (any
    other database error stays a 500, as on the rest of the app).
    """
    import sqlalchemy as sa

    from ...db.errors import is_unavailable

    if isinstance(error, sa.exc.SQLAlchemyError) and not is_unavailable(error):
        raise error
    current_app.logger.warning("Job store unavailable: %s", error, exc_info=error)
    return _error_page(APIError(503, UNAVAILABLE_MESSAGE))


def _context() -> dict[str, t.Any]:
    return {
        "csrf_token": generate_csrf,
        "can_write": is_granted(current_identity.permissions, WRITE_PERMISSION),
        "identity": current_identity,
        "utc_text": utc_text,
        "duration_text": duration_text,
    }


def _error_page(error: HTTPException) -> ResponseReturnValue:
    """Every error of the dashboard as an HTML page; an anonymous caller is sent to
    the app's login view (``AUTH_LOGIN_VIEW``) when it has one.
    """
    status = error.code or 500
    if error.response is not None:
        return error.response
    login_view = current_app.config.get("AUTH_LOGIN_VIEW")
    if status == 401 and login_view:
        path = request.full_path if request.query_string else request.path
        return redirect(url_for(login_view, next=path))
    message: t.Any = error.msg if isinstance(error, APIError) else error.description
    if isinstance(message, dict):
        message = " ".join(
            f"{field}: {' '.join(map(str, texts))}" for field, texts in message.items()
        )
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    page = render_template(
        "toolkit_dashboard/error.html",
        status=status,
        title=error.name,
        message=message,
    )
    return page, status, headers
