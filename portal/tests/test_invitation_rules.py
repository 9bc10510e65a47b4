"""Who may be invited from outside a supplier, who may accept, and what a session must have proved
before the portal opens: a buyer or staff invite only a supplier's first admin; buyer and staff
accounts never also act for a supplier; an authenticator is proved in the session, not just owned."""

import datetime as dt
import html

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth import get_user_model
from django.utils import timezone

from gateway.signin import STAFF_SUPPLIER_MESSAGE
from procurement import factories
from procurement.services.sources import WriteSource
from suppliers import services
from suppliers.models import SupplierInvitation, SupplierMembership
from suppliers.services import BUYER_ACCOUNT_MESSAGE, invitation_token_hash

from .conftest import PASSWORD, person, sign_in_with_mfa

pytestmark = pytest.mark.django_db

INVITE_PAGE = "/workbench/supplier-invitations/"
HAS_ADMIN = "Bolts Inc already has an administrator: its administrators invite their people from the portal."
HAS_PENDING = (
    "Bolts Inc already has a pending administrator invitation: "
    "it must be accepted, revoked or expire before another person is invited."
)


def pending_invitation(supplier, email, *, role=SupplierMembership.Role.ADMIN, invited_by=None, token="tok"):
    now = timezone.now()
    return SupplierInvitation.objects.create(
        supplier=supplier,
        email=email,
        role=role,
        token_hash=invitation_token_hash(token),
        invited_by=invited_by,
        created_at=now,
        expires_at=now + dt.timedelta(days=7),
    )


def test_a_buyer_cannot_invite_an_admin_once_the_supplier_has_one(client, buyer, published_po, bolts_admin):
    client.force_login(buyer)

    response = client.post(INVITE_PAGE, {"supplier": "BOLTS", "email": "intruder@elsewhere.example"})

    assert response.status_code == 400
    assert response.context["form"].errors["email"] == [HAS_ADMIN]
    assert SupplierInvitation.objects.count() == 0


def test_a_second_first_admin_invitation_waits_for_the_pending_one(
    client, buyer, supplier, published_po, django_capture_on_commit_callbacks
):
    client.force_login(buyer)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(INVITE_PAGE, {"supplier": "BOLTS", "email": "boss@bolts.example"}).status_code == 302

    other = client.post(INVITE_PAGE, {"supplier": "BOLTS", "email": "someone@else.example"})
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(INVITE_PAGE, {"supplier": "BOLTS", "email": "boss@bolts.example"})

    assert other.status_code == 400
    assert other.context["form"].errors["email"] == [HAS_PENDING]
    # The same address may be sent a fresh link: the earlier one is revoked.
    assert again.status_code == 302
    assert sorted(SupplierInvitation.objects.values_list("email", "state")) == [
        ("boss@bolts.example", "pending"),
        ("boss@bolts.example", "revoked"),
    ]


