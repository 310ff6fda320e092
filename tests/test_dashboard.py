"""The job dashboard through the test client: who may look and act, CSRF, the pages.

The browser tests (``test_dashboard_browser.py``) drive the same pages in Chromium.
"""

from __future__ import annotations

import html
import re
import time
import typing as t
import urllib.parse
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from flask_toolkit import Toolkit
from flask_toolkit.scheduler.dashboard import trigger_in_words
from tests import _scheduler_api as h

DASH = "/scheduler/dashboard"
FUNC = "tests._scheduler_api:job1"


@h.toolkit.scheduler.register
def explode() -> None:
    raise RuntimeError("the printer is on fire")


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "the page has no action form"
    return html.unescape(match.group(1))


def text(response: t.Any) -> str:
    return t.cast(str, response.get_data(as_text=True))


@pytest.fixture
def dash_app(tmp_path: Path) -> t.Iterator[Flask]:
    app = h.make_app(tmp_path, SCHEDULER_DASHBOARD_ENABLED=True)
    yield app
    h.close(app)


def add(admin: h.Caller, job_id: str, **body: t.Any) -> None:
    if "trigger" not in body:
        body = {"trigger": "interval", "minutes": 5, **body}
    body = {"id": job_id, "func": FUNC, **body}
    assert admin.post("/scheduler/jobs", body).status_code == 200


def wait_for(check: t.Callable[[], bool], seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.05)


def test_off_by_default(tmp_path: Path) -> None:
    app = h.make_app(tmp_path)
    try:
        admin = h.caller(app, "admin")
        assert app.config["SCHEDULER_DASHBOARD_ENABLED"] is False
        assert admin.get(f"{DASH}/").status_code == 404
        assert admin.get(f"{DASH}/cluster").status_code == 404
        assert not any(r.rule.startswith(DASH) for r in app.url_map.iter_rules())
    finally:
        h.close(app)


def test_needs_a_way_to_log_in(tmp_path: Path) -> None:
    app = Flask("no_auth", instance_path=str(tmp_path))
    app.config.update(SECRET_KEY="x", SCHEDULER_DASHBOARD_ENABLED=True)
    with pytest.raises(RuntimeError, match="identity loader"):
        Toolkit().init_app(app)


@pytest.mark.parametrize("allow_anonymous", [False, True])
def test_never_public(tmp_path: Path, allow_anonymous: bool) -> None:
    app = h.make_app(
        tmp_path,
        SCHEDULER_DASHBOARD_ENABLED=True,
        SCHEDULER_API_ALLOW_ANONYMOUS=allow_anonymous,
    )
    try:
        anonymous = h.caller(app, None)
        add(h.caller(app, "admin"), "job")
        if allow_anonymous:  # the REST API is open, the dashboard is not
            assert anonymous.get("/scheduler/jobs").status_code == 200
        for path in (f"{DASH}/", f"{DASH}/cluster", f"{DASH}/jobs/job"):
            response = anonymous.get(path, headers={"Accept": "text/html"})
            assert response.status_code == 401
            assert response.mimetype == "text/html"
            assert "scheduler:read" in text(response)
        response = anonymous.post(f"{DASH}/jobs/job/pause")
        assert response.status_code == 401
        assert h.caller(app, "admin").get("/scheduler/jobs/job").json["paused"] is False
    finally:
        h.close(app)


def test_anonymous_browser_goes_to_the_login_view(tmp_path: Path) -> None:
    app = h.make_app(
        tmp_path, SCHEDULER_DASHBOARD_ENABLED=True, AUTH_LOGIN_VIEW="login"
    )
    app.add_url_rule("/login", "login", lambda: "log in here")
    try:
        response = h.caller(app, None).get(f"{DASH}/cluster")
        assert response.status_code == 302
        location = urllib.parse.urlsplit(response.location)
        assert location.path == "/login"
        query = urllib.parse.parse_qs(location.query)
        assert query == {"next": ["/scheduler/dashboard/cluster"]}
    finally:
        h.close(app)


