"""``MetaForm``: a WTForms form that reads a JSON body and the query string right.

Created with no arguments inside a request, a :class:`MetaForm` reads the JSON body
and the query string of that request; ``MetaForm(json=...,
query=...)`` fills it from given data, and any other arguments give plain WTForms
behaviour (``formdata=``, ``obj=``, ``data=``).

How JSON input reaches the fields:

- A key that is missing, or ``null``, is *missing*; ``0``, ``false``, ``0.0`` and
  ``""`` are values. :class:`~wtforms.validators.InputRequired` means present and not
  null; :class:`~wtforms.validators.DataRequired` also refuses a blank string and an
  empty list; :class:`~wtforms.validators.Optional` skips the other validators of a
  missing or null field (and of an empty query-string value). A field that was not
  sent and is not required is not validated at all (see
  :mod:`flask_toolkit.forms.checking`).
- Body values must have the field's JSON type; query-string values are strings and
  are coerced (see :mod:`flask_toolkit.forms.jsonfields`).
- Where the input comes from is the form's ``Meta.sources``: ``"body"`` (the JSON
  body only), ``"query"`` (the query string only), ``"both"`` (merged; a key in both
  is taken from the body), or ``None``, the default: the body for a request method
  that has one (POST, PUT, PATCH), the query string for GET, HEAD and DELETE. A key
  sent in the other place is an unknown field, whose message says where to send it.
  A form built with ``json=``/``query=`` reads what it is given (``"both"``) unless
  ``Meta.sources`` says otherwise.
- Keys are matched against field *names* (the ``name=`` option, with the form's
  prefix at the top level). A key no field has is an error in the same error body;
  ``csrf_token`` is ignored when the form has no CSRF protection.
- JSON objects fill :class:`~wtforms.fields.FormField`, arrays fill
  :class:`~wtforms.fields.FieldList` (and a repeated query key fills a list field).

:attr:`MetaForm.errors` is keyed by the names the client sent, nested like the input;
:attr:`MetaForm.data` and :attr:`MetaForm.valid_data` by the form's attribute names.

Forms filled from JSON without ``meta=`` overrides or CSRF are built from a per-class
template instead of binding every field again (:mod:`flask_toolkit.forms.templates`).
"""

from __future__ import annotations

import typing as t

from flask import has_request_context
from flask import request
from wtforms import Form
from wtforms.fields import FieldList
from wtforms.fields import FormField
from wtforms.meta import DefaultMeta

from . import templates
from .body import read_body
from .body import read_json_request
from .body import request_locale
from .checking import form_errors
from .checking import validate_form
from .loading import load
from .loading import SIMPLE
from .messages import own_message
from .messages import resolve_locale
from .messages import translations_for
from .required import MISSING
from .required import NULL
from .required import SENT

if t.TYPE_CHECKING:
    from werkzeug.datastructures import MultiDict

_UNSET: t.Any = object()
_F = t.TypeVar("_F", bound="MetaForm")


