from __future__ import annotations

import typing as t
from pathlib import Path

import pytest
from flask import Flask

from tests import _scheduler_jobs as jobs
from tests._scheduler_jobs import make_app

manager = jobs.toolkit.scheduler


@pytest.fixture
def cli_app(tmp_path: Path, sqlite_url: str) -> t.Iterator[Flask]:
    app = make_app(sqlite_url, str(tmp_path))
    with app.app_context():
        manager.add_job("tick", jobs.record_tick, "interval", hours=2)
        manager.add_job("failing", jobs.fail, "interval", hours=2)
    yield app
    with app.app_context():
        manager.shutdown()


def invoke(app: Flask, *args: str) -> t.Any:
    return app.test_cli_runner().invoke(args=["toolkit", "jobs", *args])


def test_list(cli_app: Flask) -> None:
    result = invoke(cli_app, "list")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["declared", "tick", "failing"]
    assert "tests._scheduler_jobs:record_tick\tinterval[2:00:00]" in lines[1]


def test_pause_and_resume(cli_app: Flask) -> None:
    assert invoke(cli_app, "pause", "tick").output == "Job 'tick' paused.\n"
    assert invoke(cli_app, "list").output.splitlines()[-1].endswith("\tpaused")
    with cli_app.app_context():
        assert manager.get_job("tick").next_run_time is None
    result = invoke(cli_app, "resume", "tick")
    assert result.output.startswith("Job 'tick' resumed; next run ")
    missing = invoke(cli_app, "pause", "nope")
    assert missing.exit_code == 1
    assert (
        "No job 'nope'" in missing.output
        and "flask toolkit jobs list" in missing.output
    )


def test_run(cli_app: Flask) -> None:
    result = invoke(cli_app, "run", "tick")
    assert result.exit_code == 0, result.output
    with cli_app.app_context():
        assert [r["status"] for r in manager.history.runs("tick")[0]] == ["success"]
    failed = invoke(cli_app, "run", "failing")
    assert failed.exit_code == 1
    assert "the job failed on purpose" in failed.output
    assert invoke(cli_app, "run", "nope").exit_code == 1
