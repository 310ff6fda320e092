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


app = Flask(__name__)
app.testing = True
# A relative SQLite path is in the instance folder, as with Flask-SQLAlchemy.
app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///cli-demo.sqlite"
toolkit.init_app(app)  # creates nothing: the database does not exist yet
runner = app.test_cli_runner()

# $ flask toolkit create-db
result = runner.invoke(args=["toolkit", "create-db"])
assert result.output.startswith("Created the database sqlite:///")

# $ flask toolkit create-tables
result = runner.invoke(args=["toolkit", "create-tables"])
assert result.output == "Created 1 table(s): task.\n"

# $ flask toolkit drop-tables --yes   (without --yes it asks first)
result = runner.invoke(args=["toolkit", "drop-tables", "--yes"])
assert result.exit_code == 0
with app.app_context():
    assert sa.inspect(db.engine).get_table_names() == []
    # The same steps from code:
    assert db.create_database() is False  # exists already
    db.create_all()
    db.drop_all()
