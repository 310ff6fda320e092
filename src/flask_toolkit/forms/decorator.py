"""The :func:`validate_data` view decorator."""

from __future__ import annotations

import functools
import inspect
import typing as t

from flask import current_app

from ..errors import error_response
from .body import BadBody
from .body import setting
from .checking import validate_form
from .form import MetaForm

F = t.TypeVar("F", bound=t.Callable[..., t.Any])


def validate_is_ours(form_class: type) -> bool:
    """Whether ``form_class.validate`` is MetaForm's own (so it can be skipped to)."""
    return form_class.validate is MetaForm.validate  # type: ignore[attr-defined]


def validate_data(form_class: type[MetaForm]) -> t.Callable[[F], F]:
    """Validate the request with ``form_class`` and call the view with ``form=``.

    On failure the view is not called; the client gets ``TOOLKIT_VALIDATION_STATUS``
    (default 400) with ``TOOLKIT_ERROR_FORMATTER``'s envelope, by default
    ``{"code": -1, "msg": form.errors}``. Works on async views, blueprint views and
    :class:`~flask.views.MethodView` methods (or in its ``decorators`` list)::

        @app.post("/tasks")
        @validate_data(TaskForm)
        def create_task(form: TaskForm):
            task = Task(**form.valid_data)

    :param form_class: a :class:`~flask_toolkit.MetaForm` subclass.
    """

    def decorator(view: F) -> F:
        is_async = inspect.iscoroutinefunction(view)
        direct = validate_is_ours(form_class)

        @functools.wraps(view)
        def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
            try:
                form = form_class.from_request()
            except BadBody as e:
                return error_response(e.code or 400, e.msg)
            if not (validate_form(form) if direct else form.validate()):
                return error_response(setting("TOOLKIT_VALIDATION_STATUS"), form.errors)
            kwargs["form"] = form
            if is_async:
                return current_app.ensure_sync(view)(*args, **kwargs)
            return view(*args, **kwargs)

        wrapper._toolkit_form = form_class  # type: ignore[attr-defined]
        return t.cast(F, wrapper)

    return decorator
