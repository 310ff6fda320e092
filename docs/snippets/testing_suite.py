"""A small app and its tests with the toolkit's pytest plugin, in one file.

In a project, the app lives in its package, the ``app`` fixture in ``conftest.py`` and
the tests in ``tests/``. Run as a script, this file runs pytest on itself.
"""

# -- app --
import datetime as dt

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from wtforms import StringField
from wtforms.validators import InputRequired

from flask_toolkit import Identity
from flask_toolkit import login_required
from flask_toolkit import MetaForm
from flask_toolkit import require_permission
from flask_toolkit import to_dict
from flask_toolkit import Toolkit
from flask_toolkit import validate_data

toolkit = Toolkit()
db = toolkit.db


class Note(db.Model):
    __tablename__ = "note"

    id: Mapped[int] = mapped_column(primary_key=True, init=False)
    text: Mapped[str] = mapped_column(sa.String(200))


class NoteForm(MetaForm):
    text = StringField(validators=[InputRequired()])


@toolkit.auth.identity_loader
def load_user(user_id):
    return Identity(user_id, ["notes:*"]) if user_id == 1 else None


@toolkit.scheduler.task("cron", id="daily-note", hour=6)
def daily_note():
    with db.session_scope() as session:
        session.add(Note(text=f"good morning, {dt.date.today()}"))


def create_app(config):
    app = Flask(__name__)
    app.config.update(SECRET_KEY="dev", SCHEDULER_TIMEZONE="UTC", **config)
    toolkit.init_app(app)

    @app.post("/api/notes")
    @require_permission("notes:write")
    @validate_data(NoteForm)
    def add_note(form):
        note = Note(text=form.text.data)
        db.session.add(note)
        db.session.commit()
        return to_dict(note), 201

    @app.delete("/api/notes/<int:note_id>")
    @login_required
    def delete_note(note_id):
        db.session.delete(db.get_or_404(Note, note_id))
        db.session.commit()
        return "", 204

    return app


# -- app --
# -- conftest --
@pytest.fixture
def app():
    # The fixture pytest-flask expects; the plugin's fixtures use it too.
    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",  # or your test server's URL
            "SCHEDULER_JOBSTORES": {"default": "memory"},
        }
    )


# -- conftest --
# -- tests --
from flask_toolkit.testing import assert_error  # noqa: E402


def count_notes(db):
    return db.session.scalar(sa.select(sa.func.count()).select_from(Note))


def test_writer_adds_a_note(db, client_as):
    client = client_as(7, ["notes:write"])
    assert client.post("/api/notes", json={"text": "hello"}).status_code == 201
    assert count_notes(db) == 1  # committed by the view, rolled back after the test


def test_each_test_starts_empty(db):
    assert count_notes(db) == 0


def test_bad_input_and_missing_permission(client_as, anonymous_client):
    assert_error(anonymous_client.post("/api/notes", json={}), 401)
    reader = client_as(7, ["notes:read"])
    assert_error(reader.post("/api/notes", json={"text": "x"}), 403)
    writer = client_as(7, ["notes:write"])
    assert_error(writer.post("/api/notes", json={}), 400, field="text")


def test_session_login_with_csrf(db, session_client):
    note = Note(text="old")
    db.session.add(note)
    db.session.commit()
    client = session_client(1)  # logged in through the identity loader
    assert client.delete(f"/api/notes/{note.id}").status_code == 204  # CSRF sent


def test_the_job_runs(db, run_job):
    run = run_job("daily-note")
    assert run.status == "success", run.traceback
    assert count_notes(db) == 1


def test_the_job_runs_at_six(db, run_due_jobs, time_machine):
    utc = dt.timezone.utc
    time_machine.move_to(dt.datetime(2030, 5, 1, 5, 0, tzinfo=utc), tick=False)
    assert run_due_jobs() == []
    time_machine.move_to(dt.datetime(2030, 5, 1, 6, 0, 5, tzinfo=utc), tick=False)
    assert [run.job_id for run in run_due_jobs()] == ["daily-note"]
    assert db.session.scalar(sa.select(Note.text)) == "good morning, 2030-05-01"


# -- tests --
if __name__ == "__main__":
    import importlib.metadata
    import sys

    installed = any(
        ep.value == "flask_toolkit.pytest_plugin"
        for ep in importlib.metadata.entry_points(group="pytest11")
    )
    args = [] if installed else ["-p", "flask_toolkit.pytest_plugin"]
    sys.exit(pytest.main([__file__, "-q", "-p", "no:cacheprovider", *args]))
