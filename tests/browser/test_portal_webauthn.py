"""Security keys (WebAuthn) in a real browser: chromium's virtual authenticator, set up through the
DevTools protocol, stands in for a key plugged into the supplier's computer. allauth's scripts (our own
static files, configured by JSON blocks, nothing inline) run under the portal's CSP.

An admin adds a key as their second factor, signs out, and signs in again with the password and a touch
of the key; a member adds a passkey and signs in with it alone. Screenshots: GATEWAY_SCREENSHOTS.
"""

from __future__ import annotations

from allauth.mfa.models import Authenticator

from portal.tests.conftest import PASSWORD, person
from suppliers.models import SupplierMembership
from tests.browser.test_portal import serious_violations
from tests.browser.test_portal_pages import sign_in_admin


def plug_in_a_key(watched) -> tuple[object, str]:
    """A virtual CTAP2 authenticator on the page's browser: it holds resident keys and verifies its user
    (a fingerprint, say) without asking. Returns the DevTools session and the authenticator's id."""
    cdp = watched.page.context.new_cdp_session(watched.page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def add_key(watched, name: str, *, passkey: bool) -> None:
    tab = watched.page
    watched.open("/accounts/2fa/webauthn/add/")
    # allauth asks for the password again before any change to how one signs in.
    assert tab.url.startswith(watched.base_url + "/accounts/reauthenticate/")
    tab.get_by_label("Password").fill(PASSWORD)
    with tab.expect_navigation():
        tab.get_by_role("button", name="Confirm").click()
    assert tab.url == watched.base_url + "/accounts/2fa/webauthn/add/"
    assert serious_violations(watched) == []
    assert tab.get_by_role("heading", level=1).inner_text() == "Add a security key"
    assert "A security key is a second factor" in tab.inner_text("main")
    watched.screenshot(f"portal-add-security-key-{name}")
    tab.get_by_label("Name of the key").fill(name)
    if passkey:
        tab.get_by_label("Also sign in with this key alone, as a passkey").check()
    with tab.expect_navigation():
        tab.get_by_role("button", name="Add the key", exact=True).click()
    tab.wait_for_load_state("load")


def sign_out(watched) -> None:
    with watched.page.expect_navigation():
        watched.page.get_by_role("button", name="Sign out").click()


def test_admin_adds_a_security_key_and_signs_in_with_it_as_second_factor(page, supplier, published_po):
    admin = person("bea", supplier, SupplierMembership.Role.ADMIN, totp=True)
    sign_in_admin(page, admin)
    cdp, authenticator_id = plug_in_a_key(page)
    tab = page.page

    add_key(page, "Desk key", passkey=False)

    key = Authenticator.objects.get(user=admin, type=Authenticator.Type.WEBAUTHN)
    assert key.wrap().name == "Desk key"
    # Chromium's authenticator reports no credProps for a key that is not resident: allauth lists it as
    # "Unspecified", and it is offered only as a second factor.
    assert key.wrap().is_passwordless is None
    assert len(cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]) == 1
    assert page.open("/accounts/2fa/webauthn/").status == 200
    assert tab.locator("main table tbody tr").count() == 1
    assert "Desk key" in tab.inner_text("main table tbody tr")
    assert serious_violations(page) == []
    page.screenshot("portal-security-keys")
    assert page.open("/accounts/2fa/").status == 200
    assert "You have added 1 security key." in tab.inner_text("main")
    assert serious_violations(page) == []
    page.screenshot("portal-two-factor")

    sign_out(page)
    page.open("/accounts/login/?next=/portal/orders/")
    tab.get_by_label("E-mail address").fill(admin.email)
    tab.get_by_label("Password").fill(PASSWORD)
    with tab.expect_navigation():
        tab.get_by_role("button", name="Sign in", exact=True).click()
    assert tab.url == page.base_url + "/accounts/2fa/authenticate/"
    assert serious_violations(page) == []
    page.screenshot("portal-sign-in-security-key")
    with tab.expect_navigation():
        tab.get_by_role("button", name="Use a security key").click()
    tab.wait_for_load_state("load")

    assert tab.url == page.base_url + "/portal/orders/"
    assert "Acting for Bolts Inc (BOLTS) as administrator." in tab.inner_text(".acting-for")
    key.refresh_from_db()
    assert key.last_used_at is not None
    assert page.problems() == [], "\n".join(page.problems())


def test_member_adds_a_passkey_and_signs_in_with_it_alone(page, supplier, published_po):
    member = person("carl", supplier, SupplierMembership.Role.MEMBER)
    sign_in_admin(page, member)
    cdp, authenticator_id = plug_in_a_key(page)
    tab = page.page

    add_key(page, "Laptop", passkey=True)

    key = Authenticator.objects.get(user=member, type=Authenticator.Type.WEBAUTHN)
    assert key.wrap().is_passwordless is True
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]
    assert [credential["isResidentCredential"] for credential in credentials] == [True]
    sign_out(page)
    assert page.open("/accounts/login/?next=/portal/orders/").status == 200
    assert serious_violations(page) == []
    page.screenshot("portal-sign-in-passkey")
    with tab.expect_navigation():
        tab.get_by_role("button", name="Sign in with a passkey").click()
    tab.wait_for_load_state("load")

    assert tab.url == page.base_url + "/portal/orders/"
    assert "Acting for Bolts Inc (BOLTS) as member." in tab.inner_text(".acting-for")
    assert page.problems() == [], "\n".join(page.problems())
