from __future__ import annotations

import logging
import typing as t

import pytest
from flask import abort
from flask import Blueprint
from flask import Flask
from flask import request
from flask.testing import FlaskClient
from werkzeug.exceptions import default_exceptions

from flask_toolkit import api_blueprint
from flask_toolkit import APIError
from flask_toolkit import Toolkit
from flask_toolkit.errors import error_response

STATUSES = [400, 401, 403, 404, 405, 409, 413, 415, 422, 500]


@pytest.fixture
def app(tmp_path: object) -> Flask:
    app = Flask("errors", instance_path=f"{tmp_path}/instance")
    app.config.update(TESTING=True, PROPAGATE_EXCEPTIONS=False)
    toolkit = Toolkit(app)

    api = api_blueprint(Blueprint("api", __name__, url_prefix="/v1"))
    pages = Blueprint("pages", __name__, url_prefix="/pages")

    for bp in (api, pages):

        @bp.route("/abort/<int:status>", methods=["GET", "POST"])
        def do_abort(status: int) -> str:
            if status == 500:
                raise ValueError("secret database password in this text")
            abort(status)

        @bp.get("/only-get")
        def only_get() -> str:
            return "ok"

    app.register_blueprint(api)
    app.register_blueprint(pages)

    @app.get("/api/conflict")
    def conflict() -> str:
        raise APIError(409, "A task with this title already exists.")

    @app.get("/api/fields")
    def fields() -> str:
        raise APIError(400, {"title": ["This field is required."]})

    yield app
    toolkit.db.get_engine(app).dispose()


@pytest.mark.parametrize("status", STATUSES)
def test_api_routes_answer_in_envelope(client: FlaskClient, status: int) -> None:
    response = client.get(f"/v1/abort/{status}")
    assert response.status_code == status
    assert response.is_json
    assert response.json["code"] == -1
    assert isinstance(response.json["msg"], str) and response.json["msg"]


@pytest.mark.parametrize("status", STATUSES)
def test_html_routes_keep_flask_pages(client: FlaskClient, status: int) -> None:
    response = client.get(f"/pages/abort/{status}", headers={"Accept": "text/html"})
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert b"<title>" in response.data


def test_unknown_api_path_is_json_404(client: FlaskClient) -> None:
    response = client.get("/api/no/such/thing")
    assert response.status_code == 404
    assert response.json == {
        "code": -1,
        "msg": response.json["msg"],
    }
    assert "not found" in response.json["msg"].lower()


@pytest.mark.parametrize("path", ["/nothing-here", "/apiary", "/api-docs", "/apix/y"])
def test_unknown_html_path_is_html_404(client: FlaskClient, path: str) -> None:
    # "/apiary" starts with the text "/api" but is not under the "/api" prefix.
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.mimetype == "text/html"


@pytest.mark.parametrize("path", ["/api", "/api/", "/api/x/y"])
def test_paths_under_the_api_prefix_get_the_envelope(
    client: FlaskClient, path: str
) -> None:
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.json == {"code": -1, "msg": response.json["msg"]}