def test_an_expired_admin_invitation_does_not_block_a_new_one(supplier, buyer):
    old = pending_invitation(supplier, "gone@bolts.example")
    SupplierInvitation.objects.filter(pk=old.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    created = services.invitation_create(
        supplier=supplier,
        email="new@bolts.example",
        role=SupplierMembership.Role.ADMIN,
        source=WriteSource("workbench", "user buyer", buyer),
        link=lambda token: f"/accept/{token}/",
        first_admin=True,
    )

    assert (created.email, created.state) == ("new@bolts.example", "pending")


def test_staff_cannot_invite_anyone_to_a_supplier_that_has_an_admin(client, buyer, supplier, bolts_admin):
    client.force_login(buyer)

    response = client.post(
        "/admin/suppliers/supplierinvitation/add/",
        {"supplier": supplier.pk, "email": "intruder@elsewhere.example", "role": "member"},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [HAS_ADMIN]
    assert SupplierInvitation.objects.count() == 0


def test_the_service_refuses_a_first_admin_for_a_supplier_with_an_admin(supplier, buyer, bolts_admin):
    with pytest.raises(services.PeopleError) as refused:
        services.invitation_create(
            supplier=supplier,
            email="intruder@elsewhere.example",
            role=SupplierMembership.Role.ADMIN,
            source=WriteSource("admin", "user buyer", buyer),
            link=lambda token: f"/accept/{token}/",
            first_admin=True,
        )

    assert str(refused.value) == HAS_ADMIN
    assert SupplierInvitation.objects.count() == 0


def test_the_workbench_lists_only_invitations_made_by_the_buyers_companies(
    client, buyer, supplier, published_po, bolts_admin
):
    other_company = factories.CompanyFactory(code="OTHER", name="Other Co")
    outsider = factories.BuyerFactory(username="outsider", email="outsider@other.example")
    factories.CompanyMembershipFactory(company=other_company, user=outsider)
    SupplierInvitation.objects.all().delete()
    SupplierMembership.objects.filter(user=bolts_admin).update(active=False)
    pending_invitation(supplier, "mine@bolts.example", invited_by=buyer, token="a")
    pending_invitation(supplier, "theirs@bolts.example", invited_by=outsider, token="b")
    pending_invitation(supplier, "internal@bolts.example", invited_by=bolts_admin, token="c")
    client.force_login(buyer)

    page = client.get(INVITE_PAGE)

    assert [i.email for i in page.context["invitations"]] == ["mine@bolts.example"]


@pytest.mark.parametrize("kind", ["buyer", "staff"])
def test_a_buyer_or_staff_account_cannot_accept_a_supplier_invitation(client, supplier, buyer, kind):
    if kind == "buyer":
        account = buyer
        account.is_staff = account.is_superuser = False
        account.save()
    else:
        account = factories.BuyerFactory(username="staff", email="staff@acme.example")
    pending_invitation(supplier, account.email, token="t")
    client.force_login(account)

    response = client.post("/portal/invitations/accept/t/")

    assert response.status_code == 400
    assert html.escape(BUYER_ACCOUNT_MESSAGE) in response.content.decode()
    assert not SupplierMembership.objects.filter(user=account).exists()
    assert SupplierInvitation.objects.get().state == "pending"


def test_a_new_account_gets_a_free_user_name_when_the_address_is_taken_as_one(client, supplier):
    get_user_model().objects.create_user(username="ana@bolts.example", email="ana.old@elsewhere.example")
    pending_invitation(supplier, "ana@bolts.example", role=SupplierMembership.Role.MEMBER, token="t")

    response = client.post(
        "/portal/invitations/accept/t/",
        {"first_name": "Ana", "last_name": "Lopez", "password1": PASSWORD, "password2": PASSWORD},
    )

    assert (response.status_code, response["Location"]) == (302, "/portal/")
    joined = SupplierMembership.objects.get(supplier=supplier).user
    assert (joined.username, joined.email) == ("ana@bolts.example-2", "ana@bolts.example")


def test_the_accepted_address_becomes_the_only_primary_one(client, supplier):
    ana = person("ana", supplier, SupplierMembership.Role.MEMBER)  # primary address ana@example.com
    ana.email = "ana@bolts.example"
    ana.save()
    other_supplier = factories.SupplierFactory(code="WIRE", name="Wire Co")
    pending_invitation(other_supplier, "ana@bolts.example", role=SupplierMembership.Role.MEMBER, token="t")
    client.force_login(ana)

    assert client.post("/portal/invitations/accept/t/").status_code == 302

    assert sorted(EmailAddress.objects.filter(user=ana).values_list("email", "primary", "verified")) == [
        ("ana@bolts.example", True, True),
        ("ana@example.com", False, True),
    ]


@pytest.mark.parametrize("role", ["admin", "member"])
def test_a_password_only_session_must_prove_the_authenticator(client, supplier, role):
    someone = person("someone", supplier, role, totp=True)
    client.force_login(someone)  # as a password sign-in at the workbench or the admin leaves it

    response = client.get("/portal/orders/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/reauthenticate/?next=%2Fportal%2Forders%2F"
    sign_in_with_mfa(client, someone)
    assert client.get("/portal/orders/").status_code == 200


def test_a_member_without_an_authenticator_needs_no_code(client, bolts_member):
    client.force_login(bolts_member)

    assert client.get("/portal/orders/").status_code == 200


def test_staff_acting_for_a_supplier_cannot_sign_in_with_a_password(client, buyer, supplier):
    SupplierMembership.objects.create(user=buyer, supplier=supplier, role=SupplierMembership.Role.ADMIN)
    TOTP.activate(buyer, generate_totp_secret())

    workbench = client.post("/workbench/sign-in/", {"username": "buyer", "password": PASSWORD})
    admin = client.post("/admin/login/", {"username": "buyer", "password": PASSWORD})

    assert STAFF_SUPPLIER_MESSAGE in workbench.content.decode()
    assert STAFF_SUPPLIER_MESSAGE in admin.content.decode()
    assert "_auth_user_id" not in client.session


def test_staff_with_only_an_ended_supplier_membership_sign_in(client, buyer, supplier):
    SupplierMembership.objects.create(user=buyer, supplier=supplier, role=SupplierMembership.Role.MEMBER, active=False)

    response = client.post("/workbench/sign-in/", {"username": "buyer", "password": PASSWORD})

    assert (response.status_code, response["Location"]) == (302, "/workbench/")
