"""The demo's page in a real browser, as each of its users: headless Chromium.

A newcomer logs in, meets readable errors next to the fields, adds, edits, finishes
and deletes tasks and browses the projects; the read-only viewer gets no forms; an
anonymous visit leaves nothing in the console. Fixtures: ``tests/_browser.py``.
"""

from __future__ import annotations

import typing as t
from pathlib import Path

from flask import Flask

from tests._browser import console_problems
from tests._browser import log_in
from tests._browser import WAIT

if t.TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

Shot = t.Callable[[str], Path]


def test_anonymous_visit_is_clean(base_url: str, browser: WebDriver) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{base_url}/")
    login_box = browser.find_element(By.ID, "login-box")
    assert "demo@example.com" in login_box.text
    assert browser.find_elements(By.ID, "tasks") == []
    # No 401 from a "who am I" call, no 404 for a favicon, no script error.
    assert console_problems(browser) == []


def test_newcomer_works_with_tasks(
    base_url: str, browser: WebDriver, screenshot: Shot
) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    # The list is drawn again after every change: elements found before may be gone.
    wait = WebDriverWait(
        browser, WAIT, ignored_exceptions=(StaleElementReferenceException,)
    )

    def titles() -> list[str]:
        return t.cast(
            list[str],
            browser.execute_script(
                "return [...document.querySelectorAll('#tasks .title')]"
                ".map(e => e.textContent)"
            ),
        )

    def task(title: str) -> t.Any:
        for item in browser.find_elements(By.CSS_SELECTOR, "#tasks li.task"):
            if item.find_element(By.CSS_SELECTOR, ".title").text == title:
                return item
        raise AssertionError(f"no task {title!r} on the page")

    browser.get(f"{base_url}/")
    form = browser.find_element(By.ID, "login")
    form.find_element(By.NAME, "email").send_keys("demo@example.com")
    form.find_element(By.NAME, "password").send_keys("not the password")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    error = form.find_element(By.CSS_SELECTOR, ".form-error")
    wait.until(lambda d: error.text)
    assert error.text == "Wrong e-mail or password."  # a sentence, not JSON
    # An empty e-mail: the message sits under the e-mail field.
    form.find_element(By.NAME, "email").clear()
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    email_error = form.find_element(By.CSS_SELECTOR, '[data-for="email"]')
    wait.until(lambda d: email_error.text)
    assert email_error.text == "This field is required."
    screenshot("demo-login-errors")

    log_in(browser, base_url, "demo@example.com", "demo")
    empty = wait.until(ec.visibility_of_element_located((By.ID, "no-tasks")))
    assert "No tasks yet. Add the first one above." in empty.text
    # The demo user may not see the job dashboard; only the (public) API docs.
    links = browser.find_elements(By.CSS_SELECTOR, "#links a")
    assert [link.text for link in links] == ["API docs"]

    new_task = browser.find_element(By.ID, "new-task")
    title = new_task.find_element(By.NAME, "title")
    for text in ("Water the plants", "Book the train", "Call the plumber"):
        title.send_keys(text)
        new_task.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait.until(lambda d, text=text: text in titles())
    assert title.get_attribute("value") == ""
    assert not empty.is_displayed()

    # Spaces only: the API strips them; the message is shown under the title field.
    title.send_keys("   ")
    new_task.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    title_error = new_task.find_element(By.CSS_SELECTOR, '[data-for="title"]')
    wait.until(lambda d: title_error.text)
    assert title_error.text == "This field is required."
    assert title.get_attribute("aria-invalid") == "true"
    title.clear()

    # Done, edit, delete.
    task("Water the plants").find_element(By.CSS_SELECTOR, "input").click()
    wait.until(lambda d: "done" in task("Water the plants").get_attribute("class"))
    task("Book the train").find_element(By.CSS_SELECTOR, "[data-action=edit]").click()
    editor = wait.until(
        ec.visibility_of_element_located((By.CSS_SELECTOR, "form.editing"))
    )
    field = editor.find_element(By.NAME, "title")
    field.clear()
    field.send_keys("Book the night train")
    editor.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(lambda d: "Book the night train" in titles())
    task("Call the plumber").find_element(
        By.CSS_SELECTOR, "[data-action=delete]"
    ).click()
    wait.until(lambda d: "Call the plumber" not in titles())
    browser.refresh()  # what the page shows is what the server kept
    wait.until(lambda d: titles() == ["Water the plants", "Book the night train"])
    assert "done" in task("Water the plants").get_attribute("class")
    screenshot("demo-tasks")

    # Projects: the demo user reads them (no create form without projects:write).
    browser.find_element(By.CSS_SELECTOR, "[data-tab=projects]").click()
    view = wait.until(ec.visibility_of_element_located((By.ID, "projects-view")))
    assert "No projects yet." in view.text
    assert browser.find_elements(By.ID, "new-project") == []
    # The refused login and task were answered 401 and 400 on purpose; nothing else
    # failed (no 404, no script error).
    problems = console_problems(browser)
    assert [p for p in problems if "(BAD REQUEST)" not in p and "401" not in p] == []


def test_viewer_gets_a_read_only_board(
    demo_app: Flask, base_url: str, browser: WebDriver, screenshot: Shot
) -> None:
    from examples.taskboard.models import db
    from examples.taskboard.models import Task
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    log_in(browser, base_url, "viewer@example.com", "viewer")
    note = browser.find_element(By.ID, "read-only")
    assert "tasks:write" in note.text
    assert browser.find_elements(By.ID, "new-task") == []
    WebDriverWait(browser, WAIT).until(
        lambda d: d.find_element(By.ID, "no-tasks").is_displayed()
    )
    assert browser.find_element(By.ID, "no-tasks").text == "No tasks yet."
    links = browser.find_elements(By.CSS_SELECTOR, "#links a")
    assert [link.text for link in links] == ["API docs"]

    with demo_app.app_context():  # a colleague adds tasks
        db.session.add_all([Task(title="Plan the sprint"), Task(title="Ship it")])
        db.session.commit()
    browser.refresh()
    WebDriverWait(browser, WAIT).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "#tasks li.task")) == 2
    )
    item = browser.find_element(By.CSS_SELECTOR, "#tasks li.task")
    assert "Plan the sprint" in item.text
    assert not item.find_element(By.CSS_SELECTOR, "input").is_enabled()
    assert item.find_elements(By.CSS_SELECTOR, "[data-action]") == []
    assert not browser.find_element(By.ID, "no-tasks").is_displayed()
    screenshot("demo-viewer")
    # The dashboard refuses the viewer with a page that says why.
    browser.get(f"{base_url}/scheduler/dashboard/")
    assert "403" in browser.find_element(By.TAG_NAME, "h1").text
    assert "scheduler:read" in browser.find_element(By.TAG_NAME, "main").text
