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
from .fastpath import validated_from_request
from .form import check_sources
from .form import MetaForm

F = t.TypeVar("F", bound=t.Callable[..., t.Any])


def validate_is_ours(form_class: type) -> bool:
    """Whether ``form_class.validate`` is MetaForm's own (so it can be skipped to)."""
    return form_class.validate is MetaForm.validate  # type: ignore[attr-defined]


def check_signature(view: t.Callable[..., t.Any], param: str, form_class: type) -> None:
    """Fail at decoration time when ``view`` cannot take the form as ``param=``."""
    try:
        signature = inspect.signature(view)
    except (TypeError, ValueError):  # a builtin or an object without a signature
        return
    parameters = signature.parameters.values()
    if any(
        p.name == param
        and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        or p.kind is p.VAR_KEYWORD
        for p in parameters
    ):
        return
    name = getattr(view, "__qualname__", repr(view))
    given = ", ".join(signature.parameters) or "no parameters"
    raise TypeError(
        f"{name}({given}) has no parameter {param!r}: @validate_data passes the"
        f" validated {form_class.__name__} as {param}=. Add a parameter"
        f" '{param}: {form_class.__name__}', or name yours with"
        f" @validate_data({form_class.__name__}, param='<your name>')."
    )


def validate_data(
    form_class: type[MetaForm],
    *,
    partial: bool = False,
    sources: str | None = None,
    param: str = "form",
) -> t.Callable[[F], F]:
    """Validate the request with ``form_class`` and call the view with ``form=``.

    On failure the view is not called; the client gets ``TOOLKIT_VALIDATION_STATUS``
    (default 400) with ``TOOLKIT_ERROR_FORMATTER``'s envelope, by default
    ``{"code": -1, "msg": form.errors}``. Works on async views, blueprint views and
    :class:`~flask.views.MethodView` methods (or in its ``decorators`` list)::

        @app.post("/tasks")
        @validate_data(TaskForm)
        def create_task(form: TaskForm):
            task = Task(**form.valid_data)

        @app.patch("/tasks/<int:task_id>")
        @validate_data(TaskForm, partial=True)
        def update_task(task_id: int, form: TaskForm):
            ...

    Authentication and the view's ``@login_required`` / ``@require_permission``
    rules are checked before this decorator runs, whatever the decorator order.

    :param form_class: a :class:`~flask_toolkit.MetaForm` subclass.
    :param partial: a partial update (PATCH): a required field may be left out, and
        is validated as usual when sent (``null`` is still refused for it). Use
        :attr:`~flask_toolkit.MetaForm.sent_data` for the fields to change.
    :param sources: where the fields are read from, over the form's
        ``Meta.sources``: ``"body"``, ``"query"`` or ``"both"``. By default the
        body for POST/PUT/PATCH and the query string for GET/HEAD/DELETE; a key
        sent in the other place is an unknown field.
    :param param: the name of the view's parameter that receives the form.
    :raises TypeError: at decoration time, when the view has no parameter ``param``
        (nor ``**kwargs``); the message says how to fix it.

    .. versionchanged:: 0.2
        ``partial``, ``sources`` and ``param``; the view's signature is checked
        when the decorator is applied.
    """
    check_sources(sources, f"@validate_data({form_class.__name__})")

    def decorator(view: F) -> F:
        check_signature(view, param, form_class)
        is_async = inspect.iscoroutinefunction(view)
        direct = validate_is_ours(form_class)
        # The fast path stands for MetaForm's own from_request and validate.
        fast_path = direct and getattr(
            form_class.from_request, "__func__", None
        ) is getattr(MetaForm.from_request, "__func__", None)

        @functools.wraps(view)
        def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
            try:
                fast = (
                    validated_from_request(form_class, sources, partial)
                    if fast_path
                    else None
                )
                if fast is None:
                    form = form_class.from_request(sources)
            except BadBody as e:
                return error_response(e.code or 400, e.msg)
            if fast is not None:
                form, ok = fast
            else:
                if partial:
                    form.__dict__["_toolkit_partial"] = True
                ok = validate_form(form) if direct else form.validate()
            if not ok:
                return error_response(setting("TOOLKIT_VALIDATION_STATUS"), form.errors)
            kwargs[param] = form
            if is_async:
                return current_app.ensure_sync(view)(*args, **kwargs)
            return view(*args, **kwargs)

        wrapper._toolkit_form = form_class  # type: ignore[attr-defined]
        wrapper._toolkit_partial = partial  # type: ignore[attr-defined]
        wrapper._toolkit_sources = sources  # type: ignore[attr-defined]
        return t.cast(F, wrapper)

    return decorator
