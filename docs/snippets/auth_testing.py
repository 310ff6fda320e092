from flask import Flask

from flask_toolkit import require_permission
from flask_toolkit import Toolkit
from flask_toolkit.testing import identity_client
from flask_toolkit.testing import IdentityClient

app = Flask(__name__)
app.config.update(TESTING=True, SECRET_KEY="test")
toolkit = Toolkit(app)


@app.delete("/tasks/<int:task_id>")
@require_permission("tasks:delete")
def delete_task(task_id):
    return "", 204


# In a test: requests made as an identity with chosen permissions, no users needed.
client = identity_client(app, 7, ["tasks:*"])
assert client.delete("/tasks/1").status_code == 204
assert client.as_identity(8, ["tasks:read"]).delete("/tasks/1").status_code == 403
assert client.anonymous().delete("/tasks/1").status_code == 401

# Or make it the app's test client class, e.g. in a pytest fixture.
app.test_client_class = IdentityClient
client = app.test_client().as_identity("ops", ["*"])
assert client.delete("/tasks/2").status_code == 204
