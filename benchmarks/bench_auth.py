"""Bearer-token auth + ``require_permission`` against the same endpoint without auth and
against Flask-HTTPAuth's token auth — all in one run, printed as ratios.

Run from the repository root::

    python benchmarks/bench_auth.py [--requests 2000] [--rounds 21] [--wrk]

Every variant serves the same JSON endpoint. Requests go straight through the app's
WSGI callable with a prepared environ (no socket, no test-client overhead), so the
cost of auth is as visible as it can be. Time is this process's CPU time
(:func:`time.process_time`), so other programs busy on the machine disturb the ratios
less than they would wall-clock time. Identity lookups are dict lookups in every
variant, as in Flask-HTTPAuth's documentation example; the ``database`` row adds the
toolkit's default revocation store, an indexed lookup in SQLite per request.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import platform
import statistics
import tempfile
import time
import timeit
import typing as t
from importlib.metadata import version

from _paired import describe
from _paired import gunicorn
from _paired import paired_rounds
from _paired import ratios
from _paired import Round
from _paired import verdict
from _paired import wrk
from _paired import wrk_missing
from flask import Flask
from flask_httpauth import HTTPTokenAuth
from werkzeug.test import EnvironBuilder

from flask_toolkit import Identity
from flask_toolkit import require_permission
from flask_toolkit import Toolkit

Environ = dict[str, t.Any]
# Every app has a secret key (the toolkit signs tokens with it). With one, Flask's own
# session interface builds a signing serializer on every request, cookie or not; the
# toolkit's skips that for requests without a cookie (see benchmarks/README.md).
SECRET_KEY = "bench secret"
PAYLOAD = {"tasks": [{"id": 1, "title": "Water the plants", "done": False}]}


def plain_app() -> Flask:
    app = Flask("plain")
    app.config["SECRET_KEY"] = SECRET_KEY

    @app.get("/tasks")
    def tasks() -> dict[str, t.Any]:
        return PAYLOAD

    return app


def toolkit_app(store: str | None, instance: str) -> tuple[Flask, str | None]:
    app = Flask("toolkit", instance_path=instance)
    app.config.update(SECRET_KEY=SECRET_KEY, AUTH_CREDENTIAL_STORE=store or "memory")
    toolkit = Toolkit(app)
    if store is None:

        @app.get("/tasks")
        def open_tasks() -> dict[str, t.Any]:
            return PAYLOAD

        return app, None
    identities = {1: Identity(1, ["tasks:read", "tasks:write"], version=1)}
    toolkit.auth.identity_loader(identities.get)

    @app.get("/tasks")
    @require_permission("tasks:read")
    def tasks() -> dict[str, t.Any]:
        return PAYLOAD

    with app.app_context():
        token = toolkit.auth.issue_token(identities[1])
        toolkit.auth.revoke("warm-up")  # creates the store's tables outside the timing
    return app, token


def httpauth_app() -> tuple[Flask, str]:
    app = Flask("httpauth")
    app.config["SECRET_KEY"] = SECRET_KEY
    auth = HTTPTokenAuth(scheme="Bearer")
    tokens = {"secret-token-1": "ada"}
    roles = {"ada": ["tasks:read", "tasks:write"]}

    @auth.verify_token
    def verify_token(token: str) -> str | None:
        return tokens.get(token)

    @auth.get_user_roles
    def get_user_roles(user: str) -> list[str]:
        return roles[user]

    @app.get("/tasks")
    @auth.login_required(role="tasks:read")
    def tasks() -> dict[str, t.Any]:
        return PAYLOAD

    return app, "secret-token-1"


def environ_for(token: str | None) -> Environ:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return EnvironBuilder(path="/tasks", headers=headers).get_environ()


def check(app: Flask, environ: Environ) -> None:
    status: list[str] = []

    def start_response(s: str, headers: t.Any, exc_info: t.Any = None) -> t.Any:
        status.append(s)

    body = b"".join(app(dict(environ), start_response))
    if not status[0].startswith("200"):
        raise SystemExit(f"{app.name}: expected 200, got {status[0]}: {body!r}")


def seconds(app: Flask, environ: Environ, requests: int) -> float:
    def start_response(s: str, headers: t.Any, exc_info: t.Any = None) -> t.Any:
        return None

    def run() -> None:
        for _ in range(requests):
            response = app(dict(environ), start_response)
            for _chunk in response:
                pass
            close = getattr(response, "close", None)
            if close is not None:
                close()

    return timeit.Timer(run, timer=time.process_time).timeit(number=1)


def rate(app: Flask, environ: Environ, requests: int) -> float:
    return requests / seconds(app, environ, requests)


def served_app(variant: str) -> Flask:
    """One variant's app, for ``gunicorn 'bench_auth:served_app("memory")'``."""
    if variant == "plain":
        return plain_app()
    if variant == "httpauth":
        return httpauth_app()[0]
    instance = tempfile.mkdtemp(prefix="bench_auth_")
    return toolkit_app(None if variant == "open" else variant, instance)[0]