def test_json_accept_header_gets_envelope_anywhere(client: FlaskClient) -> None:
    response = client.get("/nothing-here", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json["code"] == -1


def test_405_keeps_allow_header(client: FlaskClient) -> None:
    response = client.post("/v1/only-get")
    assert response.status_code == 405
    assert response.json["code"] == -1
    assert "GET" in response.headers["Allow"]


def test_413_from_max_content_length(app: Flask, client: FlaskClient) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 10

    @app.post("/api/upload")
    def upload() -> str:
        return str(len(request.form))

    response = client.post("/api/upload", data={"data": "x" * 100})
    assert response.status_code == 413
    assert response.json["code"] == -1


def test_api_error_message_reaches_client(client: FlaskClient) -> None:
    response = client.get("/api/conflict")
    assert response.status_code == 409
    assert response.json == {
        "code": -1,
        "msg": "A task with this title already exists.",
    }
    response = client.get("/api/fields")
    assert response.json == {"code": -1, "msg": {"title": ["This field is required."]}}


def test_500_is_logged_and_does_not_leak(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        response = client.get("/v1/abort/500")
    assert response.status_code == 500
    assert "secret" not in response.get_data(as_text=True)
    assert response.json["code"] == -1
    [record] = [r for r in caplog.records if r.exc_info]
    assert record.exc_info is not None and record.exc_info[0] is ValueError


def test_formatter_is_configurable(app: Flask, client: FlaskClient) -> None:
    app.config["TOOLKIT_ERROR_FORMATTER"] = lambda status, msg: {
        "error": {"status": status, "message": msg}
    }
    response = client.get("/v1/abort/404")
    assert response.json["error"]["status"] == 404


@pytest.mark.parametrize(("mode", "is_json"), [(True, True), (False, False)])
def test_json_errors_switch(
    app: Flask, client: FlaskClient, mode: bool, is_json: bool
) -> None:
    app.config["TOOLKIT_JSON_ERRORS"] = mode
    response = client.get("/pages/abort/404", headers={"Accept": "text/html"})
    assert response.is_json is is_json
    response = client.get("/v1/abort/404")
    assert response.is_json is is_json


def test_app_specific_handler_wins(app: Flask, client: FlaskClient) -> None:
    @app.errorhandler(404)
    def not_found(error: Exception) -> tuple[str, int]:
        return "custom", 404

    assert client.get("/v1/abort/404").data == b"custom"


# -- what mutation testing found untested (benchmarks/mutation.py) ---------------------


@pytest.mark.parametrize("status", [400, 404, 405, 409])
def test_envelope_message_is_the_error_description(
    client: FlaskClient, status: int
) -> None:
    response = client.get(f"/v1/abort/{status}")
    assert response.json["msg"] == default_exceptions[status].description


def test_500_message_says_it_was_logged(client: FlaskClient) -> None:
    response = client.get("/v1/abort/500")
    assert response.json == {
        "code": -1,
        "msg": "The server met an unexpected error; the failure was logged.",
    }


@pytest.mark.parametrize(
    "accept", [None, "*/*", "text/html,application/xhtml+xml,*/*;q=0.8"]
)
def test_browsers_and_curl_get_html_pages(
    client: FlaskClient, accept: str | None
) -> None:
    headers = {"Accept": accept} if accept else {}
    response = client.get("/pages/abort/404", headers=headers)
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_a_json_body_gets_the_envelope_on_any_route(client: FlaskClient) -> None:
    response = client.post(
        "/pages/abort/404", json={"a": 1}, headers={"Accept": "text/html"}
    )
    assert response.status_code == 404
    assert response.json["code"] == -1


def test_prefix_with_a_trailing_slash(app: Flask, client: FlaskClient) -> None:
    app.config["TOOLKIT_API_PREFIXES"] = ("/v2/",)
    for path in ("/v2", "/v2/missing"):
        response = client.get(path, headers={"Accept": "text/html"})
        assert response.status_code == 404
        assert response.json["code"] == -1


def test_structured_api_error_on_an_html_route(app: Flask, client: FlaskClient) -> None:
    @app.get("/form-page")
    def form_page() -> str:
        raise APIError(422, {"title": ["Too long."]}, headers={"X-Why": "title"})

    @app.get("/busy-page")
    def busy_page() -> str:
        raise APIError(409, "The board is being archived.")

    response = client.get("/form-page", headers={"Accept": "text/html"})
    assert response.status_code == 422
    assert response.json == {"code": -1, "msg": {"title": ["Too long."]}}
    assert response.headers["X-Why"] == "title"
    page = client.get("/busy-page", headers={"Accept": "text/html"})
    assert (page.status_code, page.mimetype) == (409, "text/html")
    assert b"The board is being archived." in page.data


def test_error_response_headers(app: Flask, client: FlaskClient) -> None:
    @app.get("/api/slow-down")
    def slow_down() -> t.Any:
        return error_response(
            429, "Slow down.", {"Retry-After": "3", "Content-Length": "1"}
        )

    @app.get("/api/upstream")
    def upstream() -> t.Any:
        # Headers copied from another response must not describe this body.
        raise APIError(
            502,
            "The upstream service failed.",
            headers={"content-length": "9999", "Content-Type": "text/plain"},
        )

    response = client.get("/api/slow-down")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"
    assert response.json == {"code": -1, "msg": "Slow down."}
    # A client reads exactly the body's length, not the header it was given.
    assert response.headers["Content-Length"] == str(len(response.get_data()))

    response = client.get("/api/upstream")
    assert response.status_code == 502
    assert response.mimetype == "application/json"
    assert response.headers["Content-Length"] == str(len(response.get_data()))
    assert response.json == {"code": -1, "msg": "The upstream service failed."}


def test_405_on_nested_api_blueprints(app: Flask, client: FlaskClient) -> None:
    outer = Blueprint("outer", __name__, url_prefix="/outer")
    middle = api_blueprint(Blueprint("middle", __name__, url_prefix="/middle"))
    inner = Blueprint("inner", __name__, url_prefix="/inner")
    plain = Blueprint("plain", __name__, url_prefix="/plain")
    child = api_blueprint(Blueprint("child", __name__, url_prefix="/child"))

    @inner.get("/only-get")
    def inner_only_get() -> str:
        return "ok"

    @child.get("/only-get")
    def child_only_get() -> str:
        return "ok"

    middle.register_blueprint(inner)
    outer.register_blueprint(middle)
    plain.register_blueprint(child)
    app.register_blueprint(outer)
    app.register_blueprint(plain)
    html = {"Accept": "text/html"}
    for path in ("/outer/middle/inner/only-get", "/plain/child/only-get"):
        response = client.post(path, headers=html)
        assert response.status_code == 405
        assert response.json["code"] == -1, path
    assert client.get("/outer/missing", headers=html).mimetype == "text/html"
