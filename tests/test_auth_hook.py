"""The auth ``before_request`` hook is only kept by apps that need it.

Apps here run with ``TESTING`` off (which keeps the hook, for test identities), as in
production: the first request decides, and what the app asks of auth must work the
same whichever way it decided.
"""

from __future__ import annotations

import typing as t

import pytest
from flask import Flask
from wtforms import IntegerField
from wtforms.validators import InputRequired

from flask_toolkit import current_identity
from flask_toolkit import Identity
from flask_toolkit import login_required
from flask_toolkit import MetaForm
from flask_toolkit import public
from flask_toolkit import Toolkit
from flask_toolkit import validate_data
from flask_toolkit.testing import IdentityClient


class CountForm(MetaForm):
    count = IntegerField(validators=[InputRequired()])


def production_app(tmp_path: t.Any, **config: t.Any) -> tuple[Flask, Toolkit]:
    app = Flask(__name__, instance_path=str(tmp_path))
    app.config.update(
        SECRET_KEY="hook tests",
        AUTH_CREDENTIAL_STORE="memory",
        SQLALCHEMY_DATABASE_URI="sqlite://",
        **config,
    )
    toolkit = Toolkit(app)

    @app.get("/me")
    def me() -> dict[str, t.Any]:
        return {"id": current_identity.id}

    return app, toolkit


def toolkit_hooks(app: Flask) -> list[str]:
    return [
        f.__name__
        for f in app.before_request_funcs.get(None, [])
        if f.__module__.startswith("flask_toolkit")
    ]


def test_an_app_using_no_auth_serves_without_the_hook(tmp_path: t.Any) -> None:
    app, _toolkit = production_app(tmp_path)
    client = app.test_client()
    assert client.get("/me").json == {"id": None}
    assert toolkit_hooks(app) == []
    assert client.get("/me").json == {"id": None}


def test_a_loader_set_after_the_first_request_authenticates(tmp_path: t.Any) -> None:
    app, toolkit = production_app(tmp_path)

    @app.before_request
    def later_hook() -> None:  # registered after the toolkit's: keeps running after it
        pass

    client = app.test_client()
    assert client.get("/me").json == {"id": None}
    identities = {7: Identity(7, ["tasks:read"])}
    toolkit.auth.identity_loader(identities.get)
    with app.app_context():
        token = toolkit.auth.issue_token(identities[7])
    answer = client.get("/me", headers={"Authorization": f"Bearer {token}"})
    assert answer.json == {"id": 7}
    forged = client.get("/me", headers={"Authorization": "Bearer forged"})
    assert forged.status_code == 401
    assert [f.__name__ for f in app.before_request_funcs[None]] == [
        "authenticate_request",
        "later_hook",
    ]


def test_an_identity_client_after_the_first_request_is_honoured(
    tmp_path: t.Any,
) -> None:
    app, _toolkit = production_app(tmp_path)
    assert app.test_client().get("/me").json == {"id": None}
    app.testing = True
    client = IdentityClient(app, app.response_class).as_identity(3, ["a:b"])
    assert client.get("/me").json == {"id": 3}


def test_default_deny_without_a_loader_still_denies(tmp_path: t.Any) -> None:
    app, _toolkit = production_app(tmp_path, AUTH_DEFAULT_DENY=True)

    @app.get("/open")
    @public
    def open_view() -> dict[str, t.Any]:
        return {"ok": True}

    client = app.test_client()
    assert client.get("/me").status_code == 401
    assert client.get("/open").json == {"ok": True}
    assert client.get("/me").status_code == 401


@pytest.mark.parametrize("decorators_order", ["auth_outside", "auth_inside"])
def test_rules_without_a_loader_answer_401_before_validation(
    tmp_path: t.Any, decorators_order: str
) -> None:
    app, _toolkit = production_app(tmp_path)

    def view(form: CountForm) -> dict[str, t.Any]:
        return {"count": form.count.data}

    if decorators_order == "auth_outside":
        wrapped = login_required(validate_data(CountForm)(view))
    else:
        wrapped = validate_data(CountForm)(login_required(view))
    app.add_url_rule("/count", "count", wrapped, methods=["POST"])
    client = app.test_client()
    for _ in range(2):
        answer = client.post("/count", json={"count": "not a number"})
        assert answer.status_code == 401
        assert "count" not in answer.get_data(as_text=True)