LABELS = {
    "plain": "Flask, no toolkit, no auth",
    "open": "Toolkit(app), endpoint using none of it",
    "memory": "toolkit Bearer + require_permission (memory store)",
    "database": "toolkit Bearer + require_permission (database store)",
    "httpauth": "Flask-HTTPAuth HTTPTokenAuth + role",
}
GOALS = {"open": 0.97, "memory": 0.95}


def report(rounds: list[Round], names: list[str], label: str) -> None:
    print(f"-- {label}")
    print(f"{'variant':55} {'median req/s':>12}   vs plain Flask (per-round ratios)")
    for name in names:
        speed = statistics.median(r[name] for r in rounds)
        spread = describe(ratios(rounds, name, "plain"))
        print(f"{LABELS[name]:55} {speed:12.0f}   {spread}")
    for name, goal in GOALS.items():
        if name in names:
            ratio = statistics.median(ratios(rounds, name, "plain"))
            print(f"{LABELS[name]} / Flask: {ratio:.3f}x ({verdict(ratio, goal)})")


def in_process(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        variants: dict[str, tuple[Flask, Environ]] = {}
        variants["plain"] = (plain_app(), environ_for(None))
        variants["open"] = (toolkit_app(None, tmp + "/open")[0], environ_for(None))
        for store in ("memory", "database"):
            app, token = toolkit_app(store, tmp + "/" + store)
            variants[store] = (app, environ_for(token))
        app, token = httpauth_app()
        variants["httpauth"] = (app, environ_for(token))
        for app, environ in variants.values():
            check(app, environ)
            rate(app, environ, 200)  # warm-up
        rounds = paired_rounds(
            {
                name: functools.partial(rate, app, environ, args.requests)
                for name, (app, environ) in variants.items()
            },
            args.rounds,
        )
    print(
        f"Python {platform.python_version()}, Flask {version('flask')},"
        f" Flask-HTTPAuth {version('flask-httpauth')}; {args.requests} requests"
        f" per run, {args.rounds} rounds"
    )
    report(rounds, list(variants), "raw WSGI, in process, CPU time")


def under_gunicorn(args: argparse.Namespace) -> None:
    missing = wrk_missing()
    if missing:
        print(f"gunicorn + wrk mode skipped: {missing}")
        return
    names = ["plain", "open", "memory", "httpauth"]
    with tempfile.TemporaryDirectory() as tmp:
        # The same SECRET_KEY signs the token here and checks it in the workers.
        token = toolkit_app("memory", tmp + "/token")[1]
    headers = {
        "plain": {},
        "open": {},
        "memory": {"Authorization": f"Bearer {token}"},
        "httpauth": {"Authorization": f"Bearer {httpauth_app()[1]}"},
    }
    with contextlib.ExitStack() as stack:
        urls = {
            name: stack.enter_context(gunicorn(f"bench_auth:served_app('{name}')"))
            for name in names
        }

        def measure(name: str, seconds: int) -> float:
            return wrk(urls[name] + "/tasks", seconds, headers=headers[name])

        for name in names:
            measure(name, 1)
        rounds = paired_rounds(
            {name: functools.partial(measure, name, args.seconds) for name in names},
            args.wrk_rounds,
        )
    report(rounds, names, f"gunicorn -w 2 + wrk -c8 ({args.seconds}s per run)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--wrk", action="store_true", help="also gunicorn + wrk")
    parser.add_argument("--wrk-only", action="store_true")
    parser.add_argument("--wrk-rounds", type=int, default=9)
    parser.add_argument("--seconds", type=int, default=3)
    args = parser.parse_args()
    if not args.wrk_only:
        in_process(args)
    if args.wrk or args.wrk_only:
        under_gunicorn(args)


if __name__ == "__main__":
    main()
