import datetime as dt

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from wtforms import IntegerField
from wtforms import StringField
from wtforms.validators import DataRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange

from flask_toolkit import Identity
from flask_toolkit import MetaForm
from flask_toolkit import require_permission
from flask_toolkit import responds
from flask_toolkit import Toolkit
from flask_toolkit import validate_data
from flask_toolkit.forms import NotNull

toolkit = Toolkit()
db = toolkit.db


# The model: what is stored. A column left at a None default still appears in
# every answer, as null.
class Task(db.Model):
    __tablename__ = "task"

    id: Mapped[int] = mapped_column(primary_key=True, init=False)
    title: Mapped[str] = mapped_column(sa.String(200))
    priority: Mapped[int] = mapped_column(default=0)
    note: Mapped[str | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime] = mapped_column(
        default_factory=lambda: dt.datetime(2026, 12, 3, 14, 0, tzinfo=dt.timezone.utc)
    )


# One form per resource: POST validates it whole, PATCH partially.
class TaskForm(MetaForm):
    title = StringField(validators=[DataRequired(), Length(max=200)])
    # May be left out (the column has a default), never null: the column is NOT NULL.
    priority = IntegerField(validators=[NotNull(), NumberRange(min=0, max=5)])
    # May be null: the client clears the note.
    note = StringField()


@toolkit.auth.identity_loader
def load_identity(user_id: object) -> Identity | None:
    if user_id == 1:
        return Identity(
            1, ["tasks:*"], version=3
        )  # version: e.g. bumped on password change
    return None


app = Flask(__name__)
app.config.update(
    SECRET_KEY="change me",
    AUTH_CREDENTIAL_STORE="memory",
    SQLALCHEMY_DATABASE_URI="sqlite://",
)
toolkit.init_app(app)


@app.post("/api/tasks")
@require_permission("tasks:write")
@validate_data(TaskForm)
@responds(Task, status=201)
def create_task(form: TaskForm) -> Task:
    task = Task(**form.valid_data)
    db.session.add(task)
    db.session.commit()
    return task


@app.patch("/api/tasks/<int:task_id>")
@validate_data(TaskForm, partial=True)  # the order of these two does not matter:
@require_permission("tasks:write")  # auth always decides first
@responds(Task)
def update_task(task_id: int, form: TaskForm) -> Task:
    task = db.get_or_404(Task, task_id)
    for name, value in form.sent_data.items():  # only what was sent; null clears
        setattr(task, name, value)
    db.session.commit()
    return task


@app.get("/api/tasks")
@require_permission("tasks:read")
@responds(Task, many="page", exclude=["note"], rename={"created_at": "created"})
def list_tasks() -> object:
    return db.paginate(sa.select(Task).order_by(Task.id))


with app.app_context():
    db.create_all()
    # Issued without version=: the token carries the user's current version (3).
    token = toolkit.auth.issue_token(1)

client = app.test_client()
client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"

# One shape per resource: the new task has every column, note and all.
created = client.post("/api/tasks", json={"title": "Dig"})
assert created.status_code == 201
assert created.json == {
    "id": 1,
    "title": "Dig",
    "priority": 0,
    "note": None,
    "created_at": "2026-12-03T14:00:00+00:00",  # RFC 3339, the offset kept
}

# PATCH means PATCH: only what was sent changes, and sent fields are validated.
patched = client.patch("/api/tasks/1", json={"note": "deep"})
assert patched.json == {**created.json, "note": "deep"}
refused = client.patch("/api/tasks/1", json={"priority": None, "title": ""})
assert refused.status_code == 400
assert refused.json["msg"] == {
    "priority": ["This field cannot be null."],
    "title": ["This field is required."],
}

# A POST or PATCH reads the JSON body; a field in the query string is refused.
wrong_place = client.patch("/api/tasks/1?title=x", json={})
assert wrong_place.json["msg"] == {
    "title": ["Unknown field in the query string: send it in the JSON body."]
}

# Anonymous callers get 401 before validation, whatever the decorator order:
# they never learn the form's fields.
anonymous = app.test_client().patch("/api/tasks/1", json={"bad": 1})
assert anonymous.status_code == 401

# The list follows its declaration: a page, without note, created_at renamed.
page = client.get("/api/tasks").json
assert page["items"] == [
    {"id": 1, "title": "Dig", "priority": 0, "created": "2026-12-03T14:00:00+00:00"}
]
assert (page["page"], page["total"]) == (1, 1)
