"""Users, login and API tokens for the demo, on ``toolkit.auth``.

- ``User`` rows keep a password hash (werkzeug.security), a space-separated list of
  permissions and a *credential version*: changing the password increments it, which
  logs the user out everywhere (sessions, tokens and API keys issued before).
- ``POST /api/auth/login`` logs in on the session cookie (for the page) and
  ``POST /api/auth/tokens`` issues a bearer token (for scripts).
- Demo users are created on first start when ``TASKBOARD_DEMO_USERS`` is true (the
  default here; never in production), and ``flask --app examples.taskboard
  create-user`` adds real ones.
"""

from __future__ import annotations

import typing as t

import click
import sqlalchemy as sa
from flask import Blueprint
from flask import Flask
from flask.cli import with_appcontext
from flask_wtf.csrf import generate_csrf
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from werkzeug.security import check_password_hash
from werkzeug.security import generate_password_hash
from wtforms import IntegerField
from wtforms import StringField
from wtforms.validators import DataRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange

from flask_toolkit import api_blueprint
from flask_toolkit import APIError
from flask_toolkit import current_identity
from flask_toolkit import Identity
from flask_toolkit import login_required
from flask_toolkit import login_user
from flask_toolkit import logout_user
from flask_toolkit import MetaForm
from flask_toolkit import public
from flask_toolkit import validate_data

from .models import db
from .models import toolkit

#: Created on first start when ``TASKBOARD_DEMO_USERS`` is true; shown on the page.
DEMO_USERS = [
    ("demo@example.com", "demo", "tasks:read tasks:write projects:read"),
    ("viewer@example.com", "viewer", "tasks:read projects:read"),
    ("admin@example.com", "admin", "*"),
]

#: Demo password -> its hash, made once per process (hashing is slow on purpose).
_demo_hashes: dict[str, str] = {}


class User(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True, init=False)
    email: Mapped[str] = mapped_column(sa.String(200), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255), repr=False)
    #: Space-separated, such as ``"tasks:read tasks:write"``; ``"*"`` is everything.
    permissions: Mapped[str] = mapped_column(sa.String(500), default="")
    credential_version: Mapped[int] = mapped_column(default=1)
    active: Mapped[bool] = mapped_column(default=True)

    def set_password(self, password: str) -> None:
        """Store a new password hash and invalidate every credential issued before."""
        self.password_hash = generate_password_hash(password)
        self.credential_version += 1

    def identity(self) -> Identity:
        return Identity(
            self.id,
            self.permissions.split(),
            user=self,
            version=self.credential_version,
        )


@toolkit.auth.identity_loader
def load_identity(user_id: t.Any) -> Identity | None:
    """User id from a token, API key or session -> who is calling (None: refused)."""
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.active:
        return None
    return user.identity()


