"""CPU time per request of the worst number inputs a client can send (and a few other
hostile bodies), each at most ``TOOLKIT_VALIDATION_MAX_BODY`` (1 MiB) long.

Each body goes to a ``@validate_data`` endpoint with an integer, a decimal, a float,
a NumberRange-checked integer, lists and a nested form, through Flask's in-process
test client; the scheduler API's ``POST /scheduler/jobs`` gets the job bodies. The
figure printed for each input is the median, over ``--repeat`` requests, of the
process CPU time (``time.process_time``) one request took, next to the goal of the
design (50 ms), and, for the large bodies, the median of the paired ratio of a
request to decoding the same body with ``json.loads(body, parse_float=Decimal)`` (the
floor: what any reader that keeps exact numbers pays; on a loaded machine the ratio
moves less than the milliseconds do). Nothing is asserted: this prints.

    python benchmarks/bench_hostile.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import decimal
import json
import statistics
import tempfile
import time
import typing as t

from flask import Flask
from wtforms import DecimalField
from wtforms import FieldList
from wtforms import FloatField
from wtforms import FormField
from wtforms import IntegerField
from wtforms import StringField
from wtforms.validators import NumberRange

from flask_toolkit import Identity
from flask_toolkit import MetaForm
from flask_toolkit import Toolkit
from flask_toolkit import validate_data

LIMIT = 1024 * 1024
GOAL_MS = 50.0


class Inner(MetaForm):
    count = IntegerField()


class HostileForm(MetaForm):
    plain = IntegerField()
    ranged = IntegerField(validators=[NumberRange(min=60, max=30 * 24 * 3600)])
    amount = DecimalField()
    ratio = FloatField()
    name = StringField()
    ids = FieldList(IntegerField(), max_entries=100)
    inner = FormField(Inner)


def _fill(prefix: str, item: str, suffix: str) -> bytes:
    """``prefix + item * n + suffix`` as long as fits in the body limit."""
    room = LIMIT - len(prefix) - len(suffix)
    return (prefix + item * (room // len(item)) + suffix).encode()


def form_cases() -> list[tuple[str, bytes]]:
    digits = LIMIT - 40
    return [
        ('{"plain": 1e400000}', b'{"plain": 1e400000}'),
        ('{"plain": 1e1000000}', b'{"plain": 1e1000000}'),
        ('{"plain": 1e10000000}', b'{"plain": 1e10000000}'),
        ('{"amount": 1e9999999999999999999}', b'{"amount": 1e9999999999999999999}'),
        ('{"ratio": 1e-9999999999999999999}', b'{"ratio": 1e-9999999999999999999}'),
        ('{"ranged": 1<309 zeros>}', ('{"ranged": 1' + "0" * 309 + "}").encode()),
        ('{"plain": <5,000 digits>}', ('{"plain": ' + "9" * 5000 + "}").encode()),
        ('{"plain": <1 MiB of digits>}', ('{"plain": ' + "9" * digits + "}").encode()),
        (
            '{"amount": 0.<1 MiB of digits>}',
            ('{"amount": 0.' + "3" * digits + "}").encode(),
        ),
        ('{"plain": <1 MiB> e400000}', ('{"plain": ' + "9" * digits + "e9}").encode()),
        (
            '{"inner": {"count": 1e999}, "x": [1e1000, ... 1 MiB]}',
            _fill('{"inner": {"count": 1e999}, "x": [', "1e1000,", "1]}"),
        ),
        (
            '{"x": [1.5, ... 1 MiB]} (decimals: the decoder floor)',
            _fill('{"x": [', "1.5,", "1]}"),
        ),
        (
            '{"x": [1, ... 1 MiB, <5,000 digits>]}',
            _fill('{"x": [', "1,", "9" * 5000 + "]}"),
        ),
        ('{"x": [1e1001, ... 1 MiB]}', _fill('{"x": [', "1e1001,", "1]}")),
        ('{"x": [1e-1001, ... 1 MiB]}', _fill('{"x": [', "1e-1001,", "1]}")),
        (
            '{"name": "\\ud83d\\ude00" * 1 MiB}',
            _fill('{"name": "', "\\ud83d\\ude00", '"}'),
        ),
        (
            '{"name": "\\ud800"} after 1 MiB of text',
            _fill('{"name": "', "a", '\\ud800"}'),
        ),
    ]


def job_cases() -> list[tuple[str, bytes]]:
    start = '{"id": "h", "func": "bench_hostile:noop", "trigger": "interval", '
    return [
        (
            "job max_instances 1e400000",
            (start + '"minutes": 5, "max_instances": 1e400000}').encode(),
        ),
        ("job minutes 1e1000000", (start + '"minutes": 1e1000000}').encode()),
        ("job args [1e400000]", (start + '"minutes": 5, "args": [1e400000]}').encode()),
        (
            "job args: 1 MiB of 1e1000",
            _fill(start + '"minutes": 5, "args": [', "1e1000,", "1]}"),
        ),
        (
            "job args: 1 MiB of 1.5",
            _fill(start + '"minutes": 5, "args": [', "1.5,", "1]}"),
        ),
        (
            "job args: 1 MiB of 1, then 5,000 digits",
            _fill(start + '"minutes": 5, "args": [', "1,", "9" * 5000 + "]}"),
        ),
    ]


def make_app(folder: str) -> tuple[Flask, str]:
    toolkit = Toolkit()
    app = Flask("bench_hostile", instance_path=folder)
    app.config.update(
        SECRET_KEY="bench",
        AUTH_CREDENTIAL_STORE="memory",
        SCHEDULER_API_ENABLED=True,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder}/bench.db",
    )

    @toolkit.auth.identity_loader
    def load(user_id: t.Any) -> Identity | None:
        return Identity(user_id, ["*"])

    toolkit.init_app(app)

    @app.post("/hostile")
    @validate_data(HostileForm)
    def hostile(form: HostileForm) -> dict[str, t.Any]:
        return {"ok": True}

    with app.app_context():
        toolkit.db.create_all()
        token = toolkit.auth.issue_token(Identity("bench", ["*"]))
    return app, token


def _decode(body: bytes) -> None:
    try:
        json.loads(body, parse_float=decimal.Decimal)
    except (ValueError, ArithmeticError):  # 5,000 digits, 1e9999999999999999999
        pass


def measure(
    client: t.Any, path: str, body: bytes, headers: dict[str, str], repeat: int
) -> tuple[float, float, int]:
    """Median CPU ms of a request, and the median of its paired ratio to decoding
    the same body with ``json.loads(body, parse_float=Decimal)`` (order alternating).
    """
    times = []
    ratios = []
    status = 0
    for round_ in range(repeat):
        pair = []
        for step in (0, 1) if round_ % 2 == 0 else (1, 0):
            start = time.process_time()
            if step == 0:
                status = client.post(path, data=body, headers=headers).status_code
            else:
                _decode(body)
            pair.append((step, time.process_time() - start))
        request = dict(pair)[0]
        times.append(request)
        ratios.append(request / max(dict(pair)[1], 1e-4))
    return statistics.median(times) * 1000, statistics.median(ratios), status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app, token = make_app(folder)
        client = app.test_client()
        json_type = {"Content-Type": "application/json"}
        rows = [("/hostile", label, body, json_type) for label, body in form_cases()]
        auth = {**json_type, "Authorization": f"Bearer {token}"}
        rows += [("/scheduler/jobs", label, body, auth) for label, body in job_cases()]
        print(
            f"CPU time per request, median of {args.repeat} (goal <= {GOAL_MS:.0f} ms)"
        )
        print("and its ratio to json.loads(body, parse_float=Decimal) alone:")
        print(f"{'input':58} {'bytes':>9} {'status':>6} {'CPU ms':>8} {'x json':>7}")
        worst = 0.0
        for path, label, body, headers in rows:
            ms, ratio, status = measure(client, path, body, headers, args.repeat)
            worst = max(worst, ms)
            # Small bodies decode in microseconds: their ratio says nothing.
            shown = f"{ratio:.2f}" if len(body) >= 65536 else "-"
            print(f"{label[:58]:58} {len(body):>9} {status:>6} {ms:>8.2f} {shown:>7}")
        print(f"worst: {worst:.2f} ms ({worst / GOAL_MS:.2f} of the goal)")
        # The floor for bodies made of many numbers: decoding them at all.
        body = _fill('{"x": [', "1e1000,", "1]}")
        floor = []
        for _ in range(args.repeat):
            start = time.process_time()
            json.loads(body, parse_float=decimal.Decimal)
            floor.append(time.process_time() - start)
        print(
            "for scale, json.loads(<1 MiB of 1e1000>, parse_float=Decimal) alone:"
            f" {statistics.median(floor) * 1000:.2f} ms"
        )
        with app.app_context():
            app.extensions["toolkit"].toolkit.scheduler.shutdown()


if __name__ == "__main__":
    main()