def test_html_pages_under_an_api_prefix(tmp_path: Path) -> None:
    """Mounted under /api, where errors are JSON, the dashboard still answers pages."""
    app = h.make_app(
        tmp_path, SCHEDULER_DASHBOARD_ENABLED=True, SCHEDULER_API_PREFIX="/api/jobs"
    )
    try:
        for user, status in ((None, 401), ("nobody", 403)):
            response = h.caller(app, user).get("/api/jobs/dashboard/")
            assert response.status_code == status
            assert response.mimetype == "text/html"
        assert h.caller(app, "reader").get("/api/jobs/dashboard/").status_code == 200
        assert h.caller(app, None).get("/api/jobs/jobs").is_json  # the API: JSON
    finally:
        h.close(app)


def test_read_permission_to_look_write_to_act(dash_app: Flask) -> None:
    admin, reader = h.caller(dash_app, "admin"), h.caller(dash_app, "reader")
    nobody = h.caller(dash_app, "nobody")
    add(admin, "report", name="Nightly report")
    assert nobody.get(f"{DASH}/").status_code == 403
    assert "scheduler:read" in text(nobody.get(f"{DASH}/"))
    page = reader.get(f"{DASH}/")
    assert page.status_code == 200
    assert "Nightly report" in text(page)
    assert "read-only" in text(page)
    assert 'data-action="pause"' not in text(page)  # no buttons without write
    job_page = text(reader.get(f"{DASH}/jobs/report"))
    assert "csrf_token" not in job_page
    # Even with a valid CSRF token from an admin's page, the reader cannot act.
    token = csrf_of(text(admin.get(f"{DASH}/")))
    session = session_cookie(admin.client)
    response = reader.post(
        f"{DASH}/jobs/report/pause",
        data={"csrf_token": token},
        headers={"Cookie": f"session={session}"},
    )
    assert response.status_code == 403
    assert admin.get("/scheduler/jobs/report").json["paused"] is False


@pytest.mark.parametrize(
    "token", [None, "", "forged-token"], ids=["missing", "empty", "forged"]
)
def test_every_action_needs_the_csrf_token(dash_app: Flask, token: str | None) -> None:
    admin = h.caller(dash_app, "admin")
    add(admin, "report")
    admin.get(f"{DASH}/")  # a session with a real token exists
    for action in ("pause", "run", "delete"):
        data = {} if token is None else {"csrf_token": token}
        response = admin.post(f"{DASH}/jobs/report/{action}", data=data)
        assert response.status_code == 400
        assert response.mimetype == "text/html"
        assert "CSRF" in text(response)
    job = admin.get("/scheduler/jobs/report").json
    assert job["paused"] is False
    assert admin.get("/scheduler/jobs/report/runs").json == []


def test_admin_pauses_resumes_runs_and_deletes(
    database_url: str, tmp_path: Path
) -> None:
    app = h.make_app(
        tmp_path, SCHEDULER_DASHBOARD_ENABLED=True, SQLALCHEMY_DATABASE_URI=database_url
    )
    try:
        check_actions(app)
    finally:
        h.close(app)


def test_actions_on_a_redis_job_store(
    tmp_path: Path, sqlite_url: str, redis_url: str
) -> None:
    app = h.make_app(
        tmp_path,
        SCHEDULER_DASHBOARD_ENABLED=True,
        SQLALCHEMY_DATABASE_URI=sqlite_url,
        SCHEDULER_JOBSTORES={"default": redis_url},
    )
    try:
        check_actions(app)
    finally:
        h.close(app)


