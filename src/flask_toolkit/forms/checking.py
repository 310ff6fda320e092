"""Run the validators of a form filled from JSON, and collect its errors.

WTForms' ``Form.validate`` runs every validator of every field, also on fields the
client never sent, and turns nested errors into whatever shape each field class
chooses. For a JSON API:

- a field with a type error (``process_errors``) reports that error alone: its
  validators never see a value of the wrong type;
- a field that was not sent and is not required is not checked at all; in a
  *partial* form (``@validate_data(Form, partial=True)``, for PATCH) a required
  field that was not sent is not checked either;
- a field sent as ``null`` is refused with "This field cannot be null." when it is
  required or marked :class:`~flask_toolkit.forms.NotNull` (unless marked
  :class:`~flask_toolkit.forms.Nullable`); otherwise its validators are skipped;
- required validators are the JSON-aware ones of :mod:`flask_toolkit.forms.required`;
- errors are keyed by the names the client sent, nested like the input: an object
  for a :class:`~wtforms.fields.FormField`, a list with one entry per item for a
  :class:`~wtforms.fields.FieldList`, and unknown keys next to the field errors.

Fields whose class keeps WTForms' own ``validate``, ``pre_validate`` and
``post_validate`` have their validator chain run directly, with WTForms' semantics
(``StopValidation`` ends the chain, ``ValidationError`` adds a message).
"""

from __future__ import annotations

import typing as t

from wtforms.fields import FormField
from wtforms.validators import StopValidation
from wtforms.validators import ValidationError

from .loading import info_of
from .loading import LIST
from .loading import NESTED
from .loading import SIMPLE
from .messages import own_message
from .nulls import model_not_null
from .nulls import null_refused
from .required import json_chain
from .required import MISSING
from .required import NULL
from .required import SENT


def validate_form(
    form: t.Any,
    extra: t.Mapping[str, t.Sequence[t.Any]] | None = None,
    fields: t.Iterable[tuple[str, t.Any]] | None = None,
) -> bool:
    """Validate a form filled by :func:`~flask_toolkit.forms.loading.load`.

    :param form: the form.
    :param extra: attribute name -> extra validators, as in WTForms.
    :param fields: ``(attribute, field)`` pairs to validate, when not all of them
        (the others are known to be valid; see :mod:`~flask_toolkit.forms.fastpath`).
    """
    ok = True
    partial = form.__dict__.get("_toolkit_partial", False)
    not_null: frozenset[str] | None = None
    for attr, field in form._fields.items() if fields is None else fields:
        state = field.__dict__
        info = state.get("_toolkit_info") or info_of(field, form, attr)
        sent = state.get("_toolkit_state", MISSING)
        if sent == NULL or (partial and sent == MISSING):
            # Null, or left out of a partial form: decided before any validator.
            if not_null is None:
                not_null = model_not_null(form.meta)
            if sent == NULL and null_refused(field, info.required, attr in not_null):
                state["errors"] = [_null_message(form)]
                ok = False
            else:
                state["errors"] = []
            continue
        chain: t.Sequence[t.Any] = extra.get(attr, ()) if extra else ()
        if info.inline_validator is not None:
            chain = [*chain, getattr(type(form), info.inline_validator)]
        if info.kind == SIMPLE and not state.get("process_errors") and not chain:
            # The common case, inlined: a plain field, no type error, no extras.
            if sent != SENT and not info.required:
                state["errors"] = []
                continue
            if not info.plain:
                if not field.validate(form, ()):
                    ok = False
                continue
            errors: list[str] = []
            state["errors"] = errors
            # Validators may reset field.errors in place (see required.py), so the
            # list is the field's own before the chain runs.
            if _run_chain(form, field, field.validators, errors):
                ok = False
        elif not _validate_field(form, field, info, chain):
            ok = False
    if getattr(form, "_toolkit_unknown", None):
        ok = False
    return ok


def _null_message(form: t.Any) -> str:
    locale = getattr(form.meta, "_toolkit_locale", None)
    return own_message(locale, "This field cannot be null.")


def _validate_field(
    form: t.Any, field: t.Any, info: t.Any, extra: t.Sequence[t.Any]
) -> bool:
    if field.process_errors:
        if info.kind != NESTED:
            field.errors = list(field.process_errors)
        return False
    if info.kind == NESTED:
        nested = field.form
        if getattr(nested, "_toolkit_json", False):
            return bool(nested.validate())
        return validate_form(nested)
    if field.__dict__.get("_toolkit_state", 0) != SENT and not info.required:
        # Not sent and not required: nothing to check (WTForms would check None).
        field.errors = []
        return True
    if info.kind == LIST:
        errors = []
        entries_ok = True
        for entry in field.entries:
            if not _validate_field(form, entry, info_of(entry, form, None), ()):
                entries_ok = False
            errors.append(field_errors(entry))
        field.errors = [] if entries_ok else errors
        field._run_validation_chain(form, [*json_chain(field.validators), *extra])
        return not field.errors
    if not info.plain:
        return bool(field.validate(form, extra))
    chain = (*field.validators, *extra) if extra else field.validators
    errors = field.errors = []
    return not _run_chain(form, field, chain, errors)


def _run_chain(
    form: t.Any, field: t.Any, validators: t.Iterable[t.Any], errors: list[str]
) -> list[str]:
    """Run a plain field's validators as WTForms does, adding messages to ``errors``
    (the field's own error list); return ``errors``.
    """
    for validator in validators:
        try:
            validator(form, field)
        except StopValidation as e:
            if e.args and e.args[0]:
                errors.append(e.args[0])
            break
        except ValidationError as e:
            errors.append(e.args[0])
    return errors


def field_errors(field: t.Any) -> t.Any:
    """One field's errors: a list of messages, a dict for a nested form."""
    if field.process_errors:
        return list(field.process_errors)
    if isinstance(field, FormField):
        return form_errors(field.form, top=False)
    return field.errors


def form_errors(form: t.Any, *, top: bool) -> dict[str, t.Any]:
    """A form's errors keyed by the names the client uses.

    :param form: the form.
    :param top: whether this is the top-level form (keys carry its prefix).
    """
    out: dict[str, t.Any] = {}
    for field in form._fields.values():
        errors = field_errors(field)
        if errors:
            out[field.name if top else field.short_name] = errors
    unknown = getattr(form, "_toolkit_unknown", None)
    if unknown:
        out.update(unknown)
    if form.form_errors:
        out[getattr(form, "_form_error_key", "") or ""] = list(form.form_errors)
    return out
