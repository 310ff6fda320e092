"""Throughput of one validated JSON endpoint (5 fields), side by side with its peers.

Each peer answers ``POST /<peer>`` with the same 5-field body through Flask's
in-process test client: a hand-written check, flask-pydantic, webargs, the notes'
``MetaForm`` (copied from the source notes, with its faults), and
``@validate_data`` with :class:`flask_toolkit.MetaForm`. Every peer has its own app;
only the toolkit's has ``Toolkit`` registered. Each round runs every peer back to back
(order alternating), timed in process CPU time; the ratios printed are the median over
the rounds of toolkit's speed / the peer's speed in the same round (with their range),
so a noisy moment hurts both sides of a ratio alike. Valid and invalid bodies are
measured separately. ``--wrk`` adds the same comparison with each peer served by
``gunicorn -w 2`` and loaded by ``wrk`` (skipped with a reason where wrk is missing).

    python benchmarks/bench_validation.py [--requests 300] [--rounds 31] [--wrk]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import statistics
import time
import typing as t

from _paired import describe
from _paired import gunicorn
from _paired import paired_rounds
from _paired import ratios
from _paired import Round
from _paired import verdict
from _paired import wrk
from _paired import wrk_missing
from flask import Flask
from flask import make_response
from flask import request
from wtforms import BooleanField
from wtforms import FloatField
from wtforms import Form
from wtforms import IntegerField
from wtforms import StringField
from wtforms.validators import DataRequired
from wtforms.validators import InputRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional

from flask_toolkit import MetaForm
from flask_toolkit import Toolkit
from flask_toolkit import validate_data

BODY = {
    "title": "Water the plants",
    "description": "Both balconies",
    "priority": 3,
    "done": False,
    "estimate": 1.5,
}
# Refused by every peer (400): an empty title, a priority out of range.
INVALID = {**BODY, "title": "", "priority": 9}


def result(data: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    return {"ok": True, "title": data["title"]}


# -- flask-toolkit -----------------------------------------------------------------


class TaskForm(MetaForm):
    title = StringField(validators=[InputRequired(), Length(min=1, max=200)])
    description = StringField(validators=[Length(max=2000)])
    priority = IntegerField(validators=[NumberRange(min=0, max=5)])
    done = BooleanField()
    estimate = FloatField(validators=[NumberRange(min=0)])


# -- the notes' MetaForm (part 4, "请求表单"), as written there --------------------


class NotesMetaForm(Form):  # type: ignore[misc]
    def __init__(self) -> None:
        data = request.get_json()
        args = request.args.to_dict()
        super().__init__(data=data, **args)
        self.request_data = dict(**data, **args)

    @property
    def valid_data(self) -> dict[str, t.Any]:
        return {k: v for k, v in self.data.items() if v is not None}

    def validate(self, extra_validators: t.Any = None) -> bool:
        other = [key for key in self.request_data if key not in self._fields]
        if other:
            self.form_errors.append(f"Illegal fields: {' '.join(other)}")
            return False
        return bool(super().validate(extra_validators))


def notes_validate_data(cls: type) -> t.Callable[..., t.Any]:
    def outer(func: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        @functools.wraps(func)
        def inner(*args: t.Any, **kwargs: t.Any) -> t.Any:
            form = cls()
            if not form.validate():
                response = make_response({"code": -1, "msg": form.errors})
                response.status_code = 400
                return response
            kwargs["form"] = form
            return func(*args, **kwargs)

        return inner

    return outer


class NotesTaskForm(NotesMetaForm):
    title = StringField(validators=[DataRequired(), Length(min=1, max=200)])
    description = StringField(validators=[Optional(), Length(max=2000)])
    priority = IntegerField(validators=[Optional(), NumberRange(min=0, max=5)])
    done = BooleanField()
    estimate = FloatField(validators=[Optional(), NumberRange(min=0)])


# -- the apps: one per peer, only the toolkit's has Toolkit registered -------------


def _hand_written_app() -> Flask:
    app = Flask("hand_written")

    @app.post("/hand-written")
    def hand_written() -> t.Any:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return {"code": -1, "msg": "Send a JSON object."}, 400
        errors: dict[str, list[str]] = {}
        unknown = data.keys() - BODY.keys()
        for key in unknown:
            errors[key] = ["Unknown field."]
        title = data.get("title")
        if not isinstance(title, str) or not 1 <= len(title) <= 200:
            errors["title"] = ["A string of 1 to 200 characters is required."]
        description = data.get("description")
        if description is not None and (
            not isinstance(description, str) or len(description) > 2000
        ):
            errors["description"] = ["At most 2000 characters."]
        priority = data.get("priority")
        if priority is not None and (
            type(priority) is not int or not 0 <= priority <= 5
        ):
            errors["priority"] = ["An integer from 0 to 5."]
        done = data.get("done")
        if done is not None and not isinstance(done, bool):
            errors["done"] = ["A boolean."]
        estimate = data.get("estimate")
        if estimate is not None and (
            isinstance(estimate, bool)
            or not isinstance(estimate, (int, float))
            or estimate < 0
        ):
            errors["estimate"] = ["A number >= 0."]
        if errors:
            return {"code": -1, "msg": errors}, 400
        return result(data)

    return app


def _toolkit_app() -> Flask:
    app = Flask("toolkit")
    app.config.update(SQLALCHEMY_DATABASE_URI="sqlite://", SCHEDULER_AUTOSTART=False)
    Toolkit(app)

    @app.post("/toolkit")
    @validate_data(TaskForm)
    def toolkit_view(form: TaskForm) -> t.Any:
        return result(form.valid_data)

    return app


def _notes_app() -> Flask:
    app = Flask("notes")

    @app.post("/notes")
    @notes_validate_data(NotesTaskForm)
    def notes_view(form: NotesTaskForm) -> t.Any:
        return result(form.valid_data)

    return app


def _flask_pydantic_app() -> Flask | None:
    try:
        import pydantic
        from flask_pydantic import validate as pydantic_validate
    except ImportError:  # pragma: no cover - the bench extra is not installed
        print("flask-pydantic is not installed: skipped")
        return None
    app = Flask("flask_pydantic")

    class TaskModel(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(extra="forbid")
        title: str = pydantic.Field(min_length=1, max_length=200)
        description: str | None = pydantic.Field(None, max_length=2000)
        priority: int | None = pydantic.Field(None, ge=0, le=5)
        done: bool | None = None
        estimate: float | None = pydantic.Field(None, ge=0)

    def pydantic_view(body: TaskModel) -> t.Any:
        return result(body.model_dump(exclude_unset=True))

    # flask-pydantic reads the annotation object; this module's are strings.
    pydantic_view.__annotations__["body"] = TaskModel
    app.post("/flask-pydantic")(pydantic_validate()(pydantic_view))
    return app


def _webargs_app() -> Flask | None:
    try:
        from marshmallow import fields as mf
        from marshmallow import RAISE
        from marshmallow import validate as mv
        from webargs.flaskparser import use_args
    except ImportError:  # pragma: no cover
        print("webargs is not installed: skipped")
        return None
    app = Flask("webargs")
    schema = {
        "title": mf.String(required=True, validate=mv.Length(1, 200)),
        "description": mf.String(validate=mv.Length(max=2000)),
        "priority": mf.Integer(strict=True, validate=mv.Range(0, 5)),
        "done": mf.Boolean(),
        "estimate": mf.Float(validate=mv.Range(min=0)),
    }

    @app.post("/webargs")
    @use_args(schema, location="json", unknown=RAISE)
    def webargs_view(args: dict[str, t.Any]) -> t.Any:
        return result(args)

    return app


FACTORIES: dict[str, t.Callable[[], Flask | None]] = {
    "hand-written": _hand_written_app,
    "toolkit": _toolkit_app,
    "notes": _notes_app,
    "flask-pydantic": _flask_pydantic_app,
    "webargs": _webargs_app,
}


def peer_app(name: str) -> Flask:
    """One peer's app (the gunicorn entry point: ``bench_validation:peer_app('x')``)."""
    app = FACTORIES[name]()
    if app is None:
        raise SystemExit(f"{name} is not installed")
    return app


