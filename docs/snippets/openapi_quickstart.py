from flask import Flask
from wtforms import StringField
from wtforms.validators import DataRequired
from wtforms.validators import Length

from flask_toolkit import Identity
from flask_toolkit import MetaForm
from flask_toolkit import public
from flask_toolkit import require_permission
from flask_toolkit import Toolkit
from flask_toolkit import validate_data

app = Flask(__name__)
app.config.update(
    SECRET_KEY="change me",
    SQLALCHEMY_DATABASE_URI="sqlite://",
    TOOLKIT_API_DOCS=True,  # GET /openapi.json and the page at /docs
    TOOLKIT_API_TITLE="Tasks",
)
toolkit = Toolkit(app)


@toolkit.auth.identity_loader
def load_identity(user_id):
    return Identity(user_id, ["tasks:write"])


class TaskForm(MetaForm):
    title = StringField(validators=[DataRequired(), Length(max=200)])


@app.post("/api/tasks")
@require_permission("tasks:write")
@validate_data(TaskForm)
def create_task(form):
    """Add a task.

    Answers the task as stored.
    """
    return {"title": form.title.data}, 201


@app.get("/api/health")
@public
def health():
    return {"ok": True}


doc = app.test_client().get("/openapi.json").json
assert doc["openapi"] == "3.1.0"
assert doc["info"]["title"] == "Tasks"

op = doc["paths"]["/api/tasks"]["post"]
assert op["summary"] == "Add a task."
# The body is the form's JSON Schema.
body = op["requestBody"]["content"]["application/json"]["schema"]
assert body["required"] == ["title"]
assert body["properties"]["title"]["maxLength"] == 200
# Security and the permission come from @require_permission ...
assert op["security"] == [{"bearerAuth": []}, {"apiKeyAuth": []}, {"sessionCookie": []}]
assert op["x-permissions"] == ["tasks:write"]
# ... and the statuses from what guards the view and what it returns.
assert sorted(op["responses"]) == [
    "201",
    "400",
    "401",
    "403",
    "409",
    "413",
    "415",
    "503",
]
# A public endpoint carries no lock.
assert doc["paths"]["/api/health"]["get"]["security"] == []

# OpenAPI 3.0.3 for tools that only read 3.0.
assert app.test_client().get("/openapi.json?version=3.0").json["openapi"] == "3.0.3"
