"""Seeding the demo accounts is idempotent and survives another process seeding at the
same moment (what two gunicorn workers on a fresh instance folder do).
"""

from __future__ import annotations

import typing as t
from pathlib import Path

import sqlalchemy as sa
from examples.taskboard import create_app
from examples.taskboard.auth import DEMO_USERS
from examples.taskboard.auth import seed_demo_users
from examples.taskboard.auth import User
from examples.taskboard.models import db


def emails(app: t.Any) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(sa.select(User.email)).all())


def test_seeding_twice_changes_nothing(tmp_path: Path) -> None:
    app = create_app({"TESTING": True}, instance_path=str(tmp_path))
    with app.app_context():
        seed_demo_users()
    assert emails(app) == sorted(u[0] for u in DEMO_USERS)
    db.get_engine(app).dispose()


def test_another_process_seeding_at_the_same_moment(tmp_path: Path) -> None:
    app = create_app(
        {"TESTING": True, "TASKBOARD_DEMO_USERS": False}, instance_path=str(tmp_path)
    )
    engine = db.get_engine(app)
    first_email = DEMO_USERS[0][0]

    done: list[bool] = []

    # Just before our first INSERT, "the other worker" commits the same account.
    def other_worker_wins(
        conn: t.Any, cursor: t.Any, statement: str, *a: t.Any
    ) -> None:
        if not done and statement.lstrip().upper().startswith("INSERT INTO USER_ACC"):
            done.append(True)
            with engine.connect() as other:
                other.execute(
                    User.__table__.insert().values(
                        email=first_email, password_hash="x", permissions="*"
                    )
                )
                other.commit()

    sa.event.listen(engine, "before_cursor_execute", other_worker_wins)
    with app.app_context():
        seed_demo_users()  # no IntegrityError
    assert done
    assert emails(app) == sorted(u[0] for u in DEMO_USERS)
    engine.dispose()