def create_apps() -> dict[str, Flask]:
    apps = {}
    for name, factory in FACTORIES.items():
        app = factory()
        if app is not None:
            apps[name] = app
    return apps


def run(client: t.Any, path: str, n: int, body: dict[str, t.Any], status: int) -> float:
    """Requests per second of this process's CPU time.

    CPU time rather than wall time: the test client runs in this one thread, and
    other processes on a busy machine then slow every peer less unevenly.
    """
    started = time.process_time()
    for _ in range(n):
        response = client.post(path, json=body)
        code = response.status_code
        if code != status and not (status != 200 and 400 <= code < 500):
            raise SystemExit(f"{path}: {response.status_code} {response.get_data()!r}")
    return n / (time.process_time() - started)


GOALS = (("flask-pydantic", 1.05), ("hand-written", 0.90))


def report(rounds: list[Round], peers: list[str], label: str) -> None:
    print(f"-- {label}")
    print(f"{'peer':<16}{'median req/s':>14}   toolkit is (median of per-round ratios)")
    for peer in peers:
        speed = statistics.median(r[peer] for r in rounds)
        print(f"{peer:<16}{speed:>14.0f}   {describe(ratios(rounds, 'toolkit', peer))}")
    for peer, goal in GOALS:
        if peer in peers:
            ratio = statistics.median(ratios(rounds, "toolkit", peer))
            print(f"toolkit / {peer}: {ratio:.3f}x ({verdict(ratio, goal)})")


