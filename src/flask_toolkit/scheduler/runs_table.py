"""The run-history table: its columns, and the unique index that makes a claim
exactly-once (used by :mod:`.history`)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from .ids import MAX_ID_LENGTH

_DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
#: Job ids compare with case on MySQL/MariaDB too (a binary collation: a plain type that
#: Alembic renders without imports of ours; see :mod:`.ids` for the job store's column).
_JobId = sa.String(MAX_ID_LENGTH).with_variant(
    mysql.VARCHAR(MAX_ID_LENGTH, collation="utf8mb4_bin"), "mysql", "mariadb"
)


def create_table(table: sa.Table, engine: sa.Engine) -> None:
    """Create ``table`` if missing, also when other processes do the same right now."""
    try:
        table.create(engine, checkfirst=True)
    except sa.exc.DBAPIError:
        # Two processes both saw no table; one CREATE lost. Fine if the table is there.
        if not sa.inspect(engine).has_table(table.name, schema=table.schema):
            raise


def claim_index(table: sa.Table) -> sa.Index:
    """The unique index that makes a run's claim exactly-once."""
    return next(i for i in table.indexes if i.name == f"uq_{table.name}_claim"[:64])


def make_table(name: str) -> sa.Table:
    """The history table, on its own metadata."""
    table = sa.Table(
        name,
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("job_id", _JobId, nullable=False, index=True),
        sa.Column("scheduled_run_time", _DateTime, nullable=True, index=True),
        sa.Column("started_at", _DateTime, nullable=True),
        sa.Column("finished_at", _DateTime, nullable=True),
        sa.Column("duration", sa.Float, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("traceback", sa.Text, nullable=True),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
    )
    sa.Index(
        f"uq_{name}_claim"[:64],
        table.c.job_id,
        table.c.scheduled_run_time,
        unique=True,
    )
    return table
