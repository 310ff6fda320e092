"""What a view's own code says about its answers, read from its source.

A view that raises ``APIError(409, ...)`` or calls ``abort(404)`` can answer that
status; one that returns ``body, 201`` answers 201, ``redirect(url, 303)`` 303, and
``render_template(...)`` an HTML page; ``db.get_or_404(...)`` can answer
404 and ``db.paginate(...)`` reads ``?page=`` and ``?per_page=``. Only literal status
codes in the view function itself are found (not in the functions it calls); what
cannot be found this way is declared with :func:`~flask_toolkit.openapi.operation`.
A view whose source cannot be read (built at run time, C code) yields nothing.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import textwrap
import typing as t

_RAISERS = frozenset({"APIError", "abort", "HTTPException"})
_NOT_FOUND_CALLS = frozenset({"get_or_404", "first_or_404", "one_or_404"})


@dataclasses.dataclass
class SourceFacts:
    """Statuses and helpers found in one view function's body."""

    #: Statuses of ``raise APIError(N, ...)`` / ``abort(N)``.
    raised: set[int] = dataclasses.field(default_factory=set)
    #: Statuses of ``return body, N`` (200 for a plain ``return body``).
    returned: set[int] = dataclasses.field(default_factory=set)
    #: ``return "", 204`` and friends: statuses answered without a body.
    empty: set[int] = dataclasses.field(default_factory=set)
    #: A ``*_or_404`` helper is called.
    not_found: bool = False
    #: ``paginate(...)`` is called (it reads ``?page=`` and ``?per_page=``).
    paginates: bool = False
    #: A ``return render_template(...)``: the view answers an HTML page.
    html: bool = False


_cache: dict[t.Any, SourceFacts] = {}


def innermost(view: t.Any) -> t.Any:
    """The function under every ``functools.wraps`` decorator."""
    seen = set()
    while hasattr(view, "__wrapped__") and id(view) not in seen:
        seen.add(id(view))
        view = view.__wrapped__
    return view


def source_facts(view: t.Any) -> SourceFacts:
    """Read :class:`SourceFacts` from the source of ``view`` (cached per function)."""
    func = innermost(view)
    try:
        return _cache[func]
    except (KeyError, TypeError):
        pass
    facts = SourceFacts()
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        tree = None
    if tree is not None and tree.body:
        node = tree.body[0]
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            _scan(node, facts)
    try:
        _cache[func] = facts
    except TypeError:
        pass
    return facts


def _scan(function: ast.FunctionDef | ast.AsyncFunctionDef, facts: SourceFacts) -> None:
    for node in _own_nodes(function):
        if isinstance(node, ast.Call):
            name = _call_name(node)
            if name in _RAISERS and node.args:
                status = _int(node.args[0])
                if status is not None:
                    facts.raised.add(status)
            elif name in _NOT_FOUND_CALLS:
                facts.not_found = True
            elif name == "paginate":
                facts.paginates = True
        elif isinstance(node, ast.Return):
            _return(node.value, facts)


def _own_nodes(function: ast.AST) -> t.Iterator[ast.AST]:
    """Every node of ``function``'s body, not descending into nested functions."""
    stack = list(ast.iter_child_nodes(function))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _return(value: ast.expr | None, facts: SourceFacts) -> None:
    if isinstance(value, ast.Call):
        name = _call_name(value)
        if name in {"render_template", "render_template_string"}:
            facts.html = True
        elif name == "redirect":
            code = value.args[1] if len(value.args) > 1 else None
            for keyword in value.keywords:
                if keyword.arg == "code":
                    code = keyword.value
            status = _int(code) if code is not None else 302
            facts.returned.add(status or 302)
            facts.empty.add(status or 302)
            return
    if isinstance(value, ast.Tuple) and len(value.elts) >= 2:
        status = _int(value.elts[1])
        if status is not None:
            facts.returned.add(status)
            if _is_empty(value.elts[0]):
                facts.empty.add(status)
            first = value.elts[0]
            if isinstance(first, ast.Call) and _call_name(first) == "render_template":
                facts.html = True
            return
    facts.returned.add(200)


def _is_empty(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value in ("", b"", None)


def _call_name(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _int(node: ast.expr) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value if 100 <= node.value <= 599 else None
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        # HTTPStatus.NOT_FOUND
        if node.value.id == "HTTPStatus":
            from http import HTTPStatus

            member = getattr(HTTPStatus, node.attr, None)
            return int(member) if member is not None else None
    return None
