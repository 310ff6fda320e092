"""``db.session_scope()``: a unit of work that commits, or rolls back and re-raises.

A hand-written session context that re-raises a *new* exception built from the old
one's message loses its type and traceback. :class:`SessionScope`
never raises anything of its own on the way out: when the block failed, the exception
that leaves the ``with`` statement is the original object, with its original traceback.

How scopes behave:

* The **outermost** scope opens a new session from the app's session factory (its own
  connection and transaction, separate from ``db.session``), and at the end commits
  (``commit=True``) or rolls back (``commit=False``), then closes the session.
* A scope opened **inside** another one, in the same app context, joins the outer
  scope's session and wraps its block in a ``SAVEPOINT``. When the inner block fails,
  only its own changes are undone and the exception goes on to the outer block, which
  may catch it and carry on. When it succeeds, its changes become part of the outer
  transaction and are written when the outermost scope commits.
* ``commit=False`` means "this block's writes are not kept": the outermost scope rolls
  back instead of committing, an inner one rolls back its savepoint. Use it for reads.
* When the block raised, the rollback is attempted; if the rollback fails too, that
  failure is logged (logger ``flask_toolkit.session``) and the block's exception is
  the one raised.
* Sessions come from a factory with ``expire_on_commit=False``, so the column values of
  objects loaded or written in a scope can be read after it ends.
"""

from __future__ import annotations

import logging
import types
import typing as t

import sqlalchemy.orm as sa_orm
from flask import g

logger = logging.getLogger("flask_toolkit.session")

#: Key on ``g`` of the stack of sessions of the scopes open in this app context.
_SCOPES_KEY = "_toolkit_session_scopes"


class SessionScope:
    """Context manager behind :meth:`~flask_toolkit.db.Database.session_scope`.

    See the module doc for how scopes nest.

    :param factory: makes the session of an outermost scope.
    :param commit: commit when the block succeeds; ``False`` discards its writes.
    """

    def __init__(
        self,
        factory: t.Callable[[], sa_orm.Session],
        *,
        commit: bool = True,
    ) -> None:
        self._factory = factory
        self._commit = commit
        self._session: sa_orm.Session | None = None
        self._savepoint: sa_orm.SessionTransaction | None = None

    def __enter__(self) -> sa_orm.Session:
        if self._session is not None:
            raise RuntimeError(
                "This session scope is already in use; call 'db.session_scope()' again"
                " for each 'with' block."
            )
        stack: list[sa_orm.Session] = g.setdefault(_SCOPES_KEY, [])
        if stack:
            session = stack[-1]
            _begin_sqlite_transaction(session)
            self._savepoint = session.begin_nested()
        else:
            session = self._factory()
        stack.append(session)
        self._session = session
        return session

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> t.Literal[False]:
        session = self._session
        assert session is not None, "__exit__ without __enter__"
        self._session = None
        stack: list[sa_orm.Session] = g.get(_SCOPES_KEY, [])
        if stack and stack[-1] is session:
            stack.pop()
        try:
            if exc is None:
                self._finish(session)
            else:
                self._rollback_quietly(session, exc)
        finally:
            if self._savepoint is None:
                self._close_quietly(session, failing=exc is not None)
            self._savepoint = None
        # Never swallow, never replace: the block's exception propagates unchanged.
        return False

    def _finish(self, session: sa_orm.Session) -> None:
        """End a block that did not raise: commit (or release), or discard."""
        try:
            if self._savepoint is not None:
                if self._commit:
                    self._savepoint.commit()
                else:
                    self._savepoint.rollback()
            elif self._commit:
                session.commit()
            else:
                session.rollback()
        except BaseException as error:
            # The commit itself failed (a constraint, a lost connection): that error is
            # the one to raise, after undoing what can be undone.
            self._rollback_quietly(session, error)
            raise

    def _rollback_quietly(self, session: sa_orm.Session, exc: BaseException) -> None:
        """Roll back after ``exc``; a failure here is logged, never raised."""
        try:
            if self._savepoint is not None:
                # Still the innermost savepoint also when a failed flush deactivated
                # it (then it must be rolled back all the same); not once it is closed.
                if session.get_nested_transaction() is self._savepoint:
                    self._savepoint.rollback()
            else:
                session.rollback()
        except Exception:
            logger.exception(
                "Rolling back the session after %s failed as well; the original"
                " error is raised.",
                type(exc).__name__,
            )

    @staticmethod
    def _close_quietly(session: sa_orm.Session, *, failing: bool) -> None:
        try:
            session.close()
        except Exception:
            if not failing:
                raise
            logger.exception("Closing the session after an error failed as well.")


def _begin_sqlite_transaction(session: sa_orm.Session) -> None:
    """Make sure SQLite really is in a transaction before a ``SAVEPOINT``.

    The ``sqlite3`` module only sends ``BEGIN`` before the first INSERT, UPDATE or
    DELETE. A ``SAVEPOINT`` sent outside a transaction starts one of its own, and
    releasing it then *commits* — so the outer scope could no longer roll back what an
    inner scope wrote. Sending ``BEGIN`` ourselves first keeps the savepoint nested.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection is not None and not getattr(
        dbapi_connection, "in_transaction", True
    ):
        connection.exec_driver_sql("BEGIN")


def current_scope_session() -> sa_orm.Session | None:
    """The session of the innermost open scope in this app context, if any."""
    stack: list[sa_orm.Session] = g.get(_SCOPES_KEY, [])
    return stack[-1] if stack else None
