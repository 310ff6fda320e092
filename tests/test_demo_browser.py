"""The demo's landing page in a real browser: headless Chromium driven by Selenium.

The demo is served for real (Werkzeug's server in a thread, SQLite in ``tmp_path``) and
the page's own JavaScript logs in, adds a task and shows the API's error envelope.
Needs Debian's ``chromium`` and ``chromium-driver`` (``bash .ci/servers.sh`` installs
them); without them the test is skipped, or fails under ``TOOLKIT_REQUIRE_SERVERS=1``.
"""

from __future__ import annotations

import json
import os
import threading
import typing as t
from pathlib import Path

import pytest
from examples.taskboard import create_app
from examples.taskboard.models import toolkit
from werkzeug.serving import make_server

from tests._servers import REQUIRE_ENV
from tests._servers import servers_required

if t.TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
#: Seconds an explicit wait allows the page before the test fails.
WAIT = 15


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
def base_url(tmp_path: Path) -> t.Iterator[str]:
    """The demo, served over HTTP on a free port of 127.0.0.1."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'demo.db'}",
        },
        instance_path=str(tmp_path),
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
        toolkit.db.get_engine(app).dispose()


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


def test_newcomer_logs_in_adds_a_task_and_sees_errors(
    base_url: str, browser: WebDriver
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, WAIT)

    def error_text() -> str:
        """The #error paragraph, once the page has written something into it."""
        wait.until(lambda d: d.find_element(By.ID, "error").text.strip())
        return t.cast(str, browser.find_element(By.ID, "error").text)

    def task_titles() -> list[str]:
        return [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#tasks li")]

    browser.get(f"{base_url}/")
    # Not logged in yet: /api/auth/me answers 401 and the page shows its login form,
    # listing the demo accounts.
    login_box = wait.until(ec.visibility_of_element_located((By.ID, "login-box")))
    assert "demo@example.com" in login_box.text
    form = browser.find_element(By.ID, "login")

    # A wrong password: the envelope's message is shown, still logged out.
    form.find_element(By.NAME, "email").send_keys("demo@example.com")
    form.find_element(By.NAME, "password").send_keys("not the password")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    assert json.loads(error_text()) == "Wrong e-mail or password."
    assert not browser.find_element(By.ID, "new-task").is_displayed()

    # The demo account from the page: logged in on the session cookie.
    password = form.find_element(By.NAME, "password")
    password.clear()
    password.send_keys("demo")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(
        ec.text_to_be_present_in_element(
            (By.ID, "who"), "Logged in as demo@example.com"
        )
    )
    assert browser.find_element(By.ID, "error").text == ""
    assert not login_box.is_displayed()

    # Add a task through the page's form: it appears in the list.
    new_task = wait.until(ec.visibility_of_element_located((By.ID, "new-task")))
    title = new_task.find_element(By.NAME, "title")
    title.send_keys("Water the plants")
    new_task.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(lambda d: task_titles() == ["Water the plants"])
    assert title.get_attribute("value") == ""  # the form was reset

    # Only spaces get past the input's "required"; the API strips them and refuses
    # the empty title, and the page renders the envelope's field messages.
    title.send_keys("   ")
    new_task.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    assert json.loads(error_text()) == {"title": ["This field is required."]}
    assert task_titles() == ["Water the plants"]

    # A reload keeps the session: the page lists the task again.
    browser.refresh()
    wait.until(lambda d: task_titles() == ["Water the plants"])
    assert browser.find_element(By.ID, "who").is_displayed()

    # No JavaScript error on the way (a 401 of /api/auth/me is logged, not thrown).
    uncaught = [
        entry["message"]
        for entry in browser.get_log("browser")
        if "Uncaught" in entry["message"]
    ]
    assert uncaught == []
