"""Headless Chromium driving the demo, for the browser tests (a pytest plugin).

The demo is served for real (Werkzeug's server in a thread, SQLite in ``tmp_path``).
Needs Debian's ``chromium`` and ``chromium-driver`` (``bash .ci/servers.sh`` installs
them); without them the tests are skipped, or fail under ``TOOLKIT_REQUIRE_SERVERS=1``.

Screenshots go to ``$TOOLKIT_SCREENSHOT_DIR`` when it is set (CI keeps them as
artifacts; the docs' images are made this way), else to the test's ``tmp_path``; each
path is printed.
"""

from __future__ import annotations

import os
import threading
import typing as t
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests._servers import REQUIRE_ENV
from tests._servers import servers_required

if t.TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
#: Seconds an explicit wait allows the page before the test fails.
WAIT = 15
#: Where screenshots go (default: the test's tmp_path).
SCREENSHOT_ENV = "TOOLKIT_SCREENSHOT_DIR"


def browser_missing(detail: str) -> t.NoReturn:
    """Skip because the browser is missing, or fail when servers are required."""
    reason = (
        f"Chromium is not available: {detail}. Install it with"
        " 'apt-get install chromium chromium-driver' (or 'bash .ci/servers.sh')."
    )
    if servers_required():
        pytest.fail(
            f"{reason} ({REQUIRE_ENV} is set, so this is a failure.)", pytrace=False
        )
    pytest.skip(f"{reason} (Set {REQUIRE_ENV}=1 to fail instead of skipping.)")


@pytest.fixture
def demo_app(tmp_path: Path) -> t.Iterator[Flask]:
    """The demo app on SQLite in ``tmp_path``; its scheduler is shut down after."""
    from examples.taskboard import create_app

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'demo.db'}",
        },
        instance_path=str(tmp_path),
    )
    yield app
    close_demo(app)


def close_demo(app: Flask) -> None:
    """Shut a demo app's scheduler down (a demo that is not testing starts it, as in
    production) and close its engine, so nothing of it outlives the test."""
    from examples.taskboard.models import toolkit

    with app.app_context():
        toolkit.scheduler.shutdown(wait=True)
    toolkit.db.get_engine(app).dispose()


@pytest.fixture
def base_url(demo_app: Flask) -> t.Iterator[str]:
    """The demo, served over HTTP on a free port of 127.0.0.1."""
    server = make_server("127.0.0.1", 0, demo_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


@pytest.fixture
def browser(tmp_path: Path) -> t.Iterator[WebDriver]:
    """Headless Chromium with a fresh profile; Selenium Manager never downloads."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        browser_missing(
            "the 'selenium' package is not installed (pip install selenium)"
        )
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            browser_missing(f"{path} does not exist")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
        "--lang=en-US",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(
        options=options, service=Service(executable_path=CHROMEDRIVER)
    )
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def screenshot(browser: WebDriver, tmp_path: Path) -> t.Callable[[str], Path]:
    """``screenshot("name")`` saves the page as ``name.png`` and returns the path."""
    folder = Path(os.environ.get(SCREENSHOT_ENV) or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = folder / f"{name}.png"
        assert browser.save_screenshot(str(path)), f"no screenshot saved at {path}"
        print(f"screenshot: {path}")
        return path

    return take


def console_problems(browser: WebDriver) -> list[str]:
    """Console errors: failed requests (401, 404 favicon ...) and uncaught errors."""
    return [
        entry["message"]
        for entry in browser.get_log("browser")
        if entry["level"] == "SEVERE" or "Uncaught" in entry["message"]
    ]


def log_in(browser: WebDriver, base_url: str, email: str, password: str) -> None:
    """Log in through the page's form and wait for the board."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{base_url}/")
    form = WebDriverWait(browser, WAIT).until(
        ec.visibility_of_element_located((By.ID, "login"))
    )
    form.find_element(By.NAME, "email").send_keys(email)
    form.find_element(By.NAME, "password").send_keys(password)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(browser, WAIT).until(
        ec.text_to_be_present_in_element((By.ID, "who"), email)
    )