class MetaForm(Form):  # type: ignore[misc]
    """A WTForms form for JSON APIs: strict JSON types, unknown fields refused.

    Declare fields as with any WTForms form::

        class TaskForm(MetaForm):
            title = StringField(validators=[InputRequired(), Length(max=200)])
            done = BooleanField()

    :param json: the decoded body (a mapping); read from the request when neither
        ``json`` nor ``query`` nor any WTForms argument is given.
    :param query: the query-string arguments (a ``MultiDict``).
    :param prefix: WTForms' prefix; body and query keys must carry it.
    :param meta: WTForms meta overrides.
    :raises flask_toolkit.forms.body.BadBody: when read from a request whose body is
        not a JSON object.
    """

    #: Marks forms whose ``validate`` understands JSON input.
    _toolkit_json = True

    class Meta(DefaultMeta):  # type: ignore[misc]
        csrf = False
        #: ``False``: negotiate the language from ``Accept-Language``; or a list of
        #: WTForms locale names to use instead.
        locales: t.Any = False
        #: ``"error"``: a key no field has is a validation error; ``"ignore"``: skipped.
        unknown_fields = "error"
        #: Where the fields are read from: ``"body"``, ``"query"``, ``"both"``, or
        #: ``None`` (by the request method; see the module documentation).
        sources: str | None = None
        #: A mapped model class: a field named like one of its ``NOT NULL`` columns
        #: refuses ``null`` (see ``flask_toolkit.forms.nulls``).
        model: t.Any = None
        _toolkit_locale: str | None = None

        def get_translations(self, form: t.Any) -> t.Any:
            locale = self._toolkit_locale = locale_of(self)
            return translations_for(locale)

    def __init__(
        self,
        formdata: t.Any = _UNSET,
        obj: t.Any = _UNSET,
        prefix: str = "",
        data: t.Any = _UNSET,
        meta: t.Any = None,
        *,
        json: t.Mapping[str, t.Any] | None = _UNSET,
        query: MultiDict[str, str] | None = _UNSET,
        **kwargs: t.Any,
    ) -> None:
        plain = (
            formdata is not _UNSET or obj is not _UNSET or data is not _UNSET or kwargs
        )
        if json is _UNSET and query is _UNSET:
            if plain or not has_request_context():
                super().__init__(
                    formdata=None if formdata is _UNSET else formdata,
                    obj=None if obj is _UNSET else obj,
                    prefix=prefix,
                    data=None if data is _UNSET else data,
                    meta=meta,
                    **kwargs,
                )
                return
            json, query = read_json_request(templates.wants_decimal(type(self)))
            source = sources_for(type(self), request.method)
        elif plain:
            raise TypeError("Pass either 'json='/'query=' or WTForms' data arguments.")
        else:
            json = None if json is _UNSET else json
            query = None if query is _UNSET else query
            source = sources_for(type(self), None)
        json, query, wrong = split_sources(source, json or {}, query or None)
        if meta is None and not type(self)._wtforms_meta.csrf:
            self._fill_from_template(json, query, prefix)
        else:
            super().__init__(prefix=prefix, meta=meta)
            load(self, json, query, top=True)
        if wrong:
            refuse_wrong_source(self, wrong)

    @classmethod
    def from_request(cls: type[_F], sources: str | None = None) -> _F:
        """Build the form from the current request: what ``cls()`` does, but faster.

        :func:`~flask_toolkit.validate_data` uses it. A subclass with its own
        ``__init__`` or with CSRF protection is built with ``cls()``.

        :param sources: ``"body"``, ``"query"`` or ``"both"``, over the form's
            ``Meta.sources``.
        :raises flask_toolkit.forms.body.BadBody: when the body is not a JSON object.
        """
        wtforms_meta = cls._wtforms_meta
        if (
            cls.__init__ is not MetaForm.__init__
            or cls._unbound_fields is None
            or wtforms_meta is None
            or wtforms_meta.csrf
        ):
            if sources is None:
                return cls()
            form = cls(json={}, query=None)  # binds the fields and the meta
            body, args = read_json_request(templates.wants_decimal(cls))
            json, query, wrong = split_sources(sources, body, args)
            load(form, json, query, top=True)
            if wrong:
                refuse_wrong_source(form, wrong)
            return form
        req = request._get_current_object()  # type: ignore[attr-defined]
        body = read_body(req, templates.wants_decimal(cls))
        args = req.args if req.environ.get("QUERY_STRING") else None
        source = sources or sources_for(cls, req.method)
        json, query, wrong = split_sources(source, body, args)
        self: _F = object.__new__(cls)
        locale = request_locale(req) if wtforms_meta.locales is False else _UNSET
        self._fill_from_template(json, query, "", locale)
        if wrong:
            refuse_wrong_source(self, wrong)
        return self

    def _fill_from_template(
        self,
        json: t.Mapping[str, t.Any],
        query: MultiDict[str, str] | None,
        prefix: str,
        locale: t.Any = _UNSET,
    ) -> None:
        """Set up the form from its class template, then load the input into it."""
        cls = type(self)
        meta = cls._wtforms_meta()
        if locale is _UNSET:
            locale = locale_of(meta)
        meta._toolkit_locale = locale
        if prefix and prefix[-1] not in "-_;:/.":
            prefix += "-"
        # What BaseForm.__init__ sets, in one go.
        self.__dict__.update(
            meta=meta,
            _parent_form=None,
            _form_error_key="",
            _prefix=prefix,
            form_errors=[],
        )
        template = templates.get_template(cls, prefix, locale)
        templates.fill(self, template, meta, locale)
        load(self, json, query, top=True, known=template.keys)

    def validate(
        self,
        extra_validators: t.Mapping[str, t.Sequence[t.Any]] | None = None,
        *,
        partial: bool | None = None,
    ) -> bool:
        """Run every field's validators; ``True`` when there is no error at all.

        :param extra_validators: attribute name -> extra validators, as in WTForms.
        :param partial: validate as a partial update (PATCH): a required field that
            was not sent is not an error; one that was sent is validated as usual
            and may not be ``null``. ``None`` keeps what
            :func:`~flask_toolkit.validate_data` set (default ``False``).
        """
        if partial is not None:
            self.__dict__["_toolkit_partial"] = partial
        return validate_form(self, extra_validators)

    @property
    def errors(self) -> dict[str, t.Any]:
        """Field name (as the client sent it) -> messages, nested like the input."""
        return form_errors(self, top=getattr(self, "_toolkit_top", True))

    @property
    def valid_data(self) -> dict[str, t.Any]:
        """The fields that were sent and are not null, by attribute name.

        Safe for PATCH: a missing boolean is absent, not ``False``; a missing list is
        absent, not ``[]``. Nested forms give nested dicts.
        """
        return sent_data(self, keep_null=False)

    @property
    def sent_data(self) -> dict[str, t.Any]:
        """Like :attr:`valid_data`, but explicit ``null`` values are kept as ``None``.

        Use it for PATCH to tell "clear this field" (``None``) from "leave it" (absent).
        """
        return sent_data(self, keep_null=True)