def check_actions(app: Flask) -> None:
    admin = h.caller(app, "admin")
    add(admin, "report", kwargs={"x": "from the dashboard"})
    page = admin.get(f"{DASH}/jobs/report")
    assert "every 5 minutes" in text(page)
    assert "No runs yet." in text(page)
    token = csrf_of(text(page))

    def act(action: str) -> t.Any:
        response = admin.post(
            f"{DASH}/jobs/report/{action}", data={"csrf_token": token}
        )
        assert response.status_code == 303
        return admin.client.get(response.location)

    assert "Paused job &#39;report&#39;." in text(act("pause"))
    assert admin.get("/scheduler/jobs/report").json["paused"] is True
    listing = text(admin.get(f"{DASH}/?state=paused"))
    assert 'id="job-report"' in listing
    assert 'data-action="resume"' in listing
    assert 'id="job-report"' not in text(admin.get(f"{DASH}/?state=scheduled"))
    assert "Resumed job" in text(act("resume"))
    assert admin.get("/scheduler/jobs/report").json["paused"] is False

    h.calls.clear()
    assert "Started a run of job" in text(act("run"))
    wait_for(lambda: "from the dashboard" in h.calls)

    def shows_the_run() -> bool:
        return "status-success" in text(admin.get(f"{DASH}/jobs/report"))

    wait_for(shows_the_run)
    page = text(admin.get(f"{DASH}/jobs/report"))
    assert "1 succeeded" in page
    assert '<rect class="bar-success"' in page
    listing = text(admin.get(f"{DASH}/"))
    assert "status-success" in listing  # the last run, in the list

    response = admin.post(f"{DASH}/jobs/report/delete", data={"csrf_token": token})
    assert response.status_code == 303
    assert response.location == f"{DASH}/"
    assert admin.get("/scheduler/jobs/report").status_code == 404
    # The history outlives the job: its page still shows the run, without actions.
    page = text(admin.get(f"{DASH}/jobs/report"))
    assert "no longer exists" in page
    assert "status-success" in page
    assert 'data-action="run"' not in page


def test_a_failed_run_shows_its_error_and_traceback(dash_app: Flask) -> None:
    admin = h.caller(dash_app, "admin")
    add(admin, "printer", func="tests.test_dashboard:explode")
    page = text(admin.get(f"{DASH}/jobs/printer"))
    admin.post(f"{DASH}/jobs/printer/run", data={"csrf_token": csrf_of(page)})
    wait_for(lambda: "status-error" in text(admin.get(f"{DASH}/jobs/printer")))
    page = text(admin.get(f"{DASH}/jobs/printer?hours=48"))
    assert "the printer is on fire" in page
    assert "in explode" in page  # the traceback, under the error
    assert "0 succeeded" in page and "1 failed" in page
    assert '<rect class="bar-error"' in page
    assert "<strong>48 h</strong>" in page
    assert "status-error" in text(admin.get(f"{DASH}/"))  # the last run, in the list


def test_history_off_is_said(tmp_path: Path) -> None:
    app = h.make_app(
        tmp_path, SCHEDULER_DASHBOARD_ENABLED=True, SCHEDULER_HISTORY_ENABLED=False
    )
    try:
        admin = h.caller(app, "admin")
        add(admin, "report")
        page = text(admin.get(f"{DASH}/jobs/report"))
        assert "The run history is off" in page
        assert "never run" in text(admin.get(f"{DASH}/"))
    finally:
        h.close(app)


def test_jobs_list_describes_each_job(dash_app: Flask) -> None:
    admin = h.caller(dash_app, "admin")
    add(admin, "cleanup", trigger="cron", hour=3, minute=0, day_of_week="mon-fri")
    add(admin, "soon", trigger="interval", minutes=5)
    page = text(admin.get(f"{DASH}/"))
    assert "cron: at 03:00 on Mon-Fri" in page
    assert "every 5 minutes" in page
    assert "never run" in page
    # Next run in UTC on the server; the <time datetime> is what the script localises.
    assert re.search(r'<time datetime="[^"]+\+00:00">\d{4}-\d\d-\d\d [\d:]+ UTC', page)
    assert page.index("job-soon") < page.index("job-cleanup")  # soonest first
    by_id = text(admin.get(f"{DASH}/?sort=-id"))
    assert by_id.index("job-soon") < by_id.index("job-cleanup")


