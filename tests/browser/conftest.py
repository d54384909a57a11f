"""Browser fixtures: the session app served live by waitress, Debian's Chromium via Playwright, a page watch.

Every page a test opens is watched: a console error (which is also how Chromium reports a CSP violation or a
missing static file), an uncaught script error, or a request to any host but this machine fails the test.
"""
from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from crm_server.core.roles import ensure_reference_data
from crm_server.extensions import db

from ..conftest import _clean_tables

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
ARTIFACTS_DIR = Path(__file__).resolve().parents[2] / "test-artifacts"
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium; without it the browser tests skip, unless CRM_REQUIRE_BROWSER=1 demands them."""
    if CHROMIUM.is_file():
        return str(CHROMIUM)
    message = (f"{CHROMIUM} is missing: install Debian's chromium and fonts-wqy-microhei "
               "(as root: bash scripts/install-system-deps.sh)")
    if os.environ.get("CRM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"CRM_REQUIRE_BROWSER=1 but {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def live_server(_session_app):
    """The session app served by waitress on 127.0.0.1:<free port> in a daemon thread; yields its base URL."""
    import waitress

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "queue depth" notes while a page loads
    server = waitress.create_server(_session_app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    server.task_dispatcher.shutdown(timeout=5)
    thread.join(timeout=5)


@pytest.fixture
def live_app(_session_app, live_server):
    """A clean database (built-in roles only, as the `app` fixture leaves it), CSRF on, setup page open."""
    app = _session_app
    csrf_before = app.config.get("WTF_CSRF_ENABLED", True)
    app.config["WTF_CSRF_ENABLED"] = True  # the browser posts the real forms, tokens and all
    app.extensions.pop("crm_setup_done", None)
    app.extensions.pop("crm_report_cache", None)  # audit ids start again in the cleaned database
    with app.app_context():
        _clean_tables()
        ensure_reference_data()
        db.session.commit()
        db.session.remove()
    yield app
    app.config["WTF_CSRF_ENABLED"] = csrf_before
    app.extensions.pop("crm_setup_done", None)


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=10_000)  # a loaded CI machine on MariaDB can be slower than 5 s
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageWatch:
    """What went wrong while the test's pages were open: console errors, script errors, outside requests."""

    def __init__(self):
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.outside_requests: list[str] = []

    def watch(self, page) -> None:
        page.on("console", lambda msg: msg.type == "error" and self.console_errors.append(
            f"{msg.text} ({msg.location.get('url', '')})"))
        page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))

    def route(self, route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:  # the app must work fully offline: no CDN, font service or analytics
            self.outside_requests.append(route.request.url)
            route.abort()

    def problems(self) -> list[str]:
        return ([f"console error: {e}" for e in self.console_errors]
                + [f"page error: {e}" for e in self.page_errors]
                + [f"request to a non-local host: {u}" for u in self.outside_requests])


@pytest.fixture
def page_watch():
    return PageWatch()


@pytest.fixture
def context(browser, live_app, live_server, page_watch):
    """A fresh browser profile (no cookies) at desktop size whose every page is watched."""
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 800},
                                  locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    context.route("**/*", page_watch.route)
    context.on("page", page_watch.watch)
    yield context
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test, so the page fixture knows whether the test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture
def page(request, context, page_watch):
    """A watched page; the test fails if anything went wrong on any page of its context.

    When the test fails, the page as it was is saved to test-artifacts/failed-<test>.png.
    """
    page = context.new_page()
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed and not page.is_closed():
        ARTIFACTS_DIR.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS_DIR / f"failed-{request.node.name}.png"), full_page=True)
    problems = page_watch.problems()
    if problems:
        pytest.fail("the browser reported problems:\n  " + "\n  ".join(problems), pytrace=False)


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    return ARTIFACTS_DIR
