"""The demo's API docs page in headless Chromium: authorize, try a protected call.

The demo is served for real (fixtures and skip rules: ``tests/_browser.py``). The page
is Swagger UI 5 from the ``flask-swagger-ui`` package, on the document the toolkit
generates. Its screenshot is kept like the other browser tests' (``screenshot``
fixture: ``TOOLKIT_SCREENSHOT_DIR`` when set, else ``tmp_path``; the path is printed).
"""

from __future__ import annotations

import json
import typing as t
import urllib.request
from pathlib import Path

import pytest

from tests._browser import WAIT

if t.TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.remote.webelement import WebElement


def demo_token(url: str) -> str:
    request = urllib.request.Request(
        url + "/api/auth/token",
        data=json.dumps({"email": "demo@example.com", "password": "demo"}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=WAIT) as answer:
        return t.cast(str, json.load(answer)["token"])


def test_docs_page_authorizes_and_tries_a_protected_endpoint(
    base_url: str, browser: WebDriver, screenshot: t.Callable[[str], Path]
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, WAIT)
    token = demo_token(base_url)
    browser.set_window_size(1280, 1600)
    browser.get(base_url + "/docs")

    def click(selector: str, within: WebElement | None = None) -> WebElement:
        root = within or browser
        element = wait.until(lambda _: root.find_element(By.CSS_SELECTOR, selector))
        wait.until(lambda _: element.is_displayed() and element.is_enabled())
        browser.execute_script("arguments[0].scrollIntoView();", element)
        element.click()
        return t.cast("WebElement", element)

    # The operations come from the generated document; GET /api/tasks needs a token.
    tasks = '.opblock.opblock-get:has([data-path="/api/tasks"])'
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, tasks)))
    assert browser.find_element(By.CSS_SELECTOR, f"{tasks} .authorization__btn")

    # Authorize with the bearer token.
    click(".auth-wrapper .authorize")
    bearer = wait.until(
        lambda d: next(
            (
                box
                for box in d.find_elements(By.CSS_SELECTOR, ".auth-container")
                if "bearerAuth" in box.text
            ),
            None,
        )
    )
    bearer.find_element(By.CSS_SELECTOR, "input").send_keys(token)
    click("button.authorize", within=bearer)
    wait.until(lambda _: "Logout" in bearer.text)
    click(".auth-btn-wrapper .btn-done")

    # Try it out on GET /api/tasks (tasks:read) and execute it.
    block = browser.find_element(By.CSS_SELECTOR, tasks)
    click(".opblock-summary", within=block)
    click(".try-out__btn", within=block)
    click(".execute", within=block)
    status = wait.until(
        lambda _: block.find_element(
            By.CSS_SELECTOR, ".live-responses-table .response .response-col_status"
        )
    )
    wait.until(lambda _: status.text.strip())
    body = block.find_element(By.CSS_SELECTOR, ".live-responses-table .microlight")
    browser.execute_script("arguments[0].scrollIntoView(true);", block)
    screenshot("openapi-docs-try-it-out")
    assert status.text.strip() == "200"
    assert '"items"' in body.text


def test_swagger_ui_4_renders_the_30_document(
    base_url: str, browser: WebDriver, tmp_path: Path
) -> None:
    """Tools still on Swagger UI 4 read ``?version=3.0`` (and cannot read 3.1)."""
    import importlib.util

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    spec = importlib.util.find_spec("swagger_ui_bundle")
    if spec is None or spec.origin is None:
        pytest.skip("swagger-ui-bundle (Swagger UI 4) is not installed")
    vendor = Path(spec.origin).parent / "vendor"
    (bundle,) = vendor.glob("swagger-ui-4.*/swagger-ui-bundle.js")
    wait = WebDriverWait(browser, WAIT)

    def render(version: str) -> str:
        url = f"{base_url}/openapi.json?version={version}"
        with urllib.request.urlopen(url, timeout=WAIT) as answer:
            document = answer.read().decode()
        page = tmp_path / f"swagger-ui-4-{version}.html"
        page.write_text(
            '<!doctype html><meta charset="utf-8"><div id="ui"></div>'
            f'<script charset="utf-8" src="{bundle.as_uri()}"></script>'
            f"<script>SwaggerUIBundle({{spec: {document}, dom_id: '#ui'}});</script>",
            encoding="utf-8",
        )
        browser.get(page.as_uri())
        wait.until(
            lambda d: (
                d.find_elements(By.CSS_SELECTOR, ".opblock")
                or "Unable to render" in d.find_element(By.ID, "ui").text
            )
        )
        return t.cast(str, browser.find_element(By.ID, "ui").text)

    assert "/api/tasks/{task_id}" in render("3.0")
    assert "Unable to render this definition" in render("3.1")
