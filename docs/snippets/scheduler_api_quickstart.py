from __future__ import annotations

from flask import Flask

from flask_toolkit import Identity
from flask_toolkit import Toolkit

toolkit = Toolkit()

# Who may do what: the API needs an identity loader, or it refuses to start.
OPERATORS = {
    "ops": ["scheduler:read", "scheduler:write"],
    "dashboard": ["scheduler:read"],
}


@toolkit.auth.identity_loader
def load_identity(user_id):
    permissions = OPERATORS.get(user_id)
    return None if permissions is None else Identity(user_id, permissions)


# Only registered tasks can be scheduled through the API.
@toolkit.scheduler.register
def send_digest(team: str, urgent: bool = False) -> None:
    print("digest for", team)


app = Flask(__name__)
app.config.update(
    SECRET_KEY="change me",
    SQLALCHEMY_DATABASE_URI="sqlite:///app.sqlite",
    SCHEDULER_API_ENABLED=True,
    SCHEDULER_AUTOSTART=False,  # this script only talks to the API
)
toolkit.init_app(app)

with app.app_context():
    ops = {"Authorization": "Bearer " + toolkit.auth.issue_token("ops")}
    dashboard = {"Authorization": "Bearer " + toolkit.auth.issue_token("dashboard")}
client = app.test_client()

# Flask-APScheduler's job JSON: the trigger's fields beside the job's.
job = {
    "id": "digest",
    "func": "__main__:send_digest",
    "kwargs": {"team": "core"},
    "trigger": "cron",
    "day_of_week": "mon-fri",
    "hour": 9,
}
response = client.post("/scheduler/jobs", json=job, headers=ops)
assert response.status_code == 200
assert response.json["hour"] == "9" and response.json["paused"] is False

# Anything but a registered task is refused, naming the ones that are allowed.
response = client.post(
    "/scheduler/jobs", json={**job, "id": "x", "func": "os:system"}, headers=ops
)
assert response.status_code == 400
assert "'__main__:send_digest'" in response.json["msg"]["func"][0]

# Bad input is a 400 with one message per field, before APScheduler sees anything.
bad = {**job, "id": "y", "hour": "25", "timezone": "Mars/Olympus", "color": "red"}
response = client.post("/scheduler/jobs", json=bad, headers=ops)
assert set(response.json["msg"]) == {"hour", "timezone", "color"}

# Read-only callers can list, one page at a time; they cannot change anything.
response = client.get("/scheduler/jobs?page=1&per_page=20", headers=dashboard)
assert [j["id"] for j in response.json] == ["digest"]
assert response.headers["X-Total-Count"] == "1"
assert client.post("/scheduler/jobs/digest/pause", headers=dashboard).status_code == 403

# Run now, through the executor; the answer says where the run is recorded.
response = client.post("/scheduler/jobs/digest/run", headers=ops)
runs_url = response.json["run"]["runs_url"]
assert runs_url == "/scheduler/jobs/digest/runs"

# The OpenAPI 3.1 document of the whole API.
doc = client.get("/scheduler/openapi.json", headers=dashboard).json
assert doc["openapi"] == "3.1.0"

with app.app_context():
    toolkit.scheduler.shutdown()
