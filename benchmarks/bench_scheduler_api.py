"""The scheduler REST API against Flask-APScheduler's, over the same SQLite job store.

Run from the repository root::

    python benchmarks/bench_scheduler_api.py [--jobs 10000] [--repeat 5]

One SQLite file holds ``--jobs`` date jobs (written in one insert). Two apps read it:
Flask-APScheduler 1.13 with its API enabled (no auth), and flask-toolkit with the
store configured as ``SCHEDULER_JOBSTORES`` and a bearer token with the scheduler
permissions on every request. Printed, best of ``--repeat``:

- listing: Flask-APScheduler's ``GET /scheduler/jobs`` (every job) against ours,
  ``GET /scheduler/jobs?page=50&per_page=100`` (goal: >= 20x faster);
- job control: add, get, pause, resume, delete one job, through each API (goal:
  >= 1.0x Flask-APScheduler's throughput, despite auth and validation). Each write is
  an SQLite commit, so wall times follow the disk: rounds alternate between the two
  APIs, and the CPU time of the same cycles is printed too.
"""

from __future__ import annotations

import argparse
import datetime as dt
import pickle
import platform
import tempfile
import time
import typing as t
from importlib.metadata import version
from pathlib import Path

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from flask import Flask
from flask.testing import FlaskClient
from flask_apscheduler import APScheduler

from flask_toolkit import Identity
from flask_toolkit import Toolkit

toolkit = Toolkit()
START = dt.datetime(2040, 1, 1, tzinfo=dt.timezone.utc)


def noop() -> None:
    """The function of every job."""


@toolkit.auth.identity_loader
def load(user_id: t.Any) -> Identity | None:
    return Identity(user_id, ["scheduler:*"]) if user_id == "ops" else None


def fill(url: str, count: int) -> None:
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
            "id": f"job{i:05d}",
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


def toolkit_app(url: str, instance: str) -> Flask:
    app = Flask("toolkit", instance_path=instance)
    app.config.update(
        SECRET_KEY="bench",
        AUTH_CREDENTIAL_STORE="memory",
        SCHEDULER_API_ENABLED=True,
        SCHEDULER_AUTOSTART=False,
        SCHEDULER_HISTORY_ENABLED=False,
        SCHEDULER_JOBSTORES={"default": url},
    )
    toolkit.scheduler.register(noop)
    toolkit.init_app(app)
    return app


def best(
    repeat: int, number: int, func: t.Callable[[], None], clock: t.Callable[[], float]
) -> float:
    """Seconds per call: the best of ``repeat`` rounds of ``number`` calls."""
    times = []
    for _ in range(repeat):
        start = clock()
        for _ in range(number):
            func()
        times.append((clock() - start) / number)
    return min(times)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'jobs.sqlite'}"
        fill(url, args.jobs)
        theirs, their_scheduler = flask_apscheduler_app(url)
        ours = toolkit_app(url, str(Path(tmp) / "instance"))
        with ours.app_context():
            token = toolkit.auth.issue_token("ops")
        auth = {"Authorization": f"Bearer {token}"}
        their_client, our_client = theirs.test_client(), ours.test_client()

        response = their_client.get("/scheduler/jobs")
        assert len(response.json) == args.jobs, (len(response.json), response.json[:1])
        response = our_client.get("/scheduler/jobs?page=50&per_page=100", headers=auth)
        assert len(response.json) == 100, response.json

        wall, cpu = time.perf_counter, time.process_time
        full = best(args.repeat, 1, lambda: their_client.get("/scheduler/jobs"), wall)
        page = best(
            args.repeat,
            20,
            lambda: our_client.get(
                "/scheduler/jobs?page=50&per_page=100", headers=auth
            ),
            wall,
        )
        runs = {
            "their": cycle(their_client, f"{__name__}:noop", {}),
            "our": cycle(our_client, f"{__name__}:noop", auth),
        }
        times: dict[tuple[str, str], list[float]] = {}
        for i in range(args.repeat):
            # Alternate, and alternate who goes first: both see the same disk weather.
            order = ("their", "our") if i % 2 == 0 else ("our", "their")
            for name in order:
                for clock_name, clock in (("wall", wall), ("cpu", cpu)):
                    key = (name, clock_name)
                    times.setdefault(key, []).append(best(1, 20, runs[name], clock))
        cycles = {key: min(values) for key, values in times.items()}
        their_scheduler.shutdown(wait=False)
        with ours.app_context():
            toolkit.scheduler.shutdown(wait=False)

    print(
        f"Python {platform.python_version()}, Flask-APScheduler"
        f" {version('flask-apscheduler')}, APScheduler {version('apscheduler')},"
        f" {args.jobs} jobs in SQLite, best of {args.repeat}"
    )
    print(f"{'':52} {'ms':>9} {'ratio':>8}")
    print(f"{'Flask-APScheduler GET /scheduler/jobs (all jobs)':52} {full * 1e3:9.2f}")
    print(
        f"{'flask-toolkit GET /scheduler/jobs?page=50&per_page=100':52}"
        f" {page * 1e3:9.2f} {full / page:7.1f}x faster (goal >= 20x)"
    )
    for clock_name in ("wall", "cpu"):
        theirs_t, ours_t = cycles["their", clock_name], cycles["our", clock_name]
        label = "wall time" if clock_name == "wall" else "CPU time"
        print(f"{'Flask-APScheduler job cycle, ' + label:52} {theirs_t * 1e3:9.2f}")
        print(
            f"{'flask-toolkit job cycle (auth+validation), ' + label:52}"
            f" {ours_t * 1e3:9.2f} {theirs_t / ours_t:7.2f}x throughput (goal >= 1.0x)"
        )


if __name__ == "__main__":
    main()
