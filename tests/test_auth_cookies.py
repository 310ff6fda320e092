"""The session cookie of a toolkit app behaves as Flask's own, request for request."""

from __future__ import annotations

import typing as t

import pytest
from flask import Flask
from flask import session
from flask.sessions import SecureCookieSessionInterface

from flask_toolkit import Toolkit


def routes(app: Flask) -> Flask:
    app.config.update(SECRET_KEY="cookie tests", AUTH_CREDENTIAL_STORE="memory")

    @app.get("/untouched")
    def untouched() -> str:
        return "ok"

    @app.get("/read")
    def read() -> dict[str, t.Any]:
        return {"who": session.get("who")}

    @app.post("/write/<who>")
    def write(who: str) -> str:
        session["who"] = who
        return "ok"

    @app.post("/clear")
    def clear() -> str:
        session.clear()
        return "ok"

    return app


def toolkit_app(tmp_path: t.Any) -> Flask:
    app = routes(Flask("toolkit_app", instance_path=str(tmp_path)))
    Toolkit(app)
    return app


SCENARIO = [
    ("GET", "/untouched"),
    ("GET", "/read"),
    ("POST", "/write/ada"),
    ("GET", "/read"),
    ("GET", "/untouched"),
    ("POST", "/clear"),
    ("GET", "/read"),
    ("POST", "/write/bob"),
]


def answers(app: Flask) -> list[tuple[t.Any, ...]]:
    client = app.test_client()
    seen = []
    for method, path in SCENARIO:
        response = client.open(path, method=method)
        cookie = response.headers.get("Set-Cookie", "")
        seen.append(
            (
                response.status_code,
                response.get_data(as_text=True),
                response.headers.get("Vary"),
                cookie.split("=", 1)[0],
                "Expires=Thu, 01 Jan 1970" in cookie,  # a deleted cookie
            )
        )
    return seen


def test_same_cookies_and_headers_as_flask(tmp_path: t.Any) -> None:
    ours = answers(toolkit_app(tmp_path))
    assert ours == answers(routes(Flask("plain_app")))
    assert ours[3][1] == '{"who":"ada"}\n'  # the cookie written was read back
    assert ours[6][1] == '{"who":null}\n'  # and the cleared one forgotten


def test_a_cookie_signed_with_another_key_is_ignored(tmp_path: t.Any) -> None:
    other = routes(Flask("other_app"))
    other.config["SECRET_KEY"] = "another key"
    written = other.test_client().post("/write/mallory").headers["Set-Cookie"]
    cookie = written.split(";", 1)[0]  # "session=<signed value>"
    client = toolkit_app(tmp_path).test_client(use_cookies=False)
    assert client.get("/read", headers={"Cookie": cookie}).json == {"who": None}
    other_client = other.test_client(use_cookies=False)
    assert other_client.get("/read", headers={"Cookie": cookie}).json == {
        "who": "mallory"
    }


@pytest.mark.parametrize("when", ["before", "after"])
def test_an_app_keeps_its_own_session_interface(tmp_path: t.Any, when: str) -> None:
    class Custom(SecureCookieSessionInterface):
        pass

    app = routes(Flask("custom_app", instance_path=str(tmp_path)))
    if when == "before":
        app.session_interface = Custom()
    Toolkit(app)
    if when == "after":
        app.session_interface = Custom()
    assert type(app.session_interface) is Custom
    client = app.test_client()
    client.post("/write/ada")
    assert client.get("/read").json == {"who": "ada"}
