"""The job dashboard in a real browser: the demo's admin opens it from the board,
pauses, resumes and runs a job and sees the new run; the pages are screenshotted for
the docs (``TOOLKIT_SCREENSHOT_DIR``). Fixtures: ``tests/_browser.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
import typing as t
import zoneinfo
from pathlib import Path

from flask import Flask

from tests._browser import console_problems
from tests._browser import WAIT

if t.TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

Shot = t.Callable[[str], Path]
ROOT = Path(__file__).resolve().parent.parent


def test_admin_runs_a_job_from_the_dashboard(
    demo_app: Flask,
    base_url: str,
    browser: WebDriver,
    screenshot: Shot,
    tmp_path: Path,
) -> None:
    from examples.taskboard.models import toolkit

    with demo_app.app_context():  # the demo's scheduler leads, as in production
        toolkit.scheduler.start()
        me = toolkit.scheduler.leader_info()
    deadline = time.monotonic() + WAIT
    while not is_leader(demo_app):
        assert time.monotonic() < deadline, "the demo's scheduler never led"
        time.sleep(0.05)
    # A second process of the demo on the same database stands by.
    standby = start_standby(demo_app, tmp_path)
    try:
        check_the_dashboard(browser, base_url, screenshot, me, standby.pid)
    finally:
        assert standby.stdin is not None
        standby.stdin.close()
        try:
            standby.wait(20)
        except subprocess.TimeoutExpired:
            standby.kill()
            standby.wait()


def is_leader(app: Flask) -> bool:
    from examples.taskboard.models import toolkit

    with app.app_context():
        return bool(toolkit.scheduler.leader_info()["is_leader"])


def start_standby(app: Flask, tmp_path: Path) -> subprocess.Popen[bytes]:
    """The demo in another process, on the same database, its scheduler started."""
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
    }
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    return subprocess.Popen(
        [sys.executable, "-c", STANDBY, json.dumps(config), str(tmp_path / "standby")],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
    )


STANDBY = """
import json, sys
from examples.taskboard import create_app
from examples.taskboard.models import toolkit
app = create_app(json.loads(sys.argv[1]), instance_path=sys.argv[2])
with app.app_context():
    toolkit.scheduler.start()
sys.stdin.read()  # until the test closes it
with app.app_context():
    toolkit.scheduler.shutdown()
