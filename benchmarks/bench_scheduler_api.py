"""The scheduler REST API against Flask-APScheduler's, and the listing at scale.

Run from the repository root::

    python benchmarks/bench_scheduler_api.py [--jobs 10000] [--big 100000] [--rounds 11]
        [--database-url postgresql+psycopg://.../scratch]

SQLite files hold date jobs (written in one insert). Flask-APScheduler 1.13 (API
enabled, no auth) and flask-toolkit (the store as ``SCHEDULER_JOBSTORES``, a bearer
token with the scheduler permissions on every request, every body validated), each on
its own app. Every figure is the median of per-round ratios, the two sides of a round
run back to back with the order alternating, printed with its range:

- listing: Flask-APScheduler's ``GET /scheduler/jobs`` (every job) against ours,
  ``GET /scheduler/jobs?page=50&per_page=100``;
- job control: add, get, pause, resume, delete one job through each API, in wall and
  CPU time, on SQLite and on every ``--database-url`` (goal >= 1.1x);
- scale: one page of 100 from a store of ``--big`` jobs against a store of ``--jobs``
  (goal <= 1.5x the time), and over two stores of ``--jobs / 2`` against one store of
  ``--jobs`` (goal <= 2x).
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import pickle
import platform
import statistics
import tempfile
import time
import typing as t
from importlib.metadata import version
from pathlib import Path

from _paired import describe
from _paired import paired_rounds
from _paired import ratios
from _paired import verdict
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from flask import Flask
from flask.testing import FlaskClient
from flask_apscheduler import APScheduler

from flask_toolkit import Identity
from flask_toolkit import Toolkit

START = dt.datetime(2040, 1, 1, tzinfo=dt.timezone.utc)


def noop() -> None:
    """The function of every job."""


def load(user_id: t.Any) -> Identity | None:
    return Identity(user_id, ["scheduler:*"]) if user_id == "ops" else None


def fill(url: str, count: int, prefix: str = "job") -> None:
    """Write ``count`` date jobs one minute apart into the store at ``url``."""
    scheduler = BackgroundScheduler(jobstores={"default": SQLAlchemyJobStore(url=url)})
    scheduler.start(paused=True)
    template = scheduler.add_job(noop, "date", id="template", run_date=START)
    state = template.__getstate__()
    scheduler.remove_job("template")
    store = scheduler._jobstores["default"]
    rows = []
    for i in range(count):
        when = START + dt.timedelta(minutes=i)
        job = {
            **state,
            "id": f"{prefix}{i:06d}",
            "trigger": DateTrigger(when),
            "next_run_time": when,
        }
        rows.append(
            {
                "id": job["id"],
                "next_run_time": when.timestamp(),
                "job_state": pickle.dumps(job, store.pickle_protocol),
            }
        )
    with store.engine.begin() as connection:
        connection.execute(store.jobs_t.insert(), rows)
    scheduler.shutdown(wait=False)


def flask_apscheduler_app(url: str) -> tuple[Flask, APScheduler]:
    app = Flask("flask_apscheduler")
    scheduler = APScheduler()
    app.config["SCHEDULER_API_ENABLED"] = True
    app.config["SCHEDULER_JOBSTORES"] = {"default": SQLAlchemyJobStore(url=url)}
    scheduler.init_app(app)
    scheduler.start(paused=True)
    return app, scheduler


def toolkit_app(stores: dict[str, str], instance: str) -> tuple[Flask, dict[str, str]]:
    """A toolkit app (its own ``Toolkit``) with these job stores; its auth header."""
    toolkit = Toolkit()
    toolkit.auth.identity_loader(load)
    app = Flask("toolkit", instance_path=instance)
    app.config.update(
        SECRET_KEY="bench",
        AUTH_CREDENTIAL_STORE="memory",
        SCHEDULER_API_ENABLED=True,
        SCHEDULER_AUTOSTART=False,
        SCHEDULER_HISTORY_ENABLED=False,
        SCHEDULER_JOBSTORES=stores,
    )
    toolkit.scheduler.register(noop)
    toolkit.init_app(app)
    with app.app_context():
        token = toolkit.auth.issue_token("ops")
    return app, {"Authorization": f"Bearer {token}"}


def per_call(
    number: int, func: t.Callable[[], t.Any], clock: t.Callable[[], float]
) -> float:
    """Calls per second over ``number`` calls."""
    start = clock()
    for _ in range(number):
        func()
    return number / (clock() - start)


def cycle(
    client: FlaskClient, func: str, headers: dict[str, str]
) -> t.Callable[[], None]:
    job = {"id": "cycle", "func": func, "trigger": "interval", "minutes": 10}

    def run() -> None:
        for method, path, body, status in (
            ("POST", "/scheduler/jobs", job, 200),
            ("GET", "/scheduler/jobs/cycle", None, 200),
            ("POST", "/scheduler/jobs/cycle/pause", None, 200),
            ("POST", "/scheduler/jobs/cycle/resume", None, 200),
            ("DELETE", "/scheduler/jobs/cycle", None, 204),
        ):
            response = client.open(path, method=method, json=body, headers=headers)
            assert response.status_code == status, (
                path,
                response.get_data(as_text=True),
            )

    return run


def getter(
    client: FlaskClient, url: str, headers: dict[str, str], count: int
) -> t.Callable[[], None]:
    def get() -> None:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert len(response.json) == count, len(response.json)

    return get


def compare_cycles(args: argparse.Namespace, url: str, label: str, tmp: Path) -> None:
    theirs, their_scheduler = flask_apscheduler_app(url)
    ours, auth = toolkit_app({"default": url}, str(tmp / f"instance-{label}"))
    their_client, our_client = theirs.test_client(), ours.test_client()
    runs = {
        "Flask-APScheduler": cycle(their_client, f"{__name__}:noop", {}),
        "flask-toolkit": cycle(our_client, f"{__name__}:noop", auth),
    }
    for run in runs.values():
        run()  # warm-up
    for clock_name, clock in (("wall", time.perf_counter), ("CPU", time.process_time)):
        rounds = paired_rounds(
            {
                name: functools.partial(per_call, args.cycles, run, clock)
                for name, run in runs.items()
            },
            args.rounds,
        )
        values = ratios(rounds, "flask-toolkit", "Flask-APScheduler")
        print(
            f"job cycle (add/get/pause/resume/delete), {label}, {clock_name} time:"
            f" flask-toolkit / Flask-APScheduler throughput {describe(values)}"
            f" — {verdict(statistics.median(values), 1.1)}"
        )
    their_scheduler.shutdown(wait=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument(
        "--database-url",
        action="append",
        default=[],
        help="also run the job cycle on this (empty, scratch) database",
    )
    parser.add_argument("--skip-scale", action="store_true")
    args = parser.parse_args()
    print(
        f"Python {platform.python_version()}, Flask-APScheduler"
        f" {version('flask-apscheduler')}, APScheduler {version('apscheduler')};"
        f" medians of {args.rounds} paired rounds (order alternating)"
    )
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        small = f"sqlite:///{tmp / 'small.sqlite'}"
        fill(small, args.jobs)

        # Flask-APScheduler's full list against our page, on the same store.
        theirs, their_scheduler = flask_apscheduler_app(small)
        ours, auth = toolkit_app({"default": small}, str(tmp / "instance-list"))
        their_client, our_client = theirs.test_client(), ours.test_client()
        page_url = "/scheduler/jobs?page=50&per_page=100"
        runs = {
            "theirs": getter(their_client, "/scheduler/jobs", {}, args.jobs),
            "ours": getter(our_client, page_url, auth, 100),
        }
        rounds = paired_rounds(
            {
                n: functools.partial(per_call, 1, r, time.perf_counter)
                for n, r in runs.items()
            },
            args.rounds,
        )
        values = ratios(rounds, "ours", "theirs")
        print(
            f"list: our {page_url} vs Flask-APScheduler's full GET /scheduler/jobs"
            f" ({args.jobs} jobs): {describe(values)} as fast"
        )
        their_scheduler.shutdown(wait=False)

        # The job-control cycle: SQLite, then every --database-url.
        compare_cycles(args, f"sqlite:///{tmp / 'cycle.sqlite'}", "SQLite", tmp)
        for number, url in enumerate(args.database_url):
            compare_cycles(args, url, url.split(":", 1)[0], tmp / str(number))

        if args.skip_scale:
            return
        # One page of 100 from a store of --big jobs against one of --jobs jobs.
        big = f"sqlite:///{tmp / 'big.sqlite'}"
        fill(big, args.big)
        scale, auth = toolkit_app({"default": small, "big": big}, str(tmp / "i-scale"))
        client = scale.test_client()
        for page in (1, 50):
            url = f"/scheduler/jobs?page={page}&per_page=100&jobstore="
            runs = {
                "small": getter(client, url + "default", auth, 100),
                "big": getter(client, url + "big", auth, 100),
            }
            for run in runs.values():
                run()  # warm-up: first page loads, imports
            rounds = paired_rounds(
                {
                    n: functools.partial(per_call, 5, r, time.process_time)
                    for n, r in runs.items()
                },
                args.rounds,
            )
            values = [1 / v for v in ratios(rounds, "big", "small")]
            print(
                f"one page of 100 (page {page}), {args.big} jobs vs {args.jobs} in the"
                f" store (SQLite, CPU time): {describe(values)} the time"
                f" — {verdict(statistics.median(values), 1.5, at_most=True)}"
            )

        # One page of 100 over two stores of --jobs / 2 jobs each against one store.
        half_a = f"sqlite:///{tmp / 'a.sqlite'}"
        half_b = f"sqlite:///{tmp / 'b.sqlite'}"
        fill(half_a, args.jobs // 2, prefix="a")
        fill(half_b, args.jobs - args.jobs // 2, prefix="b")
        two, auth2 = toolkit_app({"default": half_a, "b": half_b}, str(tmp / "i-two"))
        two_client = two.test_client()
        for page in (1, 50):
            url = f"/scheduler/jobs?page={page}&per_page=100"
            runs = {
                "one": getter(our_client, url, auth, 100),
                "two": getter(two_client, url, auth2, 100),
            }
            for run in runs.values():
                run()  # warm-up: first page loads, imports
            rounds = paired_rounds(
                {
                    n: functools.partial(per_call, 5, r, time.process_time)
                    for n, r in runs.items()
                },
                args.rounds,
            )
            values = [1 / v for v in ratios(rounds, "two", "one")]
            print(
                f"one page of 100 (page {page}), two stores of {args.jobs // 2} jobs vs"
                f" one of {args.jobs} (SQLite, CPU time): {describe(values)} the time"
                f" — {verdict(statistics.median(values), 2.0, at_most=True)}"
            )


if __name__ == "__main__":
    main()
