from flask import abort
from flask import Blueprint
from flask import Flask

from flask_toolkit import api_blueprint
from flask_toolkit import Toolkit

app = Flask(__name__)
Toolkit(app)

tasks = api_blueprint(Blueprint("tasks", __name__, url_prefix="/v1/tasks"))


@tasks.get("/<int:task_id>")
def get_task(task_id: int) -> dict[str, object]:
    abort(404)


app.register_blueprint(tasks)


@app.get("/about")
def about() -> str:
    abort(404)


client = app.test_client()

# A route of an API blueprint answers in the envelope ...
response = client.get("/v1/tasks/7")
assert response.status_code == 404
assert response.json is not None and response.json["code"] == -1

# ... and so does an unknown path under /api, the default API prefix.
assert client.get("/api/unknown").json["code"] == -1

# A page route keeps Flask's HTML error page for a browser.
page = client.get("/about", headers={"Accept": "text/html"})
assert page.status_code == 404 and page.mimetype == "text/html"
