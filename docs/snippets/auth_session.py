from urllib.parse import unquote

from flask import Flask
from flask import redirect
from flask import render_template_string
from flask import request
from werkzeug.security import check_password_hash
from werkzeug.security import generate_password_hash

from flask_toolkit import current_identity
from flask_toolkit import Identity
from flask_toolkit import login_required
from flask_toolkit import login_user
from flask_toolkit import logout_user
from flask_toolkit import public
from flask_toolkit import Toolkit
from flask_toolkit.auth import validated_next

app = Flask(__name__)
app.config.update(SECRET_KEY="change me: a long random value", AUTH_LOGIN_VIEW="login")
toolkit = Toolkit(app)

PASSWORDS = {"ada": generate_password_hash("correct horse")}


@toolkit.auth.identity_loader
def load_identity(user_id):
    return Identity(user_id, ["notes:read"]) if user_id in PASSWORDS else None


LOGIN_FORM = """<form method="post">
  <input name="csrf_token" type="hidden" value="{{ csrf_token() }}">
  <input name="username"> <input name="password" type="password">
</form>"""


@app.route("/login", methods=["GET", "POST"])
@public
def login():
    if request.method == "POST":
        name = request.form.get("username", "")
        stored = PASSWORDS.get(name)
        if stored and check_password_hash(stored, request.form.get("password", "")):
            login_user(Identity(name))  # a new session: nothing from before survives
            return redirect(validated_next(default="/notes"))  # 400 for "//evil"
    return render_template_string(LOGIN_FORM)


@app.post("/logout")
@login_required
def logout():
    logout_user()  # also revokes the session id: a copied cookie stops working
    return redirect("/login")


@app.route("/notes", methods=["GET", "POST"])
@login_required
def notes():
    return f"notes of {current_identity.id}"


client = app.test_client()

# An HTML caller is sent to the login page, with where it wanted to go.
response = client.get("/notes")
assert response.status_code == 302
assert unquote(response.headers["Location"]) == "/login?next=/notes"

# The login form carries a CSRF token; a login posted without it is refused, so a
# page on another site cannot log a visitor in to someone else's account.
page = client.get("/login").text
login_token = page.split('value="')[1].split('"')[0]
form = {"username": "ada", "password": "correct horse"}
assert client.post("/login", data=form).status_code == 400
client.post("/login?next=/notes", data={**form, "csrf_token": login_token})
assert client.get("/notes").text == "notes of ada"

# Unsafe requests authenticated by the cookie need the CSRF token ...
assert client.post("/notes").status_code == 400
# ... which a page embeds with csrf_token() and sends back in a field or header.
page = client.get("/login").text
token = page.split('value="')[1].split('"')[0]
assert client.post("/notes", headers={"X-CSRFToken": token}).status_code == 200

# An open redirect through "next" is refused.
browser = app.test_client()
page = browser.get("/login").text
bad = browser.post(
    "/login?next=//evil.example",
    data={**form, "csrf_token": page.split('value="')[1].split('"')[0]},
    headers={"Accept": "application/json"},
)
assert bad.status_code == 400
assert "relative path" in bad.json["msg"]
