"""Portal personas: BOLTS' admin (with an authenticator), member and read-only person, NUTS' admin,
and the invitations and orders they act on; signed-in clients for the document pages' tests."""

import datetime as dt
import time

import pytest
from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.account.internal.userkit import user_id_to_str
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.utils import timezone

from procurement import factories
from procurement.services import tolerance
from suppliers.models import SupplierInvitation, SupplierMembership
from suppliers.services import invitation_token_hash

PASSWORD = "correct horse battery staple"


def person(username, supplier, role, *, totp=False):
    user = factories.UserFactory(username=username, email=f"{username}@example.com")
    user.set_password(PASSWORD)
    user.save()
    SupplierMembership.objects.create(user=user, supplier=supplier, role=role)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    if totp:
        TOTP.activate(user, generate_totp_secret())
    return user


@pytest.fixture(autouse=True)
def _no_broker(settings):
    settings.GATEWAY_OUTBOX_ENQUEUE_ON_COMMIT = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def bolts_admin(supplier):
    return person("bolts-admin", supplier, SupplierMembership.Role.ADMIN, totp=True)


@pytest.fixture
def bolts_member(supplier):
    return person("bolts-member", supplier, SupplierMembership.Role.MEMBER)


@pytest.fixture
def bolts_reader(supplier):
    return person("bolts-reader", supplier, SupplierMembership.Role.READ_ONLY)


@pytest.fixture
def nuts_admin(other_supplier):
    return person("nuts-admin", other_supplier, SupplierMembership.Role.ADMIN, totp=True)


@pytest.fixture
def bolts_invitation(supplier, bolts_admin):
    """A pending invitation to BOLTS, and its token."""
    token = "bolts-invitation-token"
    now = timezone.now()
    invitation = SupplierInvitation.objects.create(
        supplier=supplier,
        email="new.person@bolts.example",
        role=SupplierMembership.Role.MEMBER,
        token_hash=invitation_token_hash(token),
        invited_by=bolts_admin,
        created_at=now,
        expires_at=now + dt.timedelta(days=7),
    )
    return invitation, token


@pytest.fixture(autouse=True)
def _fresh_tolerance_cache():
    # The rule cache lives per process, keyed on (company pk, policy_version): start every test cold.
    tolerance._cache.clear()
    yield
    tolerance._cache.clear()


@pytest.fixture
def member(client, supplier_user):
    """A client signed in as BOLTS' member (``bolts-user``)."""
    client.force_login(supplier_user)
    return client


@pytest.fixture
def read_only(client, bolts_reader):
    """A client signed in as BOLTS' read-only person."""
    client.force_login(bolts_reader)
    return client


@pytest.fixture
def outsider(client, other_supplier_user):
    """A client signed in as another supplier's member."""
    client.force_login(other_supplier_user)
    return client


def sign_in_with_mfa(client, user) -> None:
    """Sign ``user`` in as allauth's portal sign-in does for a person with an authenticator: a password,
    then a code from the app, both recorded in the session."""
    client.force_login(user)
    session = client.session
    now = time.time()
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": now, "email": user.email},
        {"method": "mfa", "at": now, "type": "totp"},
    ]
    session["account_authentication_methods_user"] = user_id_to_str(user)
    session.save()
