"""Every portal URL against every persona, with the exact status and nothing written on a refusal.

Personas: BOLTS' admin, member and read-only person; NUTS' admin (another supplier); ACME's buyer;
anonymous. BOLTS' order, member and invitation are "not found" for NUTS' admin, like missing ones.
"""

import re

import pytest

from notifications.models import Notification, NotificationPreference
from portal.models import PurchaseOrderSeen
from portal.notices import EVENTS, notifications_sweep
from procurement.models import AuditEvent
from suppliers.models import SupplierInvitation, SupplierMembership

from .conftest import PASSWORD, sign_in_with_mfa

pytestmark = pytest.mark.django_db

PERSONAS = ["bolts_admin", "bolts_member", "bolts_reader", "nuts_admin", "buyer", None]

# (name, method, path template, post data, {persona: status}). 302 for anonymous is the sign-in redirect.
SIGN_IN = 302
CASES = [
    ("home", "get", "/portal/", {}, dict(bolts_admin=200, bolts_member=200, bolts_reader=200, nuts_admin=200)),
    ("inbox", "get", "/portal/orders/", {}, dict(bolts_admin=200, bolts_member=200, bolts_reader=200, nuts_admin=200)),
    (
        "order",
        "get",
        "/portal/orders/{po}/",
        {},
        dict(bolts_admin=200, bolts_member=200, bolts_reader=200, nuts_admin=404),
    ),
    ("people", "get", "/portal/people/", {}, dict(bolts_admin=200, bolts_member=403, bolts_reader=403, nuts_admin=200)),
    (
        "switch",
        "post",
        "/portal/switch/",
        {"supplier": "NUTS"},
        dict(bolts_admin=302, bolts_member=302, bolts_reader=302, nuts_admin=302),
    ),
    (
        "invite",
        "post",
        "/portal/people/invite/",
        {"email": "x@bolts.example", "role": "member"},
        dict(bolts_admin=302, bolts_member=403, bolts_reader=403, nuts_admin=302),
    ),
    (
        "role",
        "post",
        "/portal/people/{member}/",
        {"action": "role", "role": "read_only"},
        dict(bolts_admin=302, bolts_member=403, bolts_reader=403, nuts_admin=404),
    ),
    (
        "deactivate",
        "post",
        "/portal/people/{member}/",
        {"action": "deactivate"},
        dict(bolts_admin=302, bolts_member=403, bolts_reader=403, nuts_admin=404),
    ),
    (
        "revoke",
        "post",
        "/portal/invitations/{invitation}/revoke/",
        {},
        dict(bolts_admin=302, bolts_member=403, bolts_reader=403, nuts_admin=404),
    ),
    (
        "notifications",
        "get",
        "/portal/notifications/",
        {},
        dict(bolts_admin=200, bolts_member=200, bolts_reader=200, nuts_admin=200),
    ),
    (
        "notification_settings",
        "post",
        "/portal/notifications/settings/",
        dict.fromkeys(EVENTS, "digest"),
        dict(bolts_admin=302, bolts_member=302, bolts_reader=302, nuts_admin=302),
    ),
    (
        "notifications_read",
        "post",
        "/portal/notifications/read/",
        {},
        dict(bolts_admin=302, bolts_member=302, bolts_reader=302, nuts_admin=302),
    ),
    (
        "notification_open",
        "post",
        "/portal/notifications/{notification}/open/",
        {},
        dict(bolts_admin=404, bolts_member=302, bolts_reader=404, nuts_admin=404),
    ),
]
# A write that is let through changes something (audited); "switch" only changes the session.
WRITES = {"invite", "role", "deactivate", "revoke", "notification_settings", "notification_open"}


def snapshot():
    """Everything a portal request could write."""
    return (
        list(SupplierInvitation.objects.order_by("pk").values_list("pk", "state")),
        list(SupplierMembership.objects.order_by("pk").values_list("pk", "role", "active")),
        AuditEvent.objects.count(),
        PurchaseOrderSeen.objects.count(),
        list(Notification.objects.order_by("pk").values_list("pk", "read_at")),
        list(NotificationPreference.objects.order_by("pk").values_list("person_id", "event", "email")),
    )


@pytest.fixture
def world(request, published_po, bolts_admin, bolts_member, bolts_reader, nuts_admin, buyer, bolts_invitation):
    member = SupplierMembership.objects.get(user=bolts_member)
    notifications_sweep()
    notification = Notification.objects.get(person=bolts_member)
    return {
        "po": published_po.pk,
        "member": member.pk,
        "invitation": bolts_invitation[0].pk,
        "notification": notification.pk,
    }


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name, method, path, data, expected", CASES, ids=[case[0] for case in CASES])
def test_portal_url_answers_each_persona_exactly(request, client, world, persona, name, method, path, data, expected):
    if persona is not None:
        sign_in_with_mfa(client, request.getfixturevalue(persona))
    status = expected.get(persona, 403) if persona is not None else SIGN_IN
    before = snapshot()

    response = getattr(client, method)(path.format(**world), data)

    assert response.status_code == status
    if persona is None:
        assert response["Location"].startswith("/accounts/login/?next=/portal/")
    if status in (403, 404) or persona is None:
        assert snapshot() == before
    elif name in WRITES:
        assert snapshot() != before


def test_a_refused_write_of_another_supplier_changes_nothing_of_bolts(client, world, nuts_admin):
    sign_in_with_mfa(client, nuts_admin)
    before = snapshot()

    client.post(f"/portal/people/{world['member']}/", {"action": "role", "role": "admin"})
    client.post(f"/portal/people/{world['member']}/", {"action": "deactivate"})
    client.post(f"/portal/invitations/{world['invitation']}/revoke/")

    assert snapshot() == before


def test_an_admin_without_an_authenticator_is_sent_to_set_one_up(client, supplier):
    from portal.tests.conftest import person

    admin = person("fresh-admin", supplier, SupplierMembership.Role.ADMIN)
    client.post("/accounts/login/", {"login": admin.email, "password": PASSWORD})

    response = client.get("/portal/orders/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    # Setting one up asks for the password again, as allauth does before any change to the second factor.
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert re.findall(r'<p class="lead" id="why-second-factor">([^<]+)</p>', page.content.decode()) == [
        "Supplier admins must use a second factor: set up an authenticator app or a security key to continue."
    ]


def test_the_recovery_codes_page_offers_its_two_actions_as_separate_buttons(client, bolts_admin):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    RecoveryCodes.activate(bolts_admin)
    sign_in_with_mfa(client, bolts_admin)

    client.post("/accounts/reauthenticate/", {"password": PASSWORD})

    page = client.get("/accounts/2fa/recovery-codes/").content.decode()

    assert re.findall(r'<li><a class="button[^"]*" href="([^"]+)">([^<]+)</a></li>', page) == [
        ("/accounts/2fa/recovery-codes/download/", "Download codes"),
        ("/accounts/2fa/recovery-codes/generate/", "Generate new codes"),
    ]
    assert '<ul class="button-row" id="recovery-code-actions">' in page


def test_an_inactive_membership_gives_no_access(client, bolts_member):
    SupplierMembership.objects.filter(user=bolts_member).update(active=False)
    client.force_login(bolts_member)

    assert client.get("/portal/").status_code == 403


def test_the_accept_page_is_public_but_needs_a_valid_token(client, bolts_invitation):
    _, token = bolts_invitation

    assert client.get(f"/portal/invitations/accept/{token}/").status_code == 200
    assert client.get("/portal/invitations/accept/not-a-token/").status_code == 404
