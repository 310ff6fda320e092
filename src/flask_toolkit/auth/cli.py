"""``flask toolkit routes``: list routes and their protection."""

from __future__ import annotations

import click
from flask import current_app

from ..cli import toolkit_cli
from .decorators import is_static_endpoint
from .decorators import protection_of

_IGNORED_METHODS = frozenset({"HEAD", "OPTIONS"})


def route_table() -> list[tuple[str, str, str, str]]:
    """``(rule, methods, endpoint, protection)`` for every route of the current app.

    ``protection`` is ``"static (exempt)"``, the rules joined with ``", "``
    (``public``, ``login``, ``tasks:read & tasks:write``, ``a | b`` for any-of), or
    ``"UNPROTECTED"``.
    """
    app = current_app
    rows = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        methods = sorted((rule.methods or set()) - _IGNORED_METHODS) or ["OPTIONS"]
        endpoint = rule.endpoint
        if is_static_endpoint(app, endpoint):
            rows.append((rule.rule, ",".join(methods), endpoint, "static (exempt)"))
            continue
        for method in methods:
            protection = protection_of(app, endpoint, method)
            text = ", ".join(r.describe() for r in protection.rules) or "UNPROTECTED"
            rows.append((rule.rule, method, endpoint, text))
    return rows


@toolkit_cli.command("routes")
@click.option(
    "--check",
    is_flag=True,
    help="Exit with status 1 when a route is unprotected (for CI).",
)
def routes_command(check: bool) -> None:
    """List every route with its auth protection; flag unprotected ones."""
    rows = route_table()
    headers = ("Rule", "Method", "Endpoint", "Protection")
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(3)]
    click.echo(
        "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=False))
        + "  "
        + headers[3]
    )
    unprotected = 0
    for row in rows:
        flag = row[3] == "UNPROTECTED"
        unprotected += flag
        line = (
            "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False))
            + "  "
            + row[3]
        )
        click.echo(click.style(line, fg="red") if flag else line)
    deny = current_app.config["AUTH_DEFAULT_DENY"]
    if unprotected:
        effect = (
            "AUTH_DEFAULT_DENY is on, so they answer 401/403."
            if deny
            else "AUTH_DEFAULT_DENY is off, so anyone can call them."
        )
        click.echo(
            f"\n{unprotected} route(s) UNPROTECTED: {effect} Mark them with @public,"
            " @login_required or @require_permission(...)."
        )
    if check and unprotected:
        raise SystemExit(1)
