from flask import Blueprint
from flask import Flask

from flask_toolkit import api_blueprint
from flask_toolkit import current_identity
from flask_toolkit import Identity
from flask_toolkit import login_required
from flask_toolkit import public
from flask_toolkit import require_permission
from flask_toolkit import Toolkit

app = Flask(__name__)
app.config.update(SECRET_KEY="change me: a long random value", AUTH_DEFAULT_DENY=True)
toolkit = Toolkit(app)

# The app's users; a real app reads them from its database.
USERS = {
    1: {"name": "ada", "permissions": ["tasks:read", "tasks:write"], "version": 1},
    2: {"name": "bob", "permissions": ["tasks:read"], "version": 1},
}


@toolkit.auth.identity_loader
def load_identity(user_id):
    user = USERS.get(user_id)
    if user is None:
        return None  # unknown or disabled: the credential is refused with 401
    return Identity(user_id, user["permissions"], user=user, version=user["version"])


api = api_blueprint(Blueprint("api", __name__, url_prefix="/api"))


@api.get("/health")
@public
def health():
    return {"ok": True}


@api.get("/me")
@login_required
def me():
    return {"name": current_identity.user["name"]}


@api.post("/tasks")
@require_permission("tasks:write")
def create_task():
    return {"created": True}, 201


@api.get("/undecorated")
def forgotten():
    return {"oops": True}


app.register_blueprint(api)

client = app.test_client()
with app.app_context():
    ada = toolkit.auth.issue_token(load_identity(1), expires_in=3600)
    bob = toolkit.auth.issue_token(load_identity(2))

assert client.get("/api/health").json == {"ok": True}

# Anonymous: 401 with a Bearer challenge, in the envelope.
response = client.get("/api/me")
assert response.status_code == 401
assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'
assert response.json["code"] == -1

# A token: who is calling, and what they may do.
as_ada = {"Authorization": f"Bearer {ada}"}
as_bob = {"Authorization": f"Bearer {bob}"}
assert client.get("/api/me", headers=as_ada).json == {"name": "ada"}
assert client.post("/api/tasks", headers=as_ada).status_code == 201
assert client.post("/api/tasks", headers=as_bob).status_code == 403

# Default-deny: a route nobody annotated is refused.
assert client.get("/api/undecorated", headers=as_ada).status_code == 403

# Revoke one token; or bump the user's version to invalidate all of them.
with app.app_context():
    toolkit.auth.revoke_token(bob)
assert client.get("/api/me", headers=as_bob).status_code == 401
USERS[1]["version"] = 2  # e.g. after a password change
assert client.get("/api/me", headers=as_ada).status_code == 401
