"""What Flask-SQLAlchemy users type out of habit, where it cannot work the same.

Each such name fails at once with a message that names the replacement, instead of a
bare ``AttributeError``; the docs page "Coming from Flask-SQLAlchemy" has the table.
"""

from __future__ import annotations

import typing as t

#: Flask-SQLAlchemy's ``Model.query`` and what to write instead.
QUERY_MESSAGE = (
    "{model}.query is Flask-SQLAlchemy's legacy Query API, which flask-toolkit does not"
    " have. Write SQLAlchemy 2.x selects on db.session:"
    " db.session.scalars(sa.select({model}).filter_by(...)).all(),"
    " db.session.get({model}, id) or db.get_or_404({model}, id),"
    " db.first_or_404(sa.select({model}).filter_by(...)),"
    " db.paginate(sa.select({model}).order_by(...))."
)


class NoLegacyQuery:
    """``Model.query``: raises :class:`AttributeError` with the replacement."""

    def __get__(self, obj: object, owner: type | None = None) -> t.NoReturn:
        name = owner.__name__ if owner is not None else "Model"
        raise AttributeError(QUERY_MESSAGE.format(model=name))


#: Flask-SQLAlchemy's ``db.Column``, ``db.relationship`` ... and what to write instead.
REEXPORT_MESSAGE = (
    "db.{name} is Flask-SQLAlchemy's shortcut for {module}.{name}; flask-toolkit does"
    " not copy SQLAlchemy's names onto db. Import it from SQLAlchemy: {module}.{name}"
    " (in a typed model, a column is sqlalchemy.orm.mapped_column(...))."
)


class NoReexports:
    """``db.Column`` and SQLAlchemy's other names on ``db``: :class:`AttributeError`
    naming the import. Any other missing attribute fails as usual.
    """

    if not t.TYPE_CHECKING:  # type checkers keep reporting unknown names on db

        def __getattr__(self, name: str) -> t.NoReturn:
            if not name.startswith("_"):
                import sqlalchemy
                import sqlalchemy.orm

                for module in (sqlalchemy, sqlalchemy.orm):
                    if hasattr(module, name):
                        raise AttributeError(
                            REEXPORT_MESSAGE.format(name=name, module=module.__name__)
                        )
            raise AttributeError(
                f"{type(self).__name__!r} object has no attribute {name!r}"
            )
