"""Invitations and people: invite, accept (new account or signed-in person), revoke, expire, roles,
deactivation, the last admin kept, the buyer's first-admin invitation, and the supplier switcher."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone

from procurement.models import AuditEvent
from suppliers.models import SupplierInvitation, SupplierMembership

from .conftest import PASSWORD, person, sign_in_with_mfa

pytestmark = pytest.mark.django_db


def invite(client, email="ana@bolts.example", role="member"):
    return client.post("/portal/people/invite/", {"email": email, "role": role})


def link_token():
    return re.search(r"/portal/invitations/accept/([\w-]+)/", mail.outbox[-1].body).group(1)


def test_an_admin_invites_and_the_new_person_accepts(client, supplier, bolts_admin, django_capture_on_commit_callbacks):
    sign_in_with_mfa(client, bolts_admin)
    with django_capture_on_commit_callbacks(execute=True):
        assert invite(client).status_code == 302
    assert [m.to for m in mail.outbox] == [["ana@bolts.example"]]
    token = link_token()
    client.logout()

    response = client.post(
        f"/portal/invitations/accept/{token}/",
        {"first_name": "Ana", "last_name": "Lopez", "password1": PASSWORD, "password2": PASSWORD},
    )

    assert (response.status_code, response["Location"]) == (302, "/portal/")
    membership = SupplierMembership.objects.get(user__email="ana@bolts.example")
    assert (membership.supplier_id, membership.role, membership.active) == (supplier.pk, "member", True)
    assert SupplierInvitation.objects.get().state == "accepted"
    assert list(AuditEvent.objects.order_by("id").values_list("action", "channel", "actor_label")) == [
        ("supplier.invitation_created", "portal", "user bolts-admin"),
        ("supplier.invitation_accepted", "portal", "user ana@bolts.example"),
        ("supplier.membership_joined", "portal", "user ana@bolts.example"),
    ]
    assert client.get("/portal/").status_code == 200
    # The link works once.
    assert client.get(f"/portal/invitations/accept/{token}/").status_code == 404


def test_revoked_and_expired_invitations_cannot_be_accepted(client, bolts_admin, bolts_invitation):
    invitation, token = bolts_invitation
    SupplierInvitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert client.get(f"/portal/invitations/accept/{token}/").status_code == 404

    SupplierInvitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() + dt.timedelta(days=1))
    sign_in_with_mfa(client, bolts_admin)
    assert client.post(f"/portal/invitations/{invitation.pk}/revoke/").status_code == 302
    client.logout()

    response = client.post(
        f"/portal/invitations/accept/{token}/",
        {"first_name": "N", "last_name": "P", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 404
    assert SupplierInvitation.objects.get().state == "revoked"
    assert not SupplierMembership.objects.filter(user__email="new.person@bolts.example").exists()


def test_an_existing_account_must_sign_in_to_accept(
    client, other_supplier, supplier, bolts_admin, django_capture_on_commit_callbacks
):
    """A NUTS person invited to BOLTS as well: accepting while signed in adds a second membership."""
    nuts = person("both", other_supplier, SupplierMembership.Role.MEMBER)
    sign_in_with_mfa(client, bolts_admin)
    with django_capture_on_commit_callbacks(execute=True):
        invite(client, email=nuts.email, role="read_only")
    token = link_token()
    client.logout()

    anonymous = client.post(
        f"/portal/invitations/accept/{token}/",
        {"first_name": "B", "last_name": "O", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert anonymous.status_code == 400
    assert "already has an account: sign in first" in anonymous.content.decode()
    client.force_login(nuts)
    accepted = client.post(f"/portal/invitations/accept/{token}/")

    assert accepted.status_code == 302
    assert sorted(nuts.supplier_memberships.values_list("supplier__code", "role")) == [
        ("BOLTS", "read_only"),
        ("NUTS", "member"),
    ]
    assert "Acting for <strong>Bolts Inc</strong> (BOLTS) as read only." in client.get("/portal/").content.decode()


def test_the_switcher_changes_the_supplier_acted_for(client, supplier, other_supplier):
    both = person("both", supplier, SupplierMembership.Role.MEMBER)
    SupplierMembership.objects.create(user=both, supplier=other_supplier, role=SupplierMembership.Role.READ_ONLY)
    client.force_login(both)
    assert "Acting for <strong>Bolts Inc</strong> (BOLTS) as member." in client.get("/portal/").content.decode()

    assert client.post("/portal/switch/", {"supplier": "NUTS"}).status_code == 302

    assert "Acting for <strong>Nuts Ltd</strong> (NUTS) as read only." in client.get("/portal/").content.decode()


def test_the_switcher_refuses_a_supplier_the_person_does_not_act_for(client, bolts_member, other_supplier):
    client.force_login(bolts_member)

    client.post("/portal/switch/", {"supplier": "NUTS"})

    assert "Acting for <strong>Bolts Inc</strong>" in client.get("/portal/").content.decode()


def test_roles_and_deactivation_keep_one_active_admin(client, bolts_admin, bolts_member):
    sign_in_with_mfa(client, bolts_admin)
    member = SupplierMembership.objects.get(user=bolts_member)
    own = SupplierMembership.objects.get(user=bolts_admin)

    client.post(f"/portal/people/{member.pk}/", {"action": "role", "role": "read_only"})
    client.post(f"/portal/people/{own.pk}/", {"action": "deactivate"})
    client.post(f"/portal/people/{member.pk}/", {"action": "deactivate"})

    member.refresh_from_db()
    own.refresh_from_db()
    assert (member.role, member.active) == ("read_only", False)
    assert (own.role, own.active) == ("admin", True)
    assert list(AuditEvent.objects.order_by("id").values_list("action", "before", "after")) == [
        (
            "supplier.membership_changed",
            {"role": "member", "active": True},
            {"role": "read_only", "active": True},
        ),
        (
            "supplier.membership_changed",
            {"role": "read_only", "active": True},
            {"role": "read_only", "active": False},
        ),
    ]


def test_a_buyer_invites_a_suppliers_first_admin_from_the_workbench(
    client, buyer, supplier, other_supplier, published_po, django_capture_on_commit_callbacks
):
    client.force_login(buyer)
    page = client.get("/workbench/supplier-invitations/")
    assert [s.code for s, _ in page.context["suppliers"]] == ["BOLTS"]

    refused = client.post("/workbench/supplier-invitations/", {"supplier": "NUTS", "email": "boss@nuts.example"})
    assert refused.status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post("/workbench/supplier-invitations/", {"supplier": "BOLTS", "email": "Boss@Bolts.example"})

    assert sent.status_code == 302
    invitation = SupplierInvitation.objects.get()
    assert (invitation.supplier_id, invitation.email, invitation.role) == (supplier.pk, "boss@bolts.example", "admin")
    assert [m.to for m in mail.outbox] == [["boss@bolts.example"]]
    invited = AuditEvent.objects.filter(action__startswith="supplier.")
    assert list(invited.values_list("action", "channel")) == [("supplier.invitation_created", "workbench")]


def test_a_supplier_person_cannot_use_the_workbench_invitations(client, bolts_admin):
    sign_in_with_mfa(client, bolts_admin)

    assert (
        client.post("/workbench/supplier-invitations/", {"supplier": "BOLTS", "email": "x@y.example"}).status_code
        == 403
    )
    assert SupplierInvitation.objects.count() == 0
