"""A supplier's first admin, end to end in chromium: the invitation link, sign-in by e-mail, the
authenticator set-up the portal requires of admins (the code computed here from the secret shown),
then the PO inbox and the PO page. Every page loads with nothing blocked by the CSP, and axe-core
finds no serious or critical accessibility violation on any of them. Screenshots: GATEWAY_SCREENSHOTS.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone

from suppliers.models import SupplierInvitation, SupplierMembership
from suppliers.services import invitation_token_hash

PASSWORD = "correct horse battery staple"
TOKEN = "first-admin-invitation-token"


def totp_now(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def serious_violations(page) -> list[str]:
    results = Axe().run(page.page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture
def invitation(supplier):
    now = timezone.now()
    return SupplierInvitation.objects.create(
        supplier=supplier,
        email="bea@bolts.example",
        role=SupplierMembership.Role.ADMIN,
        token_hash=invitation_token_hash(TOKEN),
        created_at=now,
        expires_at=now + dt.timedelta(days=7),
    )


def test_invitation_sign_in_mfa_inbox_and_po_page(page, invitation, published_po):
    p = page.page
    page.open(f"/portal/invitations/accept/{TOKEN}/")
    assert serious_violations(page) == []
    page.screenshot("portal-1-invitation")
    p.fill("#id_first_name", "Bea")
    p.fill("#id_last_name", "Bolt")
    p.fill("#id_password1", PASSWORD)
    p.fill("#id_password2", PASSWORD)
    with p.expect_navigation():
        p.click("button[type=submit]")
    # Accepting signs the new admin in; the portal sends them to set up an authenticator first.
    assert p.url.endswith("/accounts/2fa/totp/activate/") or "/reauthenticate/" in p.url
    with p.expect_navigation():
        p.click("button.link-button")  # sign out, to sign in by e-mail as on any later day

    page.open("/accounts/login/?next=/portal/orders/")
    assert serious_violations(page) == []
    page.screenshot("portal-2-sign-in")
    p.fill("#id_login", "bea@bolts.example")
    p.fill("#id_password", PASSWORD)
    with p.expect_navigation():
        p.click("button[type=submit]")
    p.wait_for_load_state("load")
    # allauth asks for the password again before any change to how one signs in.
    assert p.url.startswith(page.base_url + "/accounts/reauthenticate/")
    assert "Supplier administrators must set up an authenticator app" in p.content()
    p.fill("#id_password", PASSWORD)
    with p.expect_navigation():
        p.click("main button[type=submit]")
    p.wait_for_load_state("load")
    assert p.url == page.base_url + "/accounts/2fa/totp/activate/"
    assert serious_violations(page) == []
    page.screenshot("portal-3-mfa-setup")
    secret = p.input_value("#authenticator_secret")
    p.fill("#id_code", totp_now(secret))
    with p.expect_navigation():
        p.click("form[action='/accounts/2fa/totp/activate/'] button[type=submit]")
    p.wait_for_load_state("load")

    page.open("/portal/orders/")
    assert "Acting for Bolts Inc (BOLTS) as administrator." in p.inner_text(".acting-for")
    assert p.locator("table.data tbody tr").count() == 1
    assert p.inner_text("table.data tbody tr td:last-child").split() == ["New", "Awaiting", "your", "answer"]
    assert serious_violations(page) == []
    page.screenshot("portal-4-inbox")
    with p.expect_navigation():
        p.click("text=PO-1000")
    p.wait_for_load_state("load")
    assert p.inner_text("h1").startswith("Purchase order PO-1000")
    assert p.locator("#lines + .table-scroll table tbody tr").count() == 3
    assert serious_violations(page) == []
    page.screenshot("portal-5-po-page")

    page.open("/portal/orders/")
    assert p.inner_text("table.data tbody tr td:last-child").split() == ["Awaiting", "your", "answer"]
    # Chromium cancels its favicon fetch when the test navigates on straight after a load: not a page's fault.
    assert [problem for problem in page.problems() if not problem.endswith("/static/gateway/favicon.svg")] == []
