"""The portal's main pages in a real browser, as a supplier's admin sees them with something on each:
each answers 200, passes axe-core with no serious or critical violation, and breaks nothing (CSP,
console, requests). Screenshots go to GATEWAY_SCREENSHOTS; ``make readme-screenshots`` writes them
to docs/screenshots/ for the README."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from portal import integrations
from portal.notices import notifications_sweep
from portal.tests.conftest import person, sign_in_with_mfa
from procurement.services.sources import WriteSource
from suppliers.models import SupplierMembership
from tests.browser.test_portal import serious_violations

PAGES = [
    ("portal-home", "/portal/"),
    ("portal-orders", "/portal/orders/"),
    ("portal-order", "/portal/orders/{po}/"),
    ("portal-acknowledge", "/portal/orders/{po}/acknowledge/"),
    ("portal-ship-notice", "/portal/ship-notices/new/"),
    ("portal-invoice", "/portal/orders/{po}/invoice/"),
    ("portal-notifications", "/portal/notifications/"),
    ("portal-notification-settings", "/portal/notifications/settings/"),
    ("portal-integrations", "/portal/integrations/"),
    ("portal-activity", "/portal/activity/"),
    ("portal-scorecard", "/portal/scorecard/"),
]


@pytest.fixture
def admin(supplier):
    return person("bea", supplier, SupplierMembership.Role.ADMIN, totp=True)


def sign_in_admin(watched, user) -> None:
    """A session that passed MFA, as the portal's sign-in leaves it, handed to the browser."""
    client = Client()
    sign_in_with_mfa(client, user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    watched.page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": watched.base_url}]
    )


@pytest.mark.parametrize("name, path", PAGES, ids=[name for name, _ in PAGES])
def test_portal_page_is_accessible_and_clean(page, admin, supplier, published_po, name, path):
    notifications_sweep()
    source = WriteSource("portal", "user bea", admin)
    integrations.api_key_issue(supplier=supplier, name="ERP link", scope="write", source=source)
    sign_in_admin(page, admin)

    response = page.open(path.format(po=published_po.pk))

    assert response.status == 200
    assert serious_violations(page) == []
    page.screenshot(name)
    assert page.problems() == []


def test_the_header_with_the_unread_badge_fits_one_line_at_1280(page, admin, published_po):
    notifications_sweep()
    sign_in_admin(page, admin)
    tab = page.page
    tab.set_viewport_size({"width": 1280, "height": 800})

    assert page.open("/portal/").status == 200

    assert tab.locator("#unread-badge").text_content() == "1 unread"
    assert tab.get_by_role("link", name="Notifications 1 unread").is_visible()
    tops = {round(box["y"]) for box in (li.bounding_box() for li in tab.locator(".site-nav li").all())}
    assert len(tops) == 1, tops
    assert tab.locator(".site-nav li").count() == 10
    nav = tab.locator(".site-nav ul").bounding_box()
    assert nav["x"] + nav["width"] <= 1280
    header = tab.locator(".site-header").bounding_box()
    assert header["height"] < 110, header
    page.screenshot("portal-header-1280")
    assert page.problems() == []


NARROW = 560
NARROW_PAGES = [
    ("portal-orders", "/portal/orders/"),
    ("portal-order", "/portal/orders/{po}/"),
    ("portal-acknowledge", "/portal/orders/{po}/acknowledge/"),
    ("portal-ship-notice", "/portal/ship-notices/new/"),
    ("portal-invoice", "/portal/orders/{po}/invoice/"),
    ("portal-scorecard", "/portal/scorecard/"),
]
# What sticks out past the right edge of the screen, outside any box that scrolls or clips it, named
# by tag, class and right edge, for the failure message.
OVERFLOWING = """() => {
  const width = document.scrollingElement.clientWidth;
  const clipped = (e) => {
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== "visible") return true;
    }
    return false;
  };
  return [...document.body.querySelectorAll("*")]
    .filter((e) => e.getBoundingClientRect().right > width + 0.5 && !clipped(e))
    .map((e) => [e.tagName.toLowerCase(), ...e.classList].join(".") + " " + Math.round(e.getBoundingClientRect().right))
}"""


@pytest.mark.parametrize("name, path", NARROW_PAGES, ids=[name for name, _ in NARROW_PAGES])
def test_portal_page_fits_a_narrow_screen_without_scrolling_sideways(page, admin, published_po, name, path):
    sign_in_admin(page, admin)
    tab = page.page
    tab.set_viewport_size({"width": NARROW, "height": 900})

    assert page.open(path.format(po=published_po.pk)).status == 200

    page.screenshot(f"{name}-{NARROW}")
    sizes = tab.evaluate("() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]")
    assert sizes == [NARROW, NARROW], tab.evaluate(OVERFLOWING)
    assert page.problems() == []