def in_process(options: argparse.Namespace) -> None:
    apps = create_apps()
    peers = list(apps)
    clients = {peer: app.test_client() for peer, app in apps.items()}
    if options.profile:
        import cProfile
        import pstats

        cProfile.runctx(
            "run(client, path, n, BODY, 200)",
            globals(),
            {
                "client": clients[options.profile],
                "path": "/" + options.profile,
                "n": options.requests,
            },
            "/tmp/bench_validation.prof",
        )
        pstats.Stats("/tmp/bench_validation.prof").sort_stats("tottime").print_stats(25)
        return
    cases = ((BODY, 200, "valid body"), (INVALID, 400, "invalid body"))
    for body, status, label in cases:
        for peer in peers:  # warm up: caches, imports, first-request work
            run(clients[peer], "/" + peer, 200, body, status)
        rounds = paired_rounds(
            {
                peer: functools.partial(
                    run, clients[peer], "/" + peer, options.requests, body, status
                )
                for peer in peers
            },
            options.rounds,
        )
        report(rounds, peers, f"in process (test client, CPU time), {label}")


def under_gunicorn(options: argparse.Namespace) -> None:
    missing = wrk_missing()
    if missing:
        print(f"gunicorn + wrk mode skipped: {missing}")
        return
    peers = ["toolkit", "flask-pydantic", "hand-written"]
    with contextlib.ExitStack() as stack:
        urls = {
            peer: stack.enter_context(gunicorn(f"bench_validation:peer_app('{peer}')"))
            for peer in peers
        }
        for body, label in ((BODY, "valid body"), (INVALID, "invalid body")):
            text = json.dumps(body)

            def measure(
                peer: str, seconds: float, text: str = text, bad: bool = body is INVALID
            ) -> float:
                return wrk(
                    urls[peer] + "/" + peer,
                    seconds,
                    method="POST",
                    body=text,
                    headers={"Content-Type": "application/json"},
                    refused=bad,
                )

            for peer in peers:
                measure(peer, 1)
            rounds = paired_rounds(
                {
                    peer: functools.partial(measure, peer, options.seconds)
                    for peer in peers
                },
                options.wrk_rounds,
            )
            report(
                rounds,
                peers,
                f"gunicorn -w 2 + wrk -c8 ({options.seconds}s per run), {label}",
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=31)
    parser.add_argument(
        "--profile", choices=["toolkit", "notes", "hand-written"], default=None
    )
    parser.add_argument(
        "--wrk", action="store_true", help="also serve each peer with gunicorn + wrk"
    )
    parser.add_argument("--wrk-only", action="store_true")
    parser.add_argument("--wrk-rounds", type=int, default=9)
    parser.add_argument("--seconds", type=int, default=3)
    options = parser.parse_args()
    if not options.wrk_only:
        in_process(options)
    if options.wrk or options.wrk_only:
        under_gunicorn(options)


if __name__ == "__main__":
    main()
