"""In a real browser, every page loads under its Content-Security-Policy with nothing blocked.

The server-side test (tests/test_csp.py) reads each page's markup for what the policy would block;
this one loads the pages in chromium and listens: a console error, an uncaught script error, a
failed request or a ``securitypolicyviolation`` event on any of them fails the test. The policy
itself must allow no inline script, however it is written.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import sign_in
from tests.test_csp import policy_of

PASSWORD = "correct horse battery staple"


def script_sources(header: str) -> list[str]:
    """The sources scripts may come from: script-src, or default-src where there is none."""
    directives = {}
    for part in header.split(";"):
        name, _, sources = part.strip().partition(" ")
        directives[name] = sources.split()
    return directives.get("script-src", directives.get("default-src", []))


def assert_no_inline_script(header: str) -> None:
    sources = script_sources(header)
    assert sources, f"no script-src or default-src in {header!r}"
    assert "'unsafe-inline'" not in sources
    assert "'unsafe-eval'" not in sources
    assert "'unsafe-hashes'" not in sources
    assert "*" not in sources and "data:" not in sources


def test_admin_sign_in_and_index_load_with_nothing_blocked(page, buyer):
    response = page.open("/admin/login/")

    assert response.status == 200
    assert_no_inline_script(response.headers["content-security-policy"])
    page.page.fill("#id_username", "buyer")
    page.page.fill("#id_password", PASSWORD)
    with page.page.expect_navigation():
        page.page.click("input[type=submit]")
    page.page.wait_for_load_state("load")
    assert page.page.url == page.base_url + "/admin/"
    assert page.page.locator("#site-name").inner_text() == "Supplier gateway"
    page.page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 50))")
    page.screenshot("admin-index")
    assert page.problems() == []


@pytest.mark.parametrize(
    "path", ["/admin/procurement/procurementexception/", "/admin/procurement/purchaseorder/", "/admin/password_change/"]
)
def test_admin_pages_load_with_nothing_blocked(page, buyer, path):
    sign_in(page, buyer)

    response = page.open(path)

    assert response.status == 200
    assert_no_inline_script(response.headers["content-security-policy"])
    assert page.problems() == []


def test_api_docs_render_swagger_ui_with_nothing_blocked(page, db):
    response = page.open("/api/docs/")

    assert response.status == 200
    assert_no_inline_script(response.headers["content-security-policy"])
    # Swagger UI builds the page from the schema with its script: the operations appear only if it ran.
    page.page.wait_for_selector(".opblock", timeout=15_000)
    assert page.page.locator(".opblock").count() > 10
    page.screenshot("api-docs")
    assert page.problems() == []


def test_a_violation_is_seen_when_there_is_one(page, db):
    """The watch itself works: an inline script injected into a page under the policy is reported."""
    page.open("/admin/login/")

    page.page.evaluate(
        """() => { const s = document.createElement("script"); s.textContent = "window.ran = 1";
                   document.body.appendChild(s); }"""
    )
    page.page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 50))")

    assert page.page.evaluate("() => window.ran") is None
    assert [v["directive"] for v in page.violations] == ["script-src-elem"]


def test_the_policy_header_is_the_one_the_server_side_test_knows(page, db):
    response = page.open("/admin/login/")

    assert policy_of_headers(response.headers) == EXPECTED


EXPECTED = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def policy_of_headers(headers: dict) -> dict[str, str]:
    return policy_of({"Content-Security-Policy": headers["content-security-policy"]})
