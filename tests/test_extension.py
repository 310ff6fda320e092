from __future__ import annotations

import pytest
from flask import Flask
from flask import jsonify

from flask_toolkit import Toolkit
from flask_toolkit.extension import get_state


def make_app(name: str, tmp_path: object, **config: object) -> Flask:
    app = Flask(name, instance_path=f"{tmp_path}/{name}")
    app.config.update(TESTING=True, **config)
    return app


def test_direct_registration(tmp_path: object) -> None:
    app = make_app("direct", tmp_path)
    toolkit = Toolkit(app)
    assert get_state(app).toolkit is toolkit
    assert app.config["TOOLKIT_JSON_ERRORS"] == "auto"


def test_factory_pattern_keeps_apps_apart(tmp_path: object) -> None:
    toolkit = Toolkit()

    def create_app(name: str, uri: str) -> Flask:
        app = make_app(name, tmp_path, SQLALCHEMY_DATABASE_URI=uri)
        toolkit.init_app(app)

        @app.get("/db")
        def which_db() -> object:
            return jsonify(str(toolkit.db.engine.url))

        return app

    one = create_app("one", f"sqlite:///{tmp_path}/one.db")
    two = create_app("two", f"sqlite:///{tmp_path}/two.db")
    assert one.test_client().get("/db").json.endswith("one.db")
    assert two.test_client().get("/db").json.endswith("two.db")
    assert not hasattr(toolkit, "app")
    for app in (one, two):
        toolkit.db.get_engine(app).dispose()


def test_second_init_app_raises_with_fix(tmp_path: object) -> None:
    app = make_app("twice", tmp_path)
    toolkit = Toolkit(app)
    with pytest.raises(RuntimeError, match="call 'init_app' once per app"):
        toolkit.init_app(app)
    with pytest.raises(RuntimeError, match="already been registered"):
        Toolkit(app)
    toolkit.db.get_engine(app).dispose()


def test_missing_init_app_says_how_to_fix(tmp_path: object) -> None:
    toolkit = Toolkit()
    app = make_app("bare", tmp_path)
    with app.app_context(), pytest.raises(RuntimeError, match="Did you forget"):
        toolkit.db.engine  # noqa: B018


def test_defaults_do_not_override_app_config(tmp_path: object) -> None:
    app = make_app("cfg", tmp_path, TOOLKIT_API_PREFIXES=("/v1",))
    toolkit = Toolkit(app)
    assert app.config["TOOLKIT_API_PREFIXES"] == ("/v1",)
    toolkit.db.get_engine(app).dispose()


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [
        ("SCHEDULER_API_ENABLE", "SCHEDULER_API_ENABLED"),
        ("TOOLKIT_JSON_ERROR", "TOOLKIT_JSON_ERRORS"),
        ("SQLALCHEMY_DATABASE_URL", "SQLALCHEMY_DATABASE_URI"),
    ],
)
def test_misspelled_key_warns_with_likely_key(
    tmp_path: object, key: str, suggestion: str
) -> None:
    app = make_app("typo", tmp_path, **{key: True})
    with pytest.warns(UserWarning, match=f"{key}.*Did you mean '{suggestion}'"):
        toolkit = Toolkit(app)
    toolkit.db.get_engine(app).dispose()


def test_foreign_and_flask_keys_do_not_warn(tmp_path: object) -> None:
    app = make_app(
        "quiet",
        tmp_path,
        SQLALCHEMY_TRACK_MODIFICATIONS=False,
        SESSION_COOKIE_NAME="s",
        MY_OWN_SETTING=1,
    )
    toolkit = Toolkit(app)  # filterwarnings=error turns any warning into a failure
    toolkit.db.get_engine(app).dispose()


def test_unknown_key_check_can_be_silenced(tmp_path: object) -> None:
    app = make_app(
        "silenced", tmp_path, TOOLKIT_WARN_UNKNOWN_CONFIG=False, TOOLKIT_NOPE=1
    )
    toolkit = Toolkit(app)
    toolkit.db.get_engine(app).dispose()


def test_every_config_key_is_documented() -> None:
    from pathlib import Path

    from flask_toolkit import config

    reference = Path(__file__).parent.parent / "docs" / "config.rst"
    text = reference.read_text(encoding="utf-8")
    missing = [key for key in config.DEFAULTS if f"``{key}``" not in text]
    assert not missing, f"document these keys in docs/config.rst: {missing}"
