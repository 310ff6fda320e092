"""A small app with every kind of protected route, shared by the auth tests."""

from __future__ import annotations

import dataclasses
import typing as t

from flask import Blueprint
from flask import Flask
from flask import redirect
from flask import request
from flask.views import MethodView

from flask_toolkit import current_identity
from flask_toolkit import Identity
from flask_toolkit import login_required
from flask_toolkit import login_user
from flask_toolkit import logout_user
from flask_toolkit import public
from flask_toolkit import require_permission
from flask_toolkit import Toolkit
from flask_toolkit.auth import validated_next
from flask_toolkit.errors import api_blueprint
from flask_toolkit.errors import APIError


@dataclasses.dataclass
class FakeUser:
    id: int
    permissions: list[str]
    version: int = 1
    active: bool = True


def identity_of(user: FakeUser) -> Identity:
    return Identity(user.id, user.permissions, user=user, version=user.version)


def owns_object(identity: Identity, obj_id: int) -> bool:
    return obj_id == identity.id


class ReportView(MethodView):
    @require_permission("reports:read")
    def get(self) -> dict[str, t.Any]:
        return {"reports": [], "who": current_identity.id}

    @require_permission("reports:write")
    def post(self) -> dict[str, t.Any]:
        return {"created": True}


class AsyncView(MethodView):
    @require_permission("reports:read")
    async def get(self) -> dict[str, t.Any]:
        return {"async": True, "who": current_identity.id}


@require_permission("admin:settings")
class SettingsView(MethodView):
    def get(self) -> dict[str, t.Any]:
        return {"settings": {}}


def build(app: Flask, toolkit: Toolkit) -> dict[int, FakeUser]:
    """Register the routes and an identity loader over a dict of users."""
    users = {
        1: FakeUser(1, ["tasks:read"]),
        2: FakeUser(2, ["tasks:*", "reports:read"]),
        3: FakeUser(3, ["*"]),
        4: FakeUser(4, []),
    }

    @toolkit.auth.identity_loader
    def load(user_id: t.Any) -> Identity | None:
        user = users.get(user_id) if isinstance(user_id, int) else None
        if user is None or not user.active:
            return None
        return identity_of(user)

    app.config.update(AUTH_CREDENTIAL_STORE="memory", AUTH_LOGIN_VIEW="login_page")
    api = api_blueprint(Blueprint("api", __name__, url_prefix="/api"))

    @api.get("/public")
    @public
    def open_to_all() -> dict[str, t.Any]:
        return {"who": current_identity.id}

    @api.get("/me")
    @login_required
    def me() -> dict[str, t.Any]:
        return {
            "id": current_identity.id,
            "method": current_identity.method,
            "permissions": sorted(current_identity.permissions),
        }

    @api.get("/me-called")
    @login_required()
    def me_called() -> dict[str, t.Any]:
        return {"id": current_identity.id}

    @api.route("/tasks", methods=["GET", "POST"])
    @require_permission("tasks:read")
    def tasks() -> dict[str, t.Any]:
        if request.method == "POST":
            return {"created": True}
        return {"tasks": []}

    @api.post("/tasks/write")
    @require_permission("tasks:write")
    def write_task() -> dict[str, t.Any]:
        return {"written": True}

    @api.route("/tasks/<int:task_id>", methods=["PUT", "PATCH", "DELETE"])
    @require_permission("tasks:write")
    def change_task(task_id: int) -> dict[str, t.Any]:
        return {"id": task_id, "method": request.method}

    @api.get("/both")
    @require_permission("tasks:read", "reports:read")
    def both() -> dict[str, t.Any]:
        return {"ok": True}

    @api.get("/either")
    @require_permission("reports:read", "admin:users", any_of=True)
    def either() -> dict[str, t.Any]:
        return {"ok": True}

    @api.get("/objects/<int:obj_id>")
    @require_permission("tasks:read", check=owns_object)
    def get_object(obj_id: int) -> dict[str, t.Any]:
        return {"id": obj_id}

    @api.get("/async")
    @require_permission("tasks:read")
    async def async_view() -> dict[str, t.Any]:
        return {"async": True, "who": current_identity.id}

    async def async_owner(identity: Identity, obj_id: int) -> bool:
        return obj_id == identity.id

    @api.get("/async-objects/<int:obj_id>")
    @require_permission("tasks:read", check=async_owner)
    async def async_object(obj_id: int) -> dict[str, t.Any]:
        return {"id": obj_id}

    @api.get("/undecorated")
    def undecorated() -> dict[str, t.Any]:
        return {"who": current_identity.id}

    @api.route(
        "/preflight", methods=["GET", "OPTIONS"], provide_automatic_options=False
    )
    @login_required
    def preflight() -> tuple[str, int]:
        return ("", 204) if request.method == "OPTIONS" else ("got", 200)

    api.add_url_rule("/reports", view_func=ReportView.as_view("reports"))
    api.add_url_rule("/settings", view_func=SettingsView.as_view("settings"))
    api.add_url_rule("/async-reports", view_func=AsyncView.as_view("async_reports"))

    @api.post("/login")
    @public
    def login() -> dict[str, t.Any]:
        data = request.get_json()
        user = users.get(data.get("id"))
        if user is None or data.get("password") != "secret":
            raise APIError(401, "Wrong user or password.")
        login_user(identity_of(user))
        return {"token": toolkit.auth.issue_token(identity_of(user))}

    @api.post("/logout")
    @login_required
    def logout() -> dict[str, t.Any]:
        logout_user()
        return {"bye": True}

    @api.post("/revoke")
    @login_required
    def revoke() -> dict[str, t.Any]:
        toolkit.auth.revoke_current()
        return {"revoked": True}

    app.register_blueprint(api)

    # The object rule on a whole Blueprint: every view under it checks ownership.
    owned = require_permission("tasks:read", check=owns_object)(
        api_blueprint(Blueprint("owned", __name__, url_prefix="/api/owned"))
    )

    @owned.get("/<int:obj_id>")
    def owned_object(obj_id: int) -> dict[str, t.Any]:
        return {"id": obj_id}

    app.register_blueprint(owned)

    @app.get("/login")
    @public
    def login_page() -> t.Any:
        if request.args.get("as"):
            login_user(identity_of(users[int(request.args["as"])]))
            return redirect(validated_next())
        return "login form"

    @app.get("/dashboard")
    @login_required
    def dashboard() -> str:
        return f"hello {current_identity.id}"

    return users
