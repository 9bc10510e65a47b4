"""A real browser for page tests: Debian's chromium driven by Playwright, against pytest-django's live server.

The browser is the system's (``/usr/bin/chromium``, or ``CHROMIUM_PATH``), installed by apt in CI
(``.ci/run``); Playwright never downloads one. A missing browser fails these tests: they never skip.

Each test gets a fresh browser context (no cookies from another test) and a ``Watched`` page that
records what a person would not see but must not happen: console errors and warnings, uncaught
script errors, failed requests and Content-Security-Policy violations (the page's own
``securitypolicyviolation`` events, reported through a binding that the policy cannot block).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client

from workbench.scorecards import helpers_close

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SHOTS = Path(os.environ.get("GATEWAY_SCREENSHOTS", "/tmp/shots"))

# Runs in every document before its own scripts: forwards each policy violation to the test.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__gatewayCspViolation({
    directive: event.effectiveDirective,
    blocked: event.blockedURI,
    source: event.sourceFile,
    line: event.lineNumber,
    sample: event.sample,
  });
});
"""


@dataclass
class Watched:
    """A Playwright page with what went wrong on it, in the order it happened."""

    page: object
    base_url: str
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    violations: list[dict] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        """Everything recorded: console errors and warnings, script errors, failed requests, CSP violations."""
        return [
            *self.console,
            *self.errors,
            *self.failed_requests,
            *(f"CSP violation: {v}" for v in self.violations),
        ]

    def open(self, path: str):
        """Load ``path`` and wait until the page and its files have loaded; returns the main response."""
        response = self.page.goto(self.base_url + path, wait_until="load")
        # A violation is reported by an event that may fire after load: let the page's tasks run.
        self.page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 50))")
        return response

    def screenshot(self, name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def page(live_server, transactional_db, monkeypatch) -> Iterator[Watched]:
    """A fresh chromium, its own context, one tab, for one test.

    The browser is started per test, after the database is set up, and stopped before it is torn
    down: Playwright's synchronous API runs an asyncio loop on this thread while it is open, and
    Django refuses database calls from a thread with a running loop. Stopped, it leaves none behind
    for the tests that run after these. While it runs, the test's own database calls (fixtures,
    assertions) are not async code, only a thread waiting for the browser, so they are let through.
    """
    if not Path(CHROMIUM_PATH).is_file():
        pytest.fail(
            f"no chromium at {CHROMIUM_PATH}: install it (apt-get install chromium) or set CHROMIUM_PATH",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=["--disable-gpu"])
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        watched = Watched(page=None, base_url=live_server.url)
        context.expose_binding("__gatewayCspViolation", lambda source, violation: watched.violations.append(violation))
        context.add_init_script(REPORT_VIOLATIONS)
        tab = context.new_page()
        watched.page = tab
        tab.on(
            "console",
            lambda message: (
                watched.console.append(f"console {message.type}: {message.text}")
                if message.type in ("error", "warning")
                else None
            ),
        )
        tab.on("pageerror", lambda error: watched.errors.append(f"script error: {error}"))
        # A request the page's own navigation cut short (a favicon still loading when a form posts)
        # fails as net::ERR_ABORTED; that is the browser's normal behaviour, not a broken resource.
        tab.on(
            "requestfailed",
            lambda request: (
                watched.failed_requests.append(f"request failed: {request.url} ({request.failure})")
                if request.failure != "net::ERR_ABORTED"
                else None
            ),
        )
        tab.on(
            "response",
            lambda response: (
                watched.failed_requests.append(f"{response.status} for {response.url}")
                if response.status >= 400
                else None
            ),
        )
        try:
            yield watched
        finally:
            context.close()
            browser.close()
            requests_finished()
            # The KPI pages read on helper threads too (``workbench.scorecards``), which keep theirs.
            helpers_close()
            # Django keeps a connection per async context: the one this test used while the loop ran
            # is not the thread's usual one, and would stay open past the test database's teardown.
            connections.close_all()


def requests_finished(timeout: float = 5.0) -> None:
    """Wait for the live server's request threads to end: each closes its database connection as it
    ends, and one still open when the tests finish keeps the test database from being dropped."""
    deadline = time.monotonic() + timeout
    for thread in threading.enumerate():
        if "process_request_thread" in thread.name:
            thread.join(max(0.0, deadline - time.monotonic()))


def sign_in(watched: Watched, user) -> None:
    """Give the browser a signed-in session for ``user`` without the sign-in form (tests of the form use it)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    watched.page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": watched.base_url}]
    )


@pytest.fixture
def acme_demo(company, buyer):
    """ACME's demo materials (its engineering change effective 2027-02-01 at Monterrey), its stock
    (reconciled at noon on 2027-01-10: two variances) and a planner."""
    import datetime as dt

    from materials.demo import inventory_demo_seed, materials_demo_seed
    from procurement import factories
    from procurement.models import CompanyMembership

    factories.PlantFactory(company=company, code="DET", name="Detroit assembly")
    factories.PlantFactory(company=company, code="MTY", name="Monterrey machining")
    planner = factories.BuyerFactory(username="planner", first_name="Pat", last_name="Planner", is_superuser=False)
    factories.CompanyMembershipFactory(company=company, user=planner, role=CompanyMembership.Role.PLANNER)
    materials_demo_seed(company=company, today=dt.date(2027, 1, 10))
    inventory_demo_seed(company=company, today=dt.date(2027, 1, 10), now=dt.datetime(2027, 1, 10, 12, 0, tzinfo=dt.UTC))
    return {"buyer": buyer, "planner": planner}


@pytest.fixture
def demo_buyer(transactional_db, tmp_path, settings):
    """The demo's data, as ``demo_seed`` loads it for a first look, and its buyer."""
    import io

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    settings.GATEWAY_FILE_ROOT = tmp_path / "files"
    settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = False
    call_command("demo_seed", stdout=io.StringIO())
    return get_user_model().objects.get(username="buyer")