def test_paging_and_bad_filters(dash_app: Flask) -> None:
    admin = h.caller(dash_app, "admin")
    for i in range(3):
        add(admin, f"job{i}", minutes=5 + i)
    first = text(admin.get(f"{DASH}/?per_page=2"))
    assert "Page 1 of 2" in first
    assert "job-job0" in first and "job-job2" not in first
    second = text(admin.get(f"{DASH}/?per_page=2&page=2"))
    assert "job-job2" in second and "job-job0" not in second
    # A bad filter is shown next to its field, and the page still lists the jobs.
    response = admin.get(f"{DASH}/?sort=nonsense&next_run_from=yesterday")
    assert response.status_code == 200
    page = text(response)
    assert page.count('class="field-error"') == 2
    assert "job-job2" in page
    # A parameter the list does not know is named in the message.
    page = text(admin.get(f"{DASH}/?colour=red&per_page=1"))
    assert "Some filters were not understood (colour: " in page
    assert "job-job2" in page
    assert admin.get(f"{DASH}/jobs/missing").status_code == 404


def test_unregistered_jobs_are_marked(
    dash_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = h.caller(dash_app, "admin")
    add(admin, "orphan")
    manager = h.toolkit.scheduler
    original = manager.job_to_dict
    monkeypatch.setattr(
        manager, "job_to_dict", lambda job: {**original(job), "registered": False}
    )
    page = text(admin.get(f"{DASH}/jobs/orphan"))
    assert "not registered" in page
    assert 'data-action="pause"' in page
    assert 'data-action="run"' not in page
    response = admin.post(f"{DASH}/jobs/orphan/run", data={"csrf_token": csrf_of(page)})
    assert response.status_code == 409
    assert admin.get("/scheduler/jobs/orphan/runs").json == []


def test_cluster_page(dash_app: Flask) -> None:
    admin = h.caller(dash_app, "admin")
    with dash_app.app_context():
        h.toolkit.scheduler.start()
        info = h.toolkit.scheduler.leader_info()
    wait_for(lambda: "This process leads" in text(admin.get(f"{DASH}/cluster")))
    page = text(admin.get(f"{DASH}/cluster"))
    assert f"pid {info['pid']}" in page
    assert "file lock" in page
    assert "No other scheduler process has written a heartbeat" in page
    row = page[page.index('<tr class="process') :]
    row = row[: row.index("</tr>")]
    assert f"<td>{info['pid']}</td>" in row and "<strong>leader</strong>" in row


def test_static_files_are_served_by_the_package(dash_app: Flask) -> None:
    admin = h.caller(dash_app, "admin")
    page = text(admin.get(f"{DASH}/"))
    for name in ("dashboard.css", "dashboard.js"):
        assert f"{DASH}/static/{name}" in page
        response = admin.client.get(f"{DASH}/static/{name}")
        assert response.status_code == 200
        response.close()


@pytest.mark.parametrize(
    ("trigger", "words"),
    [
        (IntervalTrigger(minutes=5), "every 5 minutes"),
        (IntervalTrigger(hours=1), "every hour"),
        (IntervalTrigger(hours=1, minutes=30), "every 1 hour 30 minutes"),
        (IntervalTrigger(seconds=10), "every 10 seconds"),
        (
            CronTrigger(hour=3, minute=0, day_of_week="mon-fri"),
            "cron: at 03:00 on Mon-Fri",
        ),
        (CronTrigger(day_of_week="mon-fri", hour=8), "cron: at 08:00 on Mon-Fri"),
        (CronTrigger(minute="*/15"), "cron: every 15 minutes"),
        (CronTrigger(minute=30), "cron: at minute 30 of every hour"),
        (CronTrigger(hour=6, minute=0, day=1), "cron: at 06:00 on day 1 of the month"),
        (CronTrigger(hour=0, minute=0, month="1,7"), "cron: at 00:00 in Jan,Jul"),
        (
            CronTrigger(minute="*/5", hour="9-17"),
            "cron: every 5 minutes during hour 9-17",
        ),
        (
            DateTrigger(run_date="2026-12-03 14:00:00", timezone="UTC"),
            "once, at 2026-12-03 14:00:00 UTC",
        ),
    ],
)
def test_trigger_in_words(trigger: t.Any, words: str) -> None:
    assert trigger_in_words(trigger) == words


def session_cookie(client: t.Any) -> str:
    """The client's session cookie: ``get_cookie`` since Werkzeug 2.3, the
    ``cookie_jar`` before."""
    if hasattr(client, "get_cookie"):
        return t.cast(str, client.get_cookie("session").value)
    return next(c.value for c in client.cookie_jar if c.name == "session")
