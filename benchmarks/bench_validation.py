"""Throughput of one validated JSON endpoint (5 fields), side by side with its peers.

Each peer answers ``POST /<peer>`` with the same 5-field body through Flask's
in-process test client: a hand-written check, flask-pydantic, webargs, the notes'
``MetaForm`` (copied from the source notes, with its faults), and
``@validate_data`` with :class:`flask_toolkit.MetaForm`. Each round runs every peer
back to back, timed in process CPU time; the ratios printed are the median over the
rounds of toolkit's speed / the peer's speed in the same round, so a noisy moment
hurts both sides of a ratio alike.

    python benchmarks/bench_validation.py [--requests 300] [--rounds 31] [--profile]
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time
import typing as t

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


# -- the app ---------------------------------------------------------------------


def create_app() -> tuple[Flask, list[str]]:
    app = Flask(__name__)
    app.config.update(SQLALCHEMY_DATABASE_URI="sqlite://", SCHEDULER_AUTOSTART=False)
    Toolkit(app)
    peers = ["hand-written"]

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

    @app.post("/toolkit")
    @validate_data(TaskForm)
    def toolkit_view(form: TaskForm) -> t.Any:
        return result(form.valid_data)

    peers.append("toolkit")

    @app.post("/notes")
    @notes_validate_data(NotesTaskForm)
    def notes_view(form: NotesTaskForm) -> t.Any:
        return result(form.valid_data)

    peers.append("notes")

    try:
        import pydantic
        from flask_pydantic import validate as pydantic_validate
    except ImportError:  # pragma: no cover - the bench extra is not installed
        print("flask-pydantic is not installed: skipped")
    else:

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

        peers.append("flask-pydantic")

    try:
        from marshmallow import fields as mf
        from marshmallow import RAISE
        from marshmallow import validate as mv
        from webargs.flaskparser import use_args
    except ImportError:  # pragma: no cover
        print("webargs is not installed: skipped")
    else:
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

        peers.append("webargs")
    return app, peers


def run(client: t.Any, path: str, n: int) -> float:
    """Requests per second of this process's CPU time.

    CPU time rather than wall time: the test client runs in this one thread, and
    other processes on a busy machine then slow every peer less unevenly.
    """
    started = time.process_time()
    for _ in range(n):
        response = client.post(path, json=BODY)
        if response.status_code != 200:  # pragma: no cover
            raise SystemExit(f"{path}: {response.status_code} {response.get_data()!r}")
    return n / (time.process_time() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=31)
    parser.add_argument("--profile", choices=["toolkit", "notes"], default=None)
    options = parser.parse_args()
    app, peers = create_app()
    client = app.test_client()
    if options.profile:
        import cProfile
        import pstats

        cProfile.runctx(
            "run(client, path, n)",
            globals(),
            {"client": client, "path": "/" + options.profile, "n": options.requests},
            "/tmp/bench_validation.prof",
        )
        pstats.Stats("/tmp/bench_validation.prof").sort_stats("tottime").print_stats(25)
        return
    best = dict.fromkeys(peers, 0.0)
    ratios: dict[str, list[float]] = {peer: [] for peer in peers}
    for peer in peers:  # warm up: caches, imports, first-request work
        run(client, "/" + peer, 200)
    for round_ in range(options.rounds):
        # Alternate the order, so no peer always runs right after the same one.
        order = peers if round_ % 2 == 0 else peers[::-1]
        speeds = {peer: run(client, "/" + peer, options.requests) for peer in order}
        for peer, speed in speeds.items():
            best[peer] = max(best[peer], speed)
            ratios[peer].append(speeds["toolkit"] / speed)
    print(f"{'peer':<16}{'best req/s':>12}{'toolkit is (median of rounds)':>32}")
    for peer in peers:
        median = statistics.median(ratios[peer])
        print(f"{peer:<16}{best[peer]:>12.0f}{median:>31.2f}x")
    for peer, goal in (("flask-pydantic", 0.95), ("hand-written", 0.90)):
        if peer in ratios:
            ratio = statistics.median(ratios[peer])
            verdict = "meets" if ratio >= goal else "misses"
            print(f"toolkit / {peer}: {ratio:.3f}x ({verdict} the goal of {goal}x)")


if __name__ == "__main__":
    main()
