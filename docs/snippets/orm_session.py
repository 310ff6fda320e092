from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from flask_toolkit import Toolkit

toolkit = Toolkit()
db = toolkit.db


class Task(db.Model):
    __tablename__ = "task"
    id: Mapped[int] = mapped_column(primary_key=True, init=False)
    title: Mapped[str] = mapped_column(sa.String(200), unique=True)


app = Flask(__name__)
app.testing = True
app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
toolkit.init_app(app)


def titles() -> list[str]:
    with db.session_scope(commit=False) as session:  # a read: nothing is kept
        return list(session.scalars(sa.select(Task.title).order_by(Task.id)))


with app.app_context():
    db.create_all()

    # Success: committed and closed; the object stays readable afterwards.
    with db.session_scope() as session:
        task = Task("Write the docs")
        session.add(task)
    assert task.id == 1 and task.title == "Write the docs"

    # Failure: rolled back, and the *same* exception comes out, traceback intact.
    error = ValueError("out of coffee")
    try:
        with db.session_scope() as session:
            session.add(Task("Never stored"))
            raise error
    except ValueError as caught:
        assert caught is error
    assert titles() == ["Write the docs"]

    # Nesting: the inner scope is a SAVEPOINT inside the outer transaction. Its
    # failure undoes only its own writes; its success is committed by the outer one.
    with db.session_scope() as outer:
        outer.add(Task("Review"))
        try:
            with db.session_scope() as inner:
                inner.add(Task("Write the docs"))  # duplicate title
                inner.flush()
        except sa.exc.IntegrityError:
            pass
        outer.add(Task("Release"))
    assert titles() == ["Write the docs", "Review", "Release"]
