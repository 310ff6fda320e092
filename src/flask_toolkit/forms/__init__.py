"""Request validation: :class:`MetaForm` and the :func:`validate_data` decorator.

The modules, from the top down: :mod:`.decorator` (the view decorator),
:mod:`.fastpath` (its one-pass path for JSON bodies and plain fields), :mod:`.form`
(``MetaForm``), :mod:`.body` (reading the JSON body), :mod:`.loading`,
:mod:`.checking`, :mod:`.templates` (filling and checking fields), :mod:`.jsonfields`,
:mod:`.required`, :mod:`.nulls`, :mod:`.messages` (values, "required" and "null"
rules and translated messages),
and :mod:`.jsonschema` (forms describing themselves).
"""

from __future__ import annotations

from .body import BadBody
from .decorator import validate_data
from .form import MetaForm
from .jsonschema import form_schema
from .jsonschema import query_parameters
from .nulls import NotNull
from .nulls import Nullable

__all__ = [
    "BadBody",
    "MetaForm",
    "NotNull",
    "Nullable",
    "form_schema",
    "query_parameters",
    "validate_data",
]
