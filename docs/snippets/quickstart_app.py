from flask import Flask

from flask_toolkit import Toolkit

app = Flask(__name__)
toolkit = Toolkit(app)


@app.get("/api/hello")
def hello() -> dict[str, str]:
    return {"hello": "world"}


client = app.test_client()
assert client.get("/api/hello").json == {"hello": "world"}

# An error on an API route is JSON in the toolkit's envelope, not an HTML page.
response = client.get("/api/no-such-page")
assert response.status_code == 404
assert response.json is not None and response.json["code"] == -1
