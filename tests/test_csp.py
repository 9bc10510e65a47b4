"""Every HTML page carries a Content-Security-Policy that allows no inline script or style, and the
pages themselves have none, so the policy breaks nothing."""

from html.parser import HTMLParser

import pytest

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
# Script types a browser runs; anything else (application/json data blocks, as the admin uses) is data.
EXECUTABLE = {"", "text/javascript", "application/javascript", "module"}


class Inline(HTMLParser):
    """What of a page's markup the policy would block: inline scripts, style elements and attributes,
    and event-handler attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.scripts: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag, attrs):
        named = dict(attrs)
        if tag == "script":
            if named.get("src"):
                self.scripts.append(named["src"])
            elif (named.get("type") or "").lower() in EXECUTABLE and "nonce" not in named:
                self.found.append(f"<script> without src at line {self.getpos()[0]}")
        if tag == "style":
            self.found.append(f"<style> at line {self.getpos()[0]}")
        for name, _ in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f"{name}= on <{tag}> at line {self.getpos()[0]}")


def policy_of(response) -> dict[str, str]:
    """The Content-Security-Policy header as {directive: sources} (its directives come in any order)."""
    directives = (part.strip().partition(" ") for part in response["Content-Security-Policy"].split(";"))
    return {name: sources for name, _, sources in directives}


def inline_of(html: str) -> Inline:
    parser = Inline()
    parser.feed(html)
    return parser


@pytest.mark.parametrize(
    "path, signed_in",
    [
        ("/admin/login/", False),
        ("/api/docs/", False),
        ("/admin/", True),
        ("/admin/procurement/procurementexception/", True),
        ("/admin/password_change/", True),
        ("/workbench/sign-in/", False),
        ("/workbench/", True),
        ("/workbench/materials/bom/", True),
        ("/workbench/materials/where-used/", True),
        ("/workbench/materials/releases/", True),
        ("/workbench/materials/held/", True),
    ],
)
def test_every_page_has_the_policy_and_nothing_inline_it_would_block(client, buyer, path, signed_in):
    if signed_in:
        client.force_login(buyer)

    response = client.get(path)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert policy_of(response) == POLICY
    page = inline_of(response.content.decode())
    assert page.found == []
    # The admin's and the API docs' pages run scripts, all from files; the workbench's need none.
    assert bool(page.scripts) == (not path.startswith("/workbench/"))


def test_the_api_docs_load_their_start_script_from_our_own_origin(client, db):
    page = inline_of(client.get("/api/docs/").content.decode())
    start = page.scripts[-1]

    script = client.get(start)

    assert start.startswith("/api/docs/?")
    assert script.status_code == 200
    assert script["Content-Type"] == "application/javascript"
    assert b"SwaggerUIBundle(" in script.content
    assert all(src.startswith("/") for src in page.scripts)


def test_api_answers_carry_the_policy_too(client, db):
    response = client.get("/api/v1/purchase-orders/")

    assert response.status_code == 401

    assert policy_of(response) == POLICY