_SOURCES = ("body", "query", "both")
#: Methods whose input is the query string when a form does not say.
_QUERY_METHODS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})


def check_sources(sources: str | None, where: str) -> None:
    """Raise ``ValueError`` naming ``where`` unless ``sources`` is a known value."""
    if sources is not None and sources not in _SOURCES:
        raise ValueError(
            f"{where}: sources={sources!r} is not one of 'body', 'query', 'both'"
            " (or None: the body for POST/PUT/PATCH, the query string otherwise)."
        )


def sources_for(cls: type, method: str | None) -> str:
    """The input source of ``cls`` for a request ``method`` (``None``: no request)."""
    sources = getattr(cls._wtforms_meta, "sources", None)  # type: ignore[attr-defined]
    if sources is not None:
        check_sources(sources, f"{cls.__name__}.Meta")
        return t.cast(str, sources)
    if method is None:
        return "both"
    return "query" if method in _QUERY_METHODS else "body"


def split_sources(
    source: str, json: t.Mapping[str, t.Any], query: MultiDict[str, str] | None
) -> tuple[t.Mapping[str, t.Any], MultiDict[str, str] | None, dict[str, str]]:
    """Keep the input of ``source``; return the keys sent elsewhere with the place
    they should have been sent (``"body"`` or ``"query"``)."""
    if source == "body":
        wrong = dict.fromkeys(query or (), "body")
        return json, None, wrong
    if source == "query":
        return {}, query, dict.fromkeys(json, "query")
    return json, query, {}


_WRONG_PLACE = {
    "body": "Unknown field in the query string: send it in the JSON body.",
    "query": "Unknown field in the body: send it in the query string.",
}


def refuse_wrong_source(form: t.Any, wrong: t.Mapping[str, str]) -> None:
    """Report keys sent in the other place as unknown fields, saying where to send
    a key the form has."""
    meta = form.meta
    if getattr(meta, "unknown_fields", "error") != "error":
        return
    known = {field.name for field in form}
    csrf_name = None if meta.csrf else meta.csrf_field_name
    locale = getattr(meta, "_toolkit_locale", None)
    unknown = dict(getattr(form, "_toolkit_unknown", None) or {})
    for key, place in wrong.items():
        if key == csrf_name or key in unknown:
            continue
        text = _WRONG_PLACE[place] if key in known else "Unknown field."
        unknown[key] = [own_message(locale, text)]
    form._toolkit_unknown = unknown


def locale_of(meta: t.Any) -> str | None:
    """A form's language: its ``Meta.locales``, else the request's, else English."""
    locales = meta.locales
    if locales is False or locales is None:
        if has_request_context():
            return request_locale()
        return None
    for tag in [locales] if isinstance(locales, str) else locales:
        locale = resolve_locale(tag)
        if locale is not None:
            return locale
    return None


def sent_data(form: t.Any, *, keep_null: bool) -> dict[str, t.Any]:
    """The fields the client sent, by attribute name (``None`` for explicit nulls)."""
    out: dict[str, t.Any] = {}
    meta = form.meta
    csrf_name = meta.csrf_field_name if meta.csrf else None
    for attr, field in form._fields.items():
        state = field.__dict__
        sent = state.get("_toolkit_state", MISSING)
        if sent == SENT:
            if attr != csrf_name:
                info = state.get("_toolkit_info")
                out[attr] = (
                    field.data
                    if info is not None and info.kind == SIMPLE
                    else _sent_value(field, keep_null)
                )
        elif sent == NULL and keep_null and attr != csrf_name:
            out[attr] = None
    return out


def _sent_value(field: t.Any, keep_null: bool) -> t.Any:
    if isinstance(field, FormField):
        return sent_data(field.form, keep_null=keep_null)
    if isinstance(field, FieldList):
        return [_sent_value(entry, keep_null) for entry in field.entries]
    return field.data