"""


def check_the_dashboard(
    browser: WebDriver,
    base_url: str,
    screenshot: Shot,
    me: dict[str, t.Any],
    standby_pid: int,
) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(
        browser, WAIT, ignored_exceptions=(StaleElementReferenceException,)
    )

    def flash() -> str:
        # Read in one script call: an element found first and read afterwards may
        # belong to a page that has since been replaced.
        return t.cast(
            str,
            browser.execute_script(
                "const e = document.querySelector('.flash');"
                "return e ? e.textContent : '';"
            ),
        )

    def click(action: str) -> None:
        """Press an action's button and wait until its answer page has replaced
        this one (the old page is marked; the new one is not)."""
        browser.execute_script("window.beforeAction = true;")
        browser.find_element(By.CSS_SELECTOR, f"[data-action={action}]").click()
        wait.until(
            lambda d: d.execute_script(
                "return document.readyState === 'complete' && !window.beforeAction;"
            )
        )

    # The viewer is in Paris: next runs are shown in Paris time, then in UTC.
    browser.execute_cdp_cmd(  # type: ignore[attr-defined]
        "Emulation.setTimezoneOverride", {"timezoneId": "Europe/Paris"}
    )
    # Not logged in, the dashboard sends the browser to the board's login form, and
    # back after logging in.
    browser.get(f"{base_url}/scheduler/dashboard/cluster")
    form = wait.until(ec.visibility_of_element_located((By.ID, "login")))
    login_box = browser.find_element(By.ID, "login-box")
    assert "Log in to open /scheduler/dashboard/cluster" in login_box.text
    form.find_element(By.NAME, "email").send_keys("admin@example.com")
    form.find_element(By.NAME, "password").send_keys("admin")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(ec.title_contains("Cluster"))

    browser.get(f"{base_url}/")
    # The admin may create projects, and has the way to the dashboard (and to the API
    # docs, when the app serves them).
    browser.find_element(By.CSS_SELECTOR, "[data-tab=projects]").click()
    new_project = wait.until(ec.visibility_of_element_located((By.ID, "new-project")))
    new_project.find_element(By.NAME, "name").send_keys("Garden")
    new_project.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(lambda d: "Garden" in d.find_element(By.ID, "projects").text)
    new_project.find_element(By.NAME, "name").send_keys("Garden")
    new_project.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    error = new_project.find_element(By.CSS_SELECTOR, ".form-error")
    wait.until(lambda d: error.text)  # the 409 as a sentence, next to the form
    assert "{" not in error.text
    links = {a.text: a for a in browser.find_elements(By.CSS_SELECTOR, "#links a")}
    assert "Job dashboard" in links
    links["Job dashboard"].click()

    # The jobs: triggers in words, next runs in the browser's zone and in UTC.
    wait.until(ec.title_contains("Scheduler dashboard"))
    purge = browser.find_element(By.ID, "job-purge-done-tasks")
    assert "cron: at 03:00" in purge.text
    assert "never run" in purge.text
    reminder = browser.find_element(By.ID, "job-overdue-reminder")
    assert "cron: at 08:00 on Mon-Fri" in reminder.text
    next_run = purge.find_element(By.TAG_NAME, "time")
    wait.until(lambda d: "local" in (next_run.get_attribute("class") or ""))
    # Paris time first (03:00 UTC is 04:00 or 05:00 there), then the UTC text.
    moment = dt.datetime.fromisoformat(t.cast(str, next_run.get_attribute("datetime")))
    in_paris = moment.astimezone(zoneinfo.ZoneInfo("Europe/Paris"))
    assert f"{in_paris:%I:%M:%S}" in next_run.text, next_run.text
    assert next_run.text.endswith("03:00:00 UTC)"), next_run.text
    screenshot("dashboard-jobs")

    purge.find_element(By.LINK_TEXT, "purge-done-tasks").click()
    wait.until(ec.title_contains("purge-done-tasks"))
    assert "No runs yet." in browser.find_element(By.TAG_NAME, "main").text

    click("pause")
    wait.until(lambda d: "Paused job 'purge-done-tasks'." in flash())
    state = browser.find_element(By.CSS_SELECTOR, ".facts .state")
    assert state.text == "paused"
    assert browser.find_elements(By.CSS_SELECTOR, "[data-action=pause]") == []
    click("resume")
    wait.until(lambda d: "Resumed job" in flash())
    assert browser.find_element(By.CSS_SELECTOR, ".facts .state").text == "scheduled"

    click("run")
    wait.until(lambda d: "Started a run of job" in flash())

    def run_shown(driver: t.Any) -> bool:
        if driver.find_elements(By.CSS_SELECTOR, "tr.run-success"):
            return True
        driver.find_element(By.LINK_TEXT, "refresh").click()
        return False

    wait.until(run_shown)
    row = browser.find_element(By.CSS_SELECTOR, "tr.run-success")
    assert "success" in row.text
    assert "1 succeeded" in browser.find_element(By.CSS_SELECTOR, ".chart-legend").text
    assert browser.find_elements(By.CSS_SELECTOR, "svg.chart rect.bar-success")
    screenshot("dashboard-job")

    browser.find_element(By.LINK_TEXT, "Cluster").click()
    wait.until(ec.title_contains("Cluster"))

    def standby_shown(driver: t.Any) -> bool:
        if f"pid {standby_pid}" in driver.find_element(By.ID, "standbys").text:
            return True
        driver.refresh()
        return False

    wait.until(standby_shown)  # from its heartbeat in the database
    cards = browser.find_element(By.CLASS_NAME, "cards").text
    assert "This process leads" in cards
    assert f"{me['host']} pid {me['pid']}" in cards
    assert "file lock" in cards
    assert "not reported yet" not in cards  # when the lease was renewed
    table = browser.find_element(By.ID, "processes")
    rows = [r.text for r in table.find_elements(By.CSS_SELECTOR, "tbody tr")]
    assert len(rows) == 2 and "leader" in rows[0] and "standby" in rows[1], rows
    screenshot("dashboard-cluster")

    # Delete asks first; after it, the job is gone from the list.
    browser.find_element(By.LINK_TEXT, "Jobs").click()
    reminder = wait.until(
        ec.presence_of_element_located((By.ID, "job-overdue-reminder"))
    )
    reminder.find_element(By.CSS_SELECTOR, "[data-action=delete]").click()
    wait.until(ec.alert_is_present()).accept()
    wait.until(lambda d: "Deleted job 'overdue-reminder'." in flash())
    assert browser.find_elements(By.ID, "job-overdue-reminder") == []
    assert browser.find_elements(By.ID, "job-purge-done-tasks")
    assert [p for p in console_problems(browser) if "409" not in p] == []
