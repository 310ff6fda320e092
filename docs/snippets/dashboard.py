from __future__ import annotations

import re

from flask import Flask

from flask_toolkit import Identity
from flask_toolkit import Toolkit

toolkit = Toolkit()

# The dashboard is never public: it needs an identity loader, like the API.
OPERATORS = {
    "ops": ["scheduler:read", "scheduler:write"],  # looks and acts
    "support": ["scheduler:read"],  # looks only
}


@toolkit.auth.identity_loader
def load_identity(user_id):
    permissions = OPERATORS.get(user_id)
    return None if permissions is None else Identity(user_id, permissions)


@toolkit.scheduler.task("cron", id="nightly-report", hour=3, minute=0)
def nightly_report() -> None:
    print("report sent")


app = Flask(__name__)
app.config.update(
    SECRET_KEY="change me",
    SQLALCHEMY_DATABASE_URI="sqlite:///app.sqlite",
    SCHEDULER_DASHBOARD_ENABLED=True,  # pages at /scheduler/dashboard/
    SCHEDULER_AUTOSTART=False,  # this script only looks at the pages
)
toolkit.init_app(app)

with app.app_context():
    ops = {"Authorization": "Bearer " + toolkit.auth.issue_token("ops")}
    support = {"Authorization": "Bearer " + toolkit.auth.issue_token("support")}
client = app.test_client()

# Anybody else gets a 401 page (or, with AUTH_LOGIN_VIEW, the login form).
assert client.get("/scheduler/dashboard/").status_code == 401

page = client.get("/scheduler/dashboard/", headers=support).get_data(as_text=True)
assert "cron: at 03:00" in page  # the trigger, in words
assert 'data-action="run"' not in page  # read-only: no buttons

page = client.get("/scheduler/dashboard/", headers=ops).get_data(as_text=True)
token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
# Every action is a form post with the page's CSRF token.
answer = client.post(
    "/scheduler/dashboard/jobs/nightly-report/pause",
    data={"csrf_token": token},
    headers=ops,
)
assert answer.status_code == 303
with app.app_context():
    assert toolkit.scheduler.get_job("nightly-report").next_run_time is None