def find_user(email: str, password: str) -> User | None:
    user = db.session.scalars(sa.select(User).where(User.email == email)).first()
    if user is None or not user.active:
        # Hash anyway, so unknown e-mails take as long as wrong passwords.
        check_password_hash(_demo_hash("not a real password"), password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


class LoginForm(MetaForm):
    """``POST /api/auth/login`` and ``POST /api/auth/tokens`` without a session."""

    email = StringField(validators=[DataRequired(), Length(max=200)])
    password = StringField(validators=[DataRequired(), Length(max=200)])


class TokenForm(MetaForm):
    """``POST /api/auth/tokens``: how long the token lives, in seconds."""

    expires_in = IntegerField(validators=[NumberRange(min=60, max=30 * 24 * 3600)])


class PasswordForm(MetaForm):
    """``POST /api/auth/password``."""

    password = StringField(validators=[DataRequired(), Length(min=8, max=200)])


auth_api = api_blueprint(Blueprint("auth_api", __name__, url_prefix="/api/auth"))


def user_json() -> dict[str, t.Any]:
    user: User = current_identity.user
    return {
        "id": user.id,
        "email": user.email,
        "permissions": sorted(current_identity.permissions),
        "via": current_identity.method,
    }


@auth_api.post("/login")
@public
@validate_data(LoginForm)
def login(form: LoginForm) -> dict[str, t.Any]:
    """Log in on the session cookie; the answer carries the CSRF token for writes."""
    user = find_user(form.email.data, form.password.data)
    if user is None:
        raise APIError(401, "Wrong e-mail or password.")
    login_user(user.identity())
    return {"user": user_json(), "csrf_token": generate_csrf()}


@auth_api.post("/logout")
@login_required
def logout() -> dict[str, t.Any]:
    logout_user()
    return {"logged_out": True}


@auth_api.get("/me")
@login_required
def me() -> dict[str, t.Any]:
    return {"user": user_json(), "csrf_token": generate_csrf()}


class TokenLoginForm(LoginForm):
    """``POST /api/auth/token``: e-mail, password and an optional lifetime."""

    expires_in = IntegerField(validators=[NumberRange(min=60, max=30 * 24 * 3600)])


@auth_api.post("/token")
@public
@validate_data(TokenLoginForm)
def token_login(form: TokenLoginForm) -> tuple[dict[str, t.Any], int]:
    """For scripts: e-mail and password in, a bearer token out (no cookie)."""
    user = find_user(form.email.data, form.password.data)
    if user is None:
        raise APIError(401, "Wrong e-mail or password.")
    expires_in = form.valid_data.get("expires_in", 3600)
    token = toolkit.auth.issue_token(user.identity(), expires_in=expires_in)
    return {"token": token, "token_type": "Bearer", "expires_in": expires_in}, 201


@auth_api.post("/tokens")
@login_required
@validate_data(TokenForm)
def issue_token(form: TokenForm) -> tuple[dict[str, t.Any], int]:
    """A bearer token for the logged-in user, for scripts: ``Authorization: Bearer``."""
    expires_in = form.valid_data.get("expires_in", 3600)
    token = toolkit.auth.issue_token(current_identity, expires_in=expires_in)
    return {"token": token, "token_type": "Bearer", "expires_in": expires_in}, 201


@auth_api.delete("/tokens/current")
@login_required
def revoke_token() -> tuple[str, int]:
    """Revoke the token (or end the session) this request was made with."""
    toolkit.auth.revoke_current()
    return "", 204


@auth_api.post("/password")
@login_required
@validate_data(PasswordForm)
def change_password(form: PasswordForm) -> dict[str, t.Any]:
    """Change the password: every other session, token and API key stops working."""
    user: User = current_identity.user
    user.set_password(form.password.data)
    db.session.commit()
    if current_identity.method == "session":
        login_user(user.identity())  # keep this browser logged in
    return {"changed": True}


def create_user(email: str, password: str, permissions: str) -> User:
    user = User(email=email, password_hash="", permissions=permissions)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def _demo_hash(password: str) -> str:
    if password not in _demo_hashes:
        _demo_hashes[password] = generate_password_hash(password)
    return _demo_hashes[password]


def seed_demo_users() -> None:
    """Create the :data:`DEMO_USERS` that do not exist yet.

    Idempotent, and safe when several processes start at once (``gunicorn -w 2`` on a
    fresh instance folder): each account is its own transaction, and one that another
    process inserted first (the unique email refuses ours) is left as it is.
    """
    for email, password, permissions in DEMO_USERS:
        if db.session.scalar(sa.select(User.id).filter_by(email=email)) is not None:
            continue
        try:
            with db.session_scope() as session:
                session.add(
                    User(
                        email=email,
                        password_hash=_demo_hash(password),
                        permissions=permissions,
                    )
                )
        except sa.exc.IntegrityError:
            pass  # another process created it a moment ago


@click.command("create-user")
@click.argument("email")
@click.option(
    "--permissions",
    default="tasks:read tasks:write projects:read",
    show_default=True,
    help="Space-separated permissions; '*' for everything.",
)
@click.password_option()
@with_appcontext
def create_user_command(email: str, permissions: str, password: str) -> None:
    """Add a user who can log in to the taskboard."""
    user = create_user(email, password, permissions)
    click.echo(f"Created user {user.id} <{user.email}> with: {permissions}")


def init_app(app: Flask) -> None:
    """Register the auth API and the ``create-user`` command."""
    app.register_blueprint(auth_api)
    app.cli.add_command(create_user_command)
