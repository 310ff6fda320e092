"""Flask-Migrate sees the toolkit's tables: after the app has run, autogenerate finds
nothing to change (no ``drop_table`` for ``apscheduler_jobs``, ``toolkit_job_runs``,
``toolkit_scheduler_processes``, ``toolkit_api_key`` or ``toolkit_revoked_credential``).

Real ``flask db init / migrate / upgrade`` commands in subprocesses, against SQLite,
PostgreSQL and MariaDB.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import flask_migrate  # noqa: F401  (in the test extra: the test must run, not skip)
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent

TOOLKIT_TABLES = {
    "apscheduler_jobs",
    "toolkit_job_runs",
    "toolkit_api_key",
    "toolkit_revoked_credential",
    "toolkit_scheduler_processes",
}

RUN_THE_APP = """
import time
from tests._migrate_app import create_app, toolkit
app = create_app()
with app.app_context():
    toolkit.auth.revoke_token(toolkit.auth.issue_token("ann"))
    deadline = time.monotonic() + 30
    while not toolkit.scheduler.history.runs("tick")[1]:
        assert time.monotonic() < deadline, "the job never ran"
        time.sleep(0.1)
    toolkit.scheduler.shutdown()
"""


def run(args: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def operations(migrations: Path) -> list[str]:
    """The ``op.*`` calls of every revision file's upgrade()."""
    found = []
    for path in sorted((migrations / "versions").glob("*.py")):
        text = path.read_text()
        upgrade = text.split("def upgrade", 1)[1].split("def downgrade", 1)[0]
        found += re.findall(r"op\.\w+\([^\n]*", upgrade)
    return found


def test_migrate_after_running_the_app_is_empty(
    database_url: str, tmp_path: Path
) -> None:
    migrate_run_migrate(database_url, tmp_path, {})


def test_flask_sqlalchemy_models_with_the_toolkit_sharing_their_metadata(
    sqlite_url: str, tmp_path: Path
) -> None:
    """An app that keeps its models on Flask-SQLAlchemy and ``Migrate(app, fsa)``
    passes ``Toolkit(metadata=fsa.metadata)``. SQLite only: what differs from the test
    above is which metadata holds the tables, not the database.
    """
    migrate_run_migrate(sqlite_url, tmp_path, {"TEST_MIGRATE_FSA": "1"})


def migrate_run_migrate(
    database_url: str, tmp_path: Path, extra: dict[str, str]
) -> None:
    """migrate, upgrade, run the app, migrate again: the second revision is empty."""
    env = {
        **os.environ,
        **extra,
        "TEST_MIGRATE_DB": database_url,
        "TEST_MIGRATE_DIR": str(tmp_path),
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        "FLASK_APP": "tests._migrate_app:create_app()",
    }
    flask = [sys.executable, "-m", "flask"]
    migrations = tmp_path / "migrations"
    run([*flask, "db", "init"], env)
    run([*flask, "db", "migrate", "-m", "first"], env)
    first = operations(migrations)
    created = set(re.findall(r"op\.create_table\('(\w+)'", "\n".join(first)))
    assert created == TOOLKIT_TABLES | {"migrate_note"}
    run([*flask, "db", "upgrade"], env)

    run([sys.executable, "-c", RUN_THE_APP], env)

    run([*flask, "db", "migrate", "-m", "second"], env)
    assert operations(migrations) == first  # the second revision is empty
    run([*flask, "db", "check"], env)
    engine = sa.create_engine(database_url)
    try:
        assert TOOLKIT_TABLES <= set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
